// CPU-feature probe: CPUID + XGETBV, compiled without any ISA flags so that calling it can never
// raise an illegal-instruction fault. Kernels for each ISA level live in their own translation
// units (compiled with that level's flags) and are chosen at run time from best_int8_isa().
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace samp {

/// What the processor implements (CPUID) and what the OS has enabled (XCR0 via XGETBV).
/// A feature is only usable when both the CPU bit and the matching OS bit are set.
struct CpuFeatures {
  // CPUID bits.
  bool sse4_2 = false;
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_vnni = false;
  bool avx_vnni = false;
  bool amx_tile = false;
  bool amx_int8 = false;
  bool amx_bf16 = false;
  // OS support (XCR0): XMM+YMM state; opmask+ZMM state; AMX XTILECFG+XTILEDATA state.
  bool os_avx = false;
  bool os_avx512 = false;
  bool os_amx = false;
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", … ; empty off x86
  std::string brand;   // e.g. "AMD EPYC 7B13 64-Core Processor"; empty when CPUID lacks it
};

/// Reads CPUID leaves 0, 1, 7.0, 7.1, 0x80000002-4 and XCR0. Pure: no side effects, no
/// syscalls. Off x86 every flag is false.
CpuFeatures detect_cpu_features();

/// INT8 GEMM instruction-set levels, lowest first (the order is used for capping).
enum class Int8Isa { kScalar = 0, kAvx2 = 1, kAvxVnni = 2, kAvx512Vnni = 3, kAmxInt8 = 4 };

/// Stable lower-case names: "scalar", "avx2", "avx-vnni", "avx512-vnni", "amx-int8".
const char* int8_isa_name(Int8Isa isa);

/// Parses a name as written by int8_isa_name (case-insensitive, '_' accepted for '-').
std::optional<Int8Isa> parse_int8_isa(std::string_view text);

/// Highest INT8 level this CPU and OS support (CPU feature AND OS state for every register file
/// the level's kernels use). `amx_permitted` is whether the process may use AMX tile data
/// (see request_amx_permission); without it AMX is never chosen.
Int8Isa hardware_int8_isa(const CpuFeatures& f, bool amx_permitted);

/// The SAMP_CPU_ISA environment variable, which caps the ISA choice (used by tests and to
/// work around a faulty kernel). This is the one place the variable is read.
struct IsaOverride {
  bool present = false;       // the variable is set and non-empty
  std::string raw;            // its value as written
  std::optional<Int8Isa> cap; // parsed cap; empty when absent or invalid
  bool valid() const { return !present || cap.has_value(); }
};
inline constexpr const char* kIsaOverrideEnv = "SAMP_CPU_ISA";
IsaOverride read_isa_override();

/// min(hardware_int8_isa(f, amx_permitted), cap): the level the kernels should use. An invalid
/// override caps nothing (callers report it through IsaOverride::valid()).
Int8Isa best_int8_isa(const CpuFeatures& f, bool amx_permitted, const IsaOverride& override_);

/// Outcome of asking the kernel for AMX tile-data permission.
enum class AmxPermission {
  kGranted,      // arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) succeeded (or already held)
  kDenied,       // the kernel refused (e.g. Linux < 5.16, or a seccomp filter)
  kNotNeeded,    // not Linux: the OS enables AMX state without a request
  kUnsupported,  // the CPU or the OS (XCR0) lacks AMX: nothing to request
};
const char* amx_permission_name(AmxPermission p);

/// On Linux, AMX tile data is off for a process until it asks with
/// arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); the first AMX instruction otherwise
/// raises SIGILL. Requests it (process-wide, idempotent) when the CPU and OS have AMX.
AmxPermission request_amx_permission(const CpuFeatures& f);

/// True when `p` lets the process execute AMX instructions.
inline bool amx_usable(AmxPermission p) {
  return p == AmxPermission::kGranted || p == AmxPermission::kNotNeeded;
}

}  // namespace samp
