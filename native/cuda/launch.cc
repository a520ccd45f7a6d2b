// launch.h's carveout preference, set once per kernel and device.
#include "launch.h"

#include <mutex>
#include <set>
#include <utility>

namespace samp::cuda {

void prefer_shared_carveout(const void* kernel, cudaStream_t stream) {
  static std::mutex mutex;
  // Never destroyed: sessions may launch during static destruction.
  static std::set<std::pair<const void*, int>>* done = new std::set<std::pair<const void*, int>>();
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();  // no driver: the launch reports it
    return;
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (done->count({kernel, device}) != 0)
    return;
  // Not while capturing: a call outside the stream's work could end the capture. The launch is
  // captured as it is; a later eager launch sets the preference.
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &status) != cudaSuccess ||
      status != cudaStreamCaptureStatusNone) {
    cudaGetLastError();
    return;
  }
  if (cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                           cudaSharedmemCarveoutMaxShared) == cudaSuccess)
    done->insert({kernel, device});
  else
    cudaGetLastError();  // non-sticky; the launch itself reports what is wrong
}

}  // namespace samp::cuda
