// Bias + activation after the first FFN GEMM, and the float <-> storage conversions.
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "kernels.h"
#include "launch.h"
#include "vector-io.cuh"

namespace samp::cuda {
namespace {

template <typename T>
__global__ void bias_activation_kernel(T* x, size_t n, int cols, const float* bias,
                                       Activation act) {
  dev::wait_for_previous_kernel();
  const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int c = static_cast<int>(i % static_cast<size_t>(cols));
    x[i] = dev::from_f<T>(dev::activate(act, dev::to_f(x[i]) + bias[c]));
  }
}

// Eight halves (16 bytes) per thread when the row width is a multiple of 8: x is the column
// vector, y the row (no index division), the bias as two float4 loads made before the wait on the
// previous kernel (a weight: it never depends on it).
__global__ void bias_activation_half8_kernel(__half* x, int rows, int cols, const float* bias,
                                             Activation act) {
  const int c = (blockIdx.x * blockDim.x + threadIdx.x) * 8;
  if (c >= cols)
    return;
  const float4 b0 = *reinterpret_cast<const float4*>(bias + c);
  const float4 b1 = *reinterpret_cast<const float4*>(bias + c + 4);
  dev::wait_for_previous_kernel();
  const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
  dev::with_activation(act, [&](auto kind) {
    constexpr Activation kAct = decltype(kind)::value;
    for (int r = blockIdx.y; r < rows; r += gridDim.y) {
      uint4* p = reinterpret_cast<uint4*>(x + static_cast<size_t>(r) * cols + c);
      uint4 raw = *p;
      __half2* h = reinterpret_cast<__half2*>(&raw);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const float2 f = __half22float2(h[j]);
        h[j] = __floats2half2_rn(dev::activate_for_half<kAct>(f.x + b[2 * j]),
                                 dev::activate_for_half<kAct>(f.y + b[2 * j + 1]));
      }
      *p = raw;
    }
  });
}

template <typename T>
__global__ void to_float_kernel(const T* src, int ld, int rows, int cols, float* dst) {
  dev::wait_for_previous_kernel();
  const size_t n = static_cast<size_t>(rows) * cols;
  const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const size_t r = i / cols;
    const size_t c = i % cols;
    dst[i] = dev::to_f(src[r * ld + c]);
  }
}

// The same for rows of a multiple of 8 columns at 16-byte-aligned addresses: 8 values a thread,
// a 2-D grid (no 64-bit division an element).
template <typename T>
__global__ void to_float8_kernel(const T* __restrict__ src, int ld, int cols, float* dst) {
  dev::wait_for_previous_kernel();
  const int c = (blockIdx.x * blockDim.x + threadIdx.x) * 8;
  if (c >= cols)
    return;
  const size_t r = blockIdx.y;
  float v[8];
  dev::load8(src + r * ld + c, v);
  dev::store8(dst + r * cols + c, v);
}

template <typename T>
__global__ void from_float_kernel(const float* src, size_t n, T* dst) {
  dev::wait_for_previous_kernel();
  const size_t stride = static_cast<size_t>(blockDim.x) * gridDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    dst[i] = dev::from_f<T>(src[i]);
  }
}

unsigned blocks_for(size_t n, unsigned threads) {
  const size_t wanted = (n + threads - 1) / threads;
  return static_cast<unsigned>(wanted < 65535 ? (wanted == 0 ? 1 : wanted) : 65535);
}

}  // namespace

template <typename T>
cudaError_t launch_bias_activation(T* x, int rows, int cols, const float* bias, Activation act,
                                   cudaStream_t stream) {
  const size_t n = static_cast<size_t>(rows) * cols;
  if (n == 0)
    return cudaSuccess;
  if constexpr (std::is_same_v<T, __half>) {
    if (cols % 8 == 0 && reinterpret_cast<std::uintptr_t>(x) % 16 == 0 &&
        reinterpret_cast<std::uintptr_t>(bias) % 16 == 0) {
      constexpr unsigned kThreads = 128;
      const unsigned vectors = static_cast<unsigned>(cols / 8);
      const dim3 grid((vectors + kThreads - 1) / kThreads,
                      static_cast<unsigned>(rows < 65535 ? rows : 65535));
      return launch_kernel({grid, kThreads, 0, stream}, bias_activation_half8_kernel, x, rows, cols,
                           bias, act);
    }
  }
  return launch_kernel({blocks_for(n, 256), 256, 0, stream}, bias_activation_kernel<T>, x, n, cols,
                       bias, act);
}

namespace {

// Every step-th 32-bit pattern x: the largest |gelu(x) − x·Φ(x)| / |x| (Φ in double precision)
// over finite x, and the largest such error over |x·Φ(x)| for |x| ≤ 5, as the bits of
// non-negative floats (whose order is the integers' order); gelu_for_half if for_half.
__global__ void gelu_error_kernel(unsigned step, bool for_half, unsigned* worst_bits) {
  float of_x = 0.0f, of_value = 0.0f;
  const std::uint64_t stride = static_cast<std::uint64_t>(blockDim.x) * gridDim.x;
  for (std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i * step < (std::uint64_t{1} << 32); i += stride) {
    const float x = __uint_as_float(static_cast<unsigned>(i * step));
    if (!isfinite(x) || x == 0.0f)
      continue;
    const double exact = static_cast<double>(x) * normcdf(static_cast<double>(x));
    const float got = for_half ? dev::gelu_for_half(x) : dev::gelu(x);
    // Beyond the rounding of a subnormal result (half the smallest subnormal, 2^-150).
    const double excess = fmax(0.0, fabs(static_cast<double>(got) - exact) - 0x1p-150);
    of_x = fmaxf(of_x, static_cast<float>(excess / fabs(static_cast<double>(x))));
    if (fabsf(x) <= 5.0f)
      of_value = fmaxf(of_value, static_cast<float>(excess / fabs(exact)));
  }
  atomicMax(worst_bits, __float_as_uint(of_x));
  atomicMax(worst_bits + 1, __float_as_uint(of_value));
}

}  // namespace

cudaError_t launch_gelu_worst_error(unsigned step, bool for_half, unsigned* worst_bits,
                                    cudaStream_t stream) {
  if (step == 0)
    return cudaErrorInvalidValue;
  gelu_error_kernel<<<1024, 256, 0, stream>>>(step, for_half, worst_bits);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_to_float(const T* src, int ld, int rows, int cols, float* dst,
                            cudaStream_t stream) {
  const size_t n = static_cast<size_t>(rows) * cols;
  if (n == 0)
    return cudaSuccess;
  if (cols % 8 == 0 && ld % 8 == 0 && aligned16(src) && aligned16(dst) && rows <= 65535) {
    const dim3 grid(static_cast<unsigned>((cols / 8 + 127) / 128), static_cast<unsigned>(rows));
    return launch_kernel({grid, 128, 0, stream}, to_float8_kernel<T>, src, ld, cols, dst);
  }
  return launch_kernel({blocks_for(n, 256), 256, 0, stream}, to_float_kernel<T>, src, ld, rows,
                       cols, dst);
}

template <typename T>
cudaError_t launch_from_float(const float* src, size_t n, T* dst, cudaStream_t stream) {
  if (n == 0)
    return cudaSuccess;
  return launch_kernel({blocks_for(n, 256), 256, 0, stream}, from_float_kernel<T>, src, n, dst);
}

template cudaError_t launch_bias_activation<float>(float*, int, int, const float*, Activation,
                                                   cudaStream_t);
template cudaError_t launch_bias_activation<__half>(__half*, int, int, const float*, Activation,
                                                    cudaStream_t);
template cudaError_t launch_to_float<float>(const float*, int, int, int, float*, cudaStream_t);
template cudaError_t launch_to_float<__half>(const __half*, int, int, int, float*, cudaStream_t);
template cudaError_t launch_from_float<float>(const float*, size_t, float*, cudaStream_t);
template cudaError_t launch_from_float<__half>(const float*, size_t, __half*, cudaStream_t);

}  // namespace samp::cuda
