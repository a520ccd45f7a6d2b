// The CPU probe against itself, against synthetic feature sets, and against the kernel's view
// in /proc/cpuinfo (which lists only what CPUID reports and the OS has enabled).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "check.h"
#include "common/cpu-features.h"

namespace {

using samp::CpuFeatures;
using samp::Int8Isa;

struct CpuInfo {
  bool readable = false;
  std::set<std::string> flags;
  std::string model_name;
};

CpuInfo read_cpuinfo() {
  CpuInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  bool have_flags = false;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "flags" && !have_flags) {
      std::istringstream words(value);
      for (std::string w; words >> w;) info.flags.insert(w);
      have_flags = true;
      info.readable = true;
    } else if (key == "model name" && info.model_name.empty()) {
      info.model_name = value;
    }
  }
  return info;
}

void check_self_consistency(const CpuFeatures& f) {
  SAMP_IMPLIES(f.avx2, f.avx);
  SAMP_IMPLIES(f.avx512bw, f.avx512f);
  SAMP_IMPLIES(f.avx512vl, f.avx512f);
  SAMP_IMPLIES(f.avx512_vnni, f.avx512f);
  SAMP_IMPLIES(f.amx_int8, f.amx_tile);
  SAMP_IMPLIES(f.amx_bf16, f.amx_tile);
  SAMP_IMPLIES(f.os_avx512, f.os_avx);
}

// Every flag the kernel lists must be reported (the kernel lists only CPUID bits). The reverse
// is checked for the features every supported kernel knows; for newer ones an old kernel may
// simply not print the flag, so a difference is only noted.
void check_against_cpuinfo(const CpuFeatures& f, const CpuInfo& info) {
  struct Row {
    const char* flag;
    bool value;
    bool kernel_always_knows;
  };
  const Row rows[] = {
      {"sse4_2", f.sse4_2, true},        {"avx", f.avx && f.os_avx, true},
      {"avx2", f.avx2 && f.os_avx, true}, {"fma", f.fma && f.os_avx, true},
      {"avx512f", f.avx512f && f.os_avx512, true},
      {"avx512bw", f.avx512bw && f.os_avx512, true},
      {"avx512vl", f.avx512vl && f.os_avx512, true},
      {"avx512_vnni", f.avx512_vnni && f.os_avx512, false},
      {"avx_vnni", f.avx_vnni && f.os_avx, false},
      {"amx_tile", f.amx_tile && f.os_amx, false},
      {"amx_int8", f.amx_int8 && f.os_amx, false},
      {"amx_bf16", f.amx_bf16 && f.os_amx, false},
  };
  for (const Row& r : rows) {
    const bool listed = info.flags.count(r.flag) != 0;
    SAMP_CHECK_MSG(!listed || r.value, "/proc/cpuinfo lists " << r.flag << " but the probe does not");
    if (r.kernel_always_knows) {
      SAMP_CHECK_MSG(listed || !r.value, "the probe reports " << r.flag << " but /proc/cpuinfo does not");
    } else if (r.value && !listed) {
      std::printf("note: probe reports %s, /proc/cpuinfo does not (kernel too old to list it?)\n", r.flag);
    }
  }
  // Linux lists AVX / AVX-512 / AMX only when it has enabled their register state in XCR0.
  SAMP_IMPLIES(info.flags.count("avx") != 0, f.os_avx);
  SAMP_IMPLIES(info.flags.count("avx512f") != 0, f.os_avx512);
  SAMP_IMPLIES(info.flags.count("amx_tile") != 0, f.os_amx);
  // The brand is CPUID's, trimmed and printable. Linux's model name is the same string read at
  // boot, except under hypervisors that present another one to the kernel than to processes (seen
  // on a CI VM: brand 'Oxide Virtual Turin-like Processor', model name 'AMD EPYC'), so a mismatch
  // is reported, not failed.
  for (const char ch : f.brand)
    SAMP_CHECK_MSG(ch >= 0x20 && ch < 0x7f, "brand '" << f.brand << "' has an unprintable byte");
  SAMP_CHECK_MSG(f.brand.empty() || (f.brand.front() != ' ' && f.brand.back() != ' '),
                 "brand '" << f.brand << "' is not trimmed");
  if (!info.model_name.empty() && !f.brand.empty() && info.model_name != f.brand) {
    std::printf("note: CPUID brand '%s', /proc/cpuinfo model name '%s'\n", f.brand.c_str(),
                info.model_name.c_str());
  }
  // The ISA the probe picks must be at least what the listed flags allow.
  if (info.flags.count("avx2") != 0 && info.flags.count("fma") != 0) {
    SAMP_CHECK(static_cast<int>(samp::hardware_int8_isa(f, false)) >= static_cast<int>(Int8Isa::kAvx2));
  }
}

void check_isa_names() {
  for (Int8Isa isa : {Int8Isa::kScalar, Int8Isa::kAvx2, Int8Isa::kAvxVnni, Int8Isa::kAvx512Vnni,
                      Int8Isa::kAmxInt8}) {
    const auto parsed = samp::parse_int8_isa(samp::int8_isa_name(isa));
    SAMP_CHECK(parsed.has_value() && *parsed == isa);
  }
  SAMP_CHECK(samp::parse_int8_isa("AVX512_VNNI") == Int8Isa::kAvx512Vnni);
  SAMP_CHECK(samp::parse_int8_isa("Amx-Int8") == Int8Isa::kAmxInt8);
  SAMP_CHECK(!samp::parse_int8_isa("avx512").has_value());
  SAMP_CHECK(!samp::parse_int8_isa("").has_value());
}

CpuFeatures avx2_cpu() {
  CpuFeatures f;
  f.sse4_2 = f.avx = f.avx2 = f.fma = f.os_avx = true;
  return f;
}

CpuFeatures amx_cpu() {
  CpuFeatures f = avx2_cpu();
  f.avx512f = f.avx512bw = f.avx512vl = f.avx512_vnni = f.avx_vnni = true;
  f.amx_tile = f.amx_int8 = f.amx_bf16 = true;
  f.os_avx512 = f.os_amx = true;
  return f;
}

void check_isa_selection() {
  using samp::hardware_int8_isa;
  SAMP_CHECK(hardware_int8_isa(CpuFeatures{}, true) == Int8Isa::kScalar);
  SAMP_CHECK(hardware_int8_isa(avx2_cpu(), true) == Int8Isa::kAvx2);

  CpuFeatures no_os = avx2_cpu();
  no_os.os_avx = false;  // CPU has AVX2 but the OS does not save YMM state
  SAMP_CHECK(hardware_int8_isa(no_os, true) == Int8Isa::kScalar);

  CpuFeatures vnni = avx2_cpu();
  vnni.avx_vnni = true;
  SAMP_CHECK(hardware_int8_isa(vnni, true) == Int8Isa::kAvxVnni);

  CpuFeatures zmm_off = amx_cpu();
  zmm_off.os_avx512 = false;  // e.g. a hypervisor hiding ZMM state
  SAMP_CHECK(hardware_int8_isa(zmm_off, true) == Int8Isa::kAvxVnni);

  CpuFeatures tiles_off = amx_cpu();
  tiles_off.os_amx = false;
  SAMP_CHECK(hardware_int8_isa(tiles_off, true) == Int8Isa::kAvx512Vnni);
  SAMP_CHECK(hardware_int8_isa(amx_cpu(), false) == Int8Isa::kAvx512Vnni);  // permission denied
  SAMP_CHECK(hardware_int8_isa(amx_cpu(), true) == Int8Isa::kAmxInt8);

  // Caps only lower the choice, never raise it.
  for (Int8Isa cap : {Int8Isa::kScalar, Int8Isa::kAvx2, Int8Isa::kAvxVnni, Int8Isa::kAvx512Vnni,
                      Int8Isa::kAmxInt8}) {
    samp::IsaOverride o;
    o.present = true;
    o.raw = samp::int8_isa_name(cap);
    o.cap = cap;
    SAMP_CHECK(samp::best_int8_isa(amx_cpu(), true, o) == cap);
    const Int8Isa on_avx2 = samp::best_int8_isa(avx2_cpu(), true, o);
    SAMP_CHECK(on_avx2 == (cap == Int8Isa::kScalar ? Int8Isa::kScalar : Int8Isa::kAvx2));
  }
  samp::IsaOverride invalid;
  invalid.present = true;
  invalid.raw = "bogus";
  SAMP_CHECK(!invalid.valid());
  SAMP_CHECK(samp::best_int8_isa(amx_cpu(), true, invalid) == Int8Isa::kAmxInt8);
}

void check_env_override(const CpuFeatures& real) {
  const bool amx = samp::amx_usable(samp::request_amx_permission(real));
  ::unsetenv(samp::kIsaOverrideEnv);
  SAMP_CHECK(!samp::read_isa_override().present);
  SAMP_CHECK(samp::best_int8_isa(real, amx, samp::read_isa_override()) ==
             samp::hardware_int8_isa(real, amx));

  ::setenv(samp::kIsaOverrideEnv, "", 1);
  SAMP_CHECK(!samp::read_isa_override().present);

  ::setenv(samp::kIsaOverrideEnv, "scalar", 1);
  samp::IsaOverride o = samp::read_isa_override();
  SAMP_CHECK(o.present && o.valid() && o.cap == Int8Isa::kScalar && o.raw == "scalar");
  SAMP_CHECK(samp::best_int8_isa(real, amx, o) == Int8Isa::kScalar);

  ::setenv(samp::kIsaOverrideEnv, "AVX2", 1);
  o = samp::read_isa_override();
  SAMP_CHECK(o.valid() && o.cap == Int8Isa::kAvx2);
  SAMP_CHECK(static_cast<int>(samp::best_int8_isa(real, amx, o)) <= static_cast<int>(Int8Isa::kAvx2));

  ::setenv(samp::kIsaOverrideEnv, "avx1024", 1);
  o = samp::read_isa_override();
  SAMP_CHECK(o.present && !o.valid() && o.raw == "avx1024");
  ::unsetenv(samp::kIsaOverrideEnv);
}

void check_amx_permission(const CpuFeatures& f) {
  const samp::AmxPermission p = samp::request_amx_permission(f);
  if (!(f.amx_tile && f.os_amx)) {
    SAMP_CHECK(p == samp::AmxPermission::kUnsupported);
  } else {
    SAMP_CHECK(p != samp::AmxPermission::kUnsupported);
    SAMP_CHECK(samp::request_amx_permission(f) == p);  // idempotent
  }
  std::printf("amx permission: %s\n", samp::amx_permission_name(p));
}

}  // namespace

int main() {
  const CpuFeatures f = samp::detect_cpu_features();
  const bool amx = samp::amx_usable(samp::request_amx_permission(f));
  std::printf("cpu: %s (%s); best int8 isa: %s\n", f.brand.c_str(), f.vendor.c_str(),
              samp::int8_isa_name(samp::hardware_int8_isa(f, amx)));

  check_self_consistency(f);
  check_isa_names();
  check_isa_selection();
  check_env_override(f);
  check_amx_permission(f);
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
  const CpuInfo info = read_cpuinfo();
  SAMP_CHECK_MSG(info.readable, "/proc/cpuinfo has no flags line");
  SAMP_CHECK(!f.vendor.empty());
  check_against_cpuinfo(f, info);
#endif
  return samp::test::result("cpu-features-test");
}
