// Capturing work into a CUDA graph: the encoder's graphs for small batches, and graph_ms, the
// timing of a candidate as a graph replay (the cuBLASLt tuning of gemm.cc, the fused-or-split
// choice of fused-choice.h).
#pragma once

#include <cuda_runtime.h>

#include "cuda-check.h"
#include "timer.h"

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

/// The GPU time of one f() in ms: `runs` of it captured into a CUDA graph, replayed once to warm
/// up, then timed. Graph replay leaves out the host's launch gaps, which at small sizes would
/// favour whichever way launches fewer kernels rather than the faster one (the runs that small
/// batches take are graph replays too).
template <typename F>
double graph_ms(cudaStream_t stream, int runs, const F& f) {
  const cudaGraphExec_t exec = capture_graph(stream, [&] {
    for (int i = 0; i < runs; ++i)
      f();
  });
  cudaError_t err = cudaGraphLaunch(exec, stream);
  double ms = 0;
  if (err == cudaSuccess) {
    try {
      Timer timer;
      timer.start(stream);
      err = cudaGraphLaunch(exec, stream);
      timer.stop(stream);
      if (err == cudaSuccess)
        err = cudaStreamSynchronize(stream);
      if (err == cudaSuccess)
        ms = timer.ms() / runs;
    } catch (...) {
      cudaGraphExecDestroy(exec);
      throw;
    }
  }
  cudaGraphExecDestroy(exec);
  check_cuda(err, "cudaGraphLaunch");
  return ms;
}

}  // namespace samp::cuda
