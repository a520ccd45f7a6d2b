// launch_gemm_fused for few tokens (a batch of one or two rows): the mma.sync kernel of
// gemm-fused.cu on 64-token × 64-column tiles, so that at 128 tokens a Linear of 2,304 columns
// spreads over 72 blocks rather than 18 and more SMs stream its weights. At these sizes the
// pipeline's fill is most of the time, so its stages are large (128 bytes of k, 64 KiB in flight)
// and the weights' first stages are queued before the wait for the previous kernel (launch.h):
// they are no kernel's output. Same operations as the 128 × 128 kernels (fused::store_tile), so
// int8 results are theirs and cuBLASLt + epilogue's bit for bit.
#include <cstdint>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "launch.h"
#include "mma-ptx.cuh"

namespace samp::cuda {
namespace {

constexpr int kRows = 64;      // tokens per block
constexpr int kCols = 64;      // output columns per block
constexpr int kThreads = 128;  // 2 × 2 warps of 32 × 32

/// The pipeline: kTileK bytes of k a stage (64 or 128), kStages stages.
template <int kTileK, int kStages>
struct Pipe {
  static constexpr int kChunks = kTileK / 16;
  static constexpr int kStageBytes = (kRows + kCols) * kTileK;
  static constexpr int kSharedBytes = kStages * kStageBytes;
  /// Byte offset of 16-byte chunk c of staged row r, XOR-swizzled so that the 8 rows an ldmatrix
  /// reads fall in distinct banks.
  __device__ __forceinline__ static int staged(int r, int c) {
    const int swizzle = kChunks == 8 ? (r & 7) : ((r >> 1) & 3);
    return r * kTileK + ((c ^ swizzle) << 4);
  }
};
// The epilogue's tile of accumulators, rows padded by 8 words (fused::stage_pair's bank rule).
constexpr int kEpilogueLd = kCols + 8;

/// Queues stage `tile` of one operand: `rows` rows of kTileK bytes from `from` (row stride
/// k_bytes), rows at or past `valid` zero-filled.
template <typename P, int kOperandRows>
__device__ __forceinline__ void load_operand(std::uint8_t* to, const std::uint8_t* from,
                                             int k_bytes, int tile, int valid) {
#pragma unroll
  for (int i = 0; i < kOperandRows * P::kChunks / kThreads; ++i) {
    const int id = threadIdx.x + i * kThreads;
    const int r = id / P::kChunks, c = id % P::kChunks;
    const bool ok = r < valid;
    const std::size_t offset = static_cast<std::size_t>(ok ? r : 0) * k_bytes +
                               static_cast<std::size_t>(tile) * (P::kChunks * 16) + c * 16;
    ptx::copy16(to + P::staged(r, c), from + offset, ok);
  }
}

template <typename In, typename T, typename Q, int kTileK, int kStages>
__global__ void __launch_bounds__(kThreads)
    gemm_fused_small_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens,
                            int k_bytes, Dequant dq, Activation act, T* out, int ld_out,
                            QuantOut<Q> q) {
  using Acc = typename fused::Accumulator<In>::type;
  using P = Pipe<kTileK, kStages>;
  constexpr int kStageBytes = P::kStageBytes;
  static_assert(kRows * kEpilogueLd * 4 <= P::kSharedBytes, "the staged tile fits the stages");
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp_row = (tid >> 5) >> 1;  // 0…1: 32 tokens each
  const int warp_col = (tid >> 5) & 1;   // 0…1: 32 columns each
  const int row0 = blockIdx.y * kRows;
  const int col0 = blockIdx.x * kCols;
  const auto* xb =
      reinterpret_cast<const std::uint8_t*>(x) + static_cast<std::size_t>(row0) * k_bytes;
  const auto* wb =
      reinterpret_cast<const std::uint8_t*>(w) + static_cast<std::size_t>(col0) * k_bytes;
  const int tiles = k_bytes / kTileK;
  const auto stage_x = [&](int s) { return smem + s * kStageBytes; };
  const auto stage_w = [&](int s) { return smem + s * kStageBytes + kRows * kTileK; };

  // One commit per stage and per iteration (empty near the end) keeps the wait count fixed; the
  // first group also holds the weights' first stages, queued before the previous kernel ends.
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load_operand<P, kCols>(stage_w(s), wb, k_bytes, s, kCols);
  }
  dev::wait_for_previous_kernel();
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load_operand<P, kRows>(stage_x(s), xb, k_bytes, s, tokens - row0);
    ptx::commit();
  }

  Acc acc[2][4][4];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        acc[i][j][e] = 0;

  for (int kt = 0; kt < tiles; ++kt) {
    ptx::wait_copies<kStages - 2>();
    // Tile kt has landed for every thread, and every warp is done with the stage refilled next.
    __syncthreads();
    const int next = kt + kStages - 1;
    if (next < tiles) {
      load_operand<P, kCols>(stage_w(next % kStages), wb, k_bytes, next, kCols);
      load_operand<P, kRows>(stage_x(next % kStages), xb, k_bytes, next, tokens - row0);
    }
    ptx::commit();
    const std::uint8_t* a = stage_x(kt % kStages);
    const std::uint8_t* b = stage_w(kt % kStages);
#pragma unroll
    for (int step = 0; step < kTileK / 32; ++step) {  // 32 bytes of k each
      std::uint32_t af[2][4], bf[4][2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const int r = warp_row * 32 + i * 16 + (lane & 15);
        ptx::ldmatrix_x4(af[i], a + P::staged(r, step * 2 + (lane >> 4)));
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        // Columns 16j … of the warp's 32: n-tiles 2j and 2j + 1, both 16-byte halves of the step.
        const int r = warp_col * 32 + j * 16 + ((lane >> 4) << 3) + (lane & 7);
        std::uint32_t m[4];
        ptx::ldmatrix_x4(m, b + P::staged(r, step * 2 + ((lane >> 3) & 1)));
        bf[2 * j][0] = m[0];
        bf[2 * j][1] = m[1];
        bf[2 * j + 1][0] = m[2];
        bf[2 * j + 1][1] = m[3];
      }
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          ptx::mma(acc[i][j], af[i], bf[j][0], bf[j][1]);
    }
  }

  // The epilogue: the accumulators go through shared memory (the stages are free now) to
  // fused::store_tile.
  ptx::wait_copies<0>();
  __syncthreads();
  Acc* tile = reinterpret_cast<Acc*>(smem);
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int r = warp_row * 32 + i * 16 + g + 8 * half;
        const int c = warp_col * 32 + j * 8 + 2 * t;
        fused::stage_pair(tile + r * kEpilogueLd + c, acc[i][j][2 * half], acc[i][j][2 * half + 1]);
      }
    }
  }
  __syncthreads();

  fused::store_tile<kThreads, kRows, kCols>(tid, tile, kEpilogueLd, row0, col0, tokens, dq, act,
                                            out, ld_out, q);
}

/// Launches the kernel with kStages stages of kTileK bytes of k.
template <int kTileK, int kStages, typename In, typename T, typename Q>
cudaError_t run(const In* x, const In* w, int tokens, int k_bytes, const Dequant& dq,
                Activation act, T* out, int ld_out, const QuantOut<Q>& q, dim3 grid,
                cudaStream_t stream) {
  return launch_kernel({grid, kThreads, Pipe<kTileK, kStages>::kSharedBytes, stream},
                       gemm_fused_small_kernel<In, T, Q, kTileK, kStages>, x, w, tokens, k_bytes,
                       dq, act, out, ld_out, q);
}

}  // namespace

template <typename In>
bool gemm_fused_small_supported(int n, int k, int ld_out, int ld_q) {
  return n > 0 && k > 0 && n % kCols == 0 && (static_cast<long long>(k) * sizeof(In)) % 64 == 0 &&
         ld_out % 8 == 0 && ld_q % 8 == 0;
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
  const dim3 grid(static_cast<unsigned>(n / kCols),
                  static_cast<unsigned>((tokens + kRows - 1) / kRows));
  const int k_bytes = k * static_cast<int>(sizeof(In));
  // 128 bytes of k a stage where k allows (more bytes in flight: at 128 tokens the int8 QKV took
  // 4.7 µs against 5.5 with 64-byte stages, FFN1 5.1 against 5.9), else 64.
  if (k_bytes % 128 == 0)
    return run<128, 4>(x, w, tokens, k_bytes, dq, act, out, ld_out, q, grid, stream);
  return run<64, 6>(x, w, tokens, k_bytes, dq, act, out, ld_out, q, grid, stream);
}

cudaError_t allow_gemm_fused_small_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q)                                                      \
  err = fused::allow_shared_bytes(err, gemm_fused_small_kernel<In, T, Q, 128, 4>, \
                                  Pipe<128, 4>::kSharedBytes);
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
