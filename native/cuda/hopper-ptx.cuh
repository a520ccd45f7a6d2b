// PTX wrappers for Hopper's asynchronous units (sm_90a machine code only; the files that include
// this are built for compute_90a): warpgroup tensor-core products (wgmma) reading K-major operands
// with the 128-byte swizzle from shared memory, the mbarriers that pace a pipeline, and the tensor
// memory accelerator (TMA) copies that fill it. Outside sm_90a compilation passes the wrappers are
// not defined (SAMP_WGMMA unset), so the kernels that use them compile to empty bodies there.
#pragma once

#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SAMP_WGMMA 1
#endif

namespace samp::cuda::hopper {

#ifdef SAMP_WGMMA
/// The descriptor of a K-major operand with the 128-byte swizzle at shared address `addr`
/// (1024-byte aligned): 8-row atoms 1024 bytes apart; the leading offset is unused in this mode.
__device__ __forceinline__ std::uint64_t descriptor(std::uint32_t addr) {
  std::uint64_t d = (addr & 0x3FFFF) >> 4;
  d |= std::uint64_t{1} << 16;
  d |= std::uint64_t{1024 >> 4} << 32;
  d |= std::uint64_t{1} << 62;
  return d;
}

// The 64 accumulator registers of an m64n128 wgmma: the operand list and the asm outputs (c is
// "r" for int32, "f" for FP32); the descriptors are operands 64 and 65, the scale-d flag 66.
#define SAMP_WGMMA_D                                                                 \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "          \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, " \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
#define SAMP_WGMMA_OUT(c)                                                                    \
  "+" c(d[0]), "+" c(d[1]), "+" c(d[2]), "+" c(d[3]), "+" c(d[4]), "+" c(d[5]), "+" c(d[6]), \
      "+" c(d[7]), "+" c(d[8]), "+" c(d[9]), "+" c(d[10]), "+" c(d[11]), "+" c(d[12]),       \
      "+" c(d[13]), "+" c(d[14]), "+" c(d[15]), "+" c(d[16]), "+" c(d[17]), "+" c(d[18]),    \
      "+" c(d[19]), "+" c(d[20]), "+" c(d[21]), "+" c(d[22]), "+" c(d[23]), "+" c(d[24]),    \
      "+" c(d[25]), "+" c(d[26]), "+" c(d[27]), "+" c(d[28]), "+" c(d[29]), "+" c(d[30]),    \
      "+" c(d[31]), "+" c(d[32]), "+" c(d[33]), "+" c(d[34]), "+" c(d[35]), "+" c(d[36]),    \
      "+" c(d[37]), "+" c(d[38]), "+" c(d[39]), "+" c(d[40]), "+" c(d[41]), "+" c(d[42]),    \
      "+" c(d[43]), "+" c(d[44]), "+" c(d[45]), "+" c(d[46]), "+" c(d[47]), "+" c(d[48]),    \
      "+" c(d[49]), "+" c(d[50]), "+" c(d[51]), "+" c(d[52]), "+" c(d[53]), "+" c(d[54]),    \
      "+" c(d[55]), "+" c(d[56]), "+" c(d[57]), "+" c(d[58]), "+" c(d[59]), "+" c(d[60]),    \
      "+" c(d[61]), "+" c(d[62]), "+" c(d[63])

__device__ __forceinline__ void wgmma(int (&d)[64], std::uint64_t a, std::uint64_t b, const int8_t*,
                                      int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 " SAMP_WGMMA_D "%64, %65, p;\n}\n"
      : SAMP_WGMMA_OUT("r")
      : "l"(a), "l"(b), "r"(accumulate));
}

__device__ __forceinline__ void wgmma(float (&d)[64], std::uint64_t a, std::uint64_t b,
                                      const __half*, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 " SAMP_WGMMA_D
      "%64, %65, p, 1, 1, 0, 0;\n}\n"
      : SAMP_WGMMA_OUT("f")
      : "l"(a), "l"(b), "r"(accumulate));
}

__device__ __forceinline__ void wgmma(float (&d)[64], std::uint64_t a, std::uint64_t b,
                                      const __nv_fp8_e4m3*, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 " SAMP_WGMMA_D
      "%64, %65, p, 1, 1;\n}\n"
      : SAMP_WGMMA_OUT("f")
      : "l"(a), "l"(b), "r"(accumulate));
}
#undef SAMP_WGMMA_D
#undef SAMP_WGMMA_OUT

__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
/// Waits until at most kPending committed groups of products are still running.
template <int kPending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
/// Makes this thread's completed shared-memory writes (cp.async) visible to the async proxy
/// that wgmma reads through.
__device__ __forceinline__ void fence_async_proxy() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

/// Sets up an mbarrier at shared address `bar` that completes a phase after `count` arrivals (and
/// the bytes announced by arrive_expect_tx).
__device__ __forceinline__ void mbarrier_init(std::uint32_t bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count));
}
/// Makes initialized mbarriers visible to the other threads and to the TMA unit.
__device__ __forceinline__ void mbarrier_init_fence() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
/// One arrival that also announces `bytes` the TMA unit will deliver in this phase.
__device__ __forceinline__ void mbarrier_arrive_expect_tx(std::uint32_t bar, unsigned bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void mbarrier_arrive(std::uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
/// Waits until the phase of parity `parity` has completed (a fresh barrier counts the phase
/// before its first, parity 1, as completed).
__device__ __forceinline__ void mbarrier_wait(std::uint32_t bar, unsigned parity) {
  asm volatile(
      "{\n.reg .pred done;\nsamp_wait:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra samp_wait;\n}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

/// The box at (x bytes, y rows) of the 2-D byte tensor `map` into shared memory at `dst`, counted
/// on the mbarrier `bar` (rows past the tensor's end arrive as zeros).
__device__ __forceinline__ void tma_load_2d(std::uint32_t dst, const void* map, std::uint32_t bar,
                                            int x, int y) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, "
      "%4}], [%2];\n" ::"r"(dst),
      "l"(reinterpret_cast<std::uint64_t>(map)), "r"(bar), "r"(x), "r"(y)
      : "memory");
}

/// Lowers (dec) or raises (inc) this warpgroup's registers per thread to kRegs; every warp of the
/// warpgroup executes it. Lets the consumers of a warp-specialized kernel hold more accumulators
/// than the block's even share.
template <int kRegs>
__device__ __forceinline__ void release_registers() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}
template <int kRegs>
__device__ __forceinline__ void claim_registers() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}

/// Arrives at named barrier `id` and waits for `threads` threads there (a subset of the block).
__device__ __forceinline__ void named_barrier(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
#endif

}  // namespace samp::cuda::hopper
