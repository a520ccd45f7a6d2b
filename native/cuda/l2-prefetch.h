// Warming the L2 cache with weights a later kernel will read. With few tokens every GEMM of the
// encoder is one short wave whose blocks mostly wait on HBM for their weight tiles; fetched into
// L2 while the layer before still computes, those reads become L2 hits.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace samp::cuda {

/// Up to kMax device byte ranges to prefetch (a layer's weights, biases and LayerNorms).
struct L2Ranges {
  static constexpr int kMax = 16;
  const char* begin[kMax] = {};
  unsigned long long bytes[kMax] = {};
  int count = 0;

  /// Adds [p, p + bytes) if there is room and it is not empty; returns whether it was added.
  bool add(const void* p, std::size_t n) {
    if (p == nullptr || n == 0 || count == kMax)
      return false;
    begin[count] = static_cast<const char*>(p);
    bytes[count++] = n;
    return true;
  }
};

/// Queues a small kernel on `stream` that asks the memory system to bring `ranges` into L2 and
/// returns at once (the fetches are hints that complete on their own; nothing is written).
cudaError_t launch_l2_prefetch(const L2Ranges& ranges, cudaStream_t stream);

/// Prefetches on a stream of its own that forks from the caller's stream at fetch() and rejoins
/// it at join(), so the prefetch kernels run beside the caller's kernels (in a CUDA graph being
/// captured on the caller's stream they become a parallel branch). join() must follow the last
/// fetch() before the caller's stream is synchronised or its capture ends.
class L2Prefetcher {
 public:
  /// Takes its stream from the pool of `device` (the current device; stream-pool.h).
  explicit L2Prefetcher(int device);
  ~L2Prefetcher();
  L2Prefetcher(const L2Prefetcher&) = delete;
  L2Prefetcher& operator=(const L2Prefetcher&) = delete;

  /// Prefetches `ranges` once the work queued on `stream` so far has finished.
  void fetch(cudaStream_t stream, const L2Ranges& ranges);
  /// Makes later work on `stream` wait for the prefetches (they are short).
  void join(cudaStream_t stream);

 private:
  void release();

  int device_ = 0;
  cudaStream_t side_ = nullptr;
  cudaEvent_t fork_ = nullptr, join_ = nullptr;
  bool forked_ = false;
};

}  // namespace samp::cuda
