// Capturing work into a CUDA graph: the encoder's graphs for small batches, and the fused-or-split
// timing (fused-choice.h) that measures each way as a graph replay.
#pragma once

#include <cuda_runtime.h>

#include "cuda-check.h"

namespace samp::cuda {

/// What f() queues on `stream`, captured (thread-local mode) into an executable graph the caller
/// destroys. Throws what f throws, or the failed CUDA call (check_cuda); the stream leaves
/// capture mode either way, with the capture's error cleared.
template <typename F>
cudaGraphExec_t capture_graph(cudaStream_t stream, const F& f) {
  check_cuda(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal),
             "cudaStreamBeginCapture");
  cudaGraph_t graph = nullptr;
  try {
    f();
  } catch (...) {
    cudaStreamEndCapture(stream, &graph);
    if (graph != nullptr)
      cudaGraphDestroy(graph);
    cudaGetLastError();
    throw;
  }
  check_cuda(cudaStreamEndCapture(stream, &graph), "cudaStreamEndCapture");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  check_cuda(err, "cudaGraphInstantiate");
  return exec;
}

}  // namespace samp::cuda
