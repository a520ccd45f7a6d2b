// Device helpers shared by the kernels: float <-> storage type, warp and block reductions.
#pragma once

#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <type_traits>

#include "kernels.h"

namespace samp::cuda::dev {

__device__ __forceinline__ float to_f(float x) {
  return x;
}
__device__ __forceinline__ float to_f(__half x) {
  return __half2float(x);
}

template <typename T>
__device__ __forceinline__ T from_f(float x);
template <>
__device__ __forceinline__ float from_f<float>(float x) {
  return x;
}
template <>
__device__ __forceinline__ __half from_f<__half>(float x) {
  return __float2half_rn(x);
}

__device__ __forceinline__ float to_f(int32_t x) {
  return static_cast<float>(x);
}

/// A code in the low byte of the result: rne(v) clamped to [lo, hi] (integers within ±127), as the
/// CPU backend quantizes. v is clamped in FP32 first (a NaN becomes lo, as on the CPU); adding
/// 1.5 · 2^23 then leaves a sum whose ulp is 1, so the FP32 add rounds half to even and the low
/// byte of its bits is the code in two's complement. Two FMNMX and an FADD where F2I takes the
/// conversion unit (16 lanes a clock an SM on sm_90, shared with ex2) and two integer clamps.
__device__ __forceinline__ int code_bits(float v, float lo, float hi) {
  return __float_as_int(fminf(fmaxf(v, lo), hi) + 12582912.0f);
}

/// The int8 code of v (already divided by the scale): round half to even, clamped to ±127.
__device__ __forceinline__ int8_t to_int8(float v) {
  return static_cast<int8_t>(code_bits(v, -127.0f, 127.0f));
}

/// Stores v (already divided by the scale) as a quantized code: int8, or FP8 E4M3 saturated to
/// its finite range.
__device__ __forceinline__ void store_quantized(int8_t* p, float v) {
  *p = to_int8(v);
}
__device__ __forceinline__ void store_quantized(__nv_fp8_e4m3* p, float v) {
  *p = __nv_fp8_e4m3(v);
}

/// The device half of launch.h's programmatic launches: returns once the previous kernel in the
/// stream has finished and its writes are visible, then lets the next kernel's blocks be scheduled
/// (they wait here in turn). A no-op after a plain launch, and before sm_90.
__device__ __forceinline__ void wait_for_previous_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

/// 2^x on the special-function unit (ex2.approx.ftz: ~2 ulp, results below 2^−126 flushed to 0,
/// 2^−inf = 0), without exp2f's extra scaling steps for subnormal results.
__device__ __forceinline__ float exp2_approx(float x) {
  float e;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(e) : "f"(x));
  return e;
}

/// Exact-erf GELU, x·Φ(x), in FP32 without erf: Φ(−a) = 2^q(a) for a = |x| < 5.5, q a degree-11
/// polynomial fitted to log2 Φ(−a) (tools/fit-gelu.py); Φ(−5.5) = 1.9e−8 is below half an FP32 ulp
/// of 1, so past 5.5 GELU is x (or 0). One ex2 and ~20 instructions where 0.5·x·(1 + erff(x/√2))
/// takes ~35: the FFN1 epilogue is issue-bound on them. Within 3e−7·|x| of x·Φ(x) (ctest) like the
/// erff form, and closer in relative terms for negative x, where 1 + erff(x/√2) cancels.
__device__ __forceinline__ float gelu(float x) {
  constexpr float kEnd = 5.5f;
  const float a = fminf(fabsf(x), kEnd);
  float q = 0x1.7a197ep-29f;
  q = __fmaf_rn(q, a, -0x1.af86p-24f);
  q = __fmaf_rn(q, a, 0x1.b6d6bp-20f);
  q = __fmaf_rn(q, a, -0x1.03c06ep-16f);
  q = __fmaf_rn(q, a, 0x1.804a4ep-14f);
  q = __fmaf_rn(q, a, -0x1.43c858p-12f);
  q = __fmaf_rn(q, a, 0x1.df356ep-16f);
  q = __fmaf_rn(q, a, 0x1.c6c78ep-8f);
  q = __fmaf_rn(q, a, -0x1.adab26p-5f);
  q = __fmaf_rn(q, a, -0x1.d63c5cp-2f);
  q = __fmaf_rn(q, a, -0x1.26aed6p+0f);
  q = __fmaf_rn(q, a, -1.0f);
  float e = exp2_approx(q);        // Φ(−|x|)
  e = fabsf(x) < kEnd ? e : 0.0f;  // NaN: 0, so x · 0 stays NaN
  return x * (x > 0.0f ? 1.0f - e : e);
}

/// GELU for results that are rounded to FP16 (half an FP16 ulp is 2.4e−4 of the value): Φ(−a) =
/// 2^q(a) with q of degree 6 on [0, 5] (tools/fit-gelu.py 5 6), within 1.5e−5 of the value and
/// 4.2e−6·|x| on the H100 (ctest); past 5 it keeps q(5), Φ(−5) = 2.9e−7 of x. Eleven instructions
/// where gelu() takes ~20: the FP16 FFN1 epilogue is issue-bound on them. NaN stays NaN.
__device__ __forceinline__ float gelu_for_half(float x) {
  const float a = fminf(fabsf(x), 5.0f);
  float q = 0x1.f33f3cp-16f;
  q = __fmaf_rn(q, a, -0x1.761e6ep-11f);
  q = __fmaf_rn(q, a, 0x1.fd8ee8p-8f);
  q = __fmaf_rn(q, a, -0x1.afa3ap-5f);
  q = __fmaf_rn(q, a, -0x1.d68a66p-2f);
  q = __fmaf_rn(q, a, -0x1.26a32p+0f);
  q = __fmaf_rn(q, a, -0x1.0000c4p+0f);
  const float e = exp2_approx(q);  // Φ(−|x|)
  return x * (x > 0.0f ? 1.0f - e : e);
}

/// activate() for an activation known at compile time.
template <Activation kAct>
__device__ __forceinline__ float activate(float x) {
  if constexpr (kAct == Activation::kGelu)
    return gelu(x);
  if constexpr (kAct == Activation::kGeluTanh)
    return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  if constexpr (kAct == Activation::kRelu)
    return x > 0.0f ? x : 0.0f;
  return x;
}

/// activate<kAct>() for a result that is rounded to FP16 next: exact GELU as gelu_for_half.
template <Activation kAct>
__device__ __forceinline__ float activate_for_half(float x) {
  if constexpr (kAct == Activation::kGelu)
    return gelu_for_half(x);
  return activate<kAct>(x);
}

/// Calls f(std::integral_constant<Activation, act>{}): a loop inside f then holds no switch
/// between its values, whose arithmetic the compiler can interleave.
template <typename F>
__device__ __forceinline__ void with_activation(Activation act, const F& f) {
  switch (act) {
    case Activation::kGelu:
      return f(std::integral_constant<Activation, Activation::kGelu>{});
    case Activation::kGeluTanh:
      return f(std::integral_constant<Activation, Activation::kGeluTanh>{});
    case Activation::kRelu:
      return f(std::integral_constant<Activation, Activation::kRelu>{});
    case Activation::kNone:
      break;
  }
  f(std::integral_constant<Activation, Activation::kNone>{});
}

/// The feed-forward activation in FP32 (exact-erf GELU, tanh GELU, ReLU).
__device__ __forceinline__ float activate(Activation act, float x) {
  switch (act) {
    case Activation::kGelu:
      return gelu(x);
    case Activation::kGeluTanh: {
      const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + tanhf(inner));
    }
    case Activation::kRelu:
      return x > 0.0f ? x : 0.0f;
    case Activation::kNone:
      break;
  }
  return x;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/// v summed, or its max, over the four lanes that share a row of an mma.sync accumulator fragment
/// (lanes 4g … 4g + 3), in the order lane ^ 1, then lane ^ 2.
__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

__device__ __forceinline__ float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

/// The mean and 1 / sqrt(variance + eps) of a LayerNorm row held by one warp.
struct RowStats {
  float mean;
  float inv_std;
};

/// Row statistics in two exact passes (no E[x²] − E[x]² cancellation) for a row of `width` values
/// spread over a warp: this lane holds kGroups groups of kGroupSize values in v (row-major), group
/// i valid where lane + 32·i < groups; `sum` is the lane's sum of its valid values.
template <int kGroups, int kGroupSize>
__device__ __forceinline__ RowStats warp_row_stats(const float* v, float sum, int lane, int groups,
                                                   int width, float eps) {
  const float mean = warp_sum(sum) / static_cast<float>(width);
  float var = 0.0f;
#pragma unroll
  for (int i = 0; i < kGroups; ++i) {
    if (lane + 32 * i < groups) {
#pragma unroll
      for (int e = 0; e < kGroupSize; ++e)
        var += (v[i * kGroupSize + e] - mean) * (v[i * kGroupSize + e] - mean);
    }
  }
  return {mean, rsqrtf(warp_sum(var) / static_cast<float>(width) + eps)};
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
/// `scratch` holds 32 floats; the call ends with the block synchronised.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  float total = lane < warps ? scratch[lane] : 0.0f;
  total = warp_sum(total);
  return total;
}

}  // namespace samp::cuda::dev
