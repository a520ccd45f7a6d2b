// Host memory for a run's largest output (last_hidden_state: 50 MB of FP32 at batch 128 × 128 ×
// 768). A fresh malloc of that size is a fresh mmap whose first touch takes one page fault per 4
// KiB (12 k faults, tens of milliseconds on the GPU machine's VM), so blocks of 2 MiB and more are
// mapped 2 MiB-aligned with transparent huge pages requested, and a few freed blocks are kept for
// reuse (already faulted in). Ownership can be handed to JS (release(), then recycle() from the
// ArrayBuffer's finalizer).
#pragma once

#include <cstddef>

namespace samp::cuda {

class HostArray {
 public:
  HostArray() = default;
  /// Uninitialised room for `count` floats. Throws std::bad_alloc.
  explicit HostArray(std::size_t count);
  ~HostArray() { recycle(data_, count_); }
  HostArray(const HostArray&) = delete;
  HostArray& operator=(const HostArray&) = delete;
  HostArray(HostArray&& o) noexcept : data_(o.data_), count_(o.count_) {
    o.data_ = nullptr;
    o.count_ = 0;
  }
  HostArray& operator=(HostArray&& o) noexcept;

  float* data() const { return data_; }
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  float* begin() const { return data_; }
  float* end() const { return data_ + count_; }

  /// Gives up ownership; the caller frees the block with recycle(data, count).
  float* release() {
    float* d = data_;
    data_ = nullptr;
    count_ = 0;
    return d;
  }
  /// Frees a block made by HostArray (large ones go to the reuse pool, or back to the system).
  static void recycle(float* data, std::size_t count) noexcept;

 private:
  float* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace samp::cuda
