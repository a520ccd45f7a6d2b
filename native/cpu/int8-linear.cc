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

// One parallel loop per Linear: each task takes a block of rows through quantize (when the input
// is fp32) → GEMM over every column → residual → finisher, so rows stay in cache between the
// steps and the pool synchronises once (three loops cost ~25% more on two busy cores).
void Int8Linear::execute(const KernelContext& ctx, int m, const Source& src,
                         const Sink& dst) const {
  if (m <= 0)
    return;
  const int k = in_features();
  const int n = out_features();
  const int threads = ctx.pool != nullptr ? static_cast<int>(ctx.pool->size()) : 1;
  // About 3 tasks per thread: rows in multiples of the kernel's row block (32 for AMX, else 6),
  // at most 96 (A block and C rows in L2). Too few row blocks (small batches, many threads): the
  // columns are split too, when the rows need not be finished whole and the input is already
  // quantized (so no two tasks quantize the same rows).
  const int align = ctx.int8_isa == Int8Isa::kAmxInt8 ? 32 : 6;
  int rows_per = (m + threads * 3 - 1) / (threads * 3);
  rows_per = std::min(96, std::max(align, (rows_per + align - 1) / align * align));
  const int row_tasks = (m + rows_per - 1) / rows_per;
  int col_groups = 1;
  if (dst.finish == nullptr && src.fp32 == nullptr && row_tasks < threads * 3)
    col_groups = std::min((n + 63) / 64, (threads * 3 + row_tasks - 1) / row_tasks);
  const int cols_per = ((n + col_groups - 1) / col_groups + 63) / 64 * 64;
  col_groups = (n + cols_per - 1) / cols_per;
  const int tasks = row_tasks * col_groups;
  // An fp32 input is quantized by the tasks, row block by row block, into scratch.
  int8_t* q_local = nullptr;
  float* scales_local = nullptr;
  std::vector<int8_t> q_own;
  std::vector<float> scales_own;
  if (src.fp32 != nullptr) {
    const std::size_t qsize = static_cast<std::size_t>(m) * k;
    if (ctx.workspace != nullptr) {
      q_local = ctx.workspace->get<int8_t>(Workspace::kLinearQ, qsize);
      scales_local =
          ctx.workspace->get<float>(Workspace::kLinearScales, static_cast<std::size_t>(m));
    } else {
      q_own.resize(qsize);
      scales_own.resize(static_cast<std::size_t>(m));
      q_local = q_own.data();
      scales_local = scales_own.data();
    }
  }
  // Column ranges of the output: fp32 into dst.fp32 (or all int8 into dst.int8), or the int8
  // columns of a split output.
  struct Range {
    int n0, n1;
    bool int8;
    float scale;
  };
  std::vector<Range> ranges;
  if (dst.num_split > 0) {
    int at = 0;
    for (int i = 0; i < dst.num_split; ++i) {
      const Int8Columns& c = dst.split[i];
      if (c.n0 < at || c.n1 <= c.n0 || c.n1 > n || c.n0 % 16 != 0 || (c.n1 % 16 != 0 && c.n1 != n))
        throw Error(codes::kInvalidArgument, "int8 linear: bad int8 column range [" +
                                                 std::to_string(c.n0) + ", " +
                                                 std::to_string(c.n1) + ")");
      if (c.n0 > at)
        ranges.push_back({at, c.n0, false, 1.0f});
      ranges.push_back({c.n0, c.n1, true, c.scale});
      at = c.n1;
    }
    if (at < n)
      ranges.push_back({at, n, false, 1.0f});
  } else {
    ranges.push_back({0, n, dst.int8 != nullptr, dst.out_scale});
  }
  const auto task = [&](std::size_t t) {
    const int r0 = static_cast<int>(t) / col_groups * rows_per;
    const int r1 = std::min(m, r0 + rows_per);
    const int c0 = static_cast<int>(t) % col_groups * cols_per;
    const int c1 = std::min(n, c0 + cols_per);
    const int rows = r1 - r0;
    Int8Input in = src.q;
    if (src.fp32 != nullptr) {
      in = quantize_input(KernelContext{ctx.isa, nullptr, ctx.int8_isa, nullptr}, rows,
                          src.fp32 + static_cast<std::size_t>(r0) * src.ld_fp32, src.ld_fp32,
                          q_local + static_cast<std::size_t>(r0) * k, k, scales_local + r0);
    } else {
      in.q += static_cast<std::size_t>(r0) * in.ldq;
      if (in.row_scales != nullptr)
        in.row_scales += r0;
    }
    int8::GemmParams p = params(rows, in, dst.activation);
    for (const Range& range : ranges) {
      const int n0 = std::max(range.n0, c0);
      const int n1 = std::min(range.n1, c1);
      if (n0 >= n1)
        continue;
      if (range.int8) {
        int8_t* base = dst.num_split > 0 ? dst.split8 : dst.int8;
        const int ld = dst.num_split > 0 ? dst.ld_split8 : dst.ld;
        p.output = int8::Output::kInt8;
        p.out_scale = range.scale;
        p.c = base + static_cast<std::size_t>(r0) * ld;
        p.ldc = static_cast<std::size_t>(ld);
      } else {
        p.output = int8::Output::kFloat32;
        p.c = dst.fp32 + static_cast<std::size_t>(r0) * dst.ld;
        p.ldc = static_cast<std::size_t>(dst.ld);
        if (dst.residual != nullptr) {  // added in the GEMM's epilogue, while the tile is hot
          p.residual = dst.residual + static_cast<std::size_t>(r0) * dst.ld_residual;
          p.ldr = static_cast<std::size_t>(dst.ld_residual);
        }
      }
      int8::gemm_range(p, ctx.int8_isa, 0, static_cast<std::size_t>(rows),
                       static_cast<std::size_t>(n0), static_cast<std::size_t>(n1));
    }
    if (dst.finish != nullptr)
      (*dst.finish)(r0, r1);
  };
  if (ctx.pool == nullptr || tasks <= 1) {
    for (int t = 0; t < tasks; ++t)
      task(static_cast<std::size_t>(t));
  } else {
    ctx.pool->parallel_for(static_cast<std::size_t>(tasks), task);
  }
}

void Int8Linear::run_split(const KernelContext& ctx, int m, const float* in, int ld_in,
                           const Int8Input* qin, float* out, int ld_out, int8_t* out8, int ld_out8,
                           const Int8Columns* split, int num_split) const {
  Source src;
  if (qin != nullptr) {
    src.q = *qin;
  } else {
    src.fp32 = in;
    src.ld_fp32 = ld_in;
  }
  Sink dst;
  dst.fp32 = out;
  dst.ld = ld_out;
  dst.split8 = out8;
  dst.ld_split8 = ld_out8;
  dst.split = split;
  dst.num_split = num_split;
  execute(ctx, m, src, dst);
}

void Int8Linear::run(const KernelContext& ctx, int m, const float* in, int ld_in, float* out,
                     int ld_out, const LinearEpilogue& epilogue, const RowFinisher* finish) const {
  Source src;
  src.fp32 = in;
  src.ld_fp32 = ld_in;
  Sink dst;
  dst.fp32 = out;
  dst.ld = ld_out;
  dst.activation = epilogue.activation;
  dst.residual = epilogue.residual;
  dst.ld_residual = epilogue.ld_residual;
  dst.finish = finish;
  execute(ctx, m, src, dst);
}

void Int8Linear::run_quantized(const KernelContext& ctx, int m, const Int8Input& in, float* out,
                               int ld_out, const LinearEpilogue& epilogue,
                               const RowFinisher* finish) const {
  Source src;
  src.q = in;
  Sink dst;
  dst.fp32 = out;
  dst.ld = ld_out;
  dst.activation = epilogue.activation;
  dst.residual = epilogue.residual;
  dst.ld_residual = epilogue.ld_residual;
  dst.finish = finish;
  execute(ctx, m, src, dst);
}

void Int8Linear::run_to_int8(const KernelContext& ctx, int m, const Int8Input& in, int8_t* out,
                             int ld_out, Activation activation, float out_scale) const {
  Source src;
  src.q = in;
  Sink dst;
  dst.int8 = out;
  dst.ld = ld_out;
  dst.activation = activation;
  dst.out_scale = out_scale;
  execute(ctx, m, src, dst);
}

}  // namespace samp::cpu
