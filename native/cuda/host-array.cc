#include "host-array.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace samp::cuda {
namespace {

constexpr std::size_t kHuge = std::size_t{2} << 20;  // 2 MiB: a transparent huge page
constexpr std::size_t kPoolBlocks = 4;               // freed large blocks kept for reuse
constexpr std::size_t kPoolBytes = std::size_t{512} << 20;

std::size_t mapped_bytes(std::size_t count) {
  return (count * sizeof(float) + kHuge - 1) / kHuge * kHuge;
}

struct Block {
  void* base = nullptr;
  std::size_t bytes = 0;
};

std::mutex pool_mutex;
std::vector<Block>& pool() {
  static auto* blocks = new std::vector<Block>();  // never destroyed: finalizers may run at exit
  return *blocks;
}

void* map_large(std::size_t bytes) {
  {
    // A pooled block of exactly this size (sizes come in 2 MiB steps; a recurring batch shape
    // asks for the same one), so recycle() always knows a block's size from its count.
    std::lock_guard<std::mutex> lock(pool_mutex);
    auto& blocks = pool();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i].bytes == bytes) {
        void* base = blocks[i].base;
        blocks.erase(blocks.begin() + static_cast<std::ptrdiff_t>(i));
        return base;
      }
    }
  }
  // Over-map by one huge page to align the block on 2 MiB, then trim the ends.
  void* raw =
      mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
  if (aligned > start)
    munmap(raw, aligned - start);
  const std::uintptr_t tail = aligned + bytes;
  if (start + bytes + kHuge > tail)
    munmap(reinterpret_cast<void*>(tail), start + bytes + kHuge - tail);
  void* base = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  madvise(base, bytes, MADV_HUGEPAGE);  // a hint: ignored where huge pages are off
#endif
  return base;
}

void unmap_large(void* base, std::size_t bytes) noexcept {
  {
    std::lock_guard<std::mutex> lock(pool_mutex);
    auto& blocks = pool();
    std::size_t pooled = 0;
    for (const Block& b : blocks)
      pooled += b.bytes;
    if (blocks.size() < kPoolBlocks && pooled + bytes <= kPoolBytes) {
      blocks.push_back({base, bytes});
      return;
    }
  }
  munmap(base, bytes);
}

}  // namespace

HostArray::HostArray(std::size_t count) : count_(count) {
  if (count == 0)
    return;
  if (count * sizeof(float) >= kHuge) {
    data_ = static_cast<float*>(map_large(mapped_bytes(count)));
  } else {
    data_ = static_cast<float*>(std::malloc(count * sizeof(float)));
    if (data_ == nullptr)
      throw std::bad_alloc();
  }
}

HostArray& HostArray::operator=(HostArray&& o) noexcept {
  if (this != &o) {
    recycle(data_, count_);
    data_ = std::exchange(o.data_, nullptr);
    count_ = std::exchange(o.count_, 0);
  }
  return *this;
}

void HostArray::recycle(float* data, std::size_t count) noexcept {
  if (data == nullptr)
    return;
  if (count * sizeof(float) >= kHuge) {
    unmap_large(data, mapped_bytes(count));
  } else {
    std::free(data);
  }
}

}  // namespace samp::cuda
