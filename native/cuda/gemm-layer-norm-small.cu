// launch_linear_layer_norm_small (gemm-fused.h): the attention-output or FFN2 Linear and the bias +
// residual + LayerNorm after it in one launch, for few tokens. A batch of one is a few µs of work
// a kernel, so the second kernel's fixed cost (H100, 128 tokens: ~3.5 µs for the LayerNorm) is
// most of what it adds. The product runs on the small tiling of mma-tile.cuh with k split over up
// to kMaxSplits blocks so that ~100 blocks stream the weights; each block stores its partial sums
// (exact int32 for int8) in a workspace, the grid meets at a barrier (a cooperative launch: every
// block resident), and then each warp adds up one row's partial sums in split order and ends as
// launch_layer_norm_quantize's kernel does: the same FP32 operations, so int8 results are
// cuBLASLt's int32 product + that kernel's bit for bit.
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "launch.h"
#include "mma-tile.cuh"
#include "vector-io.cuh"

namespace samp::cuda {
namespace {

using Wide = mma_tile::Tiling<64, 64, 128, 4, 0>;
using Narrow = mma_tile::Tiling<64, 64, 64, 6, 0>;
constexpr int kMaxSplits = kLinearLayerNormSmallMaxSplits;

/// The 8 partial sums of columns c … c + 7 of a row, added over the splits in order.
__device__ __forceinline__ void sum8(const int* p, std::size_t split_stride, int splits, float* v) {
  int s[8] = {};
  for (int i = 0; i < splits; ++i, p += split_stride) {
    const int4 a = __ldcg(reinterpret_cast<const int4*>(p));
    const int4 b = __ldcg(reinterpret_cast<const int4*>(p) + 1);
    s[0] += a.x, s[1] += a.y, s[2] += a.z, s[3] += a.w;
    s[4] += b.x, s[5] += b.y, s[6] += b.z, s[7] += b.w;
  }
#pragma unroll
  for (int e = 0; e < 8; ++e)
    v[e] = static_cast<float>(s[e]);
}
__device__ __forceinline__ void sum8(const float* p, std::size_t split_stride, int splits,
                                     float* v) {
#pragma unroll
  for (int e = 0; e < 8; ++e)
    v[e] = 0.0f;
  for (int i = 0; i < splits; ++i, p += split_stride) {
    const float4 a = __ldcg(reinterpret_cast<const float4*>(p));
    const float4 b = __ldcg(reinterpret_cast<const float4*>(p) + 1);
    v[0] += a.x, v[1] += a.y, v[2] += a.z, v[3] += a.w;
    v[4] += b.x, v[5] += b.y, v[6] += b.z, v[7] += b.w;
  }
}

/// Blocks: (column tile, row tile, split), column tiles fastest. `partials` is [splits, tokens, n].
template <typename L, typename In, typename T, typename Q, int kVec>
__global__ void __launch_bounds__(L::kThreads)
    linear_layer_norm_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens, int n,
                             int k_bytes, int splits, Dequant dq, const T* residual,
                             const float* __restrict__ gamma, const float* __restrict__ beta,
                             float eps, T* out, QuantOut<Q> q,
                             typename fused::Accumulator<In>::type* partials,
                             GridBarrier* barrier) {
  using Acc = typename fused::Accumulator<In>::type;
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int col_tiles = n / L::kCols;
  const int row_tiles = (tokens + L::kRows - 1) / L::kRows;
  const int col0 = (blockIdx.x % col_tiles) * L::kCols;
  const int row0 = (blockIdx.x / col_tiles % row_tiles) * L::kRows;
  const int split = blockIdx.x / (col_tiles * row_tiles);
  const int k_tiles = k_bytes / L::kTileK;
  const int first = split * k_tiles / splits;
  const int last = (split + 1) * k_tiles / splits;
  const std::size_t k_offset = static_cast<std::size_t>(first) * L::kTileK;
  const auto* xb = reinterpret_cast<const std::uint8_t*>(x) +
                   static_cast<std::size_t>(row0) * k_bytes + k_offset;
  const auto* wb = reinterpret_cast<const std::uint8_t*>(w) +
                   static_cast<std::size_t>(col0) * k_bytes + k_offset;

  Acc acc[L::kWarpRows / 16][L::kWarpCols / 8][4];
  mma_tile::multiply<L>(xb, wb, k_bytes, last - first, tokens - row0, smem, acc);
  Acc* part = partials + static_cast<std::size_t>(split) * tokens * n;
  mma_tile::each_pair<L>(acc, [&](int r, int c, Acc a, Acc b) {
    if (row0 + r < tokens) {
      Acc* at = part + static_cast<std::size_t>(row0 + r) * n + col0 + c;
      at[0] = a;
      at[1] = b;
    }
  });
  dev::grid_sync(barrier);

  // A warp a row: the row's sums, then the LayerNorm kernel's operations.
  const int lane = threadIdx.x & 31;
  const int vectors = n / 8;
  const std::size_t split_stride = static_cast<std::size_t>(tokens) * n;
  for (int row = blockIdx.x * (L::kThreads / 32) + (threadIdx.x >> 5); row < tokens;
       row += gridDim.x * (L::kThreads / 32)) {
    const std::size_t base = static_cast<std::size_t>(row) * n;
    float v[kVec][8];
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kVec; ++i) {
      const int vi = lane + 32 * i;
      if (vi >= vectors)
        continue;
      const int c = vi * 8;
      sum8(partials + base + c, split_stride, splits, v[i]);
      float scale[8], add[8], res[8];
      dev::load8_or(dq.w_scales, c, 1.0f, scale);
      dev::load8_or(dq.bias, c, 0.0f, add);
      dev::load8_or(residual, base + c, 0.0f, res);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        v[i][e] = v[i][e] * dq.in_scale * scale[e] + add[e] + res[e];
        sum += v[i][e];
      }
    }
    dev::normalize_row8<kVec>(v, sum, lane, vectors, n, eps, gamma, beta, out + base,
                              q.q != nullptr ? q.q + static_cast<std::size_t>(row) * q.ld : nullptr,
                              q.inv_scale);
  }
}

/// The blocks one SM holds of the kernel (0 where it cannot run), once per device.
template <typename Kernel>
int blocks_per_sm(Kernel kernel, int shared_bytes) {
  int blocks = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, Wide::kThreads,
                                                    shared_bytes) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return blocks;
}

template <typename L, typename In, typename T, typename Q, int kVec>
cudaError_t launch_tiled(const In* x, const In* w, int tokens, int n, int k, const Dequant& dq,
                         const T* residual, const float* gamma, const float* beta, float eps,
                         T* out, const QuantOut<Q>& q, void* workspace, GridBarrier* barrier,
                         cudaStream_t stream) {
  const auto kernel = linear_layer_norm_kernel<L, In, T, Q, kVec>;
  int device = 0, sms = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess)
    err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err != cudaSuccess)
    return err;
  const int k_tiles = static_cast<int>(k * sizeof(In)) / L::kTileK;
  const int tiles = n / L::kCols * ((tokens + L::kRows - 1) / L::kRows);
  int splits = sms / tiles;
  splits = splits < 1 ? 1 : splits > kMaxSplits ? kMaxSplits : splits;
  splits = splits > k_tiles ? k_tiles : splits;
  // Every block must be resident at once (the grid barrier): the cooperative launch would fail.
  if (tiles * splits > sms * blocks_per_sm(kernel, L::kSharedBytes))
    return cudaErrorInvalidValue;
  using Acc = typename fused::Accumulator<In>::type;
  return launch_kernel({dim3(static_cast<unsigned>(tiles * splits)), L::kThreads, L::kSharedBytes,
                        stream, 0, true},
                       kernel, x, w, tokens, n, static_cast<int>(k * sizeof(In)), splits, dq,
                       residual, gamma, beta, eps, out, q, static_cast<Acc*>(workspace), barrier);
}

}  // namespace

template <typename In>
bool linear_layer_norm_small_supported(int n, int k, int ld_q) {
  return n > 0 && k > 0 && n % Wide::kCols == 0 && n <= kMaxQuantizedLayerNormWidth &&
         (static_cast<long long>(k) * sizeof(In)) % Narrow::kTileK == 0 && ld_q % 8 == 0;
}

std::size_t linear_layer_norm_small_workspace_bytes(int tokens, int n) {
  return static_cast<std::size_t>(kMaxSplits) * tokens * n * 4;
}

template <typename In, typename T, typename Q>
cudaError_t launch_linear_layer_norm_small(const In* x, const In* w, int tokens, int n, int k,
                                           const Dequant& dq, const T* residual,
                                           const float* gamma, const float* beta, float eps,
                                           T* out, const QuantOut<Q>& q, void* workspace,
                                           GridBarrier* barrier, cudaStream_t stream) {
  const bool supported =
      linear_layer_norm_small_supported<In>(n, k, q.q != nullptr ? q.ld : 0) &&
      q.inv_scales == nullptr && aligned16(residual) && aligned16(gamma) && aligned16(beta) &&
      aligned16(workspace) && barrier != nullptr;
  if (!fused::launchable(supported, tokens, x, w, out, dq, q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  cudaError_t err = cudaSuccess;
  const bool wide = (static_cast<long long>(k) * sizeof(In)) % Wide::kTileK == 0;
  dispatch_vectors_per_lane<4>((n / 8 + 31) / 32, [&](auto vectors) {
    constexpr int kVec = decltype(vectors)::value;
    err = wide ? launch_tiled<Wide, In, T, Q, kVec>(x, w, tokens, n, k, dq, residual, gamma, beta,
                                                    eps, out, q, workspace, barrier, stream)
               : launch_tiled<Narrow, In, T, Q, kVec>(x, w, tokens, n, k, dq, residual, gamma,
                                                      beta, eps, out, q, workspace, barrier,
                                                      stream);
  });
  return err;
}

cudaError_t allow_linear_layer_norm_small_shared_bytes() {
  cudaError_t err = cudaSuccess;
  for (int vec = 1; vec <= 4; ++vec) {
    dispatch_vectors_per_lane<4>(vec, [&](auto vectors) {
      constexpr int kVec = decltype(vectors)::value;
#define SAMP_ALLOW(In, T, Q)                                                                   \
  err = fused::allow_shared_bytes(err, linear_layer_norm_kernel<Wide, In, T, Q, kVec>,         \
                                  Wide::kSharedBytes);                                         \
  err = fused::allow_shared_bytes(err, linear_layer_norm_kernel<Narrow, In, T, Q, kVec>,       \
                                  Narrow::kSharedBytes);
      SAMP_FUSED_GEMM_TYPES(SAMP_ALLOW)
#undef SAMP_ALLOW
    });
  }
  return err;
}

#define SAMP_LINEAR_LAYER_NORM_SMALL(In, T, Q)                                                     \
  template cudaError_t launch_linear_layer_norm_small<In, T, Q>(                                   \
      const In*, const In*, int, int, int, const Dequant&, const T*, const float*, const float*, \
      float, T*, const QuantOut<Q>&, void*, GridBarrier*, cudaStream_t);
SAMP_FUSED_GEMM_TYPES(SAMP_LINEAR_LAYER_NORM_SMALL)
#undef SAMP_LINEAR_LAYER_NORM_SMALL

template bool linear_layer_norm_small_supported<int8_t>(int, int, int);
template bool linear_layer_norm_small_supported<__half>(int, int, int);

}  // namespace samp::cuda
