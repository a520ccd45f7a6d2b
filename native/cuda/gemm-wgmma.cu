// The fused Linear + epilogue of gemm-fused.h on Hopper's warpgroup tensor cores (wgmma, sm_90a
// machine code only: this file is its own target built for compute_90a). One block of two
// warpgroups computes a 128-token × 128-column tile; each warpgroup multiplies its 64 rows by the
// 128 columns with wgmma m64n128 (k32 int8 or FP8 E4M3, k16 FP16: 32 bytes of k per instruction)
// reading both operands straight from shared memory through matrix descriptors. Tiles of 128
// bytes of k go through a 3-stage cp.async pipeline (two blocks an SM), stored in the layout the
// descriptors name: K-major rows of 128 bytes, 8-row atoms of 1024 bytes with the 128-byte
// swizzle (16-byte chunk c of row r at chunk c ^ (r mod 8)). Blocks of 256 columns (m64n256, one
// block an SM) were measured slower on the H100 (int8-full batch 32: 1.841 against 1.685 ms). The
// epilogue is the mma.sync kernel's: accumulators staged in shared memory, then 8 adjacent outputs
// per thread, the same FP32 operations (bit for bit for int8).
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "mma-ptx.cuh"
#include "vector-io.cuh"

namespace samp::cuda {
namespace {

using fused::kTileCols;
using fused::kTileRows;      // 64 per warpgroup
constexpr int kTileK = 128;  // bytes of k per stage (one swizzle row)
constexpr int kStages = 3;
constexpr int kThreads = 256;
constexpr int kOperandBytes = kTileRows * kTileK;  // X's tile; W's is the same size
constexpr int kStageBytes = 2 * kOperandBytes;
constexpr int kEpilogueLd = kTileCols + 8;
// The stages, plus slack to start them on a 1024-byte boundary (the swizzle atom).
constexpr int kSharedBytes = kStages * kStageBytes + 1024;
static_assert(kTileRows * kEpilogueLd * 4 <= kStages * kStageBytes, "epilogue tile fits");

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SAMP_WGMMA 1
#endif

#ifdef SAMP_WGMMA
/// The descriptor of a K-major operand with the 128-byte swizzle at shared address `addr`
/// (1024-byte aligned): 8-row atoms 1024 bytes apart; the leading offset is unused in this mode.
__device__ __forceinline__ std::uint64_t descriptor(std::uint32_t addr) {
  std::uint64_t d = (addr & 0x3FFFF) >> 4;
  d |= std::uint64_t{1} << 16;
  d |= std::uint64_t{1024 >> 4} << 32;
  d |= std::uint64_t{1} << 62;
  return d;
}

// The 64 accumulator registers of an m64n128 wgmma: the operand list and the asm outputs (c is
// "r" for int32, "f" for FP32); the descriptors are operands 64 and 65, the scale-d flag 66.
#define SAMP_WGMMA_D                                                                 \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "          \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, " \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
#define SAMP_WGMMA_OUT(c)                                                                    \
  "+" c(d[0]), "+" c(d[1]), "+" c(d[2]), "+" c(d[3]), "+" c(d[4]), "+" c(d[5]), "+" c(d[6]), \
      "+" c(d[7]), "+" c(d[8]), "+" c(d[9]), "+" c(d[10]), "+" c(d[11]), "+" c(d[12]),       \
      "+" c(d[13]), "+" c(d[14]), "+" c(d[15]), "+" c(d[16]), "+" c(d[17]), "+" c(d[18]),    \
      "+" c(d[19]), "+" c(d[20]), "+" c(d[21]), "+" c(d[22]), "+" c(d[23]), "+" c(d[24]),    \
      "+" c(d[25]), "+" c(d[26]), "+" c(d[27]), "+" c(d[28]), "+" c(d[29]), "+" c(d[30]),    \
      "+" c(d[31]), "+" c(d[32]), "+" c(d[33]), "+" c(d[34]), "+" c(d[35]), "+" c(d[36]),    \
      "+" c(d[37]), "+" c(d[38]), "+" c(d[39]), "+" c(d[40]), "+" c(d[41]), "+" c(d[42]),    \
      "+" c(d[43]), "+" c(d[44]), "+" c(d[45]), "+" c(d[46]), "+" c(d[47]), "+" c(d[48]),    \
      "+" c(d[49]), "+" c(d[50]), "+" c(d[51]), "+" c(d[52]), "+" c(d[53]), "+" c(d[54]),    \
      "+" c(d[55]), "+" c(d[56]), "+" c(d[57]), "+" c(d[58]), "+" c(d[59]), "+" c(d[60]),    \
      "+" c(d[61]), "+" c(d[62]), "+" c(d[63])

__device__ __forceinline__ void wgmma(int (&d)[64], std::uint64_t a, std::uint64_t b, const int8_t*,
                                      int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 " SAMP_WGMMA_D "%64, %65, p;\n}\n"
      : SAMP_WGMMA_OUT("r")
      : "l"(a), "l"(b), "r"(accumulate));
}

__device__ __forceinline__ void wgmma(float (&d)[64], std::uint64_t a, std::uint64_t b,
                                      const __half*, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 " SAMP_WGMMA_D
      "%64, %65, p, 1, 1, 0, 0;\n}\n"
      : SAMP_WGMMA_OUT("f")
      : "l"(a), "l"(b), "r"(accumulate));
}

__device__ __forceinline__ void wgmma(float (&d)[64], std::uint64_t a, std::uint64_t b,
                                      const __nv_fp8_e4m3*, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 " SAMP_WGMMA_D
      "%64, %65, p, 1, 1;\n}\n"
      : SAMP_WGMMA_OUT("f")
      : "l"(a), "l"(b), "r"(accumulate));
}
#undef SAMP_WGMMA_D
#undef SAMP_WGMMA_OUT

__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
/// Waits until at most kPending committed groups of products are still running.
template <int kPending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
/// Makes this thread's completed shared-memory writes (cp.async) visible to the async proxy
/// that wgmma reads through.
__device__ __forceinline__ void fence_async_proxy() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
#endif

/// Blocks per SM the registers must allow: two, except FP8's second accumulator set needs one.
template <typename In>
constexpr int kMinBlocks = std::is_same_v<In, __nv_fp8_e4m3> ? 1 : 2;

template <typename In, typename T, typename Q>
__global__ void __launch_bounds__(kThreads, kMinBlocks<In>)
    gemm_wgmma_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens, int k_bytes,
                      Dequant dq, Activation act, T* out, int ld_out, QuantOut<Q> q) {
#ifdef SAMP_WGMMA
  using Acc = typename fused::Accumulator<In>::type;
  extern __shared__ std::uint8_t raw[];
  const std::uint32_t raw_addr = ptx::smem_addr(raw);
  const std::uint32_t pad = ((raw_addr + 1023u) & ~1023u) - raw_addr;
  std::uint8_t* smem = raw + pad;
  const std::uint32_t base = raw_addr + pad;
  const int tid = threadIdx.x;
  const int group = tid >> 7;  // warpgroup: rows 64·group …
  const int row0 = blockIdx.y * kTileRows;
  const int col0 = blockIdx.x * kTileCols;
  const auto* xb = reinterpret_cast<const std::uint8_t*>(x);
  const auto* wb = reinterpret_cast<const std::uint8_t*>(w);
  const int tiles = k_bytes / kTileK;

  // Each thread queues 4 of the 1024 chunks of X's tile and 4 of W's.
  const auto load = [&](int stage, int tile) {
    std::uint8_t* a = smem + stage * kStageBytes;
    std::uint8_t* b = a + kOperandBytes;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int id = tid + i * kThreads;
      const int r = id >> 3, c = id & 7;
      const int at = r * kTileK + ((c ^ (r & 7)) << 4);
      const bool valid = row0 + r < tokens;
      const std::size_t offset = static_cast<std::size_t>(tile) * kTileK + c * 16;
      ptx::copy16(a + at, xb + static_cast<std::size_t>(valid ? row0 + r : 0) * k_bytes + offset,
                  valid);
      ptx::copy16(b + at, wb + static_cast<std::size_t>(col0 + r) * k_bytes + offset, true);
    }
  };

  constexpr bool kPromote = std::is_same_v<In, __nv_fp8_e4m3>;
  Acc d[64];
  Acc part[kPromote ? 64 : 1];
#pragma unroll
  for (int i = 0; i < 64; ++i)
    d[i] = 0;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load(s, s);
    ptx::commit();
  }
  for (int kt = 0; kt < tiles; ++kt) {
    ptx::wait_copies<kStages - 2>();
    fence_async_proxy();
    __syncthreads();  // tile kt is in shared memory for every thread
    const std::uint32_t stage = base + (kt % kStages) * kStageBytes;
    const std::uint64_t a = descriptor(stage + group * 64 * kTileK);
    const std::uint64_t b = descriptor(stage + kOperandBytes);
    wgmma_fence();
    if constexpr (kPromote) {
      // FP8: the tensor cores keep fewer bits than FP32 when they accumulate E4M3 products, so
      // each tile's 128 products are summed apart and added to the FP32 totals here.
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step)
        wgmma(part, a + 2 * step, b + 2 * step, x, step > 0 ? 1 : 0);
      wgmma_commit();
      wgmma_wait<0>();
#pragma unroll
      for (int i = 0; i < 64; ++i)
        d[i] += part[i];
    } else {
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step)
        wgmma(d, a + 2 * step, b + 2 * step, x,
              1);  // + 32 bytes: 2 of the descriptor's 16-byte units
      wgmma_commit();
    }
    // Tile kt's products keep running while tile kt − 1's are waited for, in both warpgroups;
    // then its stage is refilled.
    wgmma_wait<1>();
    __syncthreads();
    if (kt + kStages - 1 < tiles)
      load((kt + kStages - 1) % kStages, kt + kStages - 1);
    ptx::commit();
  }
  wgmma_wait<0>();

  // Epilogue: lane (g, t) of warp v of the warpgroup holds rows 16v + g and 16v + g + 8 at
  // columns 8i + 2t, 8i + 2t + 1 (i = 0…15) in d[4i …].
  ptx::wait_copies<0>();
  __syncthreads();
  Acc* tile = reinterpret_cast<Acc*>(smem);
  const int lane = tid & 31, v = (tid >> 5) & 3;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < 16; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      Acc* at = tile + (group * 64 + v * 16 + g + 8 * half) * kEpilogueLd + 8 * i + 2 * t;
      at[0] = d[4 * i + 2 * half];
      at[1] = d[4 * i + 2 * half + 1];
    }
  }
  __syncthreads();
  fused::store_tile<kThreads, kTileRows, kTileCols>(tile, kEpilogueLd, row0, col0, tokens, dq, act,
                                                    out, ld_out, q);
#endif
}

template <typename In, typename T, typename Q>
cudaError_t allow(cudaError_t previous) {
  if (previous != cudaSuccess)
    return previous;
  return cudaFuncSetAttribute(gemm_wgmma_kernel<In, T, Q>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize, kSharedBytes);
}

}  // namespace

bool gemm_fused_wgmma_available() {
  // Two attributes rather than cudaGetDeviceProperties, which fills ~100 fields (every session
  // asks).
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess ||
      major != 9 || minor != 0)
    return false;
  cudaFuncAttributes attributes{};
  return cudaFuncGetAttributes(&attributes, gemm_wgmma_kernel<int8_t, __half, int8_t>) ==
         cudaSuccess;
}

template <typename In>
bool gemm_fused_wgmma_supported(int n, int k, int ld_out, int ld_q) {
  return gemm_fused_supported<In>(n, k, ld_out, ld_q) &&
         (static_cast<long long>(k) * sizeof(In)) % kTileK == 0;
}

template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused_wgmma(const In* x, const In* w, int tokens, int n, int k,
                                    const Dequant& dq, Activation act, T* out, int ld_out,
                                    const QuantOut<Q>& q, cudaStream_t stream) {
  const bool supported =
      gemm_fused_wgmma_supported<In>(n, k, out != nullptr ? ld_out : 0, q.q != nullptr ? q.ld : 0);
  if (!fused::launchable(supported, tokens, x, w, out, q.q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  gemm_wgmma_kernel<In, T, Q><<<fused::grid(tokens, n), kThreads, kSharedBytes, stream>>>(
      x, w, tokens, k * static_cast<int>(sizeof(In)), dq, act, out, ld_out, q);
  return cudaGetLastError();
}

cudaError_t allow_gemm_fused_wgmma_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q) err = allow<In, T, Q>(err);
  SAMP_FUSED_GEMM_TYPES(SAMP_ALLOW)
  SAMP_ALLOW(__nv_fp8_e4m3, __half, int8_t)
  SAMP_ALLOW(__nv_fp8_e4m3, __half, __nv_fp8_e4m3)
#undef SAMP_ALLOW
  return err;
}

#define SAMP_GEMM_WGMMA(In, T, Q)                                                             \
  template cudaError_t launch_gemm_fused_wgmma<In, T, Q>(const In*, const In*, int, int, int, \
                                                         const Dequant&, Activation, T*, int, \
                                                         const QuantOut<Q>&, cudaStream_t);
SAMP_FUSED_GEMM_TYPES(SAMP_GEMM_WGMMA)
SAMP_GEMM_WGMMA(__nv_fp8_e4m3, __half, int8_t)  // FP8 inputs: wgmma only
SAMP_GEMM_WGMMA(__nv_fp8_e4m3, __half, __nv_fp8_e4m3)
#undef SAMP_GEMM_WGMMA

template bool gemm_fused_wgmma_supported<int8_t>(int, int, int, int);
template bool gemm_fused_wgmma_supported<__half>(int, int, int, int);
template bool gemm_fused_wgmma_supported<__nv_fp8_e4m3>(int, int, int, int);

}  // namespace samp::cuda
