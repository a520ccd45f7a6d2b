// The INT8 attention of a Fully-Quant layer on INT8 tensor cores (mma.sync m16n8k32, s8 × s8 →
// s32) for head_dim 64; quant-kernels.h has the arithmetic, which this kernel keeps: both products
// are exact int32 sums and the softmax is FP32 expf as in the dp4a kernel and on the CPU, so the
// results agree except where Σe, summed in another order, moves a probability across a rounding
// tie.
//
// One block of 4 or 8 warps per (row, head, 64 or 128 queries), each warp owning 16 queries. The
// row's int8 keys and values ([key][dim], 64 bytes a row) and the block's queries are copied to
// shared memory with cp.async at the start: queries and keys as one group, values as a second that
// lands while pass 1 runs. The probabilities are quantized with the FINAL softmax normaliser, so
// each warp walks the keys twice, 32 at a time:
//   pass 1: S = Q·Kᵀ (int32 mma) → the running max and sum of exp per query row, kept per lane
//           (online rescaling in FP32) and merged across the row's four lanes at the end;
//   pass 2: S again → int8 codes clamp(rne(e · (1/Σe · probs_inv_scale)), 0, 127) → P·V on int32
//           accumulators, which need no rescaling (the codes are final).
// attention-int8-steps.cuh has the fragments and the steps.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "attention-int8-steps.cuh"
#include "device-math.cuh"
#include "launch.h"
#include "mma-ptx.cuh"
#include "quant-kernels.h"

namespace samp::cuda {
namespace {

using namespace int8_attention;
// kKept 0: two passes over the keys (any row length). kKept 4: rows of at most 4 chunks (128 keys)
// in one pass: the scores stay in registers, so the row max comes first and each exp is taken once
// (Σe is then summed without the running rescales, another order of the same sum).
template <typename T, int kWarps, int kKept>
__global__ void __launch_bounds__(kWarps * 32)
    attention_int8_mma_kernel(AttentionInt8Args a, T* __restrict__ ctx, int8_t* __restrict__ ctx8) {
  dev::wait_for_previous_kernel();
  constexpr int kRows = kWarps * 16;  // queries per block
  constexpr int kThreads = kWarps * 32;
  const int r = blockIdx.x / a.heads;
  const int h = blockIdx.x % a.heads;
  const RowSpan span = a.rows[r];
  const int q0 = blockIdx.y * kRows;
  if (q0 >= span.queries)
    return;  // the same for the whole block
  extern __shared__ __align__(16) int8_t smem[];
  int8_t* qs = smem;
  int8_t* ks = qs + kRows * kLd;
  int8_t* vs = ks + round_chunk(a.max_queries) * kLd;  // sized for the longest row, as at launch

  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int g = lane >> 2;  // the accumulator row (and row + 8) this lane holds
  const int t = lane & 3;   // its column pair
  const int nk = span.keys;
  const int chunks = round_chunk(nk) / kChunk;
  const int hidden = a.heads * kD;
  const int8_t* base = a.qkv8 + static_cast<size_t>(span.start) * a.ld_qkv + h * kD;

  stage<kThreads>(base + static_cast<size_t>(q0) * a.ld_qkv, a.ld_qkv, kRows, span.queries - q0,
                  qs);
  stage<kThreads>(base + hidden, a.ld_qkv, chunks * kChunk, nk, ks);
  ptx::commit();
  stage<kThreads>(base + 2 * hidden, a.ld_qkv, chunks * kChunk, nk, vs);
  ptx::commit();
  // A warp whose 16 queries are all past the row's computed ones only takes part in the barriers.
  const bool active = q0 + warp * 16 < span.queries;

  ptx::wait_copies<1>();  // queries and keys landed; values may still be in flight
  __syncthreads();
  std::uint32_t qf[2][4];  // the warp's 16 queries as A fragments of k-steps dims 0…31, 32…63
  float m_lo = -INFINITY, m_hi = -INFINITY;  // rows g and g + 8: max score
  float l_lo = 0.0f, l_hi = 0.0f;            // and the sum of exp(score − max)
  float kept[kKept > 0 ? kKept : 1][4][4];   // one pass: exp(score − max) of each key
  if (active) {
#pragma unroll
    for (int kk = 0; kk < 2; ++kk)
      ptx::ldmatrix_x4(qf[kk], qs + (warp * 16 + (lane & 15)) * kLd + kk * 32 + (lane >> 4) * 16);
  }
  if (active && kKept > 0) {
    int s[kKept > 0 ? kKept : 1][4][4];
#pragma unroll
    for (int c = 0; c < kKept; ++c) {
      if (c < chunks)
        chunk_scores(s[c], qf, ks + c * kChunk * kLd, lane);
    }
    // The row max over this lane's keys, then over the four lanes that share the row.
#pragma unroll
    for (int c = 0; c < kKept; ++c) {
      if (c < chunks)
        chunk_max(s[c], c * kChunk, nk, t, a.score_scale, m_lo, m_hi);
    }
    m_lo = dev::quad_max(m_lo);
    m_hi = dev::quad_max(m_hi);
#pragma unroll
    for (int c = 0; c < kKept; ++c) {
      if (c < chunks)
        chunk_exps(s[c], c * kChunk, nk, t, a.score_scale, m_lo, m_hi, kept[c], l_lo, l_hi);
    }
    l_lo = dev::quad_sum(l_lo);
    l_hi = dev::quad_sum(l_hi);
  } else if (active) {
    // Pass 1: this lane's running max and sum over its keys of every chunk.
    for (int c = 0; c < chunks; ++c) {
      int s[4][4];
      chunk_scores(s, qf, ks + c * kChunk * kLd, lane);
      const int valid = nk - c * kChunk;
      float x[4][4];
      float mx_lo = -INFINITY, mx_hi = -INFINITY;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const bool real = j * 8 + 2 * t + e < valid;
          x[j][e] = real ? score(s[j][e], a.score_scale) : -INFINITY;
          x[j][2 + e] = real ? score(s[j][2 + e], a.score_scale) : -INFINITY;
          mx_lo = fmaxf(mx_lo, x[j][e]);
          mx_hi = fmaxf(mx_hi, x[j][2 + e]);
        }
      }
      rescale(m_lo, l_lo, mx_lo);
      rescale(m_hi, l_hi, mx_hi);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          // A masked key (x = −∞) adds nothing; the select also covers a lane with no real key yet.
          l_lo += x[j][e] == -INFINITY ? 0.0f : expf(x[j][e] - m_lo);
          l_hi += x[j][2 + e] == -INFINITY ? 0.0f : expf(x[j][2 + e] - m_hi);
        }
      }
    }
    // The row's max and sum over the four lanes that share it.
#pragma unroll
    for (int off = 1; off <= 2; off <<= 1) {
      merge(m_lo, l_lo, __shfl_xor_sync(0xffffffffu, m_lo, off),
            __shfl_xor_sync(0xffffffffu, l_lo, off));
      merge(m_hi, l_hi, __shfl_xor_sync(0xffffffffu, m_hi, off),
            __shfl_xor_sync(0xffffffffu, l_hi, off));
    }
  }

  ptx::wait_copies<0>();
  __syncthreads();
  if (!active)
    return;  // no barrier follows
  // As the reference: factor = (1 / Σe) · probs_inv_scale, applied to each e.
  const float f_lo = (1.0f / l_lo) * a.probs_inv_scale;
  const float f_hi = (1.0f / l_hi) * a.probs_inv_scale;
  int o[8][4];  // n-tile 2i: dims 16i + 2n (even), 2i + 1: dims 16i + 2n + 1 (odd)
#pragma unroll
  for (int i = 0; i < 8; ++i)
    o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0;

  if constexpr (kKept > 0) {
    // The codes from the kept exponentials, then O += P · V (exact int32).
#pragma unroll
    for (int c = 0; c < kKept; ++c) {
      if (c < chunks) {
        std::uint32_t code[4][4];
        chunk_codes(kept[c], c * kChunk, nk, t, f_lo, f_hi, code);
        add_chunk_context(o, code, vs + c * kChunk * kLd, lane);
      }
    }
  } else {
    // Pass 2: the int8 codes with the final max and sum, then O += P · V (exact int32).
    for (int c = 0; c < chunks; ++c) {
      int s[4][4];
      chunk_scores(s, qf, ks + c * kChunk * kLd, lane);
      const int valid = nk - c * kChunk;
      std::uint32_t code[4][4];
#pragma unroll
      for (int j = 0; j < 4; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const bool real = j * 8 + 2 * t + e < valid;
          const float e_lo = expf(score(s[j][e], a.score_scale) - m_lo);
          const float e_hi = expf(score(s[j][2 + e], a.score_scale) - m_hi);
          code[j][e] = real ? prob_code(e_lo * f_lo) : 0u;
          code[j][2 + e] = real ? prob_code(e_hi * f_hi) : 0u;
        }
      }
      add_chunk_context(o, code, vs + c * kChunk * kLd, lane);
    }
  }

  const int qa = q0 + warp * 16 + g;
  const int qb = qa + 8;
  const size_t col = static_cast<size_t>(h) * kD + 4 * t;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if (qa < span.queries) {
      store_outputs(a, o[2 * i][0], o[2 * i + 1][0], o[2 * i][1], o[2 * i + 1][1], ctx, ctx8,
                    static_cast<size_t>(span.start + qa) * a.ld_ctx + col + 16 * i);
    }
    if (qb < span.queries) {
      store_outputs(a, o[2 * i][2], o[2 * i + 1][2], o[2 * i][3], o[2 * i + 1][3], ctx, ctx8,
                    static_cast<size_t>(span.start + qb) * a.ld_ctx + col + 16 * i);
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kSplitWarps * 32)
    attention_int8_split_kernel(AttentionInt8Args a, T* __restrict__ ctx,
                                int8_t* __restrict__ ctx8) {
  dev::wait_for_previous_kernel();
  const RowSpan span = a.rows[blockIdx.x / a.heads];
  const int q0 = blockIdx.y * 16;
  if (q0 >= span.queries)
    return;  // the same for the whole block
  extern __shared__ __align__(16) int8_t smem[];
  split_attend(a, ctx, ctx8, span, static_cast<int>(blockIdx.x % a.heads), q0, smem);
}

template <typename T>
cudaError_t launch_split(const AttentionInt8Args& a, T* ctx, int8_t* ctx8, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(a.num_rows * a.heads),
                  static_cast<unsigned>((a.max_queries + 15) / 16));
  const LaunchShape shape{grid, kSplitWarps * 32, split_shared_bytes(a.max_queries), stream};
  return launch_kernel(shape, attention_int8_split_kernel<T>, a, ctx, ctx8);
}

template <typename T, int kWarps>
cudaError_t launch(const AttentionInt8Args& a, T* ctx, int8_t* ctx8, cudaStream_t stream) {
  constexpr int kRows = kWarps * 16;
  const dim3 grid(static_cast<unsigned>(a.num_rows * a.heads),
                  static_cast<unsigned>((a.max_queries + kRows - 1) / kRows));
  const std::size_t smem = shared_bytes<kWarps>(a.max_queries);
  const LaunchShape shape{grid, kWarps * 32, smem, stream};
  if (a.max_queries <= 4 * kChunk)
    return launch_kernel(shape, attention_int8_mma_kernel<T, kWarps, 4>, a, ctx, ctx8);
  return launch_kernel(shape, attention_int8_mma_kernel<T, kWarps, 0>, a, ctx, ctx8);
}

bool aligned(const void* p, std::size_t bytes) {
  return reinterpret_cast<std::uintptr_t>(p) % bytes == 0;
}

}  // namespace

int attention_int8_mma_warps(int num_rows, int max_queries, int heads) {
  // 128 queries per block (the row's keys and values staged once for all of them) when rows are
  // longer than 64 and there are at least ~one block per SM (H100: 132). Unlike the FP16 kernel,
  // which stages key tiles, 64-query blocks measured slower here (int8-full, batch 32: 1.675
  // against 1.598 ms).
  return max_queries > 64 && num_rows * heads >= 132 ? 8 : 4;
}

bool attention_int8_splits_keys(int num_rows, int max_queries, int heads) {
  return max_queries <= kSplitMaxKeys && attention_grid_is_small(num_rows, max_queries, heads);
}

std::size_t attention_int8_mma_shared_bytes(int max_keys) {
  // The larger of the 8-warp blocks' and the split form's (which exists up to kSplitMaxKeys).
  const std::size_t split = max_keys <= kSplitMaxKeys ? split_shared_bytes(max_keys) : 0;
  return std::max(shared_bytes<8>(max_keys), split);
}

cudaError_t allow_attention_int8_mma_shared_bytes(std::size_t bytes) {
  const int n = static_cast<int>(bytes);
  const auto allow = [n](auto kernel) {
    return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, n);
  };
  for (cudaError_t err :
       {allow(attention_int8_split_kernel<float>), allow(attention_int8_split_kernel<__half>),
        allow(attention_int8_mma_kernel<float, 4, 0>),
        allow(attention_int8_mma_kernel<float, 8, 0>),
        allow(attention_int8_mma_kernel<__half, 4, 0>),
        allow(attention_int8_mma_kernel<__half, 8, 0>),
        allow(attention_int8_mma_kernel<float, 4, 4>),
        allow(attention_int8_mma_kernel<float, 8, 4>),
        allow(attention_int8_mma_kernel<__half, 4, 4>),
        allow(attention_int8_mma_kernel<__half, 8, 4>)}) {
    if (err != cudaSuccess)
      return err;
  }
  return cudaSuccess;
}

template <typename T>
bool attention_int8_mma_supported(const AttentionInt8Args& a, const T* ctx, const int8_t* ctx8) {
  // 16-byte cp.async of every staged row; four adjacent outputs stored at once.
  return a.head_dim == kD && a.ld_qkv % 16 == 0 && aligned(a.qkv8, 16) && a.ld_ctx % 4 == 0 &&
         (ctx == nullptr || aligned(ctx, 4 * sizeof(T))) && (ctx8 == nullptr || aligned(ctx8, 4));
}

template <typename T>
cudaError_t launch_attention_int8_mma(const AttentionInt8Args& a, T* ctx, int8_t* ctx8,
                                      cudaStream_t stream) {
  if (a.num_rows <= 0 || a.max_queries <= 0)
    return cudaSuccess;
  if (!attention_int8_mma_supported(a, ctx, ctx8))
    return cudaErrorInvalidValue;
  if (a.split_keys && attention_int8_splits_keys(a.num_rows, a.max_queries, a.heads))
    return launch_split<T>(a, ctx, ctx8, stream);
  if (attention_int8_mma_warps(a.num_rows, a.max_queries, a.heads) == 8)
    return launch<T, 8>(a, ctx, ctx8, stream);
  return launch<T, 4>(a, ctx, ctx8, stream);
}

template bool attention_int8_mma_supported<float>(const AttentionInt8Args&, const float*,
                                                  const int8_t*);
template bool attention_int8_mma_supported<__half>(const AttentionInt8Args&, const __half*,
                                                   const int8_t*);
template cudaError_t launch_attention_int8_mma<float>(const AttentionInt8Args&, float*, int8_t*,
                                                      cudaStream_t);
template cudaError_t launch_attention_int8_mma<__half>(const AttentionInt8Args&, __half*, int8_t*,
                                                       cudaStream_t);

}  // namespace samp::cuda
