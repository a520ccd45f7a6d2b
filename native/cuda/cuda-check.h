// CUDA and cuBLASLt return codes → samp::Error with a stable code, so every failure reaches JS
// as a typed error: out of memory → SAMP_DEVICE_OUT_OF_MEMORY, no device / no driver / no kernel
// image → SAMP_GPU_UNAVAILABLE, anything else (launch failure, illegal address) →
// SAMP_GPU_FAILURE with the CUDA error name and the call that failed.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "common/error.h"
#include "cublaslt-api.h"

namespace samp::cuda {

/// A kernel or the device failed while running (launch failure, illegal address, …).
inline constexpr const char* kGpuFailure = "SAMP_GPU_FAILURE";

/// The stable code of a CUDA error.
inline const char* code_of(cudaError_t err) {
  switch (err) {
    case cudaErrorMemoryAllocation:
      return codes::kDeviceOutOfMemory;
    case cudaErrorInvalidDevice:
      return codes::kInvalidArgument;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorInitializationError:
    case cudaErrorDevicesUnavailable:
      return codes::kGpuUnavailable;
    default:
      return kGpuFailure;
  }
}

/// Throws samp::Error for a failed CUDA call; clears the (non-sticky) error first so the
/// session's next run starts clean.
inline void check_cuda(cudaError_t err, const char* what) {
  if (err == cudaSuccess)
    return;
  cudaGetLastError();
  throw Error(code_of(err), std::string(what) + " failed: " + cudaGetErrorName(err) + ": " +
                                cudaGetErrorString(err));
}

/// Throws samp::Error for a failed cuBLASLt call.
inline void check_lt(lt::Status status, const char* what) {
  if (status == lt::kSuccess)
    return;
  throw Error(status == lt::kAllocFailed ? codes::kDeviceOutOfMemory : kGpuFailure,
              std::string(what) + " failed: " + lt::status_text(status));
}

}  // namespace samp::cuda
