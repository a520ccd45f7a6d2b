#include "cuda-probe.h"

#include <cuda_runtime.h>

#include <chrono>
#include <string>

#include "common/error.h"
#include "self-test-kernel.h"

namespace samp::cuda {
namespace {

std::string describe(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

// Every CUDA call goes through check(): a failure becomes a samp::Error with a stable code.
void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess)
    return;
  cudaGetLastError();  // clear the (non-sticky) error so later calls start clean
  const char* code = err == cudaErrorMemoryAllocation ? codes::kDeviceOutOfMemory
                     : err == cudaErrorInvalidDevice  ? codes::kInvalidArgument
                                                      : codes::kGpuUnavailable;
  throw samp::Error(code, std::string(what) + " failed: " + describe(err));
}

// Frees the device buffer on every path, including a throwing check().
struct DeviceBuffer {
  void* ptr = nullptr;
  ~DeviceBuffer() {
    if (ptr != nullptr)
      cudaFree(ptr);  // nothing useful to do with an error while unwinding
  }
};

}  // namespace

CudaProbe probe_cuda() {
  CudaProbe p;
  p.cublaslt = load_cublaslt();

  // Both succeed without a driver: the runtime version is compiled in, and the driver version
  // is reported as 0 when libcuda.so cannot be loaded.
  cudaError_t err = cudaRuntimeGetVersion(&p.runtime_version);
  if (err == cudaSuccess)
    err = cudaDriverGetVersion(&p.driver_version);
  if (err != cudaSuccess) {
    p.error_name = cudaGetErrorName(err);
    p.reason = describe(err);
    cudaGetLastError();
    return p;
  }

  int count = 0;
  err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    // No driver: cudaErrorInsufficientDriver; driver but no GPU: cudaErrorNoDevice.
    p.error_name = cudaGetErrorName(err);
    p.reason = describe(err);
    cudaGetLastError();
    return p;
  }
  if (count == 0) {
    p.reason = "the CUDA driver reports no device";
    return p;
  }

  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    err = cudaGetDeviceProperties(&prop, i);
    if (err != cudaSuccess) {
      p.error_name = cudaGetErrorName(err);
      p.reason = "device " + std::to_string(i) + ": " + describe(err);
      cudaGetLastError();
      p.devices.clear();
      return p;
    }
    CudaDevice d;
    d.index = i;
    d.name = prop.name;
    d.cc_major = prop.major;
    d.cc_minor = prop.minor;
    d.total_memory = prop.totalGlobalMem;
    d.multiprocessors = prop.multiProcessorCount;
    p.devices.push_back(std::move(d));
  }
  p.available = true;
  return p;
}

SelfTestResult run_self_test(int device, std::size_t elements) {
  if (elements == 0)
    throw samp::Error(codes::kInvalidArgument, "self-test needs elements > 0");
  int count = 0;
  check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (device < 0 || device >= count) {
    throw samp::Error(codes::kInvalidArgument, "device index " + std::to_string(device) +
                                                   " is out of range (" + std::to_string(count) +
                                                   " device(s))");
  }
  const auto start = std::chrono::steady_clock::now();
  check(cudaSetDevice(device), "cudaSetDevice");

  constexpr std::uint32_t kSeed = 0x5a3d1e7bu;
  DeviceBuffer buffer;
  check(cudaMalloc(&buffer.ptr, elements * sizeof(std::uint32_t)), "cudaMalloc");
  auto* out = static_cast<std::uint32_t*>(buffer.ptr);
  // Pre-fill with 0xff bytes so that a kernel which writes nothing cannot pass.
  check(cudaMemset(out, 0xff, elements * sizeof(std::uint32_t)), "cudaMemset");
  check(launch_self_test_kernel(out, elements, kSeed, nullptr), "self-test kernel launch");
  check(cudaDeviceSynchronize(), "self-test kernel");

  std::vector<std::uint32_t> host(elements);
  check(cudaMemcpy(host.data(), out, elements * sizeof(std::uint32_t), cudaMemcpyDeviceToHost),
        "cudaMemcpy device-to-host");

  SelfTestResult r;
  r.device = device;
  r.elements = elements;
  for (std::size_t i = 0; i < elements; ++i) {
    if (host[i] != self_test_pattern(i, kSeed))
      ++r.mismatches;
  }
  r.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace samp::cuda
