#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace samp::cuda {

/// The value the self-test kernel writes at index `i`; the host recomputes it to check.
__host__ __device__ inline std::uint32_t self_test_pattern(std::size_t i, std::uint32_t seed) {
  std::uint32_t x = static_cast<std::uint32_t>(i) * 2654435761u ^ seed;
  x ^= x >> 16;
  return x;
}

/// Launches the self-test kernel: out[i] = self_test_pattern(i, seed) for i < n. Returns the
/// launch error (cudaGetLastError), so the caller checks it like any other CUDA call.
cudaError_t launch_self_test_kernel(std::uint32_t* out, std::size_t n, std::uint32_t seed,
                                    cudaStream_t stream);

}  // namespace samp::cuda
