// The fused Linear + epilogue of gemm-fused.h on mma.sync (mma-tile.cuh): 128-token × 128-column
// blocks, each warp 64 × 64 of it (two blocks per SM: ~225 registers a thread, no spills), four
// stages of 64 bytes of k. 64 × 64 warp tiles keep ldmatrix traffic below what the tensor cores
// take (8 loads per 32 mma).
#include <cstdint>

#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "mma-tile.cuh"

namespace samp::cuda {
namespace {

using Tiling = mma_tile::Tiling<fused::kTileRows, fused::kTileCols, 64, 4, 2>;

}  // namespace

template <typename In>
bool gemm_fused_supported(int n, int k, int ld_out, int ld_q) {
  return n > 0 && k > 0 && n % Tiling::kCols == 0 &&
         (static_cast<long long>(k) * sizeof(In)) % Tiling::kTileK == 0 && ld_out % 8 == 0 &&
         ld_q % 8 == 0;
}

template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused(const In* x, const In* w, int tokens, int n, int k, const Dequant& dq,
                              Activation act, T* out, int ld_out, const QuantOut<Q>& q,
                              cudaStream_t stream) {
  const bool supported =
      gemm_fused_supported<In>(n, k, out != nullptr ? ld_out : 0, q.q != nullptr ? q.ld : 0);
  if (!fused::launchable(supported, tokens, x, w, out, dq, q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  return mma_tile::launch<Tiling>(x, w, tokens, n, k, dq, act, out, ld_out, q, stream);
}

cudaError_t allow_gemm_fused_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q)                                                     \
  err = fused::allow_shared_bytes(err, mma_tile::fused_kernel<Tiling, In, T, Q>, \
                                  Tiling::kSharedBytes);
  SAMP_FUSED_GEMM_TYPES(SAMP_ALLOW)
#undef SAMP_ALLOW
  return err;
}

#define SAMP_GEMM_FUSED(In, T, Q)                                                       \
  template cudaError_t launch_gemm_fused<In, T, Q>(const In*, const In*, int, int, int, \
                                                   const Dequant&, Activation, T*, int, \
                                                   const QuantOut<Q>&, cudaStream_t);
SAMP_FUSED_GEMM_TYPES(SAMP_GEMM_FUSED)
#undef SAMP_GEMM_FUSED

template bool gemm_fused_supported<int8_t>(int, int, int, int);
template bool gemm_fused_supported<__half>(int, int, int, int);
template bool gemm_fused_supported<__nv_fp8_e4m3>(int, int, int, int);

}  // namespace samp::cuda
