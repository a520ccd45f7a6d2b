// The QKV Linear and the INT8 attention of a Fully-Quant layer in one kernel, for rows of at most
// 128 tokens (a batch of one). Apart, the two are two kernels and two waits on the kernel before:
// at batch 1 on the H100 the attention ends ~4.7 µs after the QKV Linear does, most of it the
// launch's wait and the round trip of its loads. Here a cluster of blocks takes one (row, head):
//  1. each block queues the head's 192 weight rows (query, key and value: 147 KiB at hidden 768)
//     before the wait for the previous kernel, as the small-tile GEMMs do (launch.h);
//  2. after the wait, its 16 tokens' int8 input; it multiplies them with mma.sync m16n8k32 (the
//     fragments of mma-tile.cuh) and writes the head's query, key and value codes through
//     fused::store_tile, the epilogue of the QKV kernels, so the codes are theirs bit for bit;
//  3. the cluster's barrier (release / acquire at cluster scope) makes every block's codes visible
//     to the others, and each block takes its 16 queries' attention over all the row's keys as the
//     split-keys kernel does (int8_attention::split_attend), so the context is its bit for bit.
#include <cooperative_groups.h>

#include <cstddef>
#include <cstdint>

#include "attention-int8-steps.cuh"
#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "launch.h"
#include "mma-ptx.cuh"
#include "qkv-attention-int8.h"

namespace samp::cuda {
namespace {

namespace cg = cooperative_groups;
using namespace int8_attention;

constexpr int kSlice = 16;         // tokens (and queries) a block
constexpr int kMaxSlices = 8;      // blocks a cluster: rows of up to 128 tokens
constexpr int kHeadRows = 3 * kD;  // weight rows of a head: query, key, value
constexpr int kTileK = 128;        // bytes of k a staged tile
constexpr int kThreads = kSplitWarps * 32;
constexpr int kWarpCols = kHeadRows / kSplitWarps;  // 48: six n-tiles a warp
constexpr int kEpilogueLd = kHeadRows + 8;          // fused::stage_pair's bank rule
static_assert(kWarpCols % 16 == 0, "n-tiles in pairs");

/// Byte offset of 16-byte chunk c of row r in a staged tile of 128-byte rows (chunks XOR-swizzled
/// by row, so an ldmatrix's 8 rows fall in distinct banks: mma_tile::Tiling::staged).
__device__ __forceinline__ int staged(int r, int c) {
  return r * kTileK + ((c ^ (r & 7)) << 4);
}

std::size_t shared_bytes_for(int hidden) {
  const int tiles = hidden / kTileK;
  return static_cast<std::size_t>(tiles) * (kHeadRows + kSlice) * kTileK;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    qkv_attention_int8_kernel(const int8_t* __restrict__ x8, const int8_t* __restrict__ w,
                              Dequant dq, QuantOut<int8_t> qkv, AttentionInt8Args a,
                              T* __restrict__ ctx, int8_t* __restrict__ ctx8) {
  extern __shared__ __align__(128) std::uint8_t smem[];
  const int hidden = a.heads * kD;
  const int tiles = hidden / kTileK;
  std::uint8_t* ws = smem;                               // [tiles][kHeadRows][kTileK]
  std::uint8_t* xs = smem + tiles * kHeadRows * kTileK;  // [tiles][kSlice][kTileK]
  const int h = static_cast<int>(blockIdx.y) % a.heads;
  const int q0 = static_cast<int>(blockIdx.x) * kSlice;
  const int tid = threadIdx.x;

  // The head's weight rows (part p, row i: row p · hidden + h · 64 + i of w): no kernel's output.
  for (int i = tid; i < tiles * kHeadRows * 8; i += kThreads) {
    const int tile = i / (kHeadRows * 8);
    const int r = (i / 8) % kHeadRows;
    const int c = i % 8;
    const std::size_t row = static_cast<std::size_t>(r / kD) * hidden + h * kD + r % kD;
    ptx::copy16(ws + tile * kHeadRows * kTileK + staged(r, c),
                w + row * hidden + tile * kTileK + c * 16, true);
  }
  ptx::commit();
  dev::wait_for_previous_kernel();
  const RowSpan span = a.rows[blockIdx.y / a.heads];
  const bool has_rows = q0 < span.queries;  // the same for the whole block
  if (has_rows) {
    const int valid = span.queries - q0;
    const int8_t* from = x8 + static_cast<std::size_t>(span.start + q0) * hidden;
    for (int i = tid; i < tiles * kSlice * 8; i += kThreads) {
      const int tile = i / (kSlice * 8);
      const int r = (i / 8) % kSlice;
      const int c = i % 8;
      const bool ok = r < valid;
      ptx::copy16(xs + tile * kSlice * kTileK + staged(r, c),
                  ok ? from + static_cast<std::size_t>(r) * hidden + tile * kTileK + c * 16 : x8,
                  ok);
    }
  }
  ptx::commit();
  ptx::wait_copies<0>();
  __syncthreads();

  if (has_rows) {
    // Warp w: the 16 tokens × columns 48w … 48w + 47 of the head's 192.
    const int lane = tid & 31;
    const int warp = tid >> 5;
    int acc[kWarpCols / 8][4] = {};
    for (int tile = 0; tile < tiles; ++tile) {
      const std::uint8_t* at = xs + tile * kSlice * kTileK;
      const std::uint8_t* bt = ws + tile * kHeadRows * kTileK;
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step) {  // 32 bytes of k each
        std::uint32_t af[4];
        ptx::ldmatrix_x4(af, at + staged(lane & 15, step * 2 + (lane >> 4)));
#pragma unroll
        for (int j = 0; j < kWarpCols / 16; ++j) {
          const int r = warp * kWarpCols + j * 16 + ((lane >> 4) << 3) + (lane & 7);
          std::uint32_t m[4];
          ptx::ldmatrix_x4(m, bt + staged(r, step * 2 + ((lane >> 3) & 1)));
          ptx::mma(acc[2 * j], af, m[0], m[1]);
          ptx::mma(acc[2 * j + 1], af, m[2], m[3]);
        }
      }
    }
    __syncthreads();  // every warp is done with the weights: the sums are staged over them
    int* tile = reinterpret_cast<int*>(smem);
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int j = 0; j < kWarpCols / 8; ++j) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        fused::stage_pair(tile + (g + 8 * half) * kEpilogueLd + warp * kWarpCols + j * 8 + 2 * t,
                          acc[j][2 * half], acc[j][2 * half + 1]);
      }
    }
    __syncthreads();
    const int row0 = span.start + q0;
#pragma unroll
    for (int part = 0; part < 3; ++part) {
      fused::store_tile<kThreads, kSlice, kD>(tid, tile + part * kD, kEpilogueLd, row0,
                                              part * hidden + h * kD, span.start + span.queries, dq,
                                              Activation::kNone, static_cast<T*>(nullptr), 0, qkv);
    }
  }
  // Every block of the row's head has written its codes (and is done with its shared memory).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  cg::this_cluster().sync();
#else
  __trap();  // clusters are sm_90's: the encoder takes this kernel only there
#endif
  if (has_rows)
    split_attend(a, ctx, ctx8, span, h, q0, reinterpret_cast<int8_t*>(smem));
}

}  // namespace

bool qkv_attention_int8_supported(const AttentionInt8Args& a, const int8_t* x8, const int8_t* w,
                                  const Dequant& dq, const QuantOut<int8_t>& qkv) {
  const int hidden = a.heads * kD;
  const auto aligned16 = [](const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
  };
  return a.num_rows > 0 && a.max_queries > 0 && a.max_queries <= kMaxSlices * kSlice &&
         a.head_dim == kD && hidden % kTileK == 0 && qkv.q == a.qkv8 && qkv.ld == 3 * hidden &&
         a.ld_qkv == 3 * hidden && aligned16(x8) && aligned16(w) && aligned16(a.qkv8) &&
         fused::params_aligned(dq, qkv) && a.ld_ctx % 4 == 0;
}

std::size_t qkv_attention_int8_shared_bytes(int hidden) {
  const std::size_t attention = split_shared_bytes(kMaxSlices * kSlice);
  const std::size_t product = shared_bytes_for(hidden);
  return product > attention ? product : attention;
}

cudaError_t allow_qkv_attention_int8_shared_bytes(int hidden) {
  const int bytes = static_cast<int>(qkv_attention_int8_shared_bytes(hidden));
  cudaError_t err = fused::allow_shared_bytes(cudaSuccess, qkv_attention_int8_kernel<float>, bytes);
  return fused::allow_shared_bytes(err, qkv_attention_int8_kernel<__half>, bytes);
}

template <typename T>
cudaError_t launch_qkv_attention_int8(const int8_t* x8, const int8_t* w, const Dequant& dq,
                                      const QuantOut<int8_t>& qkv, const AttentionInt8Args& a,
                                      T* ctx, int8_t* ctx8, cudaStream_t stream) {
  if (!qkv_attention_int8_supported(a, x8, w, dq, qkv) ||
      (ctx != nullptr && reinterpret_cast<std::uintptr_t>(ctx) % (4 * sizeof(T)) != 0) ||
      (ctx8 != nullptr && reinterpret_cast<std::uintptr_t>(ctx8) % 4 != 0))
    return cudaErrorInvalidValue;
  const unsigned slices = static_cast<unsigned>((a.max_queries + kSlice - 1) / kSlice);
  const dim3 grid(slices, static_cast<unsigned>(a.num_rows * a.heads));
  const LaunchShape shape{grid, kThreads, qkv_attention_int8_shared_bytes(a.heads * kD), stream,
                          slices};
  return launch_kernel(shape, qkv_attention_int8_kernel<T>, x8, w, dq, qkv, a, ctx, ctx8);
}

template cudaError_t launch_qkv_attention_int8<float>(const int8_t*, const int8_t*, const Dequant&,
                                                      const QuantOut<int8_t>&,
                                                      const AttentionInt8Args&, float*, int8_t*,
                                                      cudaStream_t);
template cudaError_t launch_qkv_attention_int8<__half>(const int8_t*, const int8_t*, const Dequant&,
                                                       const QuantOut<int8_t>&,
                                                       const AttentionInt8Args&, __half*, int8_t*,
                                                       cudaStream_t);

}  // namespace samp::cuda
