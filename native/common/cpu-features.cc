// Compiled WITHOUT ISA flags (see native/CMakeLists.txt: this file is pinned to the baseline
// -march): it only executes CPUID and, when the OS has set CR4.OSXSAVE, XGETBV.
#include "cpu-features.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define SAMP_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#else
#define SAMP_X86 0
#endif

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace samp {
namespace {

#if SAMP_X86
struct Regs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Regs cpuid(uint32_t leaf, uint32_t subleaf) {
  Regs r;
#if defined(_MSC_VER)
  int out[4];
  __cpuidex(out, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = static_cast<uint32_t>(out[0]);
  r.ebx = static_cast<uint32_t>(out[1]);
  r.ecx = static_cast<uint32_t>(out[2]);
  r.edx = static_cast<uint32_t>(out[3]);
#else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
  return r;
}

// XGETBV(0) = XCR0. Written as raw asm: GCC's _xgetbv intrinsic needs -mxsave, which this file
// must not be compiled with. Only called when CPUID.1:ECX.OSXSAVE is set.
uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo = 0, hi = 0;
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

bool bit(uint32_t reg, int n) { return ((reg >> n) & 1u) != 0; }

void append_regs(std::string& s, const Regs& r) {
  const uint32_t words[4] = {r.eax, r.ebx, r.ecx, r.edx};
  s.append(reinterpret_cast<const char*>(words), sizeof(words));
}

std::string trim(std::string s) {
  s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}
#endif  // SAMP_X86

// XCR0 state components.
constexpr uint64_t kXcr0Sse = 1ull << 1;
constexpr uint64_t kXcr0Avx = 1ull << 2;
constexpr uint64_t kXcr0Opmask = 1ull << 5;
constexpr uint64_t kXcr0ZmmHi256 = 1ull << 6;
constexpr uint64_t kXcr0Hi16Zmm = 1ull << 7;
constexpr uint64_t kXcr0TileCfg = 1ull << 17;
constexpr uint64_t kXcr0TileData = 1ull << 18;

}  // namespace

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#if SAMP_X86
  const Regs leaf0 = cpuid(0, 0);
  const uint32_t max_leaf = leaf0.eax;
  {
    const uint32_t words[3] = {leaf0.ebx, leaf0.edx, leaf0.ecx};
    f.vendor.assign(reinterpret_cast<const char*>(words), sizeof(words));
  }
  if (max_leaf >= 1) {
    const Regs l1 = cpuid(1, 0);
    f.sse4_2 = bit(l1.ecx, 20);
    f.fma = bit(l1.ecx, 12);
    f.avx = bit(l1.ecx, 28);
    const bool osxsave = bit(l1.ecx, 27);
    if (osxsave) {
      const uint64_t xcr0 = xgetbv0();
      f.os_avx = (xcr0 & (kXcr0Sse | kXcr0Avx)) == (kXcr0Sse | kXcr0Avx);
      const uint64_t zmm = kXcr0Sse | kXcr0Avx | kXcr0Opmask | kXcr0ZmmHi256 | kXcr0Hi16Zmm;
      f.os_avx512 = (xcr0 & zmm) == zmm;
      f.os_amx = (xcr0 & (kXcr0TileCfg | kXcr0TileData)) == (kXcr0TileCfg | kXcr0TileData);
    }
  }
  if (max_leaf >= 7) {
    const Regs l7 = cpuid(7, 0);
    f.avx2 = bit(l7.ebx, 5);
    f.avx512f = bit(l7.ebx, 16);
    f.avx512bw = bit(l7.ebx, 30);
    f.avx512vl = bit(l7.ebx, 31);
    f.avx512_vnni = bit(l7.ecx, 11);
    f.amx_bf16 = bit(l7.edx, 22);
    f.amx_tile = bit(l7.edx, 24);
    f.amx_int8 = bit(l7.edx, 25);
    // Subleaf 1 exists only when subleaf 0 reports a maximum subleaf >= 1.
    if (l7.eax >= 1) {
      const Regs l7s1 = cpuid(7, 1);
      f.avx_vnni = bit(l7s1.eax, 4);
    }
  }
  const uint32_t max_ext = cpuid(0x80000000u, 0).eax;
  if (max_ext >= 0x80000004u) {
    std::string brand;
    for (uint32_t leaf = 0x80000002u; leaf <= 0x80000004u; ++leaf) append_regs(brand, cpuid(leaf, 0));
    f.brand = trim(brand);
  }
#endif
  return f;
}

const char* int8_isa_name(Int8Isa isa) {
  switch (isa) {
    case Int8Isa::kScalar:
      return "scalar";
    case Int8Isa::kAvx2:
      return "avx2";
    case Int8Isa::kAvxVnni:
      return "avx-vnni";
    case Int8Isa::kAvx512Vnni:
      return "avx512-vnni";
    case Int8Isa::kAmxInt8:
      return "amx-int8";
  }
  return "scalar";
}

std::optional<Int8Isa> parse_int8_isa(std::string_view text) {
  std::string norm;
  norm.reserve(text.size());
  for (char c : text) {
    norm.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (Int8Isa isa : {Int8Isa::kScalar, Int8Isa::kAvx2, Int8Isa::kAvxVnni, Int8Isa::kAvx512Vnni,
                      Int8Isa::kAmxInt8}) {
    if (norm == int8_isa_name(isa)) return isa;
  }
  return std::nullopt;
}

Int8Isa hardware_int8_isa(const CpuFeatures& f, bool amx_permitted) {
  const bool avx2 = f.avx2 && f.fma && f.os_avx;
  // The AVX-512 VNNI kernels also use BW (byte/word ops) and VL (256-bit forms).
  const bool avx512_vnni = avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512_vnni &&
                           f.os_avx512;
  // AMX kernels do their epilogues (dequantize, bias, activation) in AVX-512.
  const bool amx = avx512_vnni && f.amx_tile && f.amx_int8 && f.os_amx && amx_permitted;
  if (amx) return Int8Isa::kAmxInt8;
  if (avx512_vnni) return Int8Isa::kAvx512Vnni;
  if (avx2 && f.avx_vnni) return Int8Isa::kAvxVnni;
  if (avx2) return Int8Isa::kAvx2;
  return Int8Isa::kScalar;
}

IsaOverride read_isa_override() {
  IsaOverride o;
  const char* value = std::getenv(kIsaOverrideEnv);
  if (value == nullptr || *value == '\0') return o;
  o.present = true;
  o.raw = value;
  o.cap = parse_int8_isa(o.raw);
  return o;
}

Int8Isa best_int8_isa(const CpuFeatures& f, bool amx_permitted, const IsaOverride& override_) {
  const Int8Isa hw = hardware_int8_isa(f, amx_permitted);
  if (!override_.cap) return hw;
  return static_cast<int>(*override_.cap) < static_cast<int>(hw) ? *override_.cap : hw;
}

const char* amx_permission_name(AmxPermission p) {
  switch (p) {
    case AmxPermission::kGranted:
      return "granted";
    case AmxPermission::kDenied:
      return "denied";
    case AmxPermission::kNotNeeded:
      return "not-needed";
    case AmxPermission::kUnsupported:
      return "unsupported";
  }
  return "unsupported";
}

AmxPermission request_amx_permission(const CpuFeatures& f) {
  if (!(f.amx_tile && f.os_amx)) return AmxPermission::kUnsupported;
#if defined(__linux__) && (defined(__x86_64__) || defined(_M_X64))
  // From <asm/prctl.h> / arch/x86/include/asm/fpu/xstate.h; spelled out because older headers
  // (glibc < 2.35 era) lack them.
  constexpr int kArchReqXcompPerm = 0x1023;
  constexpr int kXfeatureXtiledata = 18;
  const long rc = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata);
  return rc == 0 ? AmxPermission::kGranted : AmxPermission::kDenied;
#elif defined(__linux__)
  return AmxPermission::kDenied;  // 32-bit Linux has no ARCH_REQ_XCOMP_PERM
#else
  return AmxPermission::kNotNeeded;
#endif
}

}  // namespace samp
