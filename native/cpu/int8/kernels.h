// Internal interface between the dispatcher (gemm.cc, baseline ISA) and the per-ISA kernel
// translation units. Plain data and function pointers only: this header has no inline code, so
// nothing in it can be compiled differently by two translation units (see NOTES.md, "ODR").
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/cpu-features.h"

namespace samp::int8::detail {

// Mirrors of the public enums (int values shared with int8-gemm.h, checked there).
enum Act : int { kActNone = 0, kActRelu = 1, kActGeluErf = 2, kActGeluTanh = 3 };
enum Out : int { kOutF32 = 0, kOutI8 = 1, kOutI32 = 2 };

/// A validated GEMM, resolved to raw pointers.
struct KernelArgs {
  std::size_t m;
  std::size_t n;
  std::size_t k;
  std::size_t k_groups;     // ceil(k / 4): 4-byte groups a VNNI kernel walks
  std::size_t k_chunks;     // k_padded / 64: 64-byte chunks an AMX kernel walks
  const int8_t* a;
  std::size_t lda;
  float a_scale;
  const float* a_row_scales;  // nullable
  const int8_t* w;            // packed blocks
  std::size_t w_block_stride; // bytes
  const int32_t* comp;        // 128·ΣW per channel, padded to blocks·16
  const float* w_scales;      // padded to blocks·16
  const float* bias;          // nullable, length n
  int act;                    // Act
  int out;                    // Out
  void* c;
  std::size_t ldc;
  float inv_out_scale;        // 1/out_scale (int8 output)
  const float* residual;      // nullable, fp32 output only: [m, ldr] added last
  std::size_t ldr;
};

struct KernelTable {
  Int8Isa isa;
  /// C[m0:m1, n0:n1]; n0 % 16 == 0; n1 % 16 == 0 or n1 == n.
  void (*gemm_range)(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
                     std::size_t n1);
  /// max|x|, or NaN when x holds a NaN or an infinity.
  float (*absmax)(const float* x, std::size_t n);
  /// q = clamp(rne(x·inv_scale), -127, 127).
  void (*quantize)(const float* x, std::size_t n, float inv_scale, int8_t* q);
  /// Row softmax of x (overwritten with exp(x − max)) quantized to [0, 127] codes of step
  /// 1/inv_scale (kernel-impl.h, softmax_quantize_impl).
  void (*softmax_quantize)(float* x, std::size_t n, float inv_scale, int8_t* q);
};

/// Thread-local, 64-byte aligned scratch of at least `bytes` (grows, never shrinks). Defined in
/// the baseline translation unit so that no std:: template is instantiated with ISA flags.
uint8_t* thread_scratch(std::size_t bytes);

// One per compiled ISA (kernel-<isa>.cc); the dispatcher only references those CMake compiled.
const KernelTable& scalar_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx_vnni_kernels();
const KernelTable& avx512_vnni_kernels();
const KernelTable& amx_int8_kernels();

}  // namespace samp::int8::detail
