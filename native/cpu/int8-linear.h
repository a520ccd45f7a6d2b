// The INT8 LinearOp (issue 4, SAMP's INT8 GEMMs on CPU): the weight quantized per output channel
// (symmetric, max|W[n,:]|/127 or given scales) and packed once for samp::int8 at session creation,
// the FP32 weight dropped; the input quantized per tensor with a calibrated scale (static), or per
// row (per token) from its own max|x| when no scale is given (dynamic). The product is exact in
// int32; the epilogue (dequantize, bias, activation) runs in samp::int8's kernels, then the
// residual is added and the RowFinisher (LayerNorm) runs, as the FP32 op does.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/int8/int8-gemm.h"
#include "cpu/linear.h"

namespace samp::cpu {

/// An already quantized input: q[m, ldq] with one scale (row_scales null) or one per row.
struct Int8Input {
  const int8_t* q = nullptr;
  int ldq = 0;
  float scale = 1.0f;
  const float* row_scales = nullptr;
};

/// Columns [n0, n1) of a Linear's output that go out as int8, requantized with `scale` (> 0), into
/// a separate int8 buffer (the query / key / value parts of the QKV GEMM for the INT8 attention).
/// n0 and n1 are multiples of 16 (or n1 = out_features).
struct Int8Columns {
  int n0 = 0;
  int n1 = 0;
  float scale = 1.0f;
};

class Int8Linear final : public LinearOp {
 public:
  /// `weight` [out, in] (PyTorch layout), `bias` [out] or null, `weight_scales` [out] or null (max
  /// calibration), `input_scale` > 0 for static quantization of the input, 0 for dynamic per-row.
  Int8Linear(const float* weight, const float* bias, int out_features, int in_features,
             const float* weight_scales, float input_scale);
  int in_features() const override { return static_cast<int>(weight_.k()); }
  int out_features() const override { return static_cast<int>(weight_.n()); }
  /// 0: the input is quantized dynamically (per row); otherwise its static scale.
  float input_scale() const { return input_scale_; }
  const int8::PackedWeights& weight() const { return weight_; }
  const float* bias() const { return bias_.empty() ? nullptr : bias_.data(); }
  /// Bytes held: packed int8 weight, compensation, scales, bias.
  std::size_t bytes() const override;

  /// FP32 input: quantized here (static or dynamic), then run_quantized.
  void run(const KernelContext& ctx, int m, const float* in, int ld_in, float* out, int ld_out,
           const LinearEpilogue& epilogue, const RowFinisher* finish) const override;
  /// Quantizes `in` [m, in_features] as this op's input is quantized (static scale or per row).
  /// `q` [m, ldq]; `row_scales` [m] is written in dynamic mode (then Int8Input.row_scales).
  Int8Input quantize_input(const KernelContext& ctx, int m, const float* in, int ld_in, int8_t* q,
                           int ldq, float* row_scales) const;
  /// Quantized input, float output: out = act(acc·sa·sw + bias) + residual, then `finish`.
  void run_quantized(const KernelContext& ctx, int m, const Int8Input& in, float* out, int ld_out,
                     const LinearEpilogue& epilogue, const RowFinisher* finish) const;
  /// Quantized input, int8 output requantized with `out_scale` (the consumer's static input
  /// scale): out = clamp(rne(act(acc·sa·sw + bias) / out_scale)). No residual.
  void run_to_int8(const KernelContext& ctx, int m, const Int8Input& in, int8_t* out, int ld_out,
                   Activation activation, float out_scale) const;
  /// fp32 input (`qin` null) or quantized input (`qin`), no activation or residual: the columns
  /// of `split` (ascending, disjoint) go to out8 [m, ld_out8] as int8, the others to out as fp32
  /// (same column indices in both buffers).
  void run_split(const KernelContext& ctx, int m, const float* in, int ld_in, const Int8Input* qin,
                 float* out, int ld_out, int8_t* out8, int ld_out8, const Int8Columns* split,
                 int num_split) const;

 private:
  struct Source {  // fp32 rows to quantize, or an already quantized input
    const float* fp32 = nullptr;
    int ld_fp32 = 0;
    Int8Input q;
  };
  struct Sink {  // fp32 (+ residual, finisher) or int8 requantized with out_scale
    float* fp32 = nullptr;
    int8_t* int8 = nullptr;
    int ld = 0;
    Activation activation = Activation::kNone;
    float out_scale = 1.0f;
    const float* residual = nullptr;
    int ld_residual = 0;
    const RowFinisher* finish = nullptr;
    int8_t* split8 = nullptr;  // int8 columns of a split output (run_split)
    int ld_split8 = 0;
    const Int8Columns* split = nullptr;
    int num_split = 0;
  };
  void execute(const KernelContext& ctx, int m, const Source& src, const Sink& dst) const;
  int8::GemmParams params(int m, const Int8Input& in, Activation activation) const;
  int8::PackedWeights weight_;
  std::vector<float> bias_;
  float input_scale_ = 0.0f;
};

/// samp::int8's name for an encoder activation.
int8::Activation to_int8_activation(Activation a);

/// Quantizes rows [0, m) of x (stride ldx, n columns) with a static scale into q (stride ldq), in
/// parallel over the pool (null: serial).
void quantize_rows_static(ThreadPool* pool, int m, int n, const float* x, int ldx, float scale,
                          int8_t* q, int ldq, Int8Isa isa);

}  // namespace samp::cpu
