// The encoder's Linear layers on cuBLASLt: Y[n, m] = X[n, k] · W[m, k]ᵀ (+ bias, activation,
// residual), row-major, which is cuBLAS's column-major "TN" product D(m×n) = Wᵀ(k×m)ᵀ · X(k×n).
// FP32 sessions run FP32 data with FP32 compute (no TF32); FP16 sessions FP16 data with FP32
// accumulation. Descriptors and layouts are cached per shape. The algorithm: the heuristic's
// candidates are timed once on the real operands, each as a CUDA graph replay, the first time a
// size class (token count rounded up to a power of two) runs outside a graph capture, and the
// fastest is kept for the class, shared by every session of the process (so sessions of one model
// agree bit for bit); during a capture (or with tuning off) the heuristic's first choice runs.
#pragma once

#include <cuda_runtime.h>
#include <library_types.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "cublaslt-api.h"
#include "device-memory.h"

namespace samp::cuda {

/// The operand and output types of a runner's GEMMs.
enum class GemmKind : int {
  kFp32 = 0,  // FP32 in and out, FP32 compute (no TF32)
  kFp16 = 1,  // FP16 in and out, FP32 accumulation
  kInt8 = 2,  // int8 in, exact int32 out (the caller's epilogue kernel dequantizes)
  kFp8 = 3,   // FP8 E4M3 in, FP16 out scaled by alpha, FP32 accumulation (Hopper)
};

/// What cuBLASLt applies to the product before it is stored.
enum class GemmEpilogue : int { kNone = 0, kBias = 1, kGeluTanhBias = 2, kReluBias = 3 };

/// The size class a token count is tuned for: the next power of two (at least 16).
int gemm_size_class(int n);

/// How the runner picks algorithms (read from the environment by the encoder).
struct GemmTuning {
  /// Time the heuristic's candidates (SAMP_CUDA_GEMM_TUNE=0 turns it off).
  bool tune = true;
  /// Candidates asked of the heuristic (SAMP_CUDA_GEMM_CANDIDATES, default 8).
  int candidates = 8;
  /// FP16 sessions: accumulate in FP16 (SAMP_CUDA_GEMM_COMPUTE=16f; an experiment, off by default).
  bool fp16_accumulate = false;
};

/// One timed candidate of a tuning (for the profile tool).
struct GemmTuneRecord {
  int kind = 0;  // GemmKind
  int m = 0, n = 0, k = 0;
  int epilogue = 0;
  bool residual = false;
  int parts = 1;  // k parts (run_parts)
  int candidates = 0;
  int chosen = 0;           // index in the heuristic's list
  double heuristic_ms = 0;  // the heuristic's first choice
  double best_ms = 0;
};

class GemmRunner {
 public:
  /// Creates the cuBLASLt handle and a workspace on the current device.
  GemmRunner(GemmKind kind, const GemmTuning& tuning);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  /// y[n, m] = epilogue(alpha · x[n, k] · w[m, k]ᵀ + bias[m]) + residual[n, m]. bias is of the
  /// output type (null unless the epilogue has one); residual (may be null, float kinds only) must
  /// not alias y; alpha is ignored by kInt8 (the int32 product is exact). Throws samp::Error.
  void run(int m, int n, int k, const void* w, const void* x, void* y, GemmEpilogue epilogue,
           const void* bias, const void* residual, cudaStream_t stream, float alpha = 1.0f);

  /// The k-split product: k cut into `parts` ≥ 2 equal slices (k / parts a multiple of 16), the
  /// partial products y_s[n, m] = x[n, ks] · w[m, ks]ᵀ written one after another into `partials`
  /// (parts × n × m values) in the accumulation type: int32 (kInt8, exact) or FP32 (kFp32, kFp16).
  /// One batched cuBLASLt launch and no reduction kernel: the consumer adds the parts up (the
  /// LayerNorm kernels, InputParts), which at a few tokens gives the GEMM parts times the blocks
  /// for the cost of reading them. Not for kFp8 or FP16 accumulation. Throws samp::Error.
  void run_parts(int m, int n, int k, int parts, const void* w, const void* x, void* partials,
                 cudaStream_t stream);

  /// The tunings done so far (oldest first).
  const std::vector<GemmTuneRecord>& tunings() const { return tunings_; }

 private:
  struct Plan {
    lt::MatmulDesc desc = nullptr;
    lt::MatrixLayout a = nullptr, b = nullptr, d = nullptr;
    lt::MatmulAlgo algo{};
    bool tuned = false;
  };
  using Key = std::tuple<int, int, int, int, bool, int>;  // m, n, k, epilogue, residual, parts
  Plan& plan(const Key& key);
  void run_plan(const Key& key, const void* w, const void* x, void* y, const void* bias,
                const void* residual, cudaStream_t stream, float alpha);
  std::vector<lt::HeuristicResult> candidates(const Plan& p, int count) const;
  void tune(Plan& p, const Key& key, const void* w, const void* x, void* y, const void* bias,
            const void* residual, float alpha, cudaStream_t stream);
  void matmul(const Plan& p, const lt::MatmulAlgo& algo, const void* w, const void* x, void* y,
              const void* residual, float alpha, cudaStream_t stream) const;

  GemmKind kind_;
  cudaDataType_t in_type_;   // of w and x
  cudaDataType_t out_type_;  // of y (and the residual / bias)
  GemmTuning tuning_;
  lt::Handle handle_ = nullptr;
  DeviceBuffer workspace_;
  int device_ = 0;
  std::map<Key, Plan> plans_;
  std::vector<GemmTuneRecord> tunings_;
};

}  // namespace samp::cuda
