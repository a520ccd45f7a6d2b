// A Linear whose output feeds a LayerNorm (the attention output and FFN2 of a layer), with the
// bias, the residual, the LayerNorm and the quantized copy for the next GEMM in its epilogue
// (sm_90a only, built with gemm-wgmma.cu). A LayerNorm needs whole rows, and a block's tile is 128
// columns, so the n / 128 blocks of a row band form one thread-block cluster: each adds the row
// sums of its columns, reads its peers' through distributed shared memory (in rank order, so every
// block gets the same mean), then the same for the squared deviations (the two exact passes of
// the LayerNorm kernels). The int32 or FP16 product then never goes to memory, and the separate
// LayerNorm launch is saved. The per-element operations are launch_layer_norm_quantize's; only
// the order of the row sums differs.
#include <cooperative_groups.h>

#include <cstdint>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "launch.h"
#include "vector-io.cuh"
#include "wgmma-tile.cuh"

namespace samp::cuda {
namespace {

namespace cg = cooperative_groups;
using namespace wgmma_tile;

constexpr int kMaxClusterBlocks = 8;        // the portable cluster size: rows up to 1,024 wide
constexpr int kRowThreads = kTileCols / 8;  // threads sharing a row, 8 columns each
constexpr int kRowsPerPass = kThreads / kRowThreads;

/// Adds s over the kRowThreads adjacent lanes that share row r; the first of them stores the sum
/// at part[r].
__device__ __forceinline__ void store_row_sum(float s, float* part, int r) {
#pragma unroll
  for (int o = kRowThreads / 2; o > 0; o >>= 1)
    s += __shfl_xor_sync(0xffffffffu, s, o);
  if (threadIdx.x % kRowThreads == 0)
    part[r] = s;
}

/// The sum over the cluster's blocks of their `part[r]`, in rank order.
__device__ __forceinline__ float cluster_row_sum(cg::cluster_group& cluster, float* part, int r) {
  float s = 0.0f;
  for (unsigned rank = 0; rank < cluster.num_blocks(); ++rank)
    s += cluster.map_shared_rank(part, rank)[r];
  return s;
}

template <typename In, typename T, typename Q>
__global__ void __launch_bounds__(kThreads, kMinBlocks<In>)
    gemm_layer_norm_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens,
                           int k_bytes, Dequant dq, const T* __restrict__ residual,
                           const float* __restrict__ gamma, const float* __restrict__ beta,
                           float eps, T* out, QuantOut<Q> q) {
#ifdef SAMP_WGMMA
  using Acc = typename fused::Accumulator<In>::type;
  extern __shared__ std::uint8_t raw[];
  // Per row of the band: this block's sums, then squared deviations (apart: a peer may still be
  // reading the sums), and the mean and inverse deviation every thread reads.
  __shared__ float sums[kTileRows], squares[kTileRows], mean[kTileRows], inv_std[kTileRows];
  cg::cluster_group cluster = cg::this_cluster();
  const int width = gridDim.x * kTileCols;
  const int row0 = blockIdx.y * kTileRows;
  const int col0 = blockIdx.x * kTileCols;
  const int tid = threadIdx.x;
  Acc* tile = product_tile(x, w, tokens, k_bytes, row0, col0, aligned_smem(raw));
  float* v = reinterpret_cast<float*>(tile);  // each thread turns its own entries into values

  const int c = (tid % kRowThreads) * 8;
  const int col = col0 + c;
  float scale[8], add[8];
  dev::load8_or(dq.w_scales, col, 1.0f, scale);
  dev::load8_or(dq.bias, col, 0.0f, add);
  // Pass 1: value = product · s_x · s_w + bias + residual, and the row sums.
  for (int r = tid / kRowThreads; r < kTileRows; r += kRowsPerPass) {
    const int row = row0 + r;
    float s = 0.0f;
    if (row < tokens) {
      unsigned bits[8];
      fused::load_staged8(tile + r * kEpilogueLd + c, c, bits);
      float res[8], value[8];
      dev::load8_or(residual, static_cast<std::size_t>(row) * width + col, 0.0f, res);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        value[e] = fused::from_bits<Acc>(bits[e]) * dq.in_scale * scale[e] + add[e] + res[e];
        s += value[e];
      }
      fused::store_staged8(v + r * kEpilogueLd + c, c, value);
    }
    store_row_sum(s, sums, r);
  }
  cluster.sync();
  if (tid < kTileRows)
    mean[tid] = cluster_row_sum(cluster, sums, tid) / static_cast<float>(width);
  __syncthreads();
  // Pass 2: the squared deviations from the row mean.
  for (int r = tid / kRowThreads; r < kTileRows; r += kRowsPerPass) {
    float s = 0.0f;
    if (row0 + r < tokens) {
      float value[8];
      fused::load_staged8(v + r * kEpilogueLd + c, c, value);
#pragma unroll
      for (int e = 0; e < 8; ++e)
        s += (value[e] - mean[r]) * (value[e] - mean[r]);
    }
    store_row_sum(s, squares, r);
  }
  cluster.sync();
  if (tid < kTileRows)
    inv_std[tid] = rsqrtf(cluster_row_sum(cluster, squares, tid) / static_cast<float>(width) + eps);
  // No block leaves (its shared memory going with it) while a peer may still read its squares.
  cluster.sync();
  // Pass 3: normalize, store, and quantize the stored (rounded) value as the LayerNorm kernels do.
  float g[8], b[8];
  dev::load8(gamma + col, g);
  dev::load8(beta + col, b);
  for (int r = tid / kRowThreads; r < kTileRows; r += kRowsPerPass) {
    const int row = row0 + r;
    if (row >= tokens)
      break;
    float value[8], o[8];
    fused::load_staged8(v + r * kEpilogueLd + c, c, value);
#pragma unroll
    for (int e = 0; e < 8; ++e)
      o[e] = (value[e] - mean[r]) * inv_std[r] * g[e] + b[e];
    dev::store8_with_codes(
        out + static_cast<std::size_t>(row) * width + col,
        q.q != nullptr ? q.q + static_cast<std::size_t>(row) * q.ld + col : nullptr, q.inv_scale,
        o);
  }
#endif
}

}  // namespace

template <typename In>
bool gemm_layer_norm_wgmma_supported(int n, int k, int ld_q) {
  return n % kTileCols == 0 && n / kTileCols >= 1 && n / kTileCols <= kMaxClusterBlocks && k > 0 &&
         (static_cast<long long>(k) * sizeof(In)) % kTileK == 0 && ld_q % 8 == 0;
}

template <typename In, typename T, typename Q>
cudaError_t launch_gemm_layer_norm_wgmma(const In* x, const In* w, int tokens, int n, int k,
                                         const Dequant& dq, const T* residual, const float* gamma,
                                         const float* beta, float eps, T* out, const QuantOut<Q>& q,
                                         cudaStream_t stream) {
  const bool supported = gemm_layer_norm_wgmma_supported<In>(n, k, q.q != nullptr ? q.ld : 0) &&
                         q.inv_scales == nullptr && aligned16(residual) && aligned16(gamma) &&
                         aligned16(beta) && gamma != nullptr && beta != nullptr && out != nullptr;
  // launchable also checks the scales' and bias's alignment (fused::params_aligned).
  if (!fused::launchable(supported, tokens, x, w, out, dq, q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  const LaunchShape shape{fused::grid(tokens, n), kThreads, kSharedBytes, stream,
                          static_cast<unsigned>(n / kTileCols)};
  return launch_kernel(shape, gemm_layer_norm_kernel<In, T, Q>, x, w, tokens,
                       k * static_cast<int>(sizeof(In)), dq, residual, gamma, beta, eps, out, q);
}

cudaError_t allow_gemm_layer_norm_wgmma_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q) \
  err = fused::allow_shared_bytes(err, gemm_layer_norm_kernel<In, T, Q>, kSharedBytes);
  SAMP_FUSED_GEMM_TYPES(SAMP_ALLOW)
#undef SAMP_ALLOW
  return err;
}

#define SAMP_GEMM_LN(In, T, Q)                                                                   \
  template cudaError_t launch_gemm_layer_norm_wgmma<In, T, Q>(                                   \
      const In*, const In*, int, int, int, const Dequant&, const T*, const float*, const float*, \
      float, T*, const QuantOut<Q>&, cudaStream_t);
SAMP_FUSED_GEMM_TYPES(SAMP_GEMM_LN)
#undef SAMP_GEMM_LN

template bool gemm_layer_norm_wgmma_supported<int8_t>(int, int, int);
template bool gemm_layer_norm_wgmma_supported<__half>(int, int, int);

}  // namespace samp::cuda
