// Device memory of a session: RAII buffers, and the run workspace, a pool that keeps its largest
// allocation between runs (so steady-state runs allocate nothing) and honours an optional cap.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace samp::cuda {

/// One cudaMalloc'd block, freed on destruction. Throws SAMP_DEVICE_OUT_OF_MEMORY when the
/// allocation fails ("asked for N bytes" in the message).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes);
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) {
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      std::swap(ptr_, o.ptr_);
      std::swap(bytes_, o.bytes_);
    }
    return *this;
  }
  void reset();
  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Page-locked host memory (for asynchronous copies), freed on destruction.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { reset(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  /// Grows to at least `bytes` (contents are not kept).
  void reserve(std::size_t bytes);
  void reset();
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

/// The scratch memory of runs: one block, grown (never shrunk) to the largest run so far, and
/// carved into 256-byte aligned pieces per run. `limit` > 0 caps it: a run that needs more fails
/// with SAMP_DEVICE_OUT_OF_MEMORY before touching the device, and the session stays usable.
class Workspace {
 public:
  explicit Workspace(std::size_t limit = 0) : limit_(limit) {}
  /// Makes the block at least `bytes`; returns true when it moved (pointers handed out earlier,
  /// and CUDA graphs captured over them, are then stale).
  bool reserve(std::size_t bytes);
  std::size_t capacity() const { return block_.bytes(); }
  std::size_t limit() const { return limit_; }
  void* base() const { return block_.get(); }

  /// Bytes a piece of `bytes` occupies.
  static std::size_t aligned(std::size_t bytes) { return (bytes + 255) / 256 * 256; }

 private:
  std::size_t limit_;
  DeviceBuffer block_;
};

/// Hands out consecutive pieces of a workspace block (or only counts them when `base` is null,
/// to size the block first).
class Carver {
 public:
  explicit Carver(void* base = nullptr) : base_(static_cast<char*>(base)) {}
  template <typename T>
  T* take(std::size_t count) {
    char* p = base_ == nullptr ? nullptr : base_ + used_;
    used_ += Workspace::aligned(count * sizeof(T));
    return reinterpret_cast<T*>(p);
  }
  std::size_t used() const { return used_; }

 private:
  char* base_;
  std::size_t used_ = 0;
};

}  // namespace samp::cuda
