// Tensor-core fused attention for FP16 sessions with head_dim 64 (BERT-base/large, MiniLM, …):
// flash-attention style, one block of 4 warps per (row, head, 64 queries). Each warp owns 16 query
// rows; key/value tiles of 64 tokens are staged once per block in shared memory; S = Q·Kᵀ and
// O += P·V run on WMMA 16×16×16 FP16 fragments with FP32 accumulation, the online softmax (running
// max and sum per query row) in FP32 between them. Scores never reach device memory and each row
// attends to its own real keys only (padding removal: no work on padding).
#include <mma.h>

#include <cstdint>

#include "device-math.cuh"
#include "kernels.h"
#include "launch.h"

namespace samp::cuda {
namespace {

using namespace nvcuda;

constexpr int kD = 64;           // head_dim
constexpr int kRows = 64;        // queries per block
constexpr int kKeys = 64;        // keys per tile
constexpr int kWarps = 4;        // 16 query rows each
constexpr int kHalfLd = kD + 8;  // halves per staged row (16-byte padding against bank conflicts)
constexpr int kFloatLd = kKeys + 4;  // floats per score / output row

struct Smem {
  __half q[kRows * kHalfLd];
  __half k[kKeys * kHalfLd];
  __half v[kKeys * kHalfLd];
  __half p[kWarps * 16 * kHalfLd];
  float s[kWarps * 16 * kFloatLd];
  float o[kWarps * 16 * kFloatLd];
  float m[kWarps * 16];
  float l[kWarps * 16];
};

/// Copies `rows` token rows of one head (64 halves = 8 × 16 bytes each) into shared memory, zeros
/// past `valid`.
__device__ void stage(const __half* __restrict__ src, int ld, int valid, __half* dst) {
  for (int i = threadIdx.x; i < kKeys * 8; i += blockDim.x) {
    const int row = i >> 3;
    const int chunk = i & 7;
    uint4 value = make_uint4(0, 0, 0, 0);
    if (row < valid)
      value = *reinterpret_cast<const uint4*>(src + static_cast<size_t>(row) * ld + chunk * 8);
    *reinterpret_cast<uint4*>(dst + row * kHalfLd + chunk * 8) = value;
  }
}

__global__ void __launch_bounds__(kWarps * 32)
    attention_wmma_kernel(const __half* __restrict__ qkv, int ld_qkv, __half* __restrict__ ctx,
                          int ld_ctx, const RowSpan* __restrict__ rows, int heads, float scale) {
  dev::wait_for_previous_kernel();
  extern __shared__ __align__(16) unsigned char raw[];
  Smem& sm = *reinterpret_cast<Smem*>(raw);
  const int r = blockIdx.x / heads;
  const int h = blockIdx.x % heads;
  const RowSpan span = rows[r];
  const int q0 = blockIdx.y * kRows;
  if (q0 >= span.queries)
    return;  // the same for the whole block
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int hidden = heads * kD;
  const __half* base = qkv + static_cast<size_t>(span.start) * ld_qkv + h * kD;

  stage(base + static_cast<size_t>(q0) * ld_qkv, ld_qkv, span.queries - q0, sm.q);
  float* s = sm.s + warp * 16 * kFloatLd;
  float* o = sm.o + warp * 16 * kFloatLd;
  __half* p = sm.p + warp * 16 * kHalfLd;
  // Two lanes per query row, 32 columns each.
  const int row = lane >> 1;
  const int c0 = (lane & 1) * 32;
  for (int c = c0; c < c0 + 32; ++c)
    o[row * kFloatLd + c] = 0.0f;
  if ((lane & 1) == 0) {
    sm.m[warp * 16 + row] = -INFINITY;
    sm.l[warp * 16 + row] = 0.0f;
  }

  for (int k0 = 0; k0 < span.keys; k0 += kKeys) {
    __syncthreads();  // the previous tiles are consumed (and q is staged, on the first pass)
    const int valid = min(kKeys, span.keys - k0);
    stage(base + static_cast<size_t>(k0) * ld_qkv + hidden, ld_qkv, valid, sm.k);
    stage(base + static_cast<size_t>(k0) * ld_qkv + 2 * hidden, ld_qkv, valid, sm.v);
    __syncthreads();

    // S (16 × 64) = Q_w (16 × 64) · K_tileᵀ.
#pragma unroll
    for (int j = 0; j < kKeys / 16; ++j) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.0f);
#pragma unroll
      for (int kk = 0; kk < kD / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> b;
        wmma::load_matrix_sync(a, sm.q + (warp * 16) * kHalfLd + kk * 16, kHalfLd);
        wmma::load_matrix_sync(b, sm.k + (j * 16) * kHalfLd + kk * 16, kHalfLd);
        wmma::mma_sync(acc, a, b, acc);
      }
      wmma::store_matrix_sync(s + j * 16, acc, kFloatLd, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax for this lane's half row; P in FP16 for the second product.
    float* srow = s + row * kFloatLd;
    float mx = -INFINITY;
    for (int c = c0; c < c0 + 32; ++c) {
      if (c < valid)
        mx = fmaxf(mx, srow[c] * scale);
    }
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    const float m_old = sm.m[warp * 16 + row];
    const float m_new = fmaxf(m_old, mx);  // finite: the tile has a real key
    const float correction = expf(m_old - m_new);
    float sum = 0.0f;
    for (int c = c0; c < c0 + 32; ++c) {
      const float e = c < valid ? expf(srow[c] * scale - m_new) : 0.0f;
      p[row * kHalfLd + c] = __float2half_rn(e);
      sum += e;
      o[row * kFloatLd + c] *= correction;
    }
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    __syncwarp();
    if ((lane & 1) == 0) {
      sm.m[warp * 16 + row] = m_new;
      sm.l[warp * 16 + row] = sm.l[warp * 16 + row] * correction + sum;
    }
    __syncwarp();

    // O (16 × 64) += P (16 × 64 keys) · V_tile (64 keys × 64).
#pragma unroll
    for (int j = 0; j < kD / 16; ++j) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, o + j * 16, kFloatLd, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kKeys / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> b;
        wmma::load_matrix_sync(a, p + kk * 16, kHalfLd);
        wmma::load_matrix_sync(b, sm.v + (kk * 16) * kHalfLd + j * 16, kHalfLd);
        wmma::mma_sync(acc, a, b, acc);
      }
      wmma::store_matrix_sync(o + j * 16, acc, kFloatLd, wmma::mem_row_major);
    }
    __syncwarp();
  }

  const int qi = q0 + warp * 16 + row;
  if (qi >= span.queries)
    return;
  const float inv = 1.0f / sm.l[warp * 16 + row];
  __half* out = ctx + static_cast<size_t>(span.start + qi) * ld_ctx + h * kD;
  for (int c = c0; c < c0 + 32; c += 2) {
    *reinterpret_cast<__half2*>(out + c) =
        __floats2half2_rn(o[row * kFloatLd + c] * inv, o[row * kFloatLd + c + 1] * inv);
  }
}

}  // namespace

bool attention_wmma_supported(int head_dim, int ld_qkv, int ld_ctx) {
  // 16-byte staging loads: every row and head offset must stay 16-byte aligned.
  return head_dim == kD && ld_qkv % 8 == 0 && ld_ctx % 8 == 0;
}

cudaError_t launch_attention_wmma(const __half* qkv, int ld_qkv, __half* context, int ld_ctx,
                                  const RowSpan* rows, int num_rows, int max_queries, int heads,
                                  float scale, cudaStream_t stream) {
  if (num_rows <= 0 || max_queries <= 0)
    return cudaSuccess;
  const size_t smem = sizeof(Smem);
  const cudaError_t err = cudaFuncSetAttribute(
      attention_wmma_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (err != cudaSuccess)
    return err;
  const dim3 grid(static_cast<unsigned>(num_rows * heads),
                  static_cast<unsigned>((max_queries + kRows - 1) / kRows));
  return launch_kernel({grid, kWarps * 32, smem, stream}, attention_wmma_kernel, qkv, ld_qkv,
                       context, ld_ctx, rows, heads, scale);
}

}  // namespace samp::cuda
