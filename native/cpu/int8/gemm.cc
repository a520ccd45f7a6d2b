// Baseline (no ISA flags) part of samp_cpu_int8: ISA selection, argument validation, the
// threaded driver, activation/weight quantization and weight packing.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>
#include <string>

#include "common/error.h"
#include "int8-gemm.h"
#include "kernels.h"
#include "scalar-math.h"

namespace samp::int8 {

static_assert(static_cast<int>(Activation::kNone) == detail::kActNone &&
                  static_cast<int>(Activation::kRelu) == detail::kActRelu &&
                  static_cast<int>(Activation::kGeluErf) == detail::kActGeluErf &&
                  static_cast<int>(Activation::kGeluTanh) == detail::kActGeluTanh,
              "Activation mirrors detail::Act");
static_assert(static_cast<int>(Output::kFloat32) == detail::kOutF32 &&
                  static_cast<int>(Output::kInt8) == detail::kOutI8 &&
                  static_cast<int>(Output::kInt32) == detail::kOutI32,
              "Output mirrors detail::Out");

namespace {

// Mirrors SAMP_UNSUPPORTED_CPU of @samp/core's UnsupportedCpuError.
constexpr const char* kUnsupportedCpu = "SAMP_UNSUPPORTED_CPU";

[[noreturn]] void invalid(const std::string& what) {
  throw Error(codes::kInvalidArgument, "int8 gemm: " + what);
}

const detail::KernelTable* table_for(Int8Isa isa) {
  switch (isa) {
    case Int8Isa::kScalar:
      return &detail::scalar_kernels();
    case Int8Isa::kAvx2:
#if defined(SAMP_INT8_WITH_AVX2)
      return &detail::avx2_kernels();
#else
      return nullptr;
#endif
    case Int8Isa::kAvxVnni:
#if defined(SAMP_INT8_WITH_AVX_VNNI)
      return &detail::avx_vnni_kernels();
#else
      return nullptr;
#endif
    case Int8Isa::kAvx512Vnni:
#if defined(SAMP_INT8_WITH_AVX512_VNNI)
      return &detail::avx512_vnni_kernels();
#else
      return nullptr;
#endif
    case Int8Isa::kAmxInt8:
#if defined(SAMP_INT8_WITH_AMX_INT8)
      return &detail::amx_int8_kernels();
#else
      return nullptr;
#endif
  }
  return nullptr;
}

/// The kernels of `isa`, or SAMP_UNSUPPORTED_CPU when this process cannot run them.
const detail::KernelTable& runnable_table(Int8Isa isa) {
  const detail::KernelTable* t = table_for(isa);
  if (t == nullptr) {
    throw Error(kUnsupportedCpu, std::string("int8 kernels for ") + int8_isa_name(isa) +
                                     " were not compiled into this build");
  }
  if (!isa_runnable(isa)) {
    const IsaChoice& c = isa_choice();
    std::string why = std::string("int8 kernels for ") + int8_isa_name(isa) +
                      " cannot run on this CPU (" +
                      (c.features.brand.empty() ? "unknown CPU" : c.features.brand) +
                      "; best available: " + int8_isa_name(c.hardware) + ")";
    if (isa == Int8Isa::kAmxInt8 && c.features.amx_int8) {
      why += std::string("; AMX permission: ") + amx_permission_name(c.amx);
    }
    throw Error(kUnsupportedCpu, why);
  }
  return *t;
}

bool finite_positive(float x) { return std::isfinite(x) && x > 0.0f; }

constexpr int8_t kZeroGroup[4] = {0, 0, 0, 0};

}  // namespace

// --- ISA selection ----------------------------------------------------------------------------

bool isa_compiled(Int8Isa isa) { return table_for(isa) != nullptr; }

bool isa_supported(Int8Isa isa, const CpuFeatures& f, bool amx_permitted) {
  const bool avx2 = f.avx2 && f.fma && f.os_avx;
  const bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.os_avx512;
  switch (isa) {
    case Int8Isa::kScalar:
      return true;
    case Int8Isa::kAvx2:
      return avx2;
    case Int8Isa::kAvxVnni:
      return avx2 && f.avx_vnni;
    case Int8Isa::kAvx512Vnni:
      return avx512 && f.avx512_vnni;
    case Int8Isa::kAmxInt8:
      return avx512 && f.avx512_vnni && f.amx_tile && f.amx_int8 && f.os_amx && amx_permitted;
  }
  return false;
}

Int8Isa resolve_isa(const CpuFeatures& f, bool amx_permitted, const IsaOverride& override_) {
  int level = static_cast<int>(best_int8_isa(f, amx_permitted, override_));
  for (; level > 0; --level) {
    const auto isa = static_cast<Int8Isa>(level);
    if (isa_supported(isa, f, amx_permitted) && isa_compiled(isa)) return isa;
  }
  return Int8Isa::kScalar;
}

const IsaChoice& isa_choice() {
  static const IsaChoice choice = [] {
    IsaChoice c;
    c.features = detect_cpu_features();
    c.amx = request_amx_permission(c.features);
    c.override_ = read_isa_override();
    const bool amx = amx_usable(c.amx);
    c.hardware = hardware_int8_isa(c.features, amx);
    c.isa = resolve_isa(c.features, amx, c.override_);
    return c;
  }();
  return choice;
}

bool isa_runnable(Int8Isa isa) {
  const IsaChoice& c = isa_choice();
#if defined(SAMP_INT8_EMULATE)
  // Test-only build (testing/isa-emulation.h): AVX-512 and AMX run on a software model compiled
  // for the baseline, AVX-VNNI on real AVX2 plus a modelled VPDPBUSD.
  if (isa == Int8Isa::kAvx512Vnni || isa == Int8Isa::kAmxInt8) return isa_compiled(isa);
  if (isa == Int8Isa::kAvxVnni) {
    return isa_compiled(isa) && isa_supported(Int8Isa::kAvx2, c.features, false);
  }
#endif
  return isa_compiled(isa) && isa_supported(isa, c.features, amx_usable(c.amx));
}

// --- scratch ------------------------------------------------------------------------------------

namespace detail {

uint8_t* thread_scratch(std::size_t bytes) {
  struct Scratch {
    uint8_t* p = nullptr;
    std::size_t size = 0;
    ~Scratch() { ::operator delete(p, std::align_val_t{64}); }
  };
  thread_local Scratch s;
  if (bytes > s.size) {
    const std::size_t grown = std::max(bytes, s.size + s.size / 2);
    auto* p = static_cast<uint8_t*>(::operator new(grown, std::align_val_t{64}));
    ::operator delete(s.p, std::align_val_t{64});
    s.p = p;
    s.size = grown;
  }
  return s.p;
}

}  // namespace detail

// --- activation quantization ---------------------------------------------------------------------

float round_half_even(float x) { return detail::rne_scalar(x); }

float absmax(const float* x, std::size_t n, Int8Isa isa) {
  if (n == 0) return 0.0f;
  if (x == nullptr) invalid("absmax: null input");
  const float m = runnable_table(isa).absmax(x, n);
  if (!std::isfinite(m)) invalid("the activations hold a NaN or an infinity");
  return m;
}

float symmetric_scale(float amax) {
  if (!std::isfinite(amax) || amax < 0.0f) invalid("symmetric_scale: amax must be finite and >= 0");
  if (amax == 0.0f) return 1.0f;
  const float s = amax / static_cast<float>(kQMax);
  // A tensor so tiny that 1/s overflows (amax < ~4e-37) quantizes to zeros whatever the scale.
  return (s > 0.0f && std::isfinite(1.0f / s)) ? s : 1.0f;
}

void quantize(const float* x, std::size_t n, float scale, int8_t* q, Int8Isa isa) {
  if (!finite_positive(scale)) invalid("quantize: the scale must be finite and > 0");
  if (n == 0) return;
  if (x == nullptr || q == nullptr) invalid("quantize: null pointer");
  const float inv = 1.0f / scale;
  if (!std::isfinite(inv)) invalid("quantize: the scale is too small (1/scale overflows)");
  runnable_table(isa).quantize(x, n, inv, q);
}

float quantize_dynamic(const float* x, std::size_t n, int8_t* q, Int8Isa isa) {
  const float scale = symmetric_scale(absmax(x, n, isa));
  quantize(x, n, scale, q, isa);
  return scale;
}

void quantize_rows_dynamic(const float* x, std::size_t rows, std::size_t cols, std::size_t ldx,
                           int8_t* q, std::size_t ldq, float* row_scales, Int8Isa isa) {
  if (rows == 0) return;
  if (x == nullptr || q == nullptr || row_scales == nullptr) {
    invalid("quantize_rows_dynamic: null pointer");
  }
  if (ldx < cols || ldq < cols) invalid("quantize_rows_dynamic: leading dimension < cols");
  for (std::size_t r = 0; r < rows; ++r) {
    row_scales[r] = quantize_dynamic(x + r * ldx, cols, q + r * ldq, isa);
  }
}

void softmax_quantize(float* x, std::size_t n, float scale, int8_t* q, Int8Isa isa) {
  if (!finite_positive(scale)) invalid("softmax_quantize: the scale must be finite and > 0");
  if (n == 0) invalid("softmax_quantize: empty row");
  if (x == nullptr || q == nullptr) invalid("softmax_quantize: null pointer");
  const float inv = 1.0f / scale;
  if (!std::isfinite(inv)) invalid("softmax_quantize: the scale is too small (1/scale overflows)");
  runnable_table(isa).softmax_quantize(x, n, inv, q);
}

// --- weights ------------------------------------------------------------------------------------

QuantizedWeights quantize_weights(const float* w, std::size_t n, std::size_t k, std::size_t ldw,
                                  const float* scales) {
  if (n == 0 || k == 0) invalid("quantize_weights: empty weight matrix");
  if (w == nullptr) invalid("quantize_weights: null weights");
  if (ldw < k) invalid("quantize_weights: ldw < k");
  QuantizedWeights out;
  out.n = n;
  out.k = k;
  out.q.resize(n * k);
  out.scales.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = w + i * ldw;
    float s;
    if (scales != nullptr) {
      s = scales[i];
      if (!finite_positive(s) || !std::isfinite(1.0f / s)) {
        std::ostringstream os;
        os << "quantize_weights: scale of channel " << i << " is " << s << " (must be finite, > 0)";
        invalid(os.str());
      }
    } else {
      float amax = 0.0f;
      for (std::size_t j = 0; j < k; ++j) {
        if (!std::isfinite(row[j])) {
          std::ostringstream os;
          os << "quantize_weights: W[" << i << "," << j << "] is not finite";
          invalid(os.str());
        }
        amax = std::max(amax, std::fabs(row[j]));
      }
      s = symmetric_scale(amax);
    }
    out.scales[i] = s;
    detail::scalar_kernels().quantize(row, k, 1.0f / s, out.q.data() + i * k);
  }
  return out;
}

PackedWeights PackedWeights::pack(const int8_t* w, std::size_t n, std::size_t k, std::size_t ldw,
                                  const float* scales) {
  PackedWeights p;
  p.repack(w, n, k, ldw, scales);
  return p;
}

void PackedWeights::repack(const int8_t* w, std::size_t n, std::size_t k, std::size_t ldw,
                           const float* scales) {
  if (n == 0 || k == 0) invalid("pack: empty weight matrix");
  if (k > kMaxK) {
    invalid("pack: K = " + std::to_string(k) + " exceeds the supported maximum " +
            std::to_string(kMaxK));
  }
  if (w == nullptr || scales == nullptr) invalid("pack: null weights or scales");
  if (ldw < k) invalid("pack: ldw < k");
  for (std::size_t i = 0; i < n; ++i) {
    if (!finite_positive(scales[i])) {
      invalid("pack: scale of channel " + std::to_string(i) + " must be finite and > 0");
    }
  }
  n_ = n;
  k_ = k;
  kp_ = (k + kBlockK - 1) / kBlockK * kBlockK;
  const std::size_t nblocks = blocks();
  // resize() keeps the capacity: a repack of the same or a smaller shape does not allocate (the
  // INT8 attention repacks K and Vᵀ of every head this way). Only the padding is zeroed below.
  storage_.resize(nblocks * block_stride() + 63);
  comp_.resize(nblocks * kBlockN);
  scales_.resize(nblocks * kBlockN);
  int8_t* d = const_cast<int8_t*>(data());
  const std::size_t full_groups = k / 4;
  for (std::size_t i = 0; i < n; ++i) {
    int8_t* blk = d + (i / kBlockN) * block_stride() + (i % kBlockN) * 4;
    const int8_t* src = w + i * ldw;
    int32_t sum = 0;
    for (std::size_t g = 0; g < full_groups; ++g) {  // one 4-byte group at a time
      std::memcpy(blk + g * 64, src + g * 4, 4);
      sum += src[g * 4] + src[g * 4 + 1] + src[g * 4 + 2] + src[g * 4 + 3];
    }
    int8_t tail[4] = {0, 0, 0, 0};
    for (std::size_t j = full_groups * 4; j < k; ++j) {
      tail[j % 4] = src[j];
      sum += src[j];
    }
    for (std::size_t g = full_groups; g < kp_ / 4; ++g) {  // the partial group, then zeros
      std::memcpy(blk + g * 64, g == full_groups ? tail : kZeroGroup, 4);
    }
    comp_[i] = 128 * sum;
    scales_[i] = scales[i];
  }
  // Channels past n in the last block: zero weights, compensation and scales.
  for (std::size_t i = n; i < nblocks * kBlockN; ++i) {
    int8_t* blk = d + (i / kBlockN) * block_stride() + (i % kBlockN) * 4;
    for (std::size_t g = 0; g < kp_ / 4; ++g) std::memcpy(blk + g * 64, kZeroGroup, 4);
    comp_[i] = 0;
    scales_[i] = 0.0f;
  }
}

PackedWeights PackedWeights::pack(const QuantizedWeights& qw) {
  if (qw.q.size() != qw.n * qw.k || qw.scales.size() != qw.n) {
    invalid("pack: QuantizedWeights sizes do not match n and k");
  }
  return pack(qw.q.data(), qw.n, qw.k, qw.k, qw.scales.data());
}

const int8_t* PackedWeights::data() const {
  const auto addr = reinterpret_cast<std::uintptr_t>(storage_.data());
  return storage_.data() + ((64 - addr % 64) % 64);
}

int8_t PackedWeights::at(std::size_t n, std::size_t k) const {
  if (n >= n_ || k >= k_) invalid("PackedWeights::at: index out of range");
  return data()[(n / kBlockN) * block_stride() + (k / 4) * 64 + (n % kBlockN) * 4 + (k % 4)];
}

// --- GEMM -------------------------------------------------------------------------------------

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kNone:
      return "none";
    case Activation::kRelu:
      return "relu";
    case Activation::kGeluErf:
      return "gelu";
    case Activation::kGeluTanh:
      return "gelu_tanh";
  }
  return "none";
}

namespace {

detail::KernelArgs validate(const GemmParams& p) {
  if (p.w == nullptr || p.w->empty()) invalid("no packed weights");
  const PackedWeights& w = *p.w;
  const std::size_t n = w.n();
  const std::size_t k = w.k();
  if (p.m > 0) {
    if (p.a == nullptr) invalid("A is null");
    if (p.c == nullptr) invalid("C is null");
    if (p.lda < k) invalid("lda (" + std::to_string(p.lda) + ") < K (" + std::to_string(k) + ")");
    if (p.ldc < n) invalid("ldc (" + std::to_string(p.ldc) + ") < N (" + std::to_string(n) + ")");
  }
  const int act = static_cast<int>(p.activation);
  if (act < detail::kActNone || act > detail::kActGeluTanh) invalid("unknown activation");
  const int out = static_cast<int>(p.output);
  if (out < detail::kOutF32 || out > detail::kOutI32) invalid("unknown output type");
  float inv_out = 1.0f;
  if (p.output != Output::kInt32) {
    if (p.a_row_scales == nullptr && !finite_positive(p.a_scale)) {
      invalid("the activation scale must be finite and > 0");
    }
    if (p.a_row_scales != nullptr) {
      for (std::size_t i = 0; i < p.m; ++i) {
        if (!finite_positive(p.a_row_scales[i])) {
          invalid("activation scale of row " + std::to_string(i) + " must be finite and > 0");
        }
      }
    }
  }
  if (p.output == Output::kInt8) {
    if (!finite_positive(p.out_scale)) invalid("the output scale must be finite and > 0");
    inv_out = 1.0f / p.out_scale;
    if (!std::isfinite(inv_out)) invalid("the output scale is too small (1/scale overflows)");
  }
  if (p.residual != nullptr) {
    if (p.output != Output::kFloat32) invalid("a residual needs fp32 output");
    if (p.ldr < n) invalid("ldr (" + std::to_string(p.ldr) + ") < N (" + std::to_string(n) + ")");
  }
  detail::KernelArgs a{};
  a.m = p.m;
  a.n = n;
  a.k = k;
  a.k_groups = (k + 3) / 4;
  a.k_chunks = w.k_padded() / kBlockK;
  a.a = p.a;
  a.lda = p.lda;
  a.a_scale = p.a_scale;
  a.a_row_scales = p.a_row_scales;
  a.w = w.data();
  a.w_block_stride = w.block_stride();
  a.comp = w.compensation();
  a.w_scales = w.scales();
  a.bias = p.bias;
  a.act = act;
  a.out = out;
  a.c = p.c;
  a.ldc = p.ldc;
  a.inv_out_scale = inv_out;
  a.residual = p.residual;
  a.ldr = p.ldr;
  return a;
}

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

}  // namespace

void gemm_range(const GemmParams& p, Int8Isa isa, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1) {
  const detail::KernelArgs a = validate(p);
  if (m0 > m1 || m1 > a.m) invalid("row range outside [0, M]");
  if (n0 > n1 || n1 > a.n) invalid("column range outside [0, N]");
  if (n0 % kBlockN != 0) invalid("n0 must be a multiple of 16");
  if (n1 % kBlockN != 0 && n1 != a.n) invalid("n1 must be a multiple of 16 or N");
  const detail::KernelTable& t = runnable_table(isa);
  t.gemm_range(a, m0, m1, n0, n1);
}

void gemm(const GemmParams& p, Int8Isa isa, const ParallelFor& parallel_for,
          std::size_t threads_hint) {
  const detail::KernelArgs a = validate(p);
  const detail::KernelTable& t = runnable_table(isa);
  if (a.m == 0) return;
  if (!parallel_for || threads_hint <= 1) {
    t.gemm_range(a, 0, a.m, 0, a.n);
    return;
  }
  // Tiles: rows in multiples of 96 (a multiple of every kernel's row block: 1, 2, 6, 8, 32),
  // columns in multiples of 32 (every kernel's column group), about 4 tiles per thread so a
  // slow thread does not hold the others back; columns split before rows are made small.
  constexpr std::size_t kRowQuantum = 96;
  constexpr std::size_t kColQuantum = 32;
  const std::size_t row_units = ceil_div(a.m, kRowQuantum);
  const std::size_t col_units = ceil_div(a.n, kColQuantum);
  const std::size_t want = threads_hint * 4;
  // Column tiles of at most 256 channels keep one tile's weights (256·K bytes) in L2.
  std::size_t col_tiles = std::min(col_units, std::max<std::size_t>(ceil_div(a.n, 256), 1));
  std::size_t row_tiles = std::min(row_units, std::max<std::size_t>(ceil_div(want, col_tiles), 1));
  if (row_tiles * col_tiles < want) col_tiles = std::min(col_units, ceil_div(want, row_tiles));
  const std::size_t rows_per = ceil_div(row_units, row_tiles) * kRowQuantum;
  const std::size_t cols_per = ceil_div(col_units, col_tiles) * kColQuantum;
  row_tiles = ceil_div(a.m, rows_per);
  col_tiles = ceil_div(a.n, cols_per);
  if (row_tiles * col_tiles <= 1) {
    t.gemm_range(a, 0, a.m, 0, a.n);
    return;
  }
  parallel_for(row_tiles * col_tiles, [&](std::size_t task) {
    const std::size_t rt = task / col_tiles;
    const std::size_t ct = task % col_tiles;
    const std::size_t m0 = rt * rows_per;
    const std::size_t n0 = ct * cols_per;
    t.gemm_range(a, m0, std::min(a.m, m0 + rows_per), n0, std::min(a.n, n0 + cols_per));
  });
}

}  // namespace samp::int8
