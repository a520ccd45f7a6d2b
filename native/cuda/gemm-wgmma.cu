// The fused Linear + epilogue of gemm-fused.h on Hopper's warpgroup tensor cores (wgmma, sm_90a
// machine code only: this file is its own target built for compute_90a). One block of two
// warpgroups computes a 128-token × 128-column tile; each warpgroup multiplies its 64 rows by the
// 128 columns with wgmma m64n128 (k32 int8 or FP8 E4M3, k16 FP16: 32 bytes of k per instruction)
// reading both operands straight from shared memory through matrix descriptors. Tiles of 128
// bytes of k go through a 3-stage cp.async pipeline (two blocks an SM), stored in the layout the
// descriptors name: K-major rows of 128 bytes, 8-row atoms of 1024 bytes with the 128-byte
// swizzle (16-byte chunk c of row r at chunk c ^ (r mod 8)). Blocks of 256 columns (m64n256, one
// block an SM) were measured slower on the H100 (int8-full batch 32: 1.841 against 1.685 ms). The
// epilogue is the mma.sync kernel's: accumulators staged in shared memory, then 8 adjacent outputs
// per thread, the same FP32 operations (bit for bit for int8).
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "gemm-fused.h"
#include "hopper-ptx.cuh"
#include "mma-ptx.cuh"
#include "vector-io.cuh"

namespace samp::cuda {
namespace {

using namespace hopper;
using fused::kTileCols;
using fused::kTileRows;      // 64 per warpgroup
constexpr int kTileK = 128;  // bytes of k per stage (one swizzle row)
constexpr int kStages = 3;
constexpr int kThreads = 256;
constexpr int kOperandBytes = kTileRows * kTileK;  // X's tile; W's is the same size
constexpr int kStageBytes = 2 * kOperandBytes;
constexpr int kEpilogueLd = kTileCols + 8;
// The stages, plus slack to start them on a 1024-byte boundary (the swizzle atom).
constexpr int kSharedBytes = kStages * kStageBytes + 1024;
static_assert(kTileRows * kEpilogueLd * 4 <= kStages * kStageBytes, "epilogue tile fits");

/// Blocks per SM the registers must allow: two, except FP8's second accumulator set needs one.
template <typename In>
constexpr int kMinBlocks = std::is_same_v<In, __nv_fp8_e4m3> ? 1 : 2;

template <typename In, typename T, typename Q>
__global__ void __launch_bounds__(kThreads, kMinBlocks<In>)
    gemm_wgmma_kernel(const In* __restrict__ x, const In* __restrict__ w, int tokens, int k_bytes,
                      Dequant dq, Activation act, T* out, int ld_out, QuantOut<Q> q) {
#ifdef SAMP_WGMMA
  using Acc = typename fused::Accumulator<In>::type;
  extern __shared__ std::uint8_t raw[];
  const std::uint32_t raw_addr = ptx::smem_addr(raw);
  const std::uint32_t pad = ((raw_addr + 1023u) & ~1023u) - raw_addr;
  std::uint8_t* smem = raw + pad;
  const std::uint32_t base = raw_addr + pad;
  const int tid = threadIdx.x;
  const int group = tid >> 7;  // warpgroup: rows 64·group …
  const int row0 = blockIdx.y * kTileRows;
  const int col0 = blockIdx.x * kTileCols;
  const auto* xb = reinterpret_cast<const std::uint8_t*>(x);
  const auto* wb = reinterpret_cast<const std::uint8_t*>(w);
  const int tiles = k_bytes / kTileK;

  // Each thread queues 4 of the 1024 chunks of X's tile and 4 of W's.
  const auto load = [&](int stage, int tile) {
    std::uint8_t* a = smem + stage * kStageBytes;
    std::uint8_t* b = a + kOperandBytes;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int id = tid + i * kThreads;
      const int r = id >> 3, c = id & 7;
      const int at = r * kTileK + ((c ^ (r & 7)) << 4);
      const bool valid = row0 + r < tokens;
      const std::size_t offset = static_cast<std::size_t>(tile) * kTileK + c * 16;
      ptx::copy16(a + at, xb + static_cast<std::size_t>(valid ? row0 + r : 0) * k_bytes + offset,
                  valid);
      ptx::copy16(b + at, wb + static_cast<std::size_t>(col0 + r) * k_bytes + offset, true);
    }
  };

  constexpr bool kPromote = std::is_same_v<In, __nv_fp8_e4m3>;
  Acc d[64];
  Acc part[kPromote ? 64 : 1];
#pragma unroll
  for (int i = 0; i < 64; ++i)
    d[i] = 0;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < tiles)
      load(s, s);
    ptx::commit();
  }
  for (int kt = 0; kt < tiles; ++kt) {
    ptx::wait_copies<kStages - 2>();
    fence_async_proxy();
    __syncthreads();  // tile kt is in shared memory for every thread
    const std::uint32_t stage = base + (kt % kStages) * kStageBytes;
    const std::uint64_t a = descriptor(stage + group * 64 * kTileK);
    const std::uint64_t b = descriptor(stage + kOperandBytes);
    wgmma_fence();
    if constexpr (kPromote) {
      // FP8: the tensor cores keep fewer bits than FP32 when they accumulate E4M3 products, so
      // each tile's 128 products are summed apart and added to the FP32 totals here.
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step)
        wgmma(part, a + 2 * step, b + 2 * step, x, step > 0 ? 1 : 0);
      wgmma_commit();
      wgmma_wait<0>();
#pragma unroll
      for (int i = 0; i < 64; ++i)
        d[i] += part[i];
    } else {
#pragma unroll
      for (int step = 0; step < kTileK / 32; ++step)
        wgmma(d, a + 2 * step, b + 2 * step, x,
              1);  // + 32 bytes: 2 of the descriptor's 16-byte units
      wgmma_commit();
    }
    // Tile kt's products keep running while tile kt − 1's are waited for, in both warpgroups;
    // then its stage is refilled.
    wgmma_wait<1>();
    __syncthreads();
    if (kt + kStages - 1 < tiles)
      load((kt + kStages - 1) % kStages, kt + kStages - 1);
    ptx::commit();
  }
  wgmma_wait<0>();

  // Epilogue: lane (g, t) of warp v of the warpgroup holds rows 16v + g and 16v + g + 8 at
  // columns 8i + 2t, 8i + 2t + 1 (i = 0…15) in d[4i …].
  ptx::wait_copies<0>();
  __syncthreads();
  Acc* tile = reinterpret_cast<Acc*>(smem);
  const int lane = tid & 31, v = (tid >> 5) & 3;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < 16; ++i) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      Acc* at = tile + (group * 64 + v * 16 + g + 8 * half) * kEpilogueLd + 8 * i + 2 * t;
      at[0] = d[4 * i + 2 * half];
      at[1] = d[4 * i + 2 * half + 1];
    }
  }
  __syncthreads();
  fused::store_tile<kThreads, kTileRows, kTileCols>(tid, tile, kEpilogueLd, row0, col0, tokens, dq,
                                                    act, out, ld_out, q);
#endif
}

template <typename In, typename T, typename Q>
cudaError_t allow(cudaError_t previous) {
  if (previous != cudaSuccess)
    return previous;
  return cudaFuncSetAttribute(gemm_wgmma_kernel<In, T, Q>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize, kSharedBytes);
}

}  // namespace

bool gemm_fused_wgmma_available() {
  // Two attributes rather than cudaGetDeviceProperties, which fills ~100 fields (every session
  // asks).
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess ||
      major != 9 || minor != 0)
    return false;
  cudaFuncAttributes attributes{};
  return cudaFuncGetAttributes(&attributes, gemm_wgmma_kernel<int8_t, __half, int8_t>) ==
         cudaSuccess;
}

template <typename In>
bool gemm_fused_wgmma_supported(int n, int k, int ld_out, int ld_q) {
  return gemm_fused_supported<In>(n, k, ld_out, ld_q) &&
         (static_cast<long long>(k) * sizeof(In)) % kTileK == 0;
}

template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused_wgmma(const In* x, const In* w, int tokens, int n, int k,
                                    const Dequant& dq, Activation act, T* out, int ld_out,
                                    const QuantOut<Q>& q, cudaStream_t stream) {
  const bool supported =
      gemm_fused_wgmma_supported<In>(n, k, out != nullptr ? ld_out : 0, q.q != nullptr ? q.ld : 0);
  if (!fused::launchable(supported, tokens, x, w, out, q.q))
    return cudaErrorInvalidValue;
  if (tokens == 0)
    return cudaSuccess;
  gemm_wgmma_kernel<In, T, Q><<<fused::grid(tokens, n), kThreads, kSharedBytes, stream>>>(
      x, w, tokens, k * static_cast<int>(sizeof(In)), dq, act, out, ld_out, q);
  return cudaGetLastError();
}

cudaError_t allow_gemm_fused_wgmma_shared_bytes() {
  cudaError_t err = cudaSuccess;
#define SAMP_ALLOW(In, T, Q) err = allow<In, T, Q>(err);
  SAMP_FUSED_GEMM_TYPES(SAMP_ALLOW)
  SAMP_ALLOW(__nv_fp8_e4m3, __half, int8_t)
  SAMP_ALLOW(__nv_fp8_e4m3, __half, __nv_fp8_e4m3)
#undef SAMP_ALLOW
  return err;
}

#define SAMP_GEMM_WGMMA(In, T, Q)                                                             \
  template cudaError_t launch_gemm_fused_wgmma<In, T, Q>(const In*, const In*, int, int, int, \
                                                         const Dequant&, Activation, T*, int, \
                                                         const QuantOut<Q>&, cudaStream_t);
SAMP_FUSED_GEMM_TYPES(SAMP_GEMM_WGMMA)
SAMP_GEMM_WGMMA(__nv_fp8_e4m3, __half, int8_t)  // FP8 inputs: wgmma only
SAMP_GEMM_WGMMA(__nv_fp8_e4m3, __half, __nv_fp8_e4m3)
#undef SAMP_GEMM_WGMMA

template bool gemm_fused_wgmma_supported<int8_t>(int, int, int, int);
template bool gemm_fused_wgmma_supported<__half>(int, int, int, int);
template bool gemm_fused_wgmma_supported<__nv_fp8_e4m3>(int, int, int, int);

}  // namespace samp::cuda
