// Which FP32 kernels a session runs: AVX2+FMA when the CPU and OS have them, scalar otherwise or
// when SAMP_CPU_ISA caps the choice at "scalar" (read through the common probe, the one place the
// variable is read).
#pragma once

namespace samp::cpu {

enum class Fp32Isa { kScalar = 0, kAvx2 = 1 };

/// "scalar" or "avx2".
const char* fp32_isa_name(Fp32Isa isa);

/// The best level the CPU supports, capped by SAMP_CPU_ISA (avx2 and above leave AVX2 on).
/// Throws samp::Error(SAMP_INVALID_ARGUMENT) when SAMP_CPU_ISA is set to an unknown name.
Fp32Isa select_fp32_isa();

/// The best level the CPU supports, ignoring SAMP_CPU_ISA (tests use it to run both).
Fp32Isa hardware_fp32_isa();

}  // namespace samp::cpu
