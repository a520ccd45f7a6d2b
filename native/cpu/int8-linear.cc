#include "cpu/int8-linear.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"

namespace samp::cpu {
namespace {

// Rows per task of the row-wise passes (quantize, residual + finisher): small enough that batch 1
// (48 rows) still spreads over two threads, large enough to amortise a task.
constexpr int kRowBlock = 16;

void for_row_blocks(ThreadPool* pool, int m, const std::function<void(int, int)>& body) {
  const int blocks = (m + kRowBlock - 1) / kRowBlock;
  const auto task = [&](std::size_t b) {
    const int r0 = static_cast<int>(b) * kRowBlock;
    body(r0, std::min(m, r0 + kRowBlock));
  };
  if (pool == nullptr || blocks <= 1) {
    for (int b = 0; b < blocks; ++b)
      task(static_cast<std::size_t>(b));
  } else {
    pool->parallel_for(static_cast<std::size_t>(blocks), task);
  }
}

int8::ParallelFor parallel_for_of(ThreadPool* pool) {
  if (pool == nullptr)
    return {};
  return [pool](std::size_t tasks, const std::function<void(std::size_t)>& body) {
    pool->parallel_for(tasks, body);
  };
}

}  // namespace

int8::Activation to_int8_activation(Activation a) {
  switch (a) {
    case Activation::kGelu:
      return int8::Activation::kGeluErf;
    case Activation::kGeluTanh:
      return int8::Activation::kGeluTanh;
    case Activation::kRelu:
      return int8::Activation::kRelu;
    case Activation::kNone:
      break;
  }
  return int8::Activation::kNone;
}

void quantize_rows_static(ThreadPool* pool, int m, int n, const float* x, int ldx, float scale,
                          int8_t* q, int ldq, Int8Isa isa) {
  for_row_blocks(pool, m, [&](int r0, int r1) {
    if (ldx == n && ldq == n) {  // contiguous rows: one call
      int8::quantize(x + static_cast<std::size_t>(r0) * n, static_cast<std::size_t>(r1 - r0) * n,
                     scale, q + static_cast<std::size_t>(r0) * n, isa);
      return;
    }
    for (int r = r0; r < r1; ++r) {
      int8::quantize(x + static_cast<std::size_t>(r) * ldx, static_cast<std::size_t>(n), scale,
                     q + static_cast<std::size_t>(r) * ldq, isa);
    }
  });
}

Int8Linear::Int8Linear(const float* weight, const float* bias, int out_features, int in_features,
                       const float* weight_scales, float input_scale)
    : input_scale_(input_scale) {
  if (!(input_scale >= 0.0f) || !std::isfinite(input_scale)) {
    throw Error(codes::kInvalidArgument,
                "int8 linear: input scale must be positive and finite (0: dynamic), got " +
                    std::to_string(input_scale));
  }
  const auto qw = int8::quantize_weights(weight, static_cast<std::size_t>(out_features),
                                         static_cast<std::size_t>(in_features),
                                         static_cast<std::size_t>(in_features), weight_scales);
  weight_ = int8::PackedWeights::pack(qw);
  if (bias != nullptr)
    bias_.assign(bias, bias + out_features);
}

std::size_t Int8Linear::bytes() const {
  const std::size_t padded_n = weight_.blocks() * int8::kBlockN;
  return weight_.blocks() * weight_.block_stride() + padded_n * (sizeof(int32_t) + sizeof(float)) +
         bias_.size() * sizeof(float);
}

Int8Input Int8Linear::quantize_input(const KernelContext& ctx, int m, const float* in, int ld_in,
                                     int8_t* q, int ldq, float* row_scales) const {
  const int k = in_features();
  Int8Input qi;
  qi.q = q;
  qi.ldq = ldq;
  if (input_scale_ > 0.0f) {
    quantize_rows_static(ctx.pool, m, k, in, ld_in, input_scale_, q, ldq, ctx.int8_isa);
    qi.scale = input_scale_;
  } else {
    for_row_blocks(ctx.pool, m, [&](int r0, int r1) {
      int8::quantize_rows_dynamic(in + static_cast<std::size_t>(r0) * ld_in,
                                  static_cast<std::size_t>(r1 - r0), static_cast<std::size_t>(k),
                                  static_cast<std::size_t>(ld_in),
                                  q + static_cast<std::size_t>(r0) * ldq,
                                  static_cast<std::size_t>(ldq), row_scales + r0, ctx.int8_isa);
    });
    qi.row_scales = row_scales;
  }
  return qi;
}

int8::GemmParams Int8Linear::params(int m, const Int8Input& in, Activation activation) const {
  int8::GemmParams p;
  p.m = static_cast<std::size_t>(m);
  p.a = in.q;
  p.lda = static_cast<std::size_t>(in.ldq);
  p.a_scale = in.scale;
  p.a_row_scales = in.row_scales;
  p.w = &weight_;
  p.bias = bias();
  p.activation = to_int8_activation(activation);
  return p;
}

void Int8Linear::run(const KernelContext& ctx, int m, const float* in, int ld_in, float* out,
                     int ld_out, const LinearEpilogue& epilogue, const RowFinisher* finish) const {
  if (m <= 0)
    return;
  const int k = in_features();
  std::vector<int8_t> q(static_cast<std::size_t>(m) * k);
  std::vector<float> row_scales(static_cast<std::size_t>(m));
  const Int8Input qi = quantize_input(ctx, m, in, ld_in, q.data(), k, row_scales.data());
  run_quantized(ctx, m, qi, out, ld_out, epilogue, finish);
}

void Int8Linear::run_quantized(const KernelContext& ctx, int m, const Int8Input& in, float* out,
                               int ld_out, const LinearEpilogue& epilogue,
                               const RowFinisher* finish) const {
  if (m <= 0)
    return;
  int8::GemmParams p = params(m, in, epilogue.activation);
  p.output = int8::Output::kFloat32;
  p.c = out;
  p.ldc = static_cast<std::size_t>(ld_out);
  const unsigned threads = ctx.pool != nullptr ? ctx.pool->size() : 1;
  int8::gemm(p, ctx.int8_isa, parallel_for_of(ctx.pool), threads);
  if (epilogue.residual == nullptr && finish == nullptr)
    return;
  // The residual and the finisher need whole rows: a second pass over row blocks, while the
  // GEMM's output is still in cache.
  const int n = out_features();
  for_row_blocks(ctx.pool, m, [&](int r0, int r1) {
    if (epilogue.residual != nullptr) {
      for (int r = r0; r < r1; ++r) {
        float* o = out + static_cast<std::size_t>(r) * ld_out;
        const float* res = epilogue.residual + static_cast<std::size_t>(r) * epilogue.ld_residual;
        for (int j = 0; j < n; ++j)
          o[j] += res[j];
      }
    }
    if (finish != nullptr)
      (*finish)(r0, r1);
  });
}

void Int8Linear::run_to_int8(const KernelContext& ctx, int m, const Int8Input& in, int8_t* out,
                             int ld_out, Activation activation, float out_scale) const {
  if (m <= 0)
    return;
  int8::GemmParams p = params(m, in, activation);
  p.output = int8::Output::kInt8;
  p.out_scale = out_scale;
  p.c = out;
  p.ldc = static_cast<std::size_t>(ld_out);
  const unsigned threads = ctx.pool != nullptr ? ctx.pool->size() : 1;
  int8::gemm(p, ctx.int8_isa, parallel_for_of(ctx.pool), threads);
}

}  // namespace samp::cpu
