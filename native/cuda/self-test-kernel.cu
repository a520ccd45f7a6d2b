#include "self-test-kernel.h"

namespace samp::cuda {
namespace {

__global__ void write_pattern(std::uint32_t* out, std::size_t n, std::uint32_t seed) {
  const std::size_t stride = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    out[i] = self_test_pattern(i, seed);
  }
}

}  // namespace

cudaError_t launch_self_test_kernel(std::uint32_t* out, std::size_t n, std::uint32_t seed,
                                    cudaStream_t stream) {
  constexpr unsigned kThreads = 256;
  const std::size_t wanted = (n + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(wanted < 4096 ? (wanted == 0 ? 1 : wanted) : 4096);
  write_pattern<<<blocks, kThreads, 0, stream>>>(out, n, seed);
  return cudaGetLastError();
}

}  // namespace samp::cuda
