// The CUDA encoder of one session: weights uploaded once to one device; each run packs the real
// tokens of the batch (padding removal: no work is spent on padding unless asked to compute the
// padded positions like Hugging Face), uploads them, and enqueues on the session's stream: fused
// embedding + LayerNorm, then per layer QKV GEMM (+bias epilogue) → fused attention → output
// GEMM → bias + residual + LayerNorm → FFN GEMM → bias + activation → FFN output GEMM → bias +
// residual + LayerNorm. A shape that recurs runs as a CUDA graph replay.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "encoder-config.h"
#include "gemm.h"
#include "host-array.h"

namespace samp::cuda {

/// Canonical tensor name → FP32 values (as @samp/core's readFloat32 gives them).
using WeightSet = std::unordered_map<std::string, std::vector<float>>;

/// When runs are captured and replayed as CUDA graphs.
enum class GraphMode { kOff, kOn, kAuto };

struct SessionOptions {
  int device = 0;
  Precision precision = Precision::kFp32;
  /// Cap on the run workspace in bytes (0: none); a larger run fails with
  /// SAMP_DEVICE_OUT_OF_MEMORY and the session stays usable.
  std::size_t memory_limit = 0;
  /// kAuto: a shape is captured the second time it runs, then replayed; kOn: from the first run.
  GraphMode graphs = GraphMode::kAuto;
  /// Per-channel scales of Linear weights by canonical weight name (a QuantProfile's `weights`),
  /// for the INT8 Linears of a plan; a weight without them is scaled by max|row| / 127.
  WeightSet weight_scales;
};

/// A padded, row-major batch (the spec's EncoderInput).
struct EncoderInput {
  int batch = 0;
  int seq = 0;
  std::vector<int32_t> ids;
  std::vector<int32_t> mask;
  std::vector<int32_t> types;  // empty: all zeros
};

struct RunOptions {
  bool hidden_states = false;
  /// Compute the padded positions too (their outputs then match Hugging Face); otherwise only
  /// the real tokens run and padded positions are zeros.
  bool compute_padding = true;
  std::vector<std::string> observe;
};

struct ObservedTensor {
  std::string name;
  std::vector<int> shape;
  std::vector<float> data;
};

struct EncoderOutput {
  int batch = 0;
  int seq = 0;
  int hidden = 0;
  HostArray last_hidden_state;                    // [batch, seq, hidden]
  std::vector<std::vector<float>> hidden_states;  // layers + 1, on request
  std::vector<ObservedTensor> observed;
  int tokens = 0;        // tokens that ran (packed)
  bool graph = false;    // replayed from a CUDA graph
  double device_ms = 0;  // GPU time of the encoder (events around the forward pass)
};

/// What benchmark() measured: GPU time per forward pass (inputs already on the device).
struct BenchmarkResult {
  int iterations = 0;
  int tokens = 0;
  bool graph = false;
  double median_ms = 0;
  double min_ms = 0;
  double mean_ms = 0;
};

/// GPU time of one kind of op in a forward pass (summed over the layers), from profile().
struct OpTime {
  std::string name;
  double ms = 0;  // per forward pass
  int count = 0;  // launches per forward pass
};

/// Checks a batch against the model (run size within the positions and kMaxTokensPerRun, shapes,
/// ids, types, mask form: common/encoder-input-check.h). Throws samp::Error(SAMP_INVALID_ARGUMENT)
/// or (SAMP_INPUT_TOO_LONG) naming the element at fault.
void check_input(const EncoderConfig& config, const EncoderInput& input);

class Encoder {
 public:
  /// Uploads the weights to `options.device` (converted to the session's precision). Throws
  /// samp::Error: SAMP_INVALID_ARGUMENT (a tensor missing or of the wrong size),
  /// SAMP_GPU_UNAVAILABLE, SAMP_DEVICE_OUT_OF_MEMORY.
  Encoder(const EncoderConfig& config, const WeightSet& weights, const SessionOptions& options);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  /// Runs one batch; runs of one encoder are serialised (they share the stream and workspace).
  EncoderOutput run(const EncoderInput& input, const RunOptions& options);

  /// Times `iterations` forward passes of one batch after `warmup` ones (no observation).
  BenchmarkResult benchmark(const EncoderInput& input, bool compute_padding, int warmup,
                            int iterations);

  /// Per-op GPU time of `iterations` eager forward passes (CUDA events after each op; launch gaps
  /// count where the GPU outruns the host), in forward order. A diagnosis tool for the benchmarks.
  std::vector<OpTime> profile(const EncoderInput& input, bool compute_padding, int iterations);

  /// The GEMM algorithm tunings the session has done (one per GEMM shape and size class).
  std::vector<GemmTuneRecord> gemm_tunings() const;

  const EncoderConfig& config() const;
  const SessionOptions& options() const;
  /// Bytes of device memory the weights take.
  std::size_t weight_bytes() const;
  /// Bytes of the run workspace now (grows to the largest run).
  std::size_t workspace_bytes() const;
  /// CUDA graphs captured so far.
  std::size_t graphs() const;
  /// "tensor-core" (mma.sync, FP16 with head_dim 64), "tensor-core-wmma" (SAMP_CUDA_ATTENTION=wmma)
  /// or "generic".
  const char* attention_kernel() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace samp::cuda
