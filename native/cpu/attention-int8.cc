// The INT8 attention driver (baseline ISA): one task per (batch row, head) gathers that head's
// Q, K and V in int8, packs K and Vᵀ as GEMM weights (per-call repack into thread scratch), and
// runs the two products and the quantizing softmax through samp::int8 with the session's INT8 ISA.
#include "cpu/attention-int8.h"

#include <cfloat>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/int8/int8-gemm.h"

namespace samp::cpu {
namespace {

/// Per-thread buffers of the tasks (grow only).
struct Scratch {
  std::vector<int8_t> q, k, vt, probs;
  std::vector<float> q_scales, a_scales, k_scales, v_scales, scores, vt_f32;
  int8::PackedWeights keys, values;  // K [nk, d] and Vᵀ [d, nk] as GEMM weights
};

template <class T>
T* sized(std::vector<T>& v, std::size_t n) {
  if (v.size() < n)
    v.resize(n);
  return v.data();
}

struct Rows {
  const int8_t* q;
  int ld;
};

/// Rows [start, start + rows) of one head of `part` (0 query, 1 key) in int8, with a scale per
/// row in `scales`: read as is when the QKV GEMM wrote them in int8, else quantized here.
Rows int8_rows(const Int8AttentionArgs& a, Int8Isa isa, int part, int start, int rows, int col,
               int8_t* buf, float* scales) {
  const int d = a.head_dim;
  const std::size_t hidden = static_cast<std::size_t>(a.heads) * d;
  const std::size_t offset = static_cast<std::size_t>(part) * hidden + col;
  if (a.part_int8[part]) {
    for (int i = 0; i < rows; ++i)
      scales[i] = a.scale[part];
    return {a.qkv8 + static_cast<std::size_t>(start) * a.ld_qkv8 + offset, a.ld_qkv8};
  }
  const float* src = a.qkv + static_cast<std::size_t>(start) * a.ld_qkv + offset;
  if (a.scale[part] > 0.0f) {
    for (int i = 0; i < rows; ++i) {
      int8::quantize(src + static_cast<std::size_t>(i) * a.ld_qkv, static_cast<std::size_t>(d),
                     a.scale[part], buf + static_cast<std::size_t>(i) * d, isa);
      scales[i] = a.scale[part];
    }
  } else {
    int8::quantize_rows_dynamic(src, static_cast<std::size_t>(rows), static_cast<std::size_t>(d),
                                static_cast<std::size_t>(a.ld_qkv), buf,
                                static_cast<std::size_t>(d), scales, isa);
  }
  return {buf, d};
}

/// Vᵀ [d, nk] of one head in int8 with one scale per channel.
void int8_values_t(const Int8AttentionArgs& a, Int8Isa isa, int start, int nk, int col, Scratch& s,
                   int8_t* vt, float* scales) {
  const int d = a.head_dim;
  const std::size_t offset = 2 * static_cast<std::size_t>(a.heads) * d + col;
  if (a.part_int8[2]) {
    const int8_t* src = a.qkv8 + static_cast<std::size_t>(start) * a.ld_qkv8 + offset;
    for (int j = 0; j < nk; ++j) {
      const int8_t* v = src + static_cast<std::size_t>(j) * a.ld_qkv8;
      for (int c = 0; c < d; ++c)
        vt[static_cast<std::size_t>(c) * nk + j] = v[c];
    }
    for (int c = 0; c < d; ++c)
      scales[c] = a.scale[2];
    return;
  }
  float* t = sized(s.vt_f32, static_cast<std::size_t>(d) * nk);
  const float* src = a.qkv + static_cast<std::size_t>(start) * a.ld_qkv + offset;
  for (int j = 0; j < nk; ++j) {
    const float* v = src + static_cast<std::size_t>(j) * a.ld_qkv;
    for (int c = 0; c < d; ++c)
      t[static_cast<std::size_t>(c) * nk + j] = v[c];
  }
  if (a.scale[2] > 0.0f) {
    int8::quantize(t, static_cast<std::size_t>(d) * nk, a.scale[2], vt, isa);
    for (int c = 0; c < d; ++c)
      scales[c] = a.scale[2];
  } else {
    // Per channel over the keys: each row of Vᵀ gets its own scale (a weight-channel scale).
    int8::quantize_rows_dynamic(t, static_cast<std::size_t>(d), static_cast<std::size_t>(nk),
                                static_cast<std::size_t>(nk), vt, static_cast<std::size_t>(nk),
                                scales, isa);
  }
}

void head_task(const Int8AttentionArgs& a, Int8Isa isa, int r, int head, Scratch& s) {
  const AttentionRow& row = a.rows[r];
  const int d = a.head_dim;
  const int nq = row.queries;
  const int nk = row.keys;
  const int col = head * d;
  const std::size_t snq = static_cast<std::size_t>(nq);
  const std::size_t snk = static_cast<std::size_t>(nk);

  // scores = Q·Kᵀ · (s_q/√d) · s_k
  float* q_scales = sized(s.q_scales, snq);
  const Rows q = int8_rows(a, isa, 0, row.start, nq, col, sized(s.q, snq * d), q_scales);
  float* k_scales = sized(s.k_scales, snk);
  const Rows k = int8_rows(a, isa, 1, row.start, nk, col, sized(s.k, snk * d), k_scales);
  s.keys.repack(k.q, snk, static_cast<std::size_t>(d), static_cast<std::size_t>(k.ld), k_scales);
  const float inv_sqrt_d = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  float* a_scales = sized(s.a_scales, snq);
  for (int i = 0; i < nq; ++i)
    a_scales[i] = q_scales[i] * inv_sqrt_d;
  float* scores = sized(s.scores, snq * snk);
  int8::GemmParams p;
  p.m = snq;
  p.a = q.q;
  p.lda = static_cast<std::size_t>(q.ld);
  p.a_row_scales = a_scales;
  p.w = &s.keys;
  p.c = scores;
  p.ldc = snk;
  int8::gemm_range(p, isa, 0, snq, 0, snk);

  // P = softmax(scores) as int8 codes of step probs_scale.
  int8_t* probs = sized(s.probs, snq * snk);
  for (int i = 0; i < nq; ++i) {
    float* srow = scores + static_cast<std::size_t>(i) * nk;
    const std::size_t obs = ((static_cast<std::size_t>(r) * a.heads + head) * a.seq + i) *
                            static_cast<std::size_t>(a.seq);
    if (a.scores_out != nullptr) {
      float* o = a.scores_out + obs;
      for (int j = 0; j < nk; ++j)
        o[j] = srow[j];
      for (int j = nk; j < a.seq; ++j)
        o[j] = -FLT_MAX;
    }
    int8_t* prow = probs + static_cast<std::size_t>(i) * nk;
    int8::softmax_quantize(srow, snk, a.probs_scale, prow, isa);
    if (a.probs_out != nullptr) {
      float* o = a.probs_out + obs;
      for (int j = 0; j < nk; ++j)
        o[j] = static_cast<float>(prow[j]) * a.probs_scale;
    }
  }

  // context = P·V · s_p · s_v[c]
  int8_t* vt = sized(s.vt, static_cast<std::size_t>(d) * nk);
  float* v_scales = sized(s.v_scales, static_cast<std::size_t>(d));
  int8_values_t(a, isa, row.start, nk, col, s, vt, v_scales);
  s.values.repack(vt, static_cast<std::size_t>(d), snk, snk, v_scales);
  int8::GemmParams c;
  c.m = snq;
  c.a = probs;
  c.lda = snk;
  c.a_scale = a.probs_scale;
  c.w = &s.values;
  if (a.context8 != nullptr) {
    c.output = int8::Output::kInt8;
    c.out_scale = a.context_scale;
    c.c = a.context8 + static_cast<std::size_t>(row.start) * a.ld_context8 + col;
    c.ldc = static_cast<std::size_t>(a.ld_context8);
  } else {
    c.c = a.context + static_cast<std::size_t>(row.start) * a.ld_context + col;
    c.ldc = static_cast<std::size_t>(a.ld_context);
  }
  int8::gemm_range(c, isa, 0, snq, 0, static_cast<std::size_t>(d));
}

[[noreturn]] void invalid(const std::string& what) {
  throw Error(codes::kInvalidArgument, "int8 attention: " + what);
}

}  // namespace

void attention_int8(Int8Isa isa, const Int8AttentionArgs& a, ThreadPool* pool) {
  if (a.heads <= 0 || a.head_dim <= 0 || a.rows == nullptr)
    invalid("no heads or rows");
  if (!(a.probs_scale > 0.0f) || !std::isfinite(a.probs_scale))
    invalid("the probability scale must be positive and finite");
  for (int part = 0; part < 3; ++part) {
    if (a.part_int8[part] && (a.qkv8 == nullptr || !(a.scale[part] > 0.0f)))
      invalid("an int8 query/key/value part needs the int8 buffer and its static scale");
    if (!a.part_int8[part] && a.qkv == nullptr)
      invalid("a query/key/value part in fp32 needs the fp32 buffer");
  }
  if (a.context8 == nullptr && a.context == nullptr)
    invalid("no context output");
  const std::size_t tasks = static_cast<std::size_t>(a.num_rows) * a.heads;
  const std::function<void(std::size_t)> run = [&](std::size_t t) {
    thread_local Scratch scratch;
    head_task(a, isa, static_cast<int>(t / a.heads), static_cast<int>(t % a.heads), scratch);
  };
  if (pool == nullptr) {
    for (std::size_t t = 0; t < tasks; ++t)
      run(t);
  } else {
    pool->parallel_for(tasks, run);
  }
}

}  // namespace samp::cpu
