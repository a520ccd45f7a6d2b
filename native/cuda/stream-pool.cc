// The process-wide stream pools of stream-pool.h.
#include "stream-pool.h"

#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace samp::cuda {
namespace {

struct Pools {
  std::mutex mutex;
  std::map<std::pair<int, StreamRole>, std::vector<cudaStream_t>> idle;
};

Pools& pools() {
  static Pools* p = new Pools();  // never destroyed: sessions may end during static destruction
  return *p;
}

}  // namespace

cudaError_t acquire_stream(int device, StreamRole role, cudaStream_t* stream) {
  {
    Pools& p = pools();
    std::lock_guard<std::mutex> lock(p.mutex);
    std::vector<cudaStream_t>& idle = p.idle[{device, role}];
    if (!idle.empty()) {
      *stream = idle.back();
      idle.pop_back();
      return cudaSuccess;
    }
  }
  return cudaStreamCreateWithFlags(stream, cudaStreamNonBlocking);
}

void release_stream(int device, StreamRole role, cudaStream_t stream) {
  if (stream == nullptr)
    return;
  // A stream whose work failed is not handed on: the next session would inherit the error.
  if (cudaStreamSynchronize(stream) != cudaSuccess) {
    cudaStreamDestroy(stream);
    return;
  }
  Pools& p = pools();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.idle[{device, role}].push_back(stream);
}

}  // namespace samp::cuda
