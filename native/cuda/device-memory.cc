#include "device-memory.h"

#include <string>

#include "common/error.h"
#include "cuda-check.h"

namespace samp::cuda {

DeviceBuffer::DeviceBuffer(std::size_t bytes) {
  if (bytes == 0)
    return;
  const cudaError_t err = cudaMalloc(&ptr_, bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();
    ptr_ = nullptr;
    throw Error(code_of(err), std::string("cudaMalloc failed (asked for ") + std::to_string(bytes) +
                                  " bytes): " + cudaGetErrorName(err));
  }
  bytes_ = bytes;
}

void DeviceBuffer::reset() {
  if (ptr_ != nullptr)
    cudaFree(ptr_);  // nothing useful to do with an error here
  ptr_ = nullptr;
  bytes_ = 0;
}

void PinnedBuffer::reserve(std::size_t bytes) {
  if (bytes <= bytes_)
    return;
  reset();
  const cudaError_t err = cudaMallocHost(&ptr_, bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();
    ptr_ = nullptr;
    throw Error(codes::kNativeFailure, "cudaMallocHost failed (asked for " + std::to_string(bytes) +
                                           " bytes): " + cudaGetErrorName(err));
  }
  bytes_ = bytes;
}

void PinnedBuffer::reset() {
  if (ptr_ != nullptr)
    cudaFreeHost(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

bool Workspace::reserve(std::size_t bytes) {
  if (bytes <= block_.bytes())
    return false;
  if (limit_ > 0 && bytes > limit_) {
    throw Error(codes::kDeviceOutOfMemory,
                "the run needs " + std::to_string(bytes) + " bytes of workspace (asked for " +
                    std::to_string(bytes) + " bytes), over the session's memory limit of " +
                    std::to_string(limit_));
  }
  // Grow with headroom so a slowly growing batch does not reallocate every run.
  std::size_t want = bytes + bytes / 4;
  if (limit_ > 0 && want > limit_)
    want = limit_;
  block_.reset();
  block_ = DeviceBuffer(want);
  return true;
}

}  // namespace samp::cuda
