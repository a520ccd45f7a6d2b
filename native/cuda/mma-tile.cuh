// The fused Linear + epilogue of gemm-fused.h on mma.sync (sm_80+), shared by its two tilings:
// gemm-fused.cu (128 × 128 tiles, warps of 64 × 64: ldmatrix traffic below what the tensor cores
// take) and gemm-fused-small.cu (64 × 64 tiles for few tokens, so more blocks stream the weights).
// A block is 2 × 2 warps; X and W stages of kTileK bytes of k go through a cp.async pipeline into
// shared memory, rows XOR-swizzled by 16-byte chunk so the 8 rows an ldmatrix reads fall in
// distinct banks; the warps multiply with mma.sync (m16n8k32 for int8, m16n8k16 for FP16: the same
// fragments byte for byte, so one body serves both, 32 bytes of k per step). The weights' first
// stages are queued before the wait for the previous kernel (launch.h): they are no kernel's
// output. The epilogue stages the accumulators in shared memory for fused::store_tile, so int8
// results are cuBLASLt + launch_dequant_activation's bit for bit. The same product, one k slice a
// block and no epilogue, is the k-split product of gemm-fused-small.cu (parts_kernel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "launch.h"
#include "mma-ptx.cuh"

namespace samp::cuda::mma_tile {

/// A tiling: kRows tokens × kCols columns a block, kStages stages of kTileK (64 or 128) bytes of k,
/// kMinBlocks blocks an SM the registers must allow (0: no bound).
template <int kRows_, int kCols_, int kTileK_, int kStages_, int kMinBlocks_>
struct Tiling {
  static constexpr int kRows = kRows_, kCols = kCols_, kTileK = kTileK_, kStages = kStages_;
  static constexpr int kMinBlocks = kMinBlocks_;
  static constexpr int kThreads = 128;  // 2 × 2 warps
  static constexpr int kWarpRows = kRows / 2, kWarpCols = kCols / 2;
  static constexpr int kChunks = kTileK / 16;  // 16-byte chunks a staged row
  static constexpr int kStageBytes = (kRows + kCols) * kTileK;
  // The epilogue's tile of accumulators, rows padded by 8 words (fused::stage_pair's bank rule).
  static constexpr int kEpilogueLd = kCols + 8;
  static constexpr int kEpilogueBytes = kRows * kEpilogueLd * 4;
  static constexpr int kSharedBytes =
      kStages * kStageBytes > kEpilogueBytes ? kStages* kStageBytes : kEpilogueBytes;
  static_assert(kTileK == 64 || kTileK == 128, "a staged row is 4 or 8 chunks");

  /// Byte offset of 16-byte chunk c of staged row r.
  __device__ __forceinline__ static int staged(int r, int c) {
    const int swizzle = kChunks == 8 ? (r & 7) : ((r >> 1) & 3);
    return r * kTileK + ((c ^ swizzle) << 4);
  }
};

/// Queues stage `tile` (counted from `from`) of one operand: kOperandRows rows of kTileK bytes
/// (row stride k_bytes), rows at or past `valid` zero-filled.
template <typename L, int kOperandRows>
__device__ __forceinline__ void load_operand(std::uint8_t* to, const std::uint8_t* from,
                                             int k_bytes, int tile, int valid) {
#pragma unroll
  for (int i = 0; i < kOperandRows * L::kChunks / L::kThreads; ++i) {
    const int id = threadIdx.x + i * L::kThreads;
    const int r = id / L::kChunks, c = id % L::kChunks;
    const bool ok = r < valid;
    const std::size_t offset = static_cast<std::size_t>(ok ? r : 0) * k_bytes +
                               static_cast<std::size_t>(tile) * L::kTileK + c * 16;
    ptx::copy16(to + L::staged(r, c), from + offset, ok);
  }
}

/// The accumulators of a warp: kMi × kNj m16n8 tiles of 4 (int32 for int8, FP32 for FP16).
template <typename L, typename In>
struct Accumulators {
  static constexpr int kMi = L::kWarpRows / 16;  // m-tiles a warp
  static constexpr int kNj = L::kWarpCols / 8;   // n-tiles a warp
  typename fused::Accumulator<In>::type v[kMi][kNj][4];
};

/// The block's product over `tiles` stages of k from byte `k0` of each row: Σ x[row0 + r, ·] ·
/// w[col0 + c, ·] into acc (rows past `tokens` read as zeros). Every thread of the block calls it;
/// it waits for the previous kernel (launch.h) after queueing the weights' first stages.
template <typename L, typename In>
__device__ __forceinline__ void product(const In* __restrict__ x, const In* __restrict__ w,
                                        int tokens, int k_bytes, int k0, int tiles, int row0,
                                        int col0, std::uint8_t* smem, Accumulators<L, In>& acc) {
  constexpr int kMi = Accumulators<L, In>::kMi, kNj = Accumulators<L, In>::kNj;
  constexpr int kStages = L::kStages;
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp_row = (tid >> 5) >> 1;
  const int warp_col = (tid >> 5) & 1;
  const auto* xb =
      reinterpret_cast<const std::uint8_t*>(x) + static_cast<std::size_t>(row0) * k_bytes + k0;
  const auto* wb =
      reinterpret_cast<const std::uint8_t*>(w) + static_cast<std::size_t>(col0) * k_bytes + k0;
  const auto stage_x = [&](int s) { return smem + s * L::kStageBytes; };
  const auto stage_w = [&](int s) { return smem + s * L::kStageBytes + L::kRows * L::kTileK; };

  // One commit per stage and per iteration (empty near the end) keeps the wait count fixed; the
  // first group also holds the weights' first stages, queued before the previous kernel ends.
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load_operand<L, L::kCols>(stage_w(s), wb, k_bytes, s, L::kCols);
  }
  dev::wait_for_previous_kernel();
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load_operand<L, L::kRows>(stage_x(s), xb, k_bytes, s, tokens - row0);
    ptx::commit();
  }

#pragma unroll
  for (int i = 0; i < kMi; ++i)
#pragma unroll
    for (int j = 0; j < kNj; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        acc.v[i][j][e] = 0;

  for (int kt = 0; kt < tiles; ++kt) {
    ptx::wait_copies<kStages - 2>();
    // Tile kt has landed for every thread, and every warp is done with the stage refilled next.
    __syncthreads();
    const int next = kt + kStages - 1;
    if (next < tiles) {
      load_operand<L, L::kCols>(stage_w(next % kStages), wb, k_bytes, next, L::kCols);
      load_operand<L, L::kRows>(stage_x(next % kStages), xb, k_bytes, next, tokens - row0);
    }
    ptx::commit();
    const std::uint8_t* a = stage_x(kt % kStages);
    const std::uint8_t* b = stage_w(kt % kStages);
#pragma unroll
    for (int step = 0; step < L::kTileK / 32; ++step) {  // 32 bytes of k each
      std::uint32_t af[kMi][4], bf[kNj][2];
#pragma unroll
      for (int i = 0; i < kMi; ++i) {
        const int r = warp_row * L::kWarpRows + i * 16 + (lane & 15);
        ptx::ldmatrix_x4(af[i], a + L::staged(r, step * 2 + (lane >> 4)));
      }
#pragma unroll
      for (int j = 0; j < kNj / 2; ++j) {
        // Columns 16j … of the warp's: n-tiles 2j and 2j + 1, both 16-byte halves of the step.
        const int r = warp_col * L::kWarpCols + j * 16 + ((lane >> 4) << 3) + (lane & 7);
        std::uint32_t m[4];
        ptx::ldmatrix_x4(m, b + L::staged(r, step * 2 + ((lane >> 3) & 1)));
        bf[2 * j][0] = m[0];
        bf[2 * j][1] = m[1];
        bf[2 * j + 1][0] = m[2];
        bf[2 * j + 1][1] = m[3];
      }
#pragma unroll
      for (int i = 0; i < kMi; ++i)
#pragma unroll
        for (int j = 0; j < kNj; ++j)
          ptx::mma(acc.v[i][j], af[i], bf[j][0], bf[j][1]);
    }
  }
}

template <typename L, typename In, typename T, typename Q>
__global__ void __launch_bounds__(L::kThreads, L::kMinBlocks)
    fused_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens, int k_bytes,
                 Dequant dq, Activation act, T* out, int ld_out, QuantOut<Q> q) {
  using Acc = typename fused::Accumulator<In>::type;
  constexpr int kMi = Accumulators<L, In>::kMi, kNj = Accumulators<L, In>::kNj;
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp_row = (tid >> 5) >> 1;
  const int warp_col = (tid >> 5) & 1;
  const int row0 = blockIdx.y * L::kRows;
  const int col0 = blockIdx.x * L::kCols;
  Accumulators<L, In> acc;
  product<L>(x, w, tokens, k_bytes, 0, k_bytes / L::kTileK, row0, col0, smem, acc);

  // The epilogue: the accumulators go through shared memory (the stages are free now) to
  // fused::store_tile.
  ptx::wait_copies<0>();
  __syncthreads();
  Acc* tile = reinterpret_cast<Acc*>(smem);
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < kMi; ++i) {
#pragma unroll
    for (int j = 0; j < kNj; ++j) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int r = warp_row * L::kWarpRows + i * 16 + g + 8 * half;
        const int c = warp_col * L::kWarpCols + j * 8 + 2 * t;
        fused::stage_pair(tile + r * L::kEpilogueLd + c, acc.v[i][j][2 * half],
                          acc.v[i][j][2 * half + 1]);
      }
    }
  }
  __syncthreads();

  fused::store_tile<L::kThreads, L::kRows, L::kCols>(tid, tile, L::kEpilogueLd, row0, col0, tokens,
                                                     dq, act, out, ld_out, q);
}

/// Launches fused_kernel with tiling L over [tokens, n].
template <typename L, typename In, typename T, typename Q>
cudaError_t launch(const In* x, const In* w, int tokens, int n, int k, const Dequant& dq,
                   Activation act, T* out, int ld_out, const QuantOut<Q>& q, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(n / L::kCols),
                  static_cast<unsigned>((tokens + L::kRows - 1) / L::kRows));
  return launch_kernel({grid, L::kThreads, L::kSharedBytes, stream}, fused_kernel<L, In, T, Q>, x,
                       w, tokens, k * static_cast<int>(sizeof(In)), dq, act, out, ld_out, q);
}

/// The k-split product without an epilogue: block z multiplies k slice z (`slice_bytes` of each
/// row) and stores its raw sums (int32 or FP32) as part z of `parts`: [gridDim.z, tokens, n].
template <typename L, typename In>
__global__ void __launch_bounds__(L::kThreads, L::kMinBlocks)
    parts_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens, int n, int k_bytes,
                 int slice_bytes, typename fused::Accumulator<In>::type* parts) {
  using Acc = typename fused::Accumulator<In>::type;
  using Pair = std::conditional_t<std::is_same_v<Acc, int>, int2, float2>;  // 8-byte stores
  constexpr int kMi = Accumulators<L, In>::kMi, kNj = Accumulators<L, In>::kNj;
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int lane = threadIdx.x & 31;
  const int warp_row = (threadIdx.x >> 5) >> 1;
  const int warp_col = (threadIdx.x >> 5) & 1;
  const int row0 = blockIdx.y * L::kRows;
  const int col0 = blockIdx.x * L::kCols;
  Accumulators<L, In> acc;
  product<L>(x, w, tokens, k_bytes, blockIdx.z * slice_bytes, slice_bytes / L::kTileK, row0, col0,
             smem, acc);
  // Lane (g, t) holds rows g and g + 8 of each m-tile at columns 2t, 2t + 1 of each n-tile: the
  // four lanes of a row store 32 contiguous bytes.
  Acc* part = parts + static_cast<std::size_t>(blockIdx.z) * tokens * n;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < kMi; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int r = row0 + warp_row * L::kWarpRows + i * 16 + g + 8 * half;
      if (r >= tokens)
        continue;
#pragma unroll
      for (int j = 0; j < kNj; ++j) {
        const int c = col0 + warp_col * L::kWarpCols + j * 8 + 2 * t;
        *reinterpret_cast<Pair*>(part + static_cast<std::size_t>(r) * n + c) =
            Pair{acc.v[i][j][2 * half], acc.v[i][j][2 * half + 1]};
      }
    }
  }
}

/// Launches parts_kernel with tiling L: `count` parts of k / count over [tokens, n].
template <typename L, typename In>
cudaError_t launch_parts(const In* x, const In* w, int tokens, int n, int k, int count,
                         typename fused::Accumulator<In>::type* parts, cudaStream_t stream) {
  const int k_bytes = k * static_cast<int>(sizeof(In));
  const dim3 grid(static_cast<unsigned>(n / L::kCols),
                  static_cast<unsigned>((tokens + L::kRows - 1) / L::kRows),
                  static_cast<unsigned>(count));
  return launch_kernel({grid, L::kThreads, L::kSharedBytes, stream}, parts_kernel<L, In>, x, w,
                       tokens, n, k_bytes, k_bytes / count, parts);
}

}  // namespace samp::cuda::mma_tile
