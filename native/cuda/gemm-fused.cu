// The fused Linear + epilogue of gemm-fused.h. One block of 4 warps computes a 128-token × 128-
// column tile of Y, each warp 64 × 64 of it (two blocks per SM: 205 registers a thread, no
// spills). X and W tiles of 64 bytes of k go through a 4-stage cp.async pipeline into shared
// memory; the warps multiply with mma.sync (m16n8k32 for int8, m16n8k16 for FP16: the same
// fragments byte for byte, so one kernel body serves both, 32 bytes of k per step). 64 × 64 warp
// tiles keep ldmatrix traffic below what the tensor cores take (8 loads per 32 mma). Staged rows
// are 64 bytes; their 16-byte chunks are XOR-swizzled by row pair so the 8 rows an ldmatrix reads
// fall in distinct banks. The epilogue stages the accumulators in shared memory, then each thread
// dequantizes, activates and stores 8 adjacent outputs of a row at a time (16-byte writes).
#include <cstdint>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "launch.h"
#include "mma-ptx.cuh"
#include "vector-io.cuh"

namespace samp::cuda {
namespace {

using fused::kTileCols;
using fused::kTileRows;
constexpr int kTileK = 64;  // bytes of k per stage
constexpr int kStages = 4;
constexpr int kThreads = 128;  // 2 × 2 warps of 64 × 64
constexpr int kStageBytes = (kTileRows + kTileCols) * kTileK;
// The epilogue's tile of accumulators, rows padded by 8 words so a warp's 8-byte writes (8 rows ×
// 4 lanes) fall in distinct banks in each half-warp phase.
constexpr int kEpilogueLd = kTileCols + 8;
constexpr int kSharedBytes = kStages * kStageBytes > kTileRows * kEpilogueLd * 4
                                 ? kStages * kStageBytes
                                 : kTileRows * kEpilogueLd * 4;  // 68 KiB

/// Byte offset of 16-byte chunk c (0…3) of staged row r.
__device__ __forceinline__ int staged(int r, int c) {
  return r * kTileK + ((c ^ ((r >> 1) & 3)) << 4);
}

template <typename In, typename T, typename Q>
__global__ void __launch_bounds__(kThreads, 2)
    gemm_fused_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens, int k_bytes,
                      Dequant dq, Activation act, T* out, int ld_out, QuantOut<Q> q) {
  dev::wait_for_previous_kernel();
  using Acc = typename fused::Accumulator<In>::type;
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp_row = (tid >> 5) >> 1;  // 0…1: 64 tokens each
  const int warp_col = (tid >> 5) & 1;   // 0…1: 64 columns each
  const int row0 = blockIdx.y * kTileRows;
  const int col0 = blockIdx.x * kTileCols;
  const auto* xb = reinterpret_cast<const std::uint8_t*>(x);
  const auto* wb = reinterpret_cast<const std::uint8_t*>(w);
  const int tiles = k_bytes / kTileK;

  // Each thread queues 4 of the 512 chunks of X's tile and 4 of W's; token rows past the end are
  // zero-filled (and never stored).
  const auto load = [&](int stage, int tile) {
    std::uint8_t* a = smem + stage * kStageBytes;
    std::uint8_t* b = a + kTileRows * kTileK;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int id = tid + i * kThreads;
      const int r = id >> 2, c = id & 3;
      const bool valid = row0 + r < tokens;
      const std::size_t offset = static_cast<std::size_t>(tile) * kTileK + c * 16;
      ptx::copy16(a + staged(r, c),
                  xb + static_cast<std::size_t>(valid ? row0 + r : 0) * k_bytes + offset, valid);
      ptx::copy16(b + staged(r, c), wb + static_cast<std::size_t>(col0 + r) * k_bytes + offset,
                  true);
    }
  };

  Acc acc[4][8][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        acc[i][j][e] = 0;

  // One commit per stage and per iteration (empty near the end) keeps the wait count fixed.
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load(s, s);
    ptx::commit();
  }
  for (int kt = 0; kt < tiles; ++kt) {
    ptx::wait_copies<kStages - 2>();
    // Tile kt has landed for every thread, and every warp is done with the stage refilled next.
    __syncthreads();
    if (kt + kStages - 1 < tiles)
      load((kt + kStages - 1) % kStages, kt + kStages - 1);
    ptx::commit();
    const std::uint8_t* a = smem + (kt % kStages) * kStageBytes;
    const std::uint8_t* b = a + kTileRows * kTileK;
#pragma unroll
    for (int step = 0; step < 2; ++step) {
      std::uint32_t af[4][4], bf[8][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int r = warp_row * 64 + i * 16 + (lane & 15);
        ptx::ldmatrix_x4(af[i], a + staged(r, step * 2 + (lane >> 4)));
      }
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int r = warp_col * 64 + j * 16 + ((lane >> 4) << 3) + (lane & 7);
        std::uint32_t m[4];
        ptx::ldmatrix_x4(m, b + staged(r, step * 2 + ((lane >> 3) & 1)));
        bf[2 * j][0] = m[0];
        bf[2 * j][1] = m[1];
        bf[2 * j + 1][0] = m[2];
        bf[2 * j + 1][1] = m[3];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
          ptx::mma(acc[i][j], af[i], bf[j][0], bf[j][1]);
    }
  }

  // The epilogue: the accumulators go through shared memory (the pipeline's stages are free now)
  // to fused::store_tile.
  ptx::wait_copies<0>();
  __syncthreads();
  Acc* tile = reinterpret_cast<Acc*>(smem);
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 8; ++j) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int r = warp_row * 64 + i * 16 + g + 8 * half;
        const int c = warp_col * 64 + j * 8 + 2 * t;
        fused::stage_pair(tile + r * kEpilogueLd + c, acc[i][j][2 * half], acc[i][j][2 * half + 1]);
      }
    }
  }
  __syncthreads();

  fused::store_tile<kThreads, kTileRows, kTileCols>(tid, tile, kEpilogueLd, row0, col0, tokens, dq,
                                                    act, out, ld_out, q);
}

}  // namespace

template <typename In>
bool gemm_fused_supported(int n, int k, int ld_out, int ld_q) {
  return n > 0 && k > 0 && n % kTileCols == 0 &&
         (static_cast<long long>(k) * sizeof(In)) % kTileK == 0 && ld_out % 8 == 0 && ld_q % 8 == 0;
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
  return launch_kernel({fused::grid(tokens, n), kThreads, kSharedBytes, stream},
                       gemm_fused_kernel<In, T, Q>, x, w, tokens, k * static_cast<int>(sizeof(In)),
                       dq, act, out, ld_out, q);
}

cudaError_t allow_gemm_fused_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q) \
  err = fused::allow_shared_bytes(err, gemm_fused_kernel<In, T, Q>, kSharedBytes);
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
