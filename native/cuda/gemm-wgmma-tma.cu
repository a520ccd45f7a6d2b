// The fused Linear + epilogue of gemm-fused.h as a persistent, warp-specialized kernel (sm_90a
// only, built with gemm-wgmma.cu). The epilogue of these Linears is arithmetic-bound (exact-erf
// GELU and the requantization cost ~40 instructions an output: at batch 128 the GELU alone was
// 50 µs a layer), and in the other kernels it runs after the products, with the tensor cores idle.
// Here one block an SM walks output tiles of 128 tokens × 128 columns; three consumer warpgroups
// take the tiles in turn, so while one's products run the others are in their epilogues. A
// producer thread queues the tensor memory accelerator (TMA) copies of every tile's stages, 128
// bytes of k of its X and W rows, which arrive already in the 128-byte swizzle the wgmma
// descriptors read, into one ring that the consumers draw from in tile order; full and empty
// mbarriers per stage pace it. Each consumer issues two m64n128 products per k step (its tile's
// two 64-row halves on the same W stage), then stages its tile in shared memory for the shared
// epilogue pass (bit for bit the other kernels' results for int8; Shape says how).
#include <cuda.h>
#include <cudaTypedefs.h>

#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "hopper-ptx.cuh"
#include "launch.h"
#include "mma-ptx.cuh"

namespace samp::cuda {
namespace {

using namespace hopper;
using fused::kTileCols;
using fused::kTileRows;

constexpr int kTileK = 128;                        // bytes of k per stage (one swizzle row)
constexpr int kConsumerThreads = 128;              // one warpgroup
constexpr int kOperandBytes = kTileRows * kTileK;  // X's stage; W's is the same size
constexpr int kStageBytes = 2 * kOperandBytes;

/// The kernel's layout for int8 or FP16 inputs. Three consumers take the tiles in turn, so while
/// one's products run the other two are in their epilogues (with two in "ping-pong", a tile's
/// epilogue outlasted the other's products and set the pace: int8-full batch 32 1.54 against
/// 1.41 ms). Each stages its whole tile, unpadded and swizzled, in a shared buffer before its
/// epilogue pass, so its accumulator registers are free there: int8's exact int32 sums in one of
/// two buffers (tile j's is j mod 2; room for three stages), FP16's FP32 sums rounded to FP16 (as
/// cuBLASLt's FP16 output is before the bias and activation) in one of three, beside four stages.
template <typename In>
struct Shape {
  using Staged = std::conditional_t<std::is_same_v<In, int8_t>, int, __half>;
  static constexpr int kConsumers = 3;
  static constexpr int kStages = sizeof(Staged) == 4 ? 3 : 4;
  static constexpr int kBuffers = sizeof(Staged) == 4 ? 2 : 3;
  static constexpr int kBufferBytes = kTileRows * kTileCols * sizeof(Staged);
  // The consumers and the producer's warpgroup (one thread of it works). setmaxnreg moves
  // registers within the block's allocation (65536 / threads a thread) from the producer to the
  // consumers (the accumulators and the epilogue); what they claim must not exceed what the
  // producer releases, or the claim waits forever.
  static constexpr int kThreads = (kConsumers + 1) * kConsumerThreads;
  static constexpr int kProducerRegs = 32, kConsumerRegs = 160;
  static constexpr int kLaunchRegs = 65536 / kThreads / 8 * 8;
  static_assert(kConsumers * (kConsumerRegs - kLaunchRegs) <= kLaunchRegs - kProducerRegs,
                "the consumers claim no more registers than the producer releases");
  // 1024 bytes of slack to start the stages on the swizzle atom, the stages, the epilogue
  // buffers, then the mbarriers: full and empty per stage, each consumer's turn, each buffer's
  // "free".
  static constexpr int kSharedBytes = 1024 + kStages * kStageBytes + kBuffers * kBufferBytes +
                                      8 * (2 * kStages + kConsumers + kBuffers);
  static_assert(kSharedBytes <= 227 * 1024, "fits an SM's shared memory");
};

template <typename In, typename T, typename Q>
__global__ void __launch_bounds__(Shape<In>::kThreads, 1)
    gemm_tma_kernel(const __grid_constant__ CUtensorMap x_map,
                    const __grid_constant__ CUtensorMap w_map, int tokens, int n, int k_bytes,
                    Dequant dq, Activation act, T* out, int ld_out, QuantOut<Q> q) {
#ifdef SAMP_WGMMA
  using Acc = typename fused::Accumulator<In>::type;
  using S = Shape<In>;
  constexpr int kConsumers = S::kConsumers, kStages = S::kStages, kBuffers = S::kBuffers;
  extern __shared__ std::uint8_t raw[];
  const std::uint32_t raw_addr = ptx::smem_addr(raw);
  const std::uint32_t pad = ((raw_addr + 1023u) & ~1023u) - raw_addr;
  std::uint8_t* smem = raw + pad;
  const std::uint32_t base = raw_addr + pad;
  const std::uint32_t full = base + kStages * kStageBytes + kBuffers * S::kBufferBytes;  // + 8 s
  const std::uint32_t empty = full + 8 * kStages;
  const std::uint32_t turn = empty + 8 * kStages;    // consumer c's: turn + 8 c
  const std::uint32_t free = turn + 8 * kConsumers;  // whole-tile buffer b's: free + 8 b
  const int tid = threadIdx.x;
  const int col_tiles = n / kTileCols;
  const int tiles = col_tiles * ((tokens + kTileRows - 1) / kTileRows);
  const int k_tiles = k_bytes / kTileK;

  if (tid == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbarrier_init(full + 8 * s, 1);
      mbarrier_init(empty + 8 * s, kConsumerThreads);
    }
    for (int c = 0; c < kConsumers; ++c)
      mbarrier_init(turn + 8 * c, 1);
    for (int b = 0; b < kBuffers; ++b)
      mbarrier_init(free + 8 * b, kConsumerThreads);
    mbarrier_init_fence();
  }
  __syncthreads();
  dev::wait_for_previous_kernel();  // the barriers were set up meanwhile

  // The block's j-th tile is blockIdx.x + j · gridDim.x (consecutive tiles share X rows); its
  // k step kt fills ring slot j · k_tiles + kt.
  if (tid >= kConsumers * kConsumerThreads) {
    // The producer: one thread refills each slot once its consumer has released it.
    release_registers<S::kProducerRegs>();
    if (tid == kConsumers * kConsumerThreads) {
      int slot = 0;
      for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const int row0 = (tile / col_tiles) * kTileRows, col0 = (tile % col_tiles) * kTileCols;
        for (int kt = 0; kt < k_tiles; ++kt, ++slot) {
          const int s = slot % kStages;
          mbarrier_wait(empty + 8 * s, ((slot / kStages) & 1) ^ 1);
          const std::uint32_t stage = base + s * kStageBytes;
          mbarrier_arrive_expect_tx(full + 8 * s, kStageBytes);
          tma_load_2d(stage, &x_map, full + 8 * s, kt * kTileK, row0);
          tma_load_2d(stage + kOperandBytes, &w_map, full + 8 * s, kt * kTileK, col0);
        }
      }
    }
    return;
  }

  claim_registers<S::kConsumerRegs>();
  const int consumer = tid / kConsumerThreads;  // the block's tiles j ≡ consumer (mod kConsumers)
  const int ctid = tid % kConsumerThreads;
  const int lane = ctid & 31, v = ctid >> 5;
  const int g = lane >> 2, t = lane & 3;
  for (int j = consumer, turns = 0;; j += kConsumers) {
    const int tile = blockIdx.x + j * gridDim.x;
    if (tile >= tiles)
      break;
    const int row0 = (tile / col_tiles) * kTileRows, col0 = (tile % col_tiles) * kTileCols;
    const int slot0 = j * k_tiles;
    // Rows 0–63 and 64–127 of the tile. Set here (the first products ignore them) so that they are
    // dead during the epilogue: the wgmma asm reads its accumulators.
    Acc d[2][64] = {};
    // Tile j's products start once the consumer of tile j − 1 has seen all of it arrive. Besides
    // taking turns (one's products beside the others' epilogues), this keeps a consumer's waits
    // on a stage at most one phase ahead, which is all a parity wait can tell apart.
    if (j > 0)
      mbarrier_wait(turn + 8 * consumer, turns++ & 1);
    for (int kt = 0; kt < k_tiles; ++kt) {
      const int slot = slot0 + kt, s = slot % kStages;
      mbarrier_wait(full + 8 * s, (slot / kStages) & 1);
      const std::uint32_t stage = base + s * kStageBytes;
      const std::uint64_t b = descriptor(stage + kOperandBytes);
      wgmma_fence();
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step) {
        // + 32 bytes of k: 2 of the descriptor's 16-byte units; the tile's first step starts
        // the sums afresh.
        const int accumulate = kt > 0 || step > 0;
#pragma unroll
        for (int half = 0; half < 2; ++half)
          wgmma(d[half], descriptor(stage + half * 64 * kTileK) + 2 * step, b + 2 * step,
                static_cast<const In*>(nullptr), accumulate);
      }
      wgmma_commit();
      // Step kt's products keep running while kt − 1's are waited for; then kt − 1's slot is free.
      wgmma_wait<1>();
      if (kt > 0)
        mbarrier_arrive(empty + 8 * ((slot - 1) % kStages));
    }
    if (ctid == 0)
      mbarrier_arrive(turn + 8 * ((consumer + 1) % kConsumers));
    wgmma_wait<0>();
    mbarrier_arrive(empty + 8 * ((slot0 + k_tiles - 1) % kStages));

    // Epilogue: the whole tile into buffer j mod kBuffers once tile j − kBuffers's pass has left
    // it, then the pass from there. Lane (g, t) of warp v holds rows 16v + g and 16v + g + 8 of
    // each 64-row half at columns 8i + 2t, 8i + 2t + 1 (i = 0…15).
    using Staged = typename S::Staged;
    const int buffer = j % kBuffers;
    Staged* staged =
        reinterpret_cast<Staged*>(smem + kStages * kStageBytes + buffer * S::kBufferBytes);
    if (j >= kBuffers)
      mbarrier_wait(free + 8 * buffer, ((j / kBuffers) - 1) & 1);
#pragma unroll
    for (int half = 0; half < 2; ++half) {
#pragma unroll
      for (int i = 0; i < 16; ++i) {
#pragma unroll
        for (int h8 = 0; h8 < 2; ++h8) {
          const int row = 64 * half + v * 16 + g + 8 * h8;
          fused::stage_pair(staged + fused::swizzled_offset<sizeof(Staged)>(row, 8 * i + 2 * t),
                            d[half][4 * i + 2 * h8], d[half][4 * i + 2 * h8 + 1]);
        }
      }
    }
    named_barrier(1 + consumer, kConsumerThreads);
    fused::store_tile<kConsumerThreads, kTileRows, kTileCols, true>(
        ctid, static_cast<const Staged*>(staged), kTileCols, row0, col0, tokens, dq, act, out,
        ld_out, q);
    mbarrier_arrive(free + 8 * buffer);  // this thread's reads of the buffer are done
  }
#endif
}

/// cuTensorMapEncodeTiled from the driver, found once through the runtime (no libcuda link).
PFN_cuTensorMapEncodeTiled_v12000 encode_tiled() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault,
                                         &found) != cudaSuccess ||
        found != cudaDriverEntryPointSuccess)
      p = nullptr;
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  }();
  return fn;
}

/// The map of a dense row-major matrix of `rows` rows of `row_bytes` bytes as a byte tensor read in
/// boxes of 128 bytes × 128 rows with the 128-byte swizzle.
bool byte_map(CUtensorMap* map, const void* data, int rows, int row_bytes) {
  const auto encode = encode_tiled();
  if (encode == nullptr)
    return false;
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(row_bytes), static_cast<cuuint64_t>(rows)};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(row_bytes)};
  const cuuint32_t box[2] = {kTileK, kTileRows};
  const cuuint32_t steps[2] = {1, 1};
  return encode(map, CU_TENSOR_MAP_DATA_TYPE_UINT8, 2, const_cast<void*>(data), dims, strides, box,
                steps, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

/// One block an SM (the device's count, asked once per device).
int block_count(int tiles) {
  static int sms[64] = {};
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= 64)
    return tiles;
  if (sms[device] == 0 &&
      cudaDeviceGetAttribute(&sms[device], cudaDevAttrMultiProcessorCount, device) != cudaSuccess)
    return tiles;
  return tiles < sms[device] ? tiles : sms[device];
}

}  // namespace

bool gemm_fused_tma_available() {
  return gemm_fused_wgmma_available() && encode_tiled() != nullptr;
}

template <typename In>
bool gemm_fused_tma_supported(int n, int k, int ld_out, int ld_q) {
  return gemm_fused_wgmma_supported<In>(n, k, ld_out, ld_q);  // the same 128-byte k steps
}

template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused_tma(const In* x, const In* w, int tokens, int n, int k,
                                  const Dequant& dq, Activation act, T* out, int ld_out,
                                  const QuantOut<Q>& q, cudaStream_t stream) {
  const bool supported =
      gemm_fused_tma_supported<In>(n, k, out != nullptr ? ld_out : 0, q.q != nullptr ? q.ld : 0);
  if (!fused::launchable(supported, tokens, x, w, out, dq, q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  const int k_bytes = k * static_cast<int>(sizeof(In));
  CUtensorMap x_map{}, w_map{};
  if (!byte_map(&x_map, x, tokens, k_bytes) || !byte_map(&w_map, w, n, k_bytes))
    return cudaErrorInvalidValue;
  const int tiles = (n / kTileCols) * ((tokens + kTileRows - 1) / kTileRows);
  return launch_kernel({block_count(tiles), Shape<In>::kThreads, Shape<In>::kSharedBytes, stream},
                       gemm_tma_kernel<In, T, Q>, x_map, w_map, tokens, n, k_bytes, dq, act, out,
                       ld_out, q);
}

cudaError_t allow_gemm_fused_tma_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q) \
  err = fused::allow_shared_bytes(err, gemm_tma_kernel<In, T, Q>, Shape<In>::kSharedBytes);
  SAMP_FUSED_GEMM_TYPES(SAMP_ALLOW)
#undef SAMP_ALLOW
  return err;
}

#define SAMP_GEMM_TMA(In, T, Q)                                                             \
  template cudaError_t launch_gemm_fused_tma<In, T, Q>(const In*, const In*, int, int, int, \
                                                       const Dequant&, Activation, T*, int, \
                                                       const QuantOut<Q>&, cudaStream_t);
SAMP_FUSED_GEMM_TYPES(SAMP_GEMM_TMA)
#undef SAMP_GEMM_TMA

template bool gemm_fused_tma_supported<int8_t>(int, int, int, int);
template bool gemm_fused_tma_supported<__half>(int, int, int, int);

}  // namespace samp::cuda
