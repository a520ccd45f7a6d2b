// samp_cpu: the Node-API addon of @samp/encoder-cpu-vnni: the CPU probe and the FP32 encoder
// sessions (session-binding.cc). The INT8 kernels arrive with their issue (native/cpu/int8/).
#include <napi.h>

#include "common/cpu-features.h"
#include "cpu/fp32-isa.h"
#include "cpu/session-binding.h"
#include "napi/napi-helpers.h"

namespace {

Napi::Object features_to_js(Napi::Env env, const samp::CpuFeatures& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sse4_2", f.sse4_2);
  o.Set("avx", f.avx);
  o.Set("avx2", f.avx2);
  o.Set("fma", f.fma);
  o.Set("avx512f", f.avx512f);
  o.Set("avx512bw", f.avx512bw);
  o.Set("avx512vl", f.avx512vl);
  o.Set("avx512_vnni", f.avx512_vnni);
  o.Set("avx_vnni", f.avx_vnni);
  o.Set("amx_tile", f.amx_tile);
  o.Set("amx_int8", f.amx_int8);
  o.Set("amx_bf16", f.amx_bf16);
  o.Set("os_avx", f.os_avx);
  o.Set("os_avx512", f.os_avx512);
  o.Set("os_amx", f.os_amx);
  return o;
}

// probe() -> { features, vendor, brand, hardwareIsa, bestIsa, amxPermission, isaOverride }
// Synchronous: CPUID, XGETBV and one arch_prctl take microseconds.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    const samp::CpuFeatures f = samp::detect_cpu_features();
    const samp::AmxPermission amx = samp::request_amx_permission(f);
    const samp::IsaOverride isa_override = samp::read_isa_override();
    const bool amx_ok = samp::amx_usable(amx);

    Napi::Object out = Napi::Object::New(env);
    out.Set("features", features_to_js(env, f));
    out.Set("vendor", f.vendor);
    out.Set("brand", f.brand);
    out.Set("hardwareIsa", samp::int8_isa_name(samp::hardware_int8_isa(f, amx_ok)));
    out.Set("bestIsa", samp::int8_isa_name(samp::best_int8_isa(f, amx_ok, isa_override)));
    out.Set("amxPermission", samp::amx_permission_name(amx));
    // The FP32 kernels: avx2 when the CPU has AVX2+FMA, unless SAMP_CPU_ISA=scalar.
    const bool fp32_avx2 = samp::cpu::hardware_fp32_isa() == samp::cpu::Fp32Isa::kAvx2 &&
                           !(isa_override.cap && *isa_override.cap == samp::Int8Isa::kScalar);
    out.Set("fp32Isa", fp32_avx2 ? "avx2" : "scalar");
    if (isa_override.present) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("variable", samp::kIsaOverrideEnv);
      o.Set("value", isa_override.raw);
      o.Set("valid", isa_override.valid());
      if (isa_override.cap)
        o.Set("cap", samp::int8_isa_name(*isa_override.cap));
      out.Set("isaOverride", o);
    } else {
      out.Set("isaOverride", env.Null());
    }
    return out;
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  samp::cpu::register_session_binding(env, exports);
  // 4: layerQuant[i].attention (INT8 attention matmuls), sessionInfo().workspaceBytes.
  exports.Set("abiVersion", Napi::Number::New(env, 4));
  return exports;
}

}  // namespace

NODE_API_MODULE(samp_cpu, Init)
