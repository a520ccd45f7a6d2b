// The fused Linear + epilogue of gemm-fused.h on Hopper's warpgroup tensor cores (wgmma, sm_90a
// machine code only: this file is its own target built for compute_90a): wgmma-tile.cuh's product
// of a 128 × 128 tile, then the mma.sync kernel's epilogue on the staged accumulators, 8 adjacent
// outputs per thread, the same FP32 operations (bit for bit for int8).
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "launch.h"
#include "vector-io.cuh"
#include "wgmma-tile.cuh"

namespace samp::cuda {
namespace {

using namespace wgmma_tile;

template <typename In, typename T, typename Q>
__global__ void __launch_bounds__(kThreads, kMinBlocks<In>)
    gemm_wgmma_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens, int k_bytes,
                      Dequant dq, Activation act, T* out, int ld_out, QuantOut<Q> q) {
#ifdef SAMP_WGMMA
  extern __shared__ std::uint8_t raw[];
  const int row0 = blockIdx.y * kTileRows;
  const int col0 = blockIdx.x * kTileCols;
  const auto* tile = product_tile(x, w, tokens, k_bytes, row0, col0, aligned_smem(raw));
  fused::store_tile<kThreads, kTileRows, kTileCols>(threadIdx.x, tile, kEpilogueLd, row0, col0,
                                                    tokens, dq, act, out, ld_out, q);
#endif
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
  if (!fused::launchable(supported, tokens, x, w, out, dq, q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  return launch_kernel({fused::grid(tokens, n), kThreads, kSharedBytes, stream},
                       gemm_wgmma_kernel<In, T, Q>, x, w, tokens, k * static_cast<int>(sizeof(In)),
                       dq, act, out, ld_out, q);
}

cudaError_t allow_gemm_fused_wgmma_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q) \
  err = fused::allow_shared_bytes(err, gemm_wgmma_kernel<In, T, Q>, kSharedBytes);
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
