// INT8 GEMM of the CPU encoder: C[M,N] = epilogue(A[M,K] (int8, per-tensor or per-row scale) ·
// W[N,K]ᵀ (int8, per-output-channel scales)), int32 accumulation, one kernel per ISA level
// (scalar, AVX2, AVX-VNNI, AVX-512 VNNI, AMX-INT8) chosen at run time. See NOTES.md beside this
// file for the numerics (rounding, compensation term, exactness) and the packed layout.
//
// Errors: every entry point validates its arguments and throws samp::Error
// (SAMP_INVALID_ARGUMENT) instead of aborting; asking for an ISA this CPU cannot run throws
// SAMP_UNSUPPORTED_CPU (never an illegal instruction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/cpu-features.h"

namespace samp::int8 {

/// Symmetric int8 range used by every quantizer here: [-127, 127] (-128 is never produced, so
/// negating a quantized value never overflows). The kernels themselves are exact for the full
/// int8 range, -128 included.
inline constexpr int kQMax = 127;
/// Largest K a GEMM accepts: with |a|,|w| <= 128 and the u8 (a+128) form of the VNNI kernels,
/// every partial sum stays inside int32 up to this K.
inline constexpr std::size_t kMaxK = 65536;
/// Packed weight layout: 16 output channels per block, K padded to a multiple of 64.
inline constexpr std::size_t kBlockN = 16;
inline constexpr std::size_t kBlockK = 64;

// --- ISA selection ------------------------------------------------------------------------------

/// Whether the kernels of `isa` were compiled into this binary (the compiler may lack a flag).
bool isa_compiled(Int8Isa isa);
/// Whether a CPU with features `f` (and AMX permission `amx_permitted`) can run `isa`'s kernels.
/// Not a simple `<=` on the level: e.g. Ice Lake has AVX-512 VNNI but no AVX-VNNI.
bool isa_supported(Int8Isa isa, const CpuFeatures& f, bool amx_permitted);
/// best_int8_isa(f, amx, override), then stepped down to the highest level at or below it that is
/// both supported by the CPU and compiled in (scalar always is).
Int8Isa resolve_isa(const CpuFeatures& f, bool amx_permitted, const IsaOverride& override_);

/// The process-wide choice, computed once (first call): probes the CPU, requests AMX permission
/// when the CPU has AMX, reads SAMP_CPU_ISA.
struct IsaChoice {
  Int8Isa isa = Int8Isa::kScalar;       // what gemm()/quantize() use by default
  Int8Isa hardware = Int8Isa::kScalar;  // hardware_int8_isa(), before the cap
  AmxPermission amx = AmxPermission::kUnsupported;
  IsaOverride override_;
  CpuFeatures features;
};
const IsaChoice& isa_choice();
inline Int8Isa active_isa() { return isa_choice().isa; }
/// isa_compiled(isa) && isa_supported(isa, this CPU, AMX permission of this process).
bool isa_runnable(Int8Isa isa);

// --- activation quantization ---------------------------------------------------------------------
// q = clamp(round_half_even(x · (1/scale)), -127, 127), where 1/scale is computed once in fp32.
// Rounding is half-to-even (what the SIMD units do natively, numpy's and onnxruntime's choice),
// independent of the FP environment's rounding mode. Every ISA gives bit-identical results.

/// Round half to even, independent of the current rounding mode (0.5 -> 0, 1.5 -> 2, -2.5 -> -2).
float round_half_even(float x);

/// max |x[i]|. Throws SAMP_INVALID_ARGUMENT when x holds a NaN or an infinity.
float absmax(const float* x, std::size_t n, Int8Isa isa = active_isa());
/// Scale for symmetric per-tensor quantization of values up to `amax`: amax/127, or 1 when amax
/// is 0 (an all-zero tensor quantizes to zeros whatever the scale).
float symmetric_scale(float amax);
/// Static quantization with a given scale (> 0, finite).
void quantize(const float* x, std::size_t n, float scale, int8_t* q, Int8Isa isa = active_isa());
/// Dynamic quantization: scale = symmetric_scale(absmax(x)); returns the scale.
float quantize_dynamic(const float* x, std::size_t n, int8_t* q, Int8Isa isa = active_isa());
/// Dynamic per-row (per-token) quantization of a [rows, cols] matrix: row_scales[r] for each row.
void quantize_rows_dynamic(const float* x, std::size_t rows, std::size_t cols, std::size_t ldx,
                           int8_t* q, std::size_t ldq, float* row_scales,
                           Int8Isa isa = active_isa());

/// Softmax of one row quantized to int8 codes in [0, 127] with step `scale` (> 0, finite; 1/127
/// covers every probability): e_j = exp(x_j − max x) (the kernels' own exp, identical on every
/// ISA), summed in a fixed order, q_j = clamp(round_half_even(e_j · ((1/Σe) · (1/scale))), 0, 127).
/// x (n ≥ 1 finite values) is overwritten with the e_j. Bit-identical across ISAs. Used by the
/// INT8 attention (scores → probabilities for P·V).
void softmax_quantize(float* x, std::size_t n, float scale, int8_t* q, Int8Isa isa = active_isa());

// --- weights ----------------------------------------------------------------------------------

/// Per-output-channel symmetric weights: q[n*k + j], scales[n].
struct QuantizedWeights {
  std::size_t n = 0;
  std::size_t k = 0;
  std::vector<int8_t> q;
  std::vector<float> scales;
};
/// W is [n, k] row-major with leading dimension ldw >= k. `scales` (length n, each > 0 and
/// finite) are used as given; null means max calibration: scales[i] = symmetric_scale(max|W[i,:]|).
QuantizedWeights quantize_weights(const float* w, std::size_t n, std::size_t k, std::size_t ldw,
                                  const float* scales = nullptr);

/// Weights packed once at load into the layout every ISA's micro-kernel reads (see NOTES.md):
/// blocks of 16 output channels; inside a block, groups of 4 consecutive k, each group 16
/// channels × 4 bytes = 64 bytes; K zero-padded to a multiple of 64, N to a multiple of 16. A
/// 16-group run of one block is exactly one AMX B tile (16 rows × 64 bytes), one AVX-512 VNNI
/// operand per group, two AVX2/AVX-VNNI operands per group.
class PackedWeights {
 public:
  PackedWeights() = default;
  /// w: int8 [n, k] row-major (ldw >= k), scales: n positive finite floats.
  static PackedWeights pack(const int8_t* w, std::size_t n, std::size_t k, std::size_t ldw,
                            const float* scales);
  static PackedWeights pack(const QuantizedWeights& qw);
  /// pack() into this object, reusing its buffers (no allocation once they are large enough):
  /// for operands packed per call, such as the keys and values of the INT8 attention.
  void repack(const int8_t* w, std::size_t n, std::size_t k, std::size_t ldw,
              const float* scales);

  std::size_t n() const { return n_; }
  std::size_t k() const { return k_; }
  std::size_t k_padded() const { return kp_; }                    // multiple of kBlockK
  std::size_t blocks() const { return (n_ + kBlockN - 1) / kBlockN; }
  std::size_t block_stride() const { return kp_ * kBlockN; }      // bytes per block
  const int8_t* data() const;                                     // 64-byte aligned
  /// 128 · Σ_k W[n,k] per channel (padded to blocks()·16 with zeros): what the u8×s8 kernels
  /// subtract after accumulating (a+128)·w.
  const int32_t* compensation() const { return comp_.data(); }
  /// Per-channel scales, padded to blocks()·16 (padding is 0).
  const float* scales() const { return scales_.data(); }
  /// W[n, k] read back from the packed layout (for tests and debugging).
  int8_t at(std::size_t n, std::size_t k) const;
  bool empty() const { return n_ == 0; }

 private:
  std::size_t n_ = 0, k_ = 0, kp_ = 0;
  std::vector<int8_t> storage_;  // over-allocated by 63 bytes; data() is the aligned start
  std::vector<int32_t> comp_;
  std::vector<float> scales_;
};

// --- GEMM -------------------------------------------------------------------------------------

enum class Activation {
  kNone,
  kRelu,
  kGeluErf,   // x·Φ(x) (BERT's "gelu"): piecewise polynomial, |error| < 7.5e-8·max(1, |x|)
  kGeluTanh,  // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) ("gelu_new"), as x·σ(2u)
};
const char* activation_name(Activation a);

enum class Output {
  kFloat32,  // float C: act(acc · (sa·sw[n]) + bias[n]) (+ residual[m, n])
  kInt8,     // int8 C: clamp(round_half_even(act(...) · (1/out_scale)), -127, 127)
  kInt32,    // int32 C: the raw accumulators Σ_k A[m,k]·W[n,k] (scales, bias, act ignored)
};

struct GemmParams {
  std::size_t m = 0;                 // rows of A and C (0: nothing to do)
  const int8_t* a = nullptr;         // [m, w->k()], leading dimension lda >= k
  std::size_t lda = 0;
  float a_scale = 1.0f;              // per-tensor activation scale (> 0)
  const float* a_row_scales = nullptr;  // optional per-row scales (override a_scale), length m
  const PackedWeights* w = nullptr;  // N = w->n(), K = w->k()
  const float* bias = nullptr;       // optional, length N
  Activation activation = Activation::kNone;
  Output output = Output::kFloat32;
  void* c = nullptr;                 // float*, int8_t* or int32_t* per `output`; [m, N], ldc >= N
  std::size_t ldc = 0;
  float out_scale = 1.0f;            // Output::kInt8 only (> 0)
  const float* residual = nullptr;   // Output::kFloat32 only: [m, ldr] added after the activation
  std::size_t ldr = 0;
};

/// The thread pool hook: run body(t) for every t in [0, tasks), in any order, possibly
/// concurrently, and return when all are done. body never throws once gemm() has validated.
using ParallelFor =
    std::function<void(std::size_t tasks, const std::function<void(std::size_t task)>& body)>;

/// C = A·Wᵀ with the epilogue of `p`. `isa` must be runnable (else SAMP_UNSUPPORTED_CPU). With
/// a parallel_for the work is split into row × column tiles (about 4 per thread of
/// `threads_hint`); the result is bit-identical to the serial one and across ISAs.
void gemm(const GemmParams& p, Int8Isa isa, const ParallelFor& parallel_for = {},
          std::size_t threads_hint = 1);
inline void gemm(const GemmParams& p) { gemm(p, active_isa()); }

/// Computes only C[m0:m1, n0:n1] (n0 a multiple of 16; n1 a multiple of 16 or N), for callers
/// that split the work themselves. Same validation as gemm().
void gemm_range(const GemmParams& p, Int8Isa isa, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1);

}  // namespace samp::int8
