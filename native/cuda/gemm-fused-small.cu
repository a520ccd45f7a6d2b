// launch_gemm_fused for few tokens (a batch of one or two rows) on mma.sync (mma-tile.cuh):
// 64-column blocks of 64 tokens (32 up to kShortMaxTokens), so that at 128 tokens a Linear of
// 2,304 columns spreads over 144 blocks rather than 18 and more SMs stream its weights. At these
// sizes the pipeline's fill is most of the time, so the stages are large: four of 128 bytes of k
// (64 KiB of weights in flight) where k allows, else six of 64. launch_gemm_parts_small is the same
// product cut along k, one slice a block, for a LayerNorm kernel to add up.
#include <cstdint>

#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "mma-tile.cuh"

namespace samp::cuda {
namespace {

using Wide = mma_tile::Tiling<64, 64, 128, 4, 0>;
using Narrow = mma_tile::Tiling<64, 64, 64, 6, 0>;
using Short = mma_tile::Tiling<32, 64, 128, 4, 0>;
// Up to this many tokens the 32-row tiles: H100, batch 1 (128 tokens) int8-full 0.399–0.402 ms
// against 0.419–0.423 with 64 rows, though each GEMM alone times slower on them (int8 QKV 5.2
// against 4.7 µs in a graph of its own): in place, twice the blocks start streaming the weights
// while the kernel before them ends (programmatic launches). Not measured above.
constexpr int kShortMaxTokens = 128;
// The k-split int8 product (launch_gemm_parts_small): 32-row tiles, six stages of 128 bytes of k;
// three (36 KiB) for slices of at most two stages, which need no more. The smaller block shares an
// SM with the kernel before it sooner: H100, batch 1, int8-full 0.296 against 0.300 ms with the
// attention output's 3 slices of 256 bytes on it (FFN2's slices on four stages: 0.298–0.299).
using Parts = mma_tile::Tiling<32, 64, 128, 6, 0>;
using ShallowParts = mma_tile::Tiling<32, 64, 128, 3, 0>;

}  // namespace

template <typename In>
bool gemm_fused_small_supported(int n, int k, int ld_out, int ld_q) {
  return n > 0 && k > 0 && n % Wide::kCols == 0 &&
         (static_cast<long long>(k) * sizeof(In)) % Narrow::kTileK == 0 && ld_out % 8 == 0 &&
         ld_q % 8 == 0;
}

template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused_small(const In* x, const In* w, int tokens, int n, int k,
                                    const Dequant& dq, Activation act, T* out, int ld_out,
                                    const QuantOut<Q>& q, cudaStream_t stream) {
  const bool supported =
      gemm_fused_small_supported<In>(n, k, out != nullptr ? ld_out : 0, q.q != nullptr ? q.ld : 0);
  if (!fused::launchable(supported, tokens, x, w, out, dq, q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  // H100, 128 tokens: int8 QKV 4.7 µs and FFN1 5.1 with 128-byte stages, 5.5 and 5.9 with 64.
  if ((static_cast<long long>(k) * sizeof(In)) % Wide::kTileK == 0) {
    if (tokens <= kShortMaxTokens)
      return mma_tile::launch<Short>(x, w, tokens, n, k, dq, act, out, ld_out, q, stream);
    return mma_tile::launch<Wide>(x, w, tokens, n, k, dq, act, out, ld_out, q, stream);
  }
  return mma_tile::launch<Narrow>(x, w, tokens, n, k, dq, act, out, ld_out, q, stream);
}

bool gemm_parts_small_supported(int n, int k, int parts) {
  return n > 0 && k > 0 && parts > 0 && n % Parts::kCols == 0 && k % parts == 0 &&
         (k / parts) % Parts::kTileK == 0;
}

cudaError_t launch_gemm_parts_small(const int8_t* x, const int8_t* w, int tokens, int n, int k,
                                    int parts, int32_t* out, cudaStream_t stream) {
  if (!gemm_parts_small_supported(n, k, parts) || tokens < 0 || x == nullptr || w == nullptr ||
      out == nullptr)
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  if (k / parts <= 2 * ShallowParts::kTileK)
    return mma_tile::launch_parts<ShallowParts>(x, w, tokens, n, k, parts, out, stream);
  return mma_tile::launch_parts<Parts>(x, w, tokens, n, k, parts, out, stream);
}

cudaError_t allow_gemm_fused_small_shared_bytes() {
  cudaError_t err = fused::allow_shared_bytes(cudaSuccess, mma_tile::parts_kernel<Parts, int8_t>,
                                              Parts::kSharedBytes);
  err = fused::allow_shared_bytes(err, mma_tile::parts_kernel<ShallowParts, int8_t>,
                                  ShallowParts::kSharedBytes);
#define SAMP_ALLOW(In, T, Q)                                                                      \
  err =                                                                                           \
      fused::allow_shared_bytes(err, mma_tile::fused_kernel<Wide, In, T, Q>, Wide::kSharedBytes); \
  err = fused::allow_shared_bytes(err, mma_tile::fused_kernel<Narrow, In, T, Q>,                  \
                                  Narrow::kSharedBytes);                                          \
  err = fused::allow_shared_bytes(err, mma_tile::fused_kernel<Short, In, T, Q>,                   \
                                  Short::kSharedBytes);
  SAMP_FUSED_GEMM_TYPES(SAMP_ALLOW)
#undef SAMP_ALLOW
  return err;
}

#define SAMP_GEMM_FUSED_SMALL(In, T, Q)                                                       \
  template cudaError_t launch_gemm_fused_small<In, T, Q>(const In*, const In*, int, int, int, \
                                                         const Dequant&, Activation, T*, int, \
                                                         const QuantOut<Q>&, cudaStream_t);
SAMP_FUSED_GEMM_TYPES(SAMP_GEMM_FUSED_SMALL)
#undef SAMP_GEMM_FUSED_SMALL

template bool gemm_fused_small_supported<int8_t>(int, int, int, int);
template bool gemm_fused_small_supported<__half>(int, int, int, int);

}  // namespace samp::cuda
