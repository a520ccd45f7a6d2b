// samp_cuda: the Node-API addon of @samp/encoder-cuda: the device probe, a kernel self-test, the
// device memory query and the encoder sessions (session-binding.cc). Everything that touches the
// GPU runs off the JS thread (creating a CUDA context takes from milliseconds to seconds) and
// returns a promise.
#include <cuda_runtime.h>
#include <napi.h>

#include <cstddef>
#include <string>

#include "cuda-check.h"
#include "cuda-probe.h"
#include "napi/napi-helpers.h"
#include "session-binding.h"

namespace {

using samp::cuda::CudaProbe;
using samp::cuda::register_session_binding;
using samp::cuda::SelfTestResult;

Napi::Value cublaslt_to_js(Napi::Env env, const samp::cuda::CublasLtInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("found", info.found);
  if (info.found) {
    o.Set("path", info.path);
    o.Set("version", samp::cuda::format_cublaslt_version(info.version));
  } else {
    o.Set("reason", info.reason);
  }
  Napi::Array tried = Napi::Array::New(env, info.tried.size());
  for (size_t i = 0; i < info.tried.size(); ++i)
    tried.Set(i, info.tried[i]);
  o.Set("tried", tried);
  return o;
}

Napi::Value probe_to_js(Napi::Env env, const CudaProbe& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", p.available);
  if (!p.reason.empty())
    o.Set("reason", p.reason);
  if (!p.error_name.empty())
    o.Set("errorName", p.error_name);
  o.Set("driverVersion", p.driver_version);
  o.Set("runtimeVersion", p.runtime_version);
  Napi::Array devices = Napi::Array::New(env, p.devices.size());
  for (size_t i = 0; i < p.devices.size(); ++i) {
    const auto& d = p.devices[i];
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("index", d.index);
    dev.Set("name", d.name);
    dev.Set("computeCapability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor));
    dev.Set("totalMemory", static_cast<double>(d.total_memory));
    dev.Set("multiprocessors", d.multiprocessors);
    devices.Set(i, dev);
  }
  o.Set("devices", devices);
  o.Set("cublasLt", cublaslt_to_js(env, p.cublaslt));
  return o;
}

// probe() -> Promise<{ available, reason?, errorName?, driverVersion, runtimeVersion, devices,
// cublasLt }>; resolves (never rejects) when there is no driver or no device.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  return samp::napi::PromiseWorker<CudaProbe>::Run(
      info.Env(), "samp_cuda.probe", [] { return samp::cuda::probe_cuda(); }, probe_to_js);
}

// selfTest(deviceIndex) -> Promise<{ device, elements, mismatches, passed, milliseconds }>;
// rejects with code SAMP_GPU_UNAVAILABLE / SAMP_INVALID_ARGUMENT / SAMP_DEVICE_OUT_OF_MEMORY.
Napi::Value SelfTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw samp::napi::make_error(env, samp::codes::kInvalidArgument,
                                 "selfTest(deviceIndex): deviceIndex must be a number");
  }
  const int device = info[0].As<Napi::Number>().Int32Value();
  return samp::napi::PromiseWorker<SelfTestResult>::Run(
      env, "samp_cuda.selfTest", [device] { return samp::cuda::run_self_test(device); },
      [](Napi::Env js, const SelfTestResult& r) -> Napi::Value {
        Napi::Object o = Napi::Object::New(js);
        o.Set("device", r.device);
        o.Set("elements", static_cast<double>(r.elements));
        o.Set("mismatches", static_cast<double>(r.mismatches));
        o.Set("passed", r.passed());
        o.Set("milliseconds", r.milliseconds);
        return o;
      });
}

struct DeviceMemory {
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
};

// Restores the calling thread's current device on every path: the query runs on a libuv worker that
// other work (session creation, runs) shares, and they must not find another device current.
struct CurrentDeviceGuard {
  int previous = -1;
  ~CurrentDeviceGuard() {
    if (previous >= 0)
      cudaSetDevice(previous);  // nothing useful to do with an error while unwinding
  }
};

DeviceMemory query_device_memory(int device) {
  using samp::cuda::check_cuda;
  int count = 0;
  // No driver (cudaErrorInsufficientDriver), no GPU (cudaErrorNoDevice) or any other failure to
  // enumerate: the GPU is unavailable, as the probe reports it.
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw samp::Error(samp::codes::kGpuUnavailable, std::string("cudaGetDeviceCount failed: ") +
                                                        cudaGetErrorName(err) + ": " +
                                                        cudaGetErrorString(err));
  }
  if (device < 0 || device >= count) {
    throw samp::Error(samp::codes::kInvalidArgument,
                      "deviceIndex: device index " + std::to_string(device) + " is out of range (" +
                          std::to_string(count) + " device(s))");
  }
  CurrentDeviceGuard guard;
  int previous = 0;
  check_cuda(cudaGetDevice(&previous), "cudaGetDevice");
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  guard.previous = previous;
  DeviceMemory m;
  check_cuda(cudaMemGetInfo(&m.free_bytes, &m.total_bytes), "cudaMemGetInfo");
  return m;
}

// deviceMemory(deviceIndex) -> Promise<{ freeBytes, totalBytes }> of the whole device (every
// process); rejects with code SAMP_GPU_UNAVAILABLE (no driver, no device) or SAMP_INVALID_ARGUMENT
// (no such device). Off the JS thread: it creates the device's CUDA context when this process has
// none there.
Napi::Value DeviceMemoryQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw samp::napi::make_error(env, samp::codes::kInvalidArgument,
                                 "deviceIndex: deviceMemory(deviceIndex) takes a number");
  }
  const int device = info[0].As<Napi::Number>().Int32Value();
  return samp::napi::PromiseWorker<DeviceMemory>::Run(
      env, "samp_cuda.deviceMemory", [device] { return query_device_memory(device); },
      [](Napi::Env js, const DeviceMemory& m) -> Napi::Value {
        Napi::Object o = Napi::Object::New(js);
        o.Set("freeBytes", static_cast<double>(m.free_bytes));
        o.Set("totalBytes", static_cast<double>(m.total_bytes));
        return o;
      });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  exports.Set("selfTest", Napi::Function::New(env, SelfTest, "selfTest"));
  exports.Set("deviceMemory", Napi::Function::New(env, DeviceMemoryQuery, "deviceMemory"));
  register_session_binding(env, exports);
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  return exports;
}

}  // namespace

NODE_API_MODULE(samp_cuda, Init)
