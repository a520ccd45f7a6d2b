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
//
// Fragments (PTX ISA, mma.m16n8k32 with .s8; g = lane / 4, t = lane % 4): A (16×32, row-major)
// reg 0 = row g bytes 4t…4t+3, reg 1 = row g+8 bytes 4t…, reg 2 / 3 = the same rows at bytes
// 16+4t…; B (32×8, stored [n][k]) reg 0 = column g at k 4t…4t+3, reg 1 = column g at k 16+4t…;
// C (16×8 int32) c0, c1 = row g columns 2t, 2t+1; c2, c3 = row g+8. This is byte for byte the FP16
// m16n8k16 layout, so ldmatrix (16-byte rows) loads int8 Q as A and K ([key][dim] = [n][k]) as B.
//
// P·V without storing P or transposing V:
//  * The key order inside each 32-key chunk is permuted (the sum over keys does not care, as long
//    as A and B agree). A slot 4t + e (and 16 + 4t + e) holds key 2t + (e & 1) + 8·(e >> 1) (plus
//    16): exactly the keys lane t's S fragment already has (keys 2t, 2t+1 of n-tiles 0 and 1, and
//    of n-tiles 2 and 3), so the codes become the A fragment in registers.
//  * B needs V at those keys: for one dimension d, the bytes V[2t][d], V[2t+1][d], V[2t+8][d],
//    V[2t+9][d]. ldmatrix .trans on V as b16 pairs (8 keys × 8 pairs of dims) hands lane (g, t)
//    V[2t][2g], V[2t][2g+1], V[2t+1][2g], V[2t+1][2g+1] (keys 0…7) and the same for keys 8…15;
//    byte permutes 0x6420 / 0x7531 of the two registers give dimension 2g / 2g+1 in slot order.
//    So each 16-dimension slice is two n-tiles: even dimensions (column n = dim 2n) and odd
//    dimensions (column n = dim 2n+1), and a lane's C values are dimensions 4t, 4t+1, 4t+2, 4t+3 of
//    the slice (even c0, odd c0, even c1, odd c1): four adjacent outputs, stored at once.
// Keys past the row's real ones are excluded from the max and sum and get code 0 (their rows are
// zero-filled by the copy anyway); queries past the row's computed ones are zero-filled and never
// written.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "device-math.cuh"
#include "launch.h"
#include "mma-ptx.cuh"
#include "quant-kernels.h"

namespace samp::cuda {
namespace {

constexpr int kD = 64;      // head_dim
constexpr int kChunk = 32;  // keys per step (the k of the P·V mma)
// Bytes per staged row: 80, so the 8 rows (16 bytes each) of an ldmatrix hit distinct banks.
constexpr int kLd = kD + 16;

__host__ __device__ constexpr int round_chunk(int n) {
  return (n + kChunk - 1) / kChunk * kChunk;
}

/// Bytes of shared memory of a block of kWarps warps for rows of up to max_keys keys.
template <int kWarps>
constexpr std::size_t shared_bytes(int max_keys) {
  return static_cast<std::size_t>(kWarps * 16 + 2 * round_chunk(max_keys)) * kLd;
}

using ptx::mma;

/// Queues the copy of `valid` of `rows` token rows (64 bytes each) starting at src into a staged
/// block, shared by kThreads threads of which this is `tid`; rows past `valid` become zeros.
template <int kThreads>
__device__ __forceinline__ void stage(const int8_t* __restrict__ src, int ld, int rows, int valid,
                                      int8_t* dst, int tid = threadIdx.x) {
  for (int i = tid; i < rows * 4; i += kThreads) {
    const int row = i >> 2;
    const int chunk = (i & 3) * 16;
    const bool ok = row < valid;
    ptx::copy16(dst + row * kLd + chunk, ok ? src + static_cast<size_t>(row) * ld + chunk : src,
                ok);
  }
}

/// S (16 queries × 32 keys) = Q_w · K_chunkᵀ: n-tile j holds keys 8j … 8j + 7 of the chunk.
__device__ __forceinline__ void chunk_scores(int (&s)[4][4], const std::uint32_t (&qf)[2][4],
                                             const int8_t* keys, int lane) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0;
    // Matrices: keys 8j…8j+7 × dims {0, 16, 32, 48} … +15 → b0/b1 of k-steps 0 and 1.
    std::uint32_t b[4];
    ptx::ldmatrix_x4(b, keys + (j * 8 + (lane & 7)) * kLd + (lane >> 3) * 16);
    mma(s[j], qf[0], b[0], b[1]);
    mma(s[j], qf[1], b[2], b[3]);
  }
}

/// A score as the reference rounds it: acc · scale rounded before max and exp (never contracted
/// into an FMA with the subtraction of the max, which would shift exp by the product's rounding).
__device__ __forceinline__ float score(int acc, float scale) {
  return __fmul_rn(static_cast<float>(acc), scale);
}

/// The code of probability e · factor, clamp(rne(·), 0, 127) as the CPU backend, in the low byte
/// (dev::code_bits; the other bytes are not zero).
__device__ __forceinline__ std::uint32_t prob_code(float x) {
  return static_cast<std::uint32_t>(dev::code_bits(x, 0.0f, 127.0f));
}

/// The low bytes of b0 … b3 as one word, b0 lowest.
__device__ __forceinline__ std::uint32_t pack4(std::uint32_t b0, std::uint32_t b1, std::uint32_t b2,
                                               std::uint32_t b3) {
  return __byte_perm(__byte_perm(b0, b1, 0x0040), __byte_perm(b2, b3, 0x0040), 0x5410);
}

/// Raises the running max m to at least mx, rescaling the running sum l to it.
__device__ __forceinline__ void rescale(float& m, float& l, float mx) {
  const float mn = fmaxf(m, mx);
  // An unchanged max needs no rescale (and −∞ − −∞ would be NaN while no real key was seen).
  l = m == mn ? l : l * expf(m - mn);
  m = mn;
}

/// Merges another lane's (max, sum of exp relative to that max) into this one's.
__device__ __forceinline__ void merge(float& m, float& l, float mo, float lo) {
  const float mn = fmaxf(m, mo);
  // Equal maxima need no rescale (and −∞ − −∞ would be NaN for lanes that saw no real key).
  l = (m == mn ? l : l * expf(m - mn)) + (mo == mn ? lo : lo * expf(mo - mn));
  m = mn;
}

/// Whether entry (j, e) of lane t's part of a chunk's scores (key j·8 + 2t + e, e < 2, of the chunk
/// starting at key k0) is one of the row's nk real keys.
__device__ __forceinline__ bool real_key(int k0, int j, int t, int e, int nk) {
  return k0 + j * 8 + 2 * t + e < nk;
}

/// Raises m_lo / m_hi (rows g and g + 8) to the scores of the chunk's real keys this lane holds.
__device__ __forceinline__ void chunk_max(const int (&s)[4][4], int k0, int nk, int t, float scale,
                                          float& m_lo, float& m_hi) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      if (real_key(k0, j, t, e, nk)) {
        m_lo = fmaxf(m_lo, score(s[j][e], scale));
        m_hi = fmaxf(m_hi, score(s[j][2 + e], scale));
      }
    }
  }
}

/// kept = exp(score − max) of the chunk's real keys this lane holds (0 elsewhere), added to l.
__device__ __forceinline__ void chunk_exps(const int (&s)[4][4], int k0, int nk, int t, float scale,
                                           float m_lo, float m_hi, float (&kept)[4][4], float& l_lo,
                                           float& l_hi) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const bool real = real_key(k0, j, t, e, nk);
      kept[j][e] = real ? expf(score(s[j][e], scale) - m_lo) : 0.0f;
      kept[j][2 + e] = real ? expf(score(s[j][2 + e], scale) - m_hi) : 0.0f;
      l_lo += kept[j][e];
      l_hi += kept[j][2 + e];
    }
  }
}

/// The probability codes of the chunk's kept exponentials (factor (1 / Σe) · probs_inv_scale per
/// row, as the reference), 0 at keys that are not real.
__device__ __forceinline__ void chunk_codes(const float (&kept)[4][4], int k0, int nk, int t,
                                            float f_lo, float f_hi, std::uint32_t (&code)[4][4]) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const bool real = real_key(k0, j, t, e, nk);
      code[j][e] = real ? prob_code(kept[j][e] * f_lo) : 0u;
      code[j][2 + e] = real ? prob_code(kept[j][2 + e] * f_hi) : 0u;
    }
  }
}

__device__ __forceinline__ void store4(float* p, const float (&v)[4]) {
  *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
}
__device__ __forceinline__ void store4(__half* p, const float (&v)[4]) {
  const __half2 lo = __floats2half2_rn(v[0], v[1]);
  const __half2 hi = __floats2half2_rn(v[2], v[3]);
  uint2 u;
  u.x = *reinterpret_cast<const std::uint32_t*>(&lo);
  u.y = *reinterpret_cast<const std::uint32_t*>(&hi);
  *reinterpret_cast<uint2*>(p) = u;
}

/// Writes four adjacent outputs (int32 sums) of one query as T and / or int8.
template <typename T>
__device__ __forceinline__ void store_outputs(const AttentionInt8Args& a, int a0, int a1, int a2,
                                              int a3, T* ctx, int8_t* ctx8, size_t at) {
  const float v[4] = {
      static_cast<float>(a0) * a.context_scale, static_cast<float>(a1) * a.context_scale,
      static_cast<float>(a2) * a.context_scale, static_cast<float>(a3) * a.context_scale};
  if (ctx != nullptr)
    store4(ctx + at, v);
  if (ctx8 != nullptr) {
    const auto code = [&](float x) {
      return static_cast<std::uint32_t>(dev::code_bits(x * a.ctx8_inv_scale, -127.0f, 127.0f));
    };
    *reinterpret_cast<std::uint32_t*>(ctx8 + at) =
        pack4(code(v[0]), code(v[1]), code(v[2]), code(v[3]));
  }
}

/// O += P · V for one 32-key chunk, from this lane's probability codes (code[j][0…1]: row g, keys
/// 8j + 2t, +1; code[j][2…3]: row g + 8) and the chunk's staged values `v_chunk`.
__device__ __forceinline__ void add_chunk_context(int (&o)[8][4], const std::uint32_t (&code)[4][4],
                                                  const int8_t* v_chunk, int lane) {
  // A slots 4t…4t+3 = keys 2t, 2t+1, 8+2t, 9+2t (n-tiles 0, 1); 16+4t… = n-tiles 2, 3.
  const std::uint32_t pf[4] = {
      pack4(code[0][0], code[0][1], code[1][0], code[1][1]),  // row g, slots 4t…
      pack4(code[0][2], code[0][3], code[1][2], code[1][3]),  // row g + 8, slots 4t…
      pack4(code[2][0], code[2][1], code[3][0], code[3][1]),  // row g, slots 16 + 4t…
      pack4(code[2][2], code[2][3], code[3][2], code[3][3]),  // row g + 8, slots 16 + 4t…
  };
  const int8_t* v = v_chunk + lane * kLd;  // lane l: key l of the chunk (matrix l / 8)
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    // Matrices (transposed b16 pairs): keys 0…7, 8…15, 16…23, 24…31 × dims 16i … 16i + 15.
    std::uint32_t b[4];
    ptx::ldmatrix_x4_trans(b, v + i * 16);
    mma(o[2 * i], pf, __byte_perm(b[0], b[1], 0x6420), __byte_perm(b[2], b[3], 0x6420));
    mma(o[2 * i + 1], pf, __byte_perm(b[0], b[1], 0x7531), __byte_perm(b[2], b[3], 0x7531));
  }
}

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

// The split-keys form for few (row, head) pairs, as in a batch of one: one block of kSplitWarps
// warps per (row, head, 16 queries), warp w taking the row's 32-key chunks w, w + 4, … (at most
// kSplitChunks each, their scores kept in registers as in the one-pass kernel). The row max and
// Σe are merged over the warps through shared memory before any code is made, so the codes are
// those of the one-pass kernel (Σe summed in another order); each warp's exact int32 P·V part is
// then added up in shared memory.
constexpr int kSplitWarps = 4;
constexpr int kSplitChunks = 4;  // per warp: rows of up to 4 × 4 × 32 = 512 keys
constexpr int kSplitMaxKeys = kSplitWarps * kSplitChunks * kChunk;
constexpr int kPartLd = kD + 16;  // ints per row of a warp's P·V part: 16-byte stores conflict-free

/// Shared memory of the split form: staged queries, keys and values, then the warps' parts.
struct SplitParts {
  float m[kSplitWarps][16], l[kSplitWarps][16];
  int o[kSplitWarps][16 * kPartLd];
};

constexpr std::size_t split_shared_bytes(int max_keys) {
  return static_cast<std::size_t>(16 + 2 * round_chunk(max_keys)) * kLd + sizeof(SplitParts);
}

template <typename T>
__global__ void __launch_bounds__(kSplitWarps * 32)
    attention_int8_split_kernel(AttentionInt8Args a, T* __restrict__ ctx,
                                int8_t* __restrict__ ctx8) {
  dev::wait_for_previous_kernel();
  constexpr int kThreads = kSplitWarps * 32;
  const int r = blockIdx.x / a.heads;
  const int h = blockIdx.x % a.heads;
  const RowSpan span = a.rows[r];
  const int q0 = blockIdx.y * 16;
  if (q0 >= span.queries)
    return;  // the same for the whole block
  extern __shared__ __align__(16) int8_t smem[];
  int8_t* qs = smem;
  int8_t* ks = qs + 16 * kLd;
  int8_t* vs = ks + round_chunk(a.max_queries) * kLd;
  SplitParts& parts = *reinterpret_cast<SplitParts*>(vs + round_chunk(a.max_queries) * kLd);

  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int g = lane >> 2;
  const int t = lane & 3;
  const int nk = span.keys;
  const int chunks = round_chunk(nk) / kChunk;
  const int hidden = a.heads * kD;
  const int8_t* base = a.qkv8 + static_cast<size_t>(span.start) * a.ld_qkv + h * kD;

  // The queries by the whole block; each warp's key and value chunks by that warp.
  stage<kThreads>(base + static_cast<size_t>(q0) * a.ld_qkv, a.ld_qkv, 16, span.queries - q0, qs);
  for (int c = warp; c < chunks; c += kSplitWarps) {
    const int k0 = c * kChunk;
    const int8_t* src = base + static_cast<size_t>(k0) * a.ld_qkv;
    stage<32>(src + hidden, a.ld_qkv, kChunk, nk - k0, ks + k0 * kLd, lane);
    stage<32>(src + 2 * hidden, a.ld_qkv, kChunk, nk - k0, vs + k0 * kLd, lane);
  }
  ptx::commit();
  ptx::wait_copies<0>();
  __syncthreads();

  std::uint32_t qf[2][4];
#pragma unroll
  for (int kk = 0; kk < 2; ++kk)
    ptx::ldmatrix_x4(qf[kk], qs + (lane & 15) * kLd + kk * 32 + (lane >> 4) * 16);
  // Chunk i of this warp is the row's chunk warp + 4i, starting at key first(i).
  const auto first = [&](int i) { return (warp + kSplitWarps * i) * kChunk; };
  int s[kSplitChunks][4][4];
#pragma unroll
  for (int i = 0; i < kSplitChunks; ++i) {
    if (first(i) < nk)
      chunk_scores(s[i], qf, ks + first(i) * kLd, lane);
  }
  // The row max: this warp's, then over the warps.
  float m_lo = -INFINITY, m_hi = -INFINITY;
#pragma unroll
  for (int i = 0; i < kSplitChunks; ++i)
    chunk_max(s[i], first(i), nk, t, a.score_scale, m_lo, m_hi);
  m_lo = dev::quad_max(m_lo);
  m_hi = dev::quad_max(m_hi);
  if (t == 0) {
    parts.m[warp][g] = m_lo;
    parts.m[warp][g + 8] = m_hi;
  }
  __syncthreads();
#pragma unroll
  for (int w = 0; w < kSplitWarps; ++w) {
    m_lo = fmaxf(m_lo, parts.m[w][g]);
    m_hi = fmaxf(m_hi, parts.m[w][g + 8]);
  }
  // exp(score − max) of each key, and Σe: this warp's, then over the warps in order.
  // Only the chunks the row has: the exps of the others would be computed and thrown away.
  float kept[kSplitChunks][4][4];
  float l_lo = 0.0f, l_hi = 0.0f;
#pragma unroll
  for (int i = 0; i < kSplitChunks; ++i) {
    if (first(i) < nk)
      chunk_exps(s[i], first(i), nk, t, a.score_scale, m_lo, m_hi, kept[i], l_lo, l_hi);
  }
  l_lo = dev::quad_sum(l_lo);
  l_hi = dev::quad_sum(l_hi);
  if (t == 0) {
    parts.l[warp][g] = l_lo;
    parts.l[warp][g + 8] = l_hi;
  }
  __syncthreads();
  l_lo = l_hi = 0.0f;
#pragma unroll
  for (int w = 0; w < kSplitWarps; ++w) {
    l_lo += parts.l[w][g];
    l_hi += parts.l[w][g + 8];
  }
  // As the reference: factor = (1 / Σe) · probs_inv_scale, applied to each e; then this warp's
  // part of O = P · V (exact int32).
  const float f_lo = (1.0f / l_lo) * a.probs_inv_scale;
  const float f_hi = (1.0f / l_hi) * a.probs_inv_scale;
  int o[8][4];
#pragma unroll
  for (int i = 0; i < 8; ++i)
    o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0;
#pragma unroll
  for (int i = 0; i < kSplitChunks; ++i) {
    if (first(i) < nk) {
      std::uint32_t code[4][4];
      chunk_codes(kept[i], first(i), nk, t, f_lo, f_hi, code);
      add_chunk_context(o, code, vs + first(i) * kLd, lane);
    }
  }
  // The part in natural dimension order: lane (g, t) holds dims 16i + 4t … + 3 of rows g, g + 8.
  int* part = parts.o[warp];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    *reinterpret_cast<int4*>(part + g * kPartLd + 16 * i + 4 * t) =
        make_int4(o[2 * i][0], o[2 * i + 1][0], o[2 * i][1], o[2 * i + 1][1]);
    *reinterpret_cast<int4*>(part + (g + 8) * kPartLd + 16 * i + 4 * t) =
        make_int4(o[2 * i][2], o[2 * i + 1][2], o[2 * i][3], o[2 * i + 1][3]);
  }
  __syncthreads();
  // Each thread: 8 adjacent dims of one query row, the four parts added.
  const int row = threadIdx.x >> 3;
  const int c = (threadIdx.x & 7) * 8;
  if (q0 + row >= span.queries)
    return;
  int sum[8] = {};
#pragma unroll
  for (int w = 0; w < kSplitWarps; ++w) {
    const int4* p = reinterpret_cast<const int4*>(parts.o[w] + row * kPartLd + c);
    const int4 lo = p[0], hi = p[1];
    sum[0] += lo.x, sum[1] += lo.y, sum[2] += lo.z, sum[3] += lo.w;
    sum[4] += hi.x, sum[5] += hi.y, sum[6] += hi.z, sum[7] += hi.w;
  }
  const size_t at = static_cast<size_t>(span.start + q0 + row) * a.ld_ctx + h * kD + c;
  store_outputs(a, sum[0], sum[1], sum[2], sum[3], ctx, ctx8, at);
  store_outputs(a, sum[4], sum[5], sum[6], sum[7], ctx, ctx8, at + 4);
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
