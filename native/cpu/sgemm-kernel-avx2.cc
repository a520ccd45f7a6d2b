// The AVX2+FMA kernel: a 6x16 register tile (12 accumulators, 2 panel registers, 1 broadcast)
// over the whole K, then the epilogue in registers. Compiled with -mavx2 -mfma; only called when
// the probe found AVX2, FMA and OS AVX state. Plain loops and intrinsics only: no standard-library
// templates, whose out-of-line copies the linker could pick for baseline code.
#include <immintrin.h>

#include "cpu/sgemm.h"
#include "cpu/vector-math-avx2.h"

namespace samp::cpu {
namespace {

// `a` is a packed tile: k groups of 6 floats (row i of the tile at a[kk * 6 + i]).
// The accumulators are locals (not the caller's array, whose address escapes): GCC otherwise
// stores all twelve to the stack on every k step, which halved the kernel's speed.
template <int MR>
inline void tile_kernel(int k, const float* a, const float* panel, __m256 (&out)[kGemmMr][2]) {
  __m256 c0[MR];
  __m256 c1[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    c0[i] = _mm256_setzero_ps();
    c1[i] = _mm256_setzero_ps();
  }
  for (int kk = 0; kk < k; ++kk) {
    const __m256 b0 = _mm256_load_ps(panel);
    const __m256 b1 = _mm256_load_ps(panel + 8);
    panel += kGemmNr;
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      c0[i] = _mm256_fmadd_ps(av, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(av, b1, c1[i]);
    }
    a += kGemmMr;
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    out[i][0] = c0[i];
    out[i][1] = c1[i];
  }
}

inline void run_tile(int rows, int k, const float* a, const float* panel,
                     __m256 (&acc)[kGemmMr][2]) {
  switch (rows) {
    case 6:
      tile_kernel<6>(k, a, panel, acc);
      break;
    case 5:
      tile_kernel<5>(k, a, panel, acc);
      break;
    case 4:
      tile_kernel<4>(k, a, panel, acc);
      break;
    case 3:
      tile_kernel<3>(k, a, panel, acc);
      break;
    case 2:
      tile_kernel<2>(k, a, panel, acc);
      break;
    default:
      tile_kernel<1>(k, a, panel, acc);
      break;
  }
}

// Packs rows [m0, m1) of A into tiles of 6 rows, k-major inside a tile (missing rows left as is:
// the kernel never reads them).
inline void pack_a(const float* a, int lda, int m0, int m1, int k, float* out) {
  for (int t0 = m0; t0 < m1; t0 += kGemmMr) {
    const int rows = m1 - t0 < kGemmMr ? m1 - t0 : kGemmMr;
    for (int i = 0; i < rows; ++i) {
      const float* src = a + static_cast<std::size_t>(t0 + i) * lda;
      for (int kk = 0; kk < k; ++kk)
        out[static_cast<std::size_t>(kk) * kGemmMr + i] = src[kk];
    }
    out += static_cast<std::size_t>(k) * kGemmMr;
  }
}

}  // namespace

void sgemm_block_avx2(const GemmBlock& b) {
  const int k = b.w->k();
  const int n = b.w->n();
  const GemmEpilogue& ep = *b.epilogue;
  alignas(32) float edge_bias[kGemmNr];
  alignas(32) float edge_res[kGemmNr];
  alignas(32) float edge_out[kGemmNr];
  __m256 acc[kGemmMr][2];
  pack_a(b.a, b.lda, b.m0, b.m1, k, b.a_pack);
  for (int p = b.p0; p < b.p1; ++p) {
    const float* panel = b.w->panel(p);
    const int n0 = p * kGemmNr;
    const int cols = n - n0 < kGemmNr ? n - n0 : kGemmNr;
    const bool full = cols == kGemmNr;
    __m256 bias0 = _mm256_setzero_ps();
    __m256 bias1 = _mm256_setzero_ps();
    if (ep.bias != nullptr) {
      const float* bp = ep.bias + n0;
      if (!full) {
        for (int j = 0; j < kGemmNr; ++j)
          edge_bias[j] = j < cols ? bp[j] : 0.0f;
        bp = edge_bias;
      }
      bias0 = _mm256_loadu_ps(bp);
      bias1 = _mm256_loadu_ps(bp + 8);
    }
    for (int m0 = b.m0; m0 < b.m1; m0 += kGemmMr) {
      const int rows = b.m1 - m0 < kGemmMr ? b.m1 - m0 : kGemmMr;
      run_tile(rows, k, b.a_pack + static_cast<std::size_t>(m0 - b.m0) * k, panel, acc);
      for (int i = 0; i < rows; ++i) {
        __m256 v0 = _mm256_add_ps(acc[i][0], bias0);
        __m256 v1 = _mm256_add_ps(acc[i][1], bias1);
        if (ep.activation != Activation::kNone) {
          v0 = avx2::activation_ps(ep.activation, v0);
          v1 = avx2::activation_ps(ep.activation, v1);
        }
        const std::size_t row = static_cast<std::size_t>(m0 + i);
        if (ep.residual != nullptr) {
          const float* rp = ep.residual + row * ep.ldr + n0;
          if (!full) {
            for (int j = 0; j < kGemmNr; ++j)
              edge_res[j] = j < cols ? rp[j] : 0.0f;
            rp = edge_res;
          }
          v0 = _mm256_add_ps(v0, _mm256_loadu_ps(rp));
          v1 = _mm256_add_ps(v1, _mm256_loadu_ps(rp + 8));
        }
        float* cp = b.c + row * b.ldc + n0;
        if (full) {
          _mm256_storeu_ps(cp, v0);
          _mm256_storeu_ps(cp + 8, v1);
        } else {
          _mm256_store_ps(edge_out, v0);
          _mm256_store_ps(edge_out + 8, v1);
          for (int j = 0; j < cols; ++j)
            cp[j] = edge_out[j];
        }
      }
    }
  }
}

}  // namespace samp::cpu
