// Scratch memory of one encoder, kept between runs (runs of an encoder are serialised): a run
// neither allocates nor zero-fills its activation buffers, which on a batch of 32×48 tokens cost
// ~6% of a run in page faults and memset (measured with bench_encoder). Buffers grow to what a run
// asks for; their contents are garbage at the start of every run.
//
// So that one huge batch does not pin its memory for the rest of a long-lived session (one run of
// 65,536 tokens of the 4-layer demo model left 763 MiB resident until dispose), end_run() applies a
// simple rule after every run: when the buffers hold more than kKeepBytes (64 MiB) and more than
// twice what any of the kHistory (8) runs before this one needed, they are all freed. So a huge run
// among small ones gives its memory back as soon as it ends; large runs that recur keep theirs (the
// second of a size within 8 runs finds the first in the history), so steady-state runs, however
// large, stay on the fast path after one extra allocation; and after a burst of large runs the
// memory goes once 8 smaller runs have followed.
//
// Buffers of kMapBytes (1 MiB) or more are mapped from the kernel directly (mmap) where there is
// mmap, so that freeing them returns the memory: glibc's malloc raises its mmap threshold after
// the first large free, after which buffers of up to 32 MiB come from the allocator's arenas and
// stay resident when freed (measured: the second of two 65,536-token runs, freed, left +83 MiB).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define SAMP_WORKSPACE_MMAP 1
#endif

namespace samp::cpu {

class Workspace {
 public:
  /// The buffers of a run; one slot per live tensor.
  enum Slot {
    kHiddenA,
    kHiddenB,
    kQkv,
    kContext,
    kFfn,
    kQx,            // the layer input, int8 (static QKV scale)
    kQy,            // the FFN input, int8
    kQffn,          // the FFN intermediate activation, int8
    kQkv8,          // query | key | value, int8 (static attention scales)
    kContext8,      // attention context, int8
    kEmbedded,      // embedding output before the projection
    kRowScales,     // per-row dynamic scales of an input quantized outside its Linear
    kLinearQ,       // an Int8Linear's input, quantized by the op itself
    kLinearScales,  // its per-row scales (dynamic)
    kSlots
  };

  /// Below this many bytes held, end_run() never frees anything (the fast path of small runs).
  static constexpr std::size_t kKeepBytes = std::size_t{64} << 20;
  /// How many earlier runs' needs end_run() compares the buffers with.
  static constexpr int kHistory = 8;
  /// Buffers this large or larger are mapped from the kernel (where there is mmap).
  static constexpr std::size_t kMapBytes = std::size_t{1} << 20;

  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() { release(); }

  /// `count` elements of T in `slot`, 64-byte aligned, contents unspecified. A later call for the
  /// same slot may move it (when it grows): callers take each slot once per run.
  template <class T>
  T* get(Slot slot, std::size_t count) {
    Buffer& b = buffers_[slot];
    const std::size_t bytes = count * sizeof(T);
    needed_[slot] = std::max(needed_[slot], bytes);
    if (bytes > b.size) {
      free_buffer(b);
      b.data = allocate(bytes, b.mapped);
      b.size = bytes;
      held_.fetch_add(bytes, std::memory_order_relaxed);
    }
    return static_cast<T*>(b.data);
  }

  /// Ends a run: records what it needed and frees every buffer when the rule at the top of this
  /// file says so. Returns the bytes held afterwards.
  std::size_t end_run() {
    std::size_t need = 0;
    for (std::size_t& n : needed_) {
      need += n;
      n = 0;
    }
    const std::size_t recent = *std::max_element(history_, history_ + kHistory);
    history_[next_] = need;
    next_ = (next_ + 1) % kHistory;
    const std::size_t held = bytes();
    if (held > kKeepBytes && held / 2 > recent)
      release();
    return bytes();
  }

  /// Frees every buffer (the next run allocates what it needs).
  void release() {
    for (Buffer& b : buffers_)
      free_buffer(b);
  }

  /// Bytes held, for memory reports. Safe to read from any thread, even during a run.
  std::size_t bytes() const { return held_.load(std::memory_order_relaxed); }

 private:
  struct Buffer {
    void* data = nullptr;
    std::size_t size = 0;
    bool mapped = false;  // from mmap (else from operator new)
  };

  /// `bytes`, 64-byte aligned (mapped pages are page-aligned). Throws std::bad_alloc.
  static void* allocate(std::size_t bytes, bool& mapped) {
#ifdef SAMP_WORKSPACE_MMAP
    if (bytes >= kMapBytes) {
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        throw std::bad_alloc();
      mapped = true;
      return p;
    }
#endif
    mapped = false;
    return ::operator new(bytes, std::align_val_t{64});
  }

  void free_buffer(Buffer& b) {
    if (b.data == nullptr)
      return;
#ifdef SAMP_WORKSPACE_MMAP
    if (b.mapped)
      munmap(b.data, b.size);
    else
#endif
      ::operator delete(b.data, std::align_val_t{64});
    held_.fetch_sub(b.size, std::memory_order_relaxed);
    b.data = nullptr;
    b.size = 0;
    b.mapped = false;
  }

  Buffer buffers_[kSlots];
  std::size_t needed_[kSlots] = {};     // the largest request per slot in the current run
  std::size_t history_[kHistory] = {};  // bytes needed by the last kHistory runs (a ring)
  int next_ = 0;
  std::atomic<std::size_t> held_{0};
};

}  // namespace samp::cpu
