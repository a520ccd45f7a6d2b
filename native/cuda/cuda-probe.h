// What the CUDA runtime can see on this machine. Plain C++ (no Node-API) so that ctest can
// exercise it; the addon only converts the result to JS.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cublaslt-loader.h"

namespace samp::cuda {

struct CudaDevice {
  int index = 0;
  std::string name;
  int cc_major = 0;
  int cc_minor = 0;
  std::size_t total_memory = 0;  // bytes
  int multiprocessors = 0;
};

struct CudaProbe {
  bool available = false;   // at least one device is usable by this runtime
  std::string reason;       // why not, when !available (the CUDA error, verbatim)
  std::string error_name;   // e.g. "cudaErrorInsufficientDriver", when a call failed
  int driver_version = 0;   // cudaDriverGetVersion: 13000 = 13.0; 0 when no driver
  int runtime_version = 0;  // cudaRuntimeGetVersion of the statically linked runtime
  std::vector<CudaDevice> devices;
  CublasLtInfo cublaslt;
};

/// Queries driver, runtime, devices and cuBLASLt. Never throws for a missing driver or device:
/// that is reported in `reason`. Every CUDA call is checked.
CudaProbe probe_cuda();

struct SelfTestResult {
  int device = 0;
  std::size_t elements = 0;
  std::size_t mismatches = 0;
  double milliseconds = 0;  // wall time of allocate + kernel + copy back
  bool passed() const { return mismatches == 0 && elements > 0; }
};

/// Writes a pattern with a kernel on `device`, copies it back and compares it on the host.
/// Throws samp::Error (SAMP_GPU_UNAVAILABLE, SAMP_DEVICE_OUT_OF_MEMORY, SAMP_INVALID_ARGUMENT)
/// when the device cannot run it.
SelfTestResult run_self_test(int device, std::size_t elements = std::size_t{1} << 20);

}  // namespace samp::cuda
