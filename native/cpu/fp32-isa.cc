#include "cpu/fp32-isa.h"

#include "common/cpu-features.h"
#include "common/error.h"

namespace samp::cpu {

const char* fp32_isa_name(Fp32Isa isa) {
  return isa == Fp32Isa::kAvx2 ? "avx2" : "scalar";
}

Fp32Isa hardware_fp32_isa() {
  const CpuFeatures f = detect_cpu_features();
  return (f.avx2 && f.fma && f.os_avx) ? Fp32Isa::kAvx2 : Fp32Isa::kScalar;
}

Fp32Isa select_fp32_isa() {
  const IsaOverride o = read_isa_override();
  if (!o.valid()) {
    throw Error(codes::kInvalidArgument,
                std::string(kIsaOverrideEnv) + "=\"" + o.raw +
                    "\" is not one of scalar, avx2, avx-vnni, avx512-vnni, amx-int8");
  }
  const Fp32Isa hw = hardware_fp32_isa();
  if (o.cap && *o.cap == Int8Isa::kScalar)
    return Fp32Isa::kScalar;
  return hw;
}

}  // namespace samp::cpu
