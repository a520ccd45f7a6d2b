// Kernel launches that let a kernel start while the one before it finishes (programmatic dependent
// launch, sm_90+). Launched this way, a kernel's blocks may be scheduled once every block of the
// previous kernel in the stream is running, so its launch latency and its prologue (the weights it
// reads first) overlap that kernel's tail; in a CUDA graph the edges become programmatic too.
//
// The contract every kernel launched here keeps: before it reads or writes activations (anything
// another kernel writes or reads), it calls dev::wait_for_previous_kernel() (device-math.cuh),
// which returns once the previous kernel has finished and its writes are visible. Since each kernel
// waits for its predecessor, it also waits for every kernel before that.
//
// Launches are programmatic only inside a ProgrammaticLaunches scope that asks for them: the
// encoder does for few tokens, where every kernel is one short wave (H100: batch 1 INT8 0.525 →
// 0.485 ms), and not for many, where they measured slower (batch 128 INT8 5.65 → 5.78 ms with the
// next kernel let in at the end, 5.85 at the start; why is not known). SAMP_CUDA_PDL=0 turns them
// off everywhere (to measure what they give).
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace samp::cuda {

namespace detail {
inline thread_local bool programmatic_scope = false;
}  // namespace detail

/// Makes this thread's launches programmatic (where the device allows) while it lives, if `wanted`.
class ProgrammaticLaunches {
 public:
  explicit ProgrammaticLaunches(bool wanted) : saved_(detail::programmatic_scope) {
    detail::programmatic_scope = wanted;
  }
  ~ProgrammaticLaunches() { detail::programmatic_scope = saved_; }
  ProgrammaticLaunches(const ProgrammaticLaunches&) = delete;
  ProgrammaticLaunches& operator=(const ProgrammaticLaunches&) = delete;

 private:
  bool saved_;
};

/// Whether this launch may be programmatic: inside a scope that asks for it, on a device of compute
/// capability 9.0 or newer, and SAMP_CUDA_PDL is not "0".
inline bool programmatic_launch_allowed() {
  static const bool disabled = [] {
    const char* value = std::getenv("SAMP_CUDA_PDL");
    return value != nullptr && std::strcmp(value, "0") == 0;
  }();
  if (disabled || !detail::programmatic_scope)
    return false;
  constexpr int kDevices = 64;
  static std::atomic<signed char> known[kDevices];  // 0: not asked yet, 1: yes, -1: no
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= kDevices)
    return false;
  signed char allowed = known[device].load(std::memory_order_relaxed);
  if (allowed == 0) {
    int major = 0;
    const bool sm90_or_newer =
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess &&
        major >= 9;
    allowed = sm90_or_newer ? 1 : -1;
    known[device].store(allowed, std::memory_order_relaxed);
  }
  return allowed > 0;
}

/// Where and how a kernel runs: kernel<<<grid, block, shared_bytes, stream>>>, in thread-block
/// clusters of `cluster` blocks along x when it is not 0.
struct LaunchShape {
  dim3 grid;
  dim3 block;
  std::size_t shared_bytes = 0;
  cudaStream_t stream = nullptr;
  unsigned cluster = 0;
};

/// Launches kernel(args...) with `shape`, programmatically where allowed (see the top of the file
/// for the contract the kernel keeps). Returns the launch's error.
template <typename... Params, typename... Args>
cudaError_t launch_kernel(const LaunchShape& shape, void (*kernel)(Params...), Args&&... args) {
  cudaLaunchAttribute attributes[2]{};
  unsigned count = 0;
  if (programmatic_launch_allowed()) {
    attributes[count].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attributes[count++].val.programmaticStreamSerializationAllowed = 1;
  }
  if (shape.cluster != 0) {
    attributes[count].id = cudaLaunchAttributeClusterDimension;
    attributes[count++].val.clusterDim = {shape.cluster, 1, 1};
  }
  cudaLaunchConfig_t config{};
  config.gridDim = shape.grid;
  config.blockDim = shape.block;
  config.dynamicSmemBytes = shape.shared_bytes;
  config.stream = shape.stream;
  config.attrs = attributes;
  config.numAttrs = count;
  return cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

}  // namespace samp::cuda
