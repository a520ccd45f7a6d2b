// The product of one 128-token × 128-column output tile on Hopper's warpgroup tensor cores, shared
// by the kernels built around it (gemm-wgmma.cu: the fused Linear + epilogue; gemm-wgmma-ln.cu:
// the Linear + residual + LayerNorm). Two warpgroups of 128 threads each multiply their 64 rows by
// the 128 columns with wgmma m64n128 (k32 int8 or FP8 E4M3, k16 FP16: 32 bytes of k per
// instruction) reading both operands straight from shared memory through matrix descriptors.
// Tiles of 128 bytes of k go through a 3-stage cp.async pipeline (two blocks an SM), stored in the
// layout the descriptors name: K-major rows of 128 bytes, 8-row atoms of 1024 bytes with the
// 128-byte swizzle (16-byte chunk c of row r at chunk c ^ (r mod 8)). Blocks of 256 columns
// (m64n256, one block an SM) were measured slower on the H100 (int8-full batch 32: 1.841 against
// 1.685 ms). sm_90a only: the includers are built for compute_90a.
#pragma once

#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "hopper-ptx.cuh"
#include "mma-ptx.cuh"

namespace samp::cuda::wgmma_tile {

using fused::kTileCols;
using fused::kTileRows;      // 64 per warpgroup
constexpr int kTileK = 128;  // bytes of k per stage (one swizzle row)
constexpr int kStages = 3;
constexpr int kThreads = 256;
constexpr int kOperandBytes = kTileRows * kTileK;  // X's tile; W's is the same size
constexpr int kStageBytes = 2 * kOperandBytes;
constexpr int kEpilogueLd = kTileCols + 8;  // accumulators per staged row
// The stages, plus slack to start them on a 1024-byte boundary (the swizzle atom).
constexpr int kSharedBytes = kStages * kStageBytes + 1024;
static_assert(kTileRows * kEpilogueLd * 4 <= kStages * kStageBytes, "staged tile fits");

/// Blocks per SM the registers must allow: two, except FP8's second accumulator set needs one.
template <typename In>
constexpr int kMinBlocks = std::is_same_v<In, __nv_fp8_e4m3> ? 1 : 2;

/// The block's shared memory from `raw` (the dynamic shared memory) on the swizzle atom.
__device__ __forceinline__ std::uint8_t* aligned_smem(std::uint8_t* raw) {
  const std::uint32_t addr = ptx::smem_addr(raw);
  return raw + (((addr + 1023u) & ~1023u) - addr);
}

#ifdef SAMP_WGMMA
/// Σ_k x[row0 + r, k] · w[col0 + c, k] for the block's 128 × 128 tile (rows past `tokens` read as
/// zeros), staged at the end in `smem` as accumulators (int32 for int8, FP32 otherwise), row r at
/// r · kEpilogueLd; every thread of the block calls it and may read the tile when it returns.
template <typename In>
__device__ __forceinline__ typename fused::Accumulator<In>::type* product_tile(
    const In* __restrict__ x, const In* __restrict__ w, int tokens, int k_bytes, int row0, int col0,
    std::uint8_t* smem) {
  using namespace hopper;
  using Acc = typename fused::Accumulator<In>::type;
  const std::uint32_t base = ptx::smem_addr(smem);
  const int tid = threadIdx.x;
  const int group = tid >> 7;  // warpgroup: rows 64·group …
  const auto* xb = reinterpret_cast<const std::uint8_t*>(x);
  const auto* wb = reinterpret_cast<const std::uint8_t*>(w);
  const int tiles = k_bytes / kTileK;
  // Each thread queues 4 of the 1024 chunks of X's tile and 4 of W's.
  const auto load_operand = [&](bool weights, int stage, int tile) {
    std::uint8_t* to = smem + stage * kStageBytes + (weights ? kOperandBytes : 0);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int id = tid + i * kThreads;
      const int r = id >> 3, c = id & 7;
      const int at = r * kTileK + ((c ^ (r & 7)) << 4);
      const std::size_t offset = static_cast<std::size_t>(tile) * kTileK + c * 16;
      if (weights) {
        ptx::copy16(to + at, wb + static_cast<std::size_t>(col0 + r) * k_bytes + offset, true);
      } else {
        const bool valid = row0 + r < tokens;
        ptx::copy16(to + at, xb + static_cast<std::size_t>(valid ? row0 + r : 0) * k_bytes + offset,
                    valid);
      }
    }
  };
  const auto load = [&](int stage, int tile) {
    load_operand(false, stage, tile);
    load_operand(true, stage, tile);
  };

  constexpr bool kPromote = std::is_same_v<In, __nv_fp8_e4m3>;
  Acc d[64];
  Acc part[kPromote ? 64 : 1];
#pragma unroll
  for (int i = 0; i < 64; ++i)
    d[i] = 0;
  // The weights are no other kernel's output: their first stages load before the wait for the
  // previous kernel (launch.h), X's after it.
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load_operand(true, s, s);
  }
  dev::wait_for_previous_kernel();
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load_operand(false, s, s);
    ptx::commit();  // group s: X's stage s (the first also holds the weights' stages)
  }
  for (int kt = 0; kt < tiles; ++kt) {
    ptx::wait_copies<kStages - 2>();
    fence_async_proxy();
    __syncthreads();  // tile kt is in shared memory for every thread
    const std::uint32_t stage = base + (kt % kStages) * kStageBytes;
    const std::uint64_t a = descriptor(stage + group * 64 * kTileK);
    const std::uint64_t b = descriptor(stage + kOperandBytes);
    wgmma_fence();
    if constexpr (kPromote) {
      // FP8: the tensor cores keep fewer bits than FP32 when they accumulate E4M3 products, so
      // each tile's 128 products are summed apart and added to the FP32 totals here.
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step)
        wgmma(part, a + 2 * step, b + 2 * step, x, step > 0 ? 1 : 0);
      wgmma_commit();
      wgmma_wait<0>();
#pragma unroll
      for (int i = 0; i < 64; ++i)
        d[i] += part[i];
    } else {
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step)
        wgmma(d, a + 2 * step, b + 2 * step, x,
              1);  // + 32 bytes: 2 of the descriptor's 16-byte units
      wgmma_commit();
    }
    // Tile kt's products keep running while tile kt − 1's are waited for, in both warpgroups;
    // then its stage is refilled.
    wgmma_wait<1>();
    __syncthreads();
    if (kt + kStages - 1 < tiles)
      load((kt + kStages - 1) % kStages, kt + kStages - 1);
    ptx::commit();
  }
  wgmma_wait<0>();

  // Staging: lane (g, t) of warp v of the warpgroup holds rows 16v + g and 16v + g + 8 at
  // columns 8i + 2t, 8i + 2t + 1 (i = 0…15) in d[4i …].
  ptx::wait_copies<0>();
  __syncthreads();
  Acc* tile = reinterpret_cast<Acc*>(smem);
  const int lane = tid & 31, v = (tid >> 5) & 3;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < 16; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      fused::stage_pair(tile + (group * 64 + v * 16 + g + 8 * half) * kEpilogueLd + 8 * i + 2 * t,
                        d[4 * i + 2 * half], d[4 * i + 2 * half + 1]);
    }
  }
  __syncthreads();
  return tile;
}
#endif

}  // namespace samp::cuda::wgmma_tile
