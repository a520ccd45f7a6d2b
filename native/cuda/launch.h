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
// Launches are programmatic only inside a ProgrammaticLaunches scope that asks for them, which
// its opener does only on a GPU of compute capability 9.0 or newer: the encoder does for few
// tokens, where every kernel is one short wave (H100: batch 1 INT8 0.525 → 0.485 ms), and not for
// many, where they measured slower (batch 128 INT8 5.65 → 5.78 ms with the next kernel let in at
// the end, 5.85 at the start; why is not known), nor in sessions made while SAMP_CUDA_PDL=0.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace samp::cuda {

namespace detail {
inline thread_local bool programmatic_scope = false;
}  // namespace detail

/// Makes this thread's launches programmatic while it lives, if `wanted` (only on sm_90 and newer).
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

/// Where and how a kernel runs: kernel<<<grid, block, shared_bytes, stream>>>, in thread-block
/// clusters of `cluster` blocks along x when it is not 0.
struct LaunchShape {
  dim3 grid;
  dim3 block;
  std::size_t shared_bytes = 0;
  cudaStream_t stream = nullptr;
  unsigned cluster = 0;
};

/// Makes `kernel` prefer the largest shared-memory carveout on the current device, once (the first
/// time it is asked while `stream` is not being captured; launch.cc). An SM runs one carveout at a
/// time, and a kernel that leaves the choice to the driver may get a small one: the next kernel's
/// blocks, which need tens of KiB of shared memory, then cannot join that SM until it drains and
/// is reconfigured, which undoes a programmatic launch's early start. For the kernels that run
/// as many small blocks as there are rows at batch 1 (launch_row_spread).
void prefer_shared_carveout(const void* kernel, cudaStream_t stream);

/// Launches kernel(args...) with `shape`, programmatically inside a scope that asks for it (see the
/// top of the file for the contract the kernel keeps). Returns the launch's error.
template <typename... Params, typename... Args>
cudaError_t launch_kernel(const LaunchShape& shape, void (*kernel)(Params...), Args&&... args) {
  cudaLaunchAttribute attributes[2]{};
  unsigned count = 0;
  if (detail::programmatic_scope) {
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

/// Launches a kernel that spreads each of `rows` rows over a block of `threads` threads (the
/// LayerNorm kernels at few rows, kernels.h kSpreadLayerNormMaxRows), preferring the largest
/// carveout first: H100 batch 1, int8-full 0.333 ms before the spread form, 0.373 with it, 0.317
/// with it and this preference (session 17).
template <typename... Params, typename... Args>
cudaError_t launch_row_spread(int rows, int threads, cudaStream_t stream, void (*kernel)(Params...),
                              Args&&... args) {
  prefer_shared_carveout(reinterpret_cast<const void*>(kernel), stream);
  return launch_kernel(
      {dim3(static_cast<unsigned>(rows)), dim3(static_cast<unsigned>(threads)), 0, stream}, kernel,
      std::forward<Args>(args)...);
}

}  // namespace samp::cuda
