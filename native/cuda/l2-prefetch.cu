// The L2 prefetch kernel (l2-prefetch.h): each thread takes 32 KB pieces of the ranges in turn.
#include "cuda-check.h"
#include "l2-prefetch.h"
#include "stream-pool.h"

namespace samp::cuda {
namespace {

constexpr unsigned long long kPiece = 32 * 1024;
constexpr int kThreads = 128;
constexpr int kMaxBlocks = 16;  // a few SMs: the GEMMs it runs beside leave most of them idle

__host__ __device__ inline unsigned long long pieces_of(unsigned long long bytes) {
  return (bytes + kPiece - 1) / kPiece;
}

__global__ void l2_prefetch_kernel(L2Ranges ranges) {
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  unsigned long long piece = static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  unsigned long long first = 0;  // the index of range r's first piece
  for (int r = 0; r < ranges.count; ++r) {
    const unsigned long long pieces = pieces_of(ranges.bytes[r]);
    for (; piece < first + pieces; piece += stride) {
      const unsigned long long offset = (piece - first) * kPiece;
      const unsigned long long left = ranges.bytes[r] - offset;
      const unsigned long long size = left < kPiece ? left : kPiece;
      const char* p = ranges.begin[r] + offset;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
      // One bulk prefetch a piece (the TMA unit splits it into lines): 16-byte multiples only.
      const unsigned bulk = static_cast<unsigned>(size & ~15ull);
      if (bulk != 0)
        asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(p), "r"(bulk) : "memory");
#else
      for (unsigned long long line = 0; line < size; line += 128)
        asm volatile("prefetch.global.L2 [%0];" ::"l"(p + line));
#endif
    }
    first += pieces;
  }
}

}  // namespace

cudaError_t launch_l2_prefetch(const L2Ranges& ranges, cudaStream_t stream) {
  unsigned long long pieces = 0;
  for (int r = 0; r < ranges.count; ++r)
    pieces += pieces_of(ranges.bytes[r]);
  if (pieces == 0)
    return cudaSuccess;
  const unsigned long long wanted = (pieces + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(wanted < kMaxBlocks ? wanted : kMaxBlocks);
  l2_prefetch_kernel<<<blocks, kThreads, 0, stream>>>(ranges);
  return cudaGetLastError();
}

L2Prefetcher::L2Prefetcher(int device) : device_(device) {
  cudaError_t err = acquire_stream(device, StreamRole::kPrefetch, &side_);
  if (err == cudaSuccess)
    err = cudaEventCreateWithFlags(&fork_, cudaEventDisableTiming);
  if (err == cudaSuccess)
    err = cudaEventCreateWithFlags(&join_, cudaEventDisableTiming);
  if (err != cudaSuccess) {
    release();
    check_cuda(err, "the L2 prefetch stream and events");
  }
}

L2Prefetcher::~L2Prefetcher() {
  release();
}

void L2Prefetcher::release() {
  if (join_ != nullptr)
    cudaEventDestroy(join_);
  if (fork_ != nullptr)
    cudaEventDestroy(fork_);
  release_stream(device_, StreamRole::kPrefetch, side_);
  side_ = nullptr;
  join_ = fork_ = nullptr;
}

void L2Prefetcher::fetch(cudaStream_t stream, const L2Ranges& ranges) {
  check_cuda(cudaEventRecord(fork_, stream), "cudaEventRecord (L2 prefetch)");
  check_cuda(cudaStreamWaitEvent(side_, fork_, 0), "cudaStreamWaitEvent (L2 prefetch)");
  check_cuda(launch_l2_prefetch(ranges, side_), "L2 prefetch kernel");
  forked_ = true;
}

void L2Prefetcher::join(cudaStream_t stream) {
  if (!forked_)
    return;
  check_cuda(cudaEventRecord(join_, side_), "cudaEventRecord (L2 prefetch)");
  check_cuda(cudaStreamWaitEvent(stream, join_, 0), "cudaStreamWaitEvent (L2 prefetch)");
  forked_ = false;
}

}  // namespace samp::cuda
