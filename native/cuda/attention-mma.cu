// Register-resident tensor-core flash attention for FP16 sessions with head_dim 64 (the default
// for them), in three forms: tiled (below), whole-row (rows of ≤ 128 tokens) and split-keys (few
// (row, head) pairs), chosen by launch_attention_mma. Tiled: one block of 4 warps per (row, head,
// 64 queries), each warp owning 16 queries (the kernel is written for kWarps warps;
// launch_attention_mma says why 4). Key and value tiles of 64
// tokens stream through shared memory with cp.async, double-buffered so the next tile loads while
// this one is used. S = Q·Kᵀ and O += P·V run on mma.sync m16n8k16 (FP16 inputs,
// FP32 accumulators) whose accumulators stay in registers: the S fragment of two 8-key tiles is
// exactly the A fragment of the next product, so P never touches shared memory. Online softmax
// (running max and sum per query row) in FP32, base-2 exponentials with log2(e) folded into the
// scale. Keys past the row's real tokens are masked; rows past the buffer are zero-filled by the
// copy, never read.
#include <cstdint>

#include "device-math.cuh"
#include "kernels.h"
#include "launch.h"
#include "mma-ptx.cuh"
#include "vector-io.cuh"

namespace samp::cuda {
namespace {

constexpr int kD = 64;     // head_dim
constexpr int kKeys = 64;  // keys per tile
constexpr int kLd =
    kD + 8;  // halves per staged row: 144 bytes, so ldmatrix rows hit distinct banks
constexpr int kTile = kKeys * kLd;

/// Shared memory of a block of kWarps warps (16 queries each).
template <int kWarps>
struct Smem {
  __half q[kWarps * 16 * kLd];
  __half k[2][kTile];
  __half v[2][kTile];
};

using ptx::mma;

__device__ __forceinline__ std::uint32_t pack_half2(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const std::uint32_t*>(&h);
}

/// Queues the copy of `valid` of `kRowsStaged` token rows (of 64 halves) starting at src into a
/// staged tile, shared by kThreads threads of which this is `tid`; rows past `valid` become zeros.
template <int kRowsStaged, int kThreads>
__device__ __forceinline__ void stage(const __half* __restrict__ src, int ld, int valid,
                                      __half* dst, int tid = threadIdx.x) {
#pragma unroll
  for (int i = tid; i < kRowsStaged * 8; i += kThreads) {
    const int row = i >> 3;
    const int chunk = (i & 7) * 8;
    const bool ok = row < valid;
    ptx::copy16(dst + row * kLd + chunk, ok ? src + static_cast<size_t>(row) * ld + chunk : src,
                ok);
  }
}

/// S (16 × kKeys keys) = Q_w · Kᵀ of the staged keys ks: n-tile j holds keys 8j … 8j + 7.
template <int kKeys>
__device__ __forceinline__ void scores(const std::uint32_t (&qf)[kD / 16][4], const __half* ks,
                                       int lane, float (&s)[kKeys / 8][4]) {
#pragma unroll
  for (int j = 0; j < kKeys / 8; ++j) {
    s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < kD / 16; kk += 2) {
      // Matrices: keys 8j…8j+7 × dims 16kk + {0, 8, 16, 24} … +7 → b0/b1 of k-steps kk, kk+1.
      std::uint32_t b[4];
      ptx::ldmatrix_x4(b, ks + (j * 8 + (lane & 7)) * kLd + kk * 16 + (lane >> 3) * 8);
      mma(s[j], qf[kk], b[0], b[1]);
      mma(s[j], qf[kk + 1], b[2], b[3]);
    }
  }
}

/// O (16 × 64 dims) += P · V of the staged values vs (kKeys keys; P as A fragments, k-step kk
/// covering keys 16kk … 16kk + 15): n-tile j holds dims 8j … 8j + 7.
template <int kKeys>
__device__ __forceinline__ void add_pv(const std::uint32_t (&pf)[kKeys / 16][4], const __half* vs,
                                       int lane, float (&o)[kD / 8][4]) {
#pragma unroll
  for (int kk = 0; kk < kKeys / 16; ++kk) {
#pragma unroll
    for (int j = 0; j < kD / 8; j += 2) {
      // Matrices (transposed): keys 16kk + {0, 8} … +7 × dims 8j and 8j + 8 → b0/b1 of j, j+1.
      std::uint32_t b[4];
      ptx::ldmatrix_x4_trans(
          b, vs + (kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * kLd + j * 8 + (lane >> 4) * 8);
      mma(o[j], pf[kk], b[0], b[1]);
      mma(o[j + 1], pf[kk], b[2], b[3]);
    }
  }
}

/// Writes a warp's O divided by the row sums (rows qa = first + g and qa + 8 of the row starting
/// at `out`, those below `queries`); this lane's l_lo / l_hi are its part of the sums.
__device__ __forceinline__ void store_context(const float (&o)[kD / 8][4], float l_lo, float l_hi,
                                              __half* out, int ld_ctx, int first, int queries,
                                              int lane) {
  const float inv_lo = 1.0f / dev::quad_sum(l_lo);
  const float inv_hi = 1.0f / dev::quad_sum(l_hi);
  const int qa = first + (lane >> 2);
  const int qb = qa + 8;
  out += 2 * (lane & 3);
#pragma unroll
  for (int j = 0; j < kD / 8; ++j) {
    if (qa < queries) {
      *reinterpret_cast<__half2*>(out + static_cast<size_t>(qa) * ld_ctx + j * 8) =
          __floats2half2_rn(o[j][0] * inv_lo, o[j][1] * inv_lo);
    }
    if (qb < queries) {
      *reinterpret_cast<__half2*>(out + static_cast<size_t>(qb) * ld_ctx + j * 8) =
          __floats2half2_rn(o[j][2] * inv_hi, o[j][3] * inv_hi);
    }
  }
}

/// A block's share of the attention (grid x: row · heads + head; y: the block's `queries` queries):
/// its row, head and first query.
struct BlockShare {
  RowSpan span;
  int head;
  int q0;
};

__device__ __forceinline__ BlockShare block_share(const RowSpan* rows, int heads, int queries) {
  return {rows[blockIdx.x / heads], static_cast<int>(blockIdx.x % heads),
          static_cast<int>(blockIdx.y) * queries};
}

/// A warp's running state for its 16 queries: O (16 × 64, unnormalised) and per row (g and g + 8)
/// the running max (base-2 units) and this lane's part of the running sum.
struct RowState {
  float o[kD / 8][4] = {};
  float m_lo = -INFINITY, m_hi = -INFINITY;
  float l_lo = 0.0f, l_hi = 0.0f;
};

/// One tile of kTileKeys keys (K rows at ks, V rows at vs, the first `valid` of them real) into the
/// warp's state: S = Q·Kᵀ, the online softmax (keys past `valid` masked), O += P·V.
template <int kTileKeys>
__device__ __forceinline__ void attend_tile(const std::uint32_t (&qf)[kD / 16][4], const __half* ks,
                                            const __half* vs, int valid, float scale_log2, int lane,
                                            RowState& st) {
  const int t = lane & 3;
  float s[kTileKeys / 8][4];
  scores<kTileKeys>(qf, ks, lane, s);

  // Online softmax over this tile (masking keys past the row's real tokens).
  float mx_lo = -INFINITY, mx_hi = -INFINITY;
#pragma unroll
  for (int j = 0; j < kTileKeys / 8; ++j) {
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const bool real = j * 8 + 2 * t + e < valid;
      s[j][e] = real ? s[j][e] * scale_log2 : -INFINITY;
      s[j][2 + e] = real ? s[j][2 + e] * scale_log2 : -INFINITY;
      mx_lo = fmaxf(mx_lo, s[j][e]);
      mx_hi = fmaxf(mx_hi, s[j][2 + e]);
    }
  }
  const float new_lo = fmaxf(st.m_lo, dev::quad_max(mx_lo));  // finite: every tile has a real key
  const float new_hi = fmaxf(st.m_hi, dev::quad_max(mx_hi));
  const float corr_lo = exp2f(st.m_lo - new_lo);
  const float corr_hi = exp2f(st.m_hi - new_hi);
  st.m_lo = new_lo;
  st.m_hi = new_hi;
  st.l_lo *= corr_lo;
  st.l_hi *= corr_hi;
#pragma unroll
  for (int j = 0; j < kD / 8; ++j) {
    st.o[j][0] *= corr_lo;
    st.o[j][1] *= corr_lo;
    st.o[j][2] *= corr_hi;
    st.o[j][3] *= corr_hi;
  }
  // P as A fragments: k-step kk covers keys 16kk … 16kk + 15 = n-tiles 2kk and 2kk + 1.
  std::uint32_t pf[kTileKeys / 16][4];
#pragma unroll
  for (int j = 0; j < kTileKeys / 8; ++j) {
    const float p0 = exp2f(s[j][0] - new_lo);
    const float p1 = exp2f(s[j][1] - new_lo);
    const float p2 = exp2f(s[j][2] - new_hi);
    const float p3 = exp2f(s[j][3] - new_hi);
    st.l_lo += p0 + p1;
    st.l_hi += p2 + p3;
    pf[j >> 1][(j & 1) * 2] = pack_half2(p0, p1);
    pf[j >> 1][(j & 1) * 2 + 1] = pack_half2(p2, p3);
  }

  add_pv<kTileKeys>(pf, vs, lane, st.o);
}

template <int kWarps>
__global__ void __launch_bounds__(kWarps * 32)
    attention_mma_kernel(const __half* __restrict__ qkv, int ld_qkv, __half* __restrict__ ctx,
                         int ld_ctx, const RowSpan* __restrict__ rows, int heads,
                         float scale_log2) {
  dev::wait_for_previous_kernel();
  constexpr int kRows = kWarps * 16;  // queries per block
  constexpr int kThreads = kWarps * 32;
  extern __shared__ __align__(16) unsigned char raw[];
  Smem<kWarps>& sm = *reinterpret_cast<Smem<kWarps>*>(raw);
  const auto [span, h, q0] = block_share(rows, heads, kRows);
  if (q0 >= span.queries)
    return;  // the same for the whole block
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int hidden = heads * kD;
  const __half* base = qkv + static_cast<size_t>(span.start) * ld_qkv + h * kD;
  const int tiles = (span.keys + kKeys - 1) / kKeys;

  stage<kRows, kThreads>(base + static_cast<size_t>(q0) * ld_qkv, ld_qkv, span.queries - q0, sm.q);
  stage<kKeys, kThreads>(base + hidden, ld_qkv, span.keys, sm.k[0]);
  stage<kKeys, kThreads>(base + 2 * hidden, ld_qkv, span.keys, sm.v[0]);
  ptx::commit();

  RowState st;
  std::uint32_t qf[kD / 16][4];  // the warp's 16 queries as A fragments

  for (int tile = 0; tile < tiles; ++tile) {
    const int buf = tile & 1;
    if (tile + 1 < tiles) {
      const int k0 = (tile + 1) * kKeys;
      const int valid = min(kKeys, span.keys - k0);
      stage<kKeys, kThreads>(base + static_cast<size_t>(k0) * ld_qkv + hidden, ld_qkv, valid,
                             sm.k[buf ^ 1]);
      stage<kKeys, kThreads>(base + static_cast<size_t>(k0) * ld_qkv + 2 * hidden, ld_qkv, valid,
                             sm.v[buf ^ 1]);
      ptx::commit();
      ptx::wait_copies<1>();  // this tile (and q) landed; the next may still be in flight
    } else {
      ptx::wait_copies<0>();
    }
    __syncthreads();
    if (tile == 0) {
#pragma unroll
      for (int kk = 0; kk < kD / 16; ++kk) {
        ptx::ldmatrix_x4(qf[kk],
                         sm.q + (warp * 16 + (lane & 15)) * kLd + kk * 16 + (lane >> 4) * 8);
      }
    }
    attend_tile<kKeys>(qf, sm.k[buf], sm.v[buf], span.keys - tile * kKeys, scale_log2, lane, st);
    __syncthreads();  // every warp is done with this buffer before the next prefetch reuses it
  }

  store_context(st.o, st.l_lo, st.l_hi, ctx + static_cast<size_t>(span.start) * ld_ctx + h * kD,
                ld_ctx, q0 + warp * 16, span.queries, lane);
}

// The whole-row form for rows of at most kRowKeys (64 or 128) keys, BERT's usual length: the
// block's queries and the row's keys land as one copy group and its values as a second, so S for
// every key is in registers before any exponential and the softmax takes one pass (no running max,
// no rescaling of O); two barriers instead of two a tile. Blocks of kWarps warps (16 queries each),
// one per (row, head, kWarps · 16 queries).
constexpr int kWholeRowWideMinPairs = 132;  // (row, head) pairs from which blocks have 8 warps
template <int kWarps, int kRowKeys>
struct WholeRowSmem {
  __half q[kWarps * 16 * kLd];
  __half k[kRowKeys * kLd];
  __half v[kRowKeys * kLd];
};

template <int kWarps, int kRowKeys>
__global__ void __launch_bounds__(kWarps * 32)
    attention_mma_whole_row_kernel(const __half* __restrict__ qkv, int ld_qkv,
                                   __half* __restrict__ ctx, int ld_ctx,
                                   const RowSpan* __restrict__ rows, int heads, float scale_log2) {
  constexpr int kThreads = kWarps * 32;
  constexpr int kRows = kWarps * 16;  // queries per block, 16 a warp
  dev::wait_for_previous_kernel();
  extern __shared__ __align__(16) unsigned char raw[];
  WholeRowSmem<kWarps, kRowKeys>& sm = *reinterpret_cast<WholeRowSmem<kWarps, kRowKeys>*>(raw);
  const auto [span, h, q0] = block_share(rows, heads, kRows);
  if (q0 >= span.queries)
    return;  // the same for the whole block
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int t = lane & 3;  // the column pair of this lane's accumulators
  const int hidden = heads * kD;
  const __half* base = qkv + static_cast<size_t>(span.start) * ld_qkv + h * kD;

  stage<kRows, kThreads>(base + static_cast<size_t>(q0) * ld_qkv, ld_qkv, span.queries - q0, sm.q);
  stage<kRowKeys, kThreads>(base + hidden, ld_qkv, span.keys, sm.k);
  ptx::commit();
  stage<kRowKeys, kThreads>(base + 2 * hidden, ld_qkv, span.keys, sm.v);
  ptx::commit();
  ptx::wait_copies<1>();
  __syncthreads();

  std::uint32_t qf[kD / 16][4];
#pragma unroll
  for (int kk = 0; kk < kD / 16; ++kk)
    ptx::ldmatrix_x4(qf[kk], sm.q + (warp * 16 + (lane & 15)) * kLd + kk * 16 + (lane >> 4) * 8);

  float s[kRowKeys / 8][4];
  scores<kRowKeys>(qf, sm.k, lane, s);
  if (span.keys < kRowKeys) {  // the same for the whole block: mask the keys past the row's
#pragma unroll
    for (int j = 0; j < kRowKeys / 8; ++j) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        if (j * 8 + 2 * t + e >= span.keys)
          s[j][e] = s[j][2 + e] = -INFINITY;
      }
    }
  }
  float m_lo = -INFINITY, m_hi = -INFINITY;
#pragma unroll
  for (int j = 0; j < kRowKeys / 8; ++j) {
    m_lo = fmaxf(m_lo, fmaxf(s[j][0], s[j][1]));
    m_hi = fmaxf(m_hi, fmaxf(s[j][2], s[j][3]));
  }
  // Scaled max (the scale is positive, so the max of the scaled scores); finite: keys ≥ 1.
  const float ms_lo = dev::quad_max(m_lo) * scale_log2;
  const float ms_hi = dev::quad_max(m_hi) * scale_log2;
  float l_lo = 0.0f, l_hi = 0.0f;
  std::uint32_t pf[kRowKeys / 16][4];  // P as A fragments: k-step kk = n-tiles 2kk, 2kk + 1
#pragma unroll
  for (int j = 0; j < kRowKeys / 8; ++j) {
    const float p0 = dev::exp2_approx(fmaf(s[j][0], scale_log2, -ms_lo));
    const float p1 = dev::exp2_approx(fmaf(s[j][1], scale_log2, -ms_lo));
    const float p2 = dev::exp2_approx(fmaf(s[j][2], scale_log2, -ms_hi));
    const float p3 = dev::exp2_approx(fmaf(s[j][3], scale_log2, -ms_hi));
    l_lo += p0 + p1;
    l_hi += p2 + p3;
    pf[j >> 1][(j & 1) * 2] = pack_half2(p0, p1);
    pf[j >> 1][(j & 1) * 2 + 1] = pack_half2(p2, p3);
  }

  ptx::wait_copies<0>();
  __syncthreads();
  float o[kD / 8][4] = {};
  add_pv<kRowKeys>(pf, sm.v, lane, o);
  store_context(o, l_lo, l_hi, ctx + static_cast<size_t>(span.start) * ld_ctx + h * kD, ld_ctx,
                q0 + warp * 16, span.queries, lane);
}

// The split-keys form for few (row, head) pairs, as in a batch of one: one block of kSplitWarps
// warps per (row, head, 16 queries), the warps taking the row's 32-key tiles in turn (tile j to
// warp j mod kSplitWarps), each with its own running max, sum and O as above; the four partial
// results are merged through shared memory at the end (O = Σ 2^(m_w − m) · O_w over Σ 2^(m_w − m)
// · l_w). At 128 tokens the kernel above has 24 blocks whose warps each walk every key; this one
// has 96 whose warps walk a quarter of them.
constexpr int kSplitWarps = 4;
constexpr int kSplitKeys = 32;    // keys per tile
constexpr int kMergeLd = kD + 8;  // floats per merged row: 8 banks apart from row to row
constexpr int kSplitMaxKeys = 512;

__host__ __device__ constexpr int split_rows(int keys) {
  return (keys + kSplitKeys - 1) / kSplitKeys * kSplitKeys;
}

/// A warp's partial result for the block's 16 queries.
struct SplitPart {
  float m[16], l[16];      // running max (base-2 units) and sum of each query row
  float o[16 * kMergeLd];  // its unnormalised context rows
};

/// Staged queries, keys and values for rows of up to `keys` keys, then the warps' parts.
std::size_t split_shared_bytes(int keys) {
  return static_cast<std::size_t>(16 + 2 * split_rows(keys)) * kLd * sizeof(__half) +
         kSplitWarps * sizeof(SplitPart);
}

__global__ void __launch_bounds__(kSplitWarps * 32)
    attention_mma_split_kernel(const __half* __restrict__ qkv, int ld_qkv, __half* __restrict__ ctx,
                               int ld_ctx, const RowSpan* __restrict__ rows, int heads,
                               int max_keys, float scale_log2) {
  dev::wait_for_previous_kernel();
  constexpr int kThreads = kSplitWarps * 32;
  extern __shared__ __align__(16) unsigned char raw[];
  __half* qs = reinterpret_cast<__half*>(raw);
  __half* ks = qs + 16 * kLd;
  __half* vs = ks + split_rows(max_keys) * kLd;
  SplitPart* parts = reinterpret_cast<SplitPart*>(vs + split_rows(max_keys) * kLd);
  const auto [span, h, q0] = block_share(rows, heads, 16);
  if (q0 >= span.queries)
    return;  // the same for the whole block
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int g = lane >> 2;
  const int t = lane & 3;
  const int hidden = heads * kD;
  const __half* base = qkv + static_cast<size_t>(span.start) * ld_qkv + h * kD;
  const int tiles = (span.keys + kSplitKeys - 1) / kSplitKeys;

  // The queries by the whole block; each warp's key and value tiles by that warp.
  stage<16, kThreads>(base + static_cast<size_t>(q0) * ld_qkv, ld_qkv, span.queries - q0, qs);
  for (int tile = warp; tile < tiles; tile += kSplitWarps) {
    const int k0 = tile * kSplitKeys;
    const int valid = min(kSplitKeys, span.keys - k0);
    const __half* src = base + static_cast<size_t>(k0) * ld_qkv;
    stage<kSplitKeys, 32>(src + hidden, ld_qkv, valid, ks + k0 * kLd, lane);
    stage<kSplitKeys, 32>(src + 2 * hidden, ld_qkv, valid, vs + k0 * kLd, lane);
  }
  ptx::commit();
  ptx::wait_copies<0>();
  __syncthreads();

  std::uint32_t qf[kD / 16][4];
#pragma unroll
  for (int kk = 0; kk < kD / 16; ++kk)
    ptx::ldmatrix_x4(qf[kk], qs + (lane & 15) * kLd + kk * 16 + (lane >> 4) * 8);
  RowState st;
  for (int tile = warp; tile < tiles; tile += kSplitWarps) {
    attend_tile<kSplitKeys>(qf, ks + tile * kSplitKeys * kLd, vs + tile * kSplitKeys * kLd,
                            span.keys - tile * kSplitKeys, scale_log2, lane, st);
  }

  // This warp's part (a warp with no tile leaves m = −∞, l = 0, O = 0: weight 0 below).
  const float l_lo = dev::quad_sum(st.l_lo), l_hi = dev::quad_sum(st.l_hi);
  SplitPart& part = parts[warp];
  if (t == 0) {
    part.m[g] = st.m_lo;
    part.m[g + 8] = st.m_hi;
    part.l[g] = l_lo;
    part.l[g + 8] = l_hi;
  }
#pragma unroll
  for (int j = 0; j < kD / 8; ++j) {
    *reinterpret_cast<float2*>(part.o + g * kMergeLd + j * 8 + 2 * t) =
        make_float2(st.o[j][0], st.o[j][1]);
    *reinterpret_cast<float2*>(part.o + (g + 8) * kMergeLd + j * 8 + 2 * t) =
        make_float2(st.o[j][2], st.o[j][3]);
  }
  __syncthreads();

  // Each thread: 8 adjacent dims of one query row (16 rows × 8 groups = the block's 128 threads).
  const int row = threadIdx.x >> 3;
  const int c = (threadIdx.x & 7) * 8;
  if (q0 + row >= span.queries)
    return;
  float m = -INFINITY;
#pragma unroll
  for (int w = 0; w < kSplitWarps; ++w)
    m = fmaxf(m, parts[w].m[row]);
  float l = 0.0f, v[8] = {};
#pragma unroll
  for (int w = 0; w < kSplitWarps; ++w) {
    const float f = parts[w].m[row] == -INFINITY ? 0.0f : exp2f(parts[w].m[row] - m);
    l += f * parts[w].l[row];
    float ow[8];
    dev::load8(parts[w].o + row * kMergeLd + c, ow);
#pragma unroll
    for (int e = 0; e < 8; ++e)
      v[e] += f * ow[e];
  }
  const float inv = 1.0f / l;
#pragma unroll
  for (int e = 0; e < 8; ++e)
    v[e] *= inv;
  dev::store8(ctx + static_cast<size_t>(span.start + q0 + row) * ld_ctx + h * kD + c, v);
}

cudaError_t launch_split(const __half* qkv, int ld_qkv, __half* context, int ld_ctx,
                         const RowSpan* rows, int num_rows, int max_queries, int heads, float scale,
                         cudaStream_t stream) {
  const size_t smem = split_shared_bytes(max_queries);
  const cudaError_t err =
      cudaFuncSetAttribute(attention_mma_split_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(smem));
  if (err != cudaSuccess)
    return err;
  const dim3 grid(static_cast<unsigned>(num_rows * heads),
                  static_cast<unsigned>((max_queries + 15) / 16));
  constexpr float kLog2e = 1.4426950408889634f;
  return launch_kernel({grid, kSplitWarps * 32, smem, stream}, attention_mma_split_kernel, qkv,
                       ld_qkv, context, ld_ctx, rows, heads, max_queries, scale * kLog2e);
}

template <int kWarps, int kRowKeys>
cudaError_t launch_whole_row(const __half* qkv, int ld_qkv, __half* context, int ld_ctx,
                             const RowSpan* rows, int num_rows, int max_queries, int heads,
                             float scale, cudaStream_t stream) {
  constexpr auto kernel = attention_mma_whole_row_kernel<kWarps, kRowKeys>;
  const size_t smem = sizeof(WholeRowSmem<kWarps, kRowKeys>);
  const cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                               static_cast<int>(smem));
  if (err != cudaSuccess)
    return err;
  const dim3 grid(static_cast<unsigned>(num_rows * heads),
                  static_cast<unsigned>((max_queries + kWarps * 16 - 1) / (kWarps * 16)));
  constexpr float kLog2e = 1.4426950408889634f;
  return launch_kernel({grid, kWarps * 32, smem, stream}, kernel, qkv, ld_qkv, context, ld_ctx,
                       rows, heads, scale * kLog2e);
}

template <int kWarps>
cudaError_t launch(const __half* qkv, int ld_qkv, __half* context, int ld_ctx, const RowSpan* rows,
                   int num_rows, int max_queries, int heads, float scale, cudaStream_t stream) {
  constexpr int kRows = kWarps * 16;
  const size_t smem = sizeof(Smem<kWarps>);
  const cudaError_t err =
      cudaFuncSetAttribute(attention_mma_kernel<kWarps>,
                           cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (err != cudaSuccess)
    return err;
  const dim3 grid(static_cast<unsigned>(num_rows * heads),
                  static_cast<unsigned>((max_queries + kRows - 1) / kRows));
  constexpr float kLog2e = 1.4426950408889634f;
  return launch_kernel({grid, kWarps * 32, smem, stream}, attention_mma_kernel<kWarps>, qkv, ld_qkv,
                       context, ld_ctx, rows, heads, scale * kLog2e);
}

}  // namespace

bool attention_mma_splits_keys(int num_rows, int max_queries, int heads) {
  // Rows short enough for the keys and values to be staged whole.
  return max_queries <= kSplitMaxKeys && attention_grid_is_small(num_rows, max_queries, heads);
}

cudaError_t launch_attention_mma(const __half* qkv, int ld_qkv, __half* context, int ld_ctx,
                                 const RowSpan* rows, int num_rows, int max_queries, int heads,
                                 float scale, cudaStream_t stream, bool split_keys,
                                 bool whole_rows) {
  if (num_rows <= 0 || max_queries <= 0)
    return cudaSuccess;
  if (split_keys && attention_mma_splits_keys(num_rows, max_queries, heads))
    return launch_split(qkv, ld_qkv, context, ld_ctx, rows, num_rows, max_queries, heads, scale,
                        stream);
  // Keys ≤ queries ≤ max_queries, so rows this short are staged whole. 128 queries a block (the
  // row's keys and values read once for all of them) once there are about as many (row, head)
  // pairs as SMs: on the H100 at seq 128, attention over 12 layers took 0.229 / 0.733 ms at batch
  // 32 / 128 against 0.228 / 0.800 with 64 queries a block and 0.255 / 0.866 tiled (session 15).
  if (whole_rows && max_queries <= 64)
    return launch_whole_row<4, 64>(qkv, ld_qkv, context, ld_ctx, rows, num_rows, max_queries, heads,
                                   scale, stream);
  if (whole_rows && max_queries <= 128 && num_rows * heads >= kWholeRowWideMinPairs)
    return launch_whole_row<8, 128>(qkv, ld_qkv, context, ld_ctx, rows, num_rows, max_queries,
                                    heads, scale, stream);
  if (whole_rows && max_queries <= 128)
    return launch_whole_row<4, 128>(qkv, ld_qkv, context, ld_ctx, rows, num_rows, max_queries,
                                    heads, scale, stream);
  // 64 queries per block. 128 (8 warps, each key / value tile staged once for twice the queries)
  // measured slower on the H100 at seq 128, Q, K, V being in L2 after the QKV GEMM: attention at
  // batch 32 / 128 took 0.272 / 0.993 ms over 12 layers with 8 warps, 0.252 / 0.833 with 4 (the
  // 8-warp grid of 384 blocks at batch 32 runs in 1.45 waves of two blocks an SM).
  return launch<4>(qkv, ld_qkv, context, ld_ctx, rows, num_rows, max_queries, heads, scale, stream);
}

}  // namespace samp::cuda
