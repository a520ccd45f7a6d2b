// launch_max_difference (gemm.h): how far one cuBLASLt candidate's output is from another's.
#include <cuda_fp16.h>

#include <cstddef>
#include <cstdint>

#include "gemm.h"

namespace samp::cuda {
namespace {

__device__ __forceinline__ float value(const float* p, std::size_t i) {
  return p[i];
}
__device__ __forceinline__ float value(const __half* p, std::size_t i) {
  return __half2float(p[i]);
}

/// Raises worst[0] to max |b| and worst[1] to max |a − b| (as the bits of non-negative floats,
/// which order as unsigned integers). int32 values compare exactly: any difference counts ≥ 1.
template <typename V>
__global__ void max_difference_kernel(const V* a, const V* b, std::size_t n, unsigned* worst) {
  float magnitude = 0.0f, difference = 0.0f;
  const std::size_t stride = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    if constexpr (std::is_same_v<V, int>) {
      magnitude = fmaxf(magnitude, fabsf(static_cast<float>(b[i])));
      if (a[i] != b[i])
        difference = fmaxf(difference, fmaxf(1.0f, fabsf(static_cast<float>(a[i] - b[i]))));
    } else {
      const float x = value(a, i), y = value(b, i);
      magnitude = fmaxf(magnitude, fabsf(y));
      // NaN anywhere is a difference as large as can be.
      difference = fmaxf(difference,
                         x == y ? 0.0f : (fabsf(x - y) == fabsf(x - y) ? fabsf(x - y) : 3.0e38f));
    }
  }
  atomicMax(worst, __float_as_uint(magnitude));
  atomicMax(worst + 1, __float_as_uint(difference));
}

}  // namespace

cudaError_t launch_max_difference(const void* a, const void* b, std::size_t n, cudaDataType_t type,
                                  unsigned* worst, cudaStream_t stream) {
  const unsigned blocks = n / 256 + 1 < 256 ? static_cast<unsigned>(n / 256 + 1) : 256;
  switch (type) {
    case CUDA_R_32F:
      max_difference_kernel<<<blocks, 256, 0, stream>>>(static_cast<const float*>(a),
                                                        static_cast<const float*>(b), n, worst);
      break;
    case CUDA_R_16F:
      max_difference_kernel<<<blocks, 256, 0, stream>>>(static_cast<const __half*>(a),
                                                        static_cast<const __half*>(b), n, worst);
      break;
    case CUDA_R_32I:
      max_difference_kernel<<<blocks, 256, 0, stream>>>(static_cast<const int*>(a),
                                                        static_cast<const int*>(b), n, worst);
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace samp::cuda
