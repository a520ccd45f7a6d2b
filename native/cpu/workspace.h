// Scratch memory of one encoder, kept between runs (runs of an encoder are serialised): a run
// neither allocates nor zero-fills its activation buffers, which on a batch of 32×48 tokens cost
// ~6% of a run in page faults and memset (measured with bench_encoder). Buffers only grow; their
// contents are garbage at the start of every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

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

  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() {
    for (Buffer& b : buffers_)
      ::operator delete(b.data, std::align_val_t{64});
  }

  /// `count` elements of T in `slot`, 64-byte aligned, contents unspecified. A later call for the
  /// same slot may move it (when it grows): callers take each slot once per run.
  template <class T>
  T* get(Slot slot, std::size_t count) {
    Buffer& b = buffers_[slot];
    const std::size_t bytes = count * sizeof(T);
    if (bytes > b.size) {
      ::operator delete(b.data, std::align_val_t{64});
      b.data = nullptr;
      b.size = 0;
      b.data = ::operator new(bytes, std::align_val_t{64});
      b.size = bytes;
    }
    return static_cast<T*>(b.data);
  }

  /// Bytes held, for memory reports.
  std::size_t bytes() const {
    std::size_t total = 0;
    for (const Buffer& b : buffers_)
      total += b.size;
    return total;
  }

 private:
  struct Buffer {
    void* data = nullptr;
    std::size_t size = 0;
  };
  Buffer buffers_[kSlots];
};

}  // namespace samp::cpu
