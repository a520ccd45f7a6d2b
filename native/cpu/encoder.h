// The FP32 encoder of one session: embeddings, then per layer QKV GEMM → attention → output GEMM
// (+bias +residual, LayerNorm on finished rows) → FFN GEMM (+bias, activation in the epilogue) →
// FFN output GEMM (+bias +residual, LayerNorm). Tokens are packed row after row: only the real
// tokens of each row, plus its padding positions when `compute_padding` is set (then the outputs
// at padded positions are Hugging Face's, since padded queries attend to the real keys only).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "cpu/activation-taps.h"
#include "common/encoder-input-check.h"
#include "cpu/encoder-config.h"
#include "cpu/encoder-weights.h"
#include "cpu/fp32-isa.h"
#include "cpu/thread-pool.h"
#include "cpu/workspace.h"

namespace samp::cpu {

/// A padded, row-major batch (the spec's EncoderInput).
struct EncoderInput {
  int batch = 0;
  int seq = 0;
  std::vector<int32_t> ids;
  std::vector<int32_t> mask;
  std::vector<int32_t> types;  // empty: all zeros
};

/// Wall and process CPU milliseconds per stage of runs (accumulated while RunOptions::profile is
/// set), for the benchmarks' per-op breakdown; costs a few clock reads per stage. CPU time counts
/// every thread of the process (with one thread: the work itself, whatever the machine's load).
struct RunProfile {
  enum Stage {
    kEmbedding,
    kQkv,
    kAttention,
    kAttentionOutput,  // GEMM + residual + LayerNorm (+ quantize for the FFN)
    kFfnIntermediate,  // GEMM + activation (+ requantize)
    kFfnOutput,        // GEMM + residual + LayerNorm (+ quantize for the next layer)
    kOther,            // packing, observation, unpacking the output
    kStages
  };
  double ms[kStages] = {};
  double cpu_ms[kStages] = {};
  static const char* name(int stage);
};

struct RunOptions {
  RunProfile* profile = nullptr;
  bool hidden_states = false;
  /// Compute the padded positions too (their outputs then match Hugging Face); otherwise only
  /// the real tokens run and padded positions are zeros.
  bool compute_padding = true;
  std::vector<std::string> observe;
};

struct EncoderOutput {
  int batch = 0;
  int seq = 0;
  int hidden = 0;
  std::vector<float> last_hidden_state;  // [batch, seq, hidden]
  std::vector<std::vector<float>>
      hidden_states;  // layers + 1 of them, with RunOptions::hidden_states
  std::vector<ObservedTensor> observed;
  /// Bytes the encoder's workspace holds after this run (for the N-API layer's report to V8).
  std::size_t workspace_bytes = 0;
};

/// Checks a batch's sizes alone, before any array is read: batch and seq positive, seq within
/// the position table, batch × seq within kMaxTokensPerRun. Throws samp::Error
/// (SAMP_INVALID_ARGUMENT) or (SAMP_INPUT_TOO_LONG) naming the size at fault.
void check_run_size(const EncoderConfig& config, int batch, int seq);

/// Checks a batch against the model (check_run_size, then shapes, ids, types, mask form,
/// positions). Throws samp::Error(SAMP_INVALID_ARGUMENT) or (SAMP_INPUT_TOO_LONG) naming the
/// element at fault.
void check_input(const EncoderConfig& config, const EncoderInput& input);

class Encoder {
 public:
  /// Copies and packs the weights. `threads` 0 means the hardware concurrency. `int8_isa` runs
  /// the INT8 layers (must be runnable here: int8::isa_runnable).
  Encoder(const EncoderConfig& config, const WeightSet& weights, unsigned threads, Fp32Isa isa,
          Int8Isa int8_isa = Int8Isa::kScalar);

  /// Runs one batch. Thread-safe: runs of one encoder are serialised (they share the pool).
  EncoderOutput run(const EncoderInput& input, const RunOptions& options);

  const EncoderConfig& config() const { return config_; }
  unsigned threads() const { return pool_.size(); }
  Fp32Isa isa() const { return isa_; }
  Int8Isa int8_isa() const { return int8_isa_; }
  /// Bytes of the Linear weights as packed (FP32 or INT8).
  std::size_t weight_bytes() const { return linear_weight_bytes(weights_); }
  /// Bytes of activation scratch kept between runs (see workspace.h for when it is freed). Safe
  /// to call during a run.
  std::size_t workspace_bytes() const { return workspace_.bytes(); }

 private:
  EncoderConfig config_;
  EncoderWeights weights_;
  Fp32Isa isa_;
  Int8Isa int8_isa_;
  ThreadPool pool_;
  Workspace workspace_;  // guarded by run_mutex_
  std::mutex run_mutex_;
};

}  // namespace samp::cpu
