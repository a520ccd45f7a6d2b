// Where a fused GEMM kernel stages a tile's sums in shared memory when it has no room for a padded
// row stride (the persistent TMA kernel stages whole 128 × 128 tiles): plain arithmetic, shared by
// the kernels and the host test that checks it spreads every access over all 32 banks.
#pragma once

#if defined(__CUDACC__)
#define SAMP_HOST_DEVICE __host__ __device__
#else
#define SAMP_HOST_DEVICE
#endif

namespace samp::cuda::fused {

/// The element offset of (row, col) in an unpadded staged tile of 128 columns of kBytes-byte values
/// (4: int32 or FP32 sums; 2: FP16): its 16-byte chunk XORed with row bits, 2 · (row mod 4) for
/// 4-byte values, row mod 8 for 2-byte ones. The epilogue's accesses then touch all 32 banks once,
/// as with a padded stride: the 64-bit (4-byte values, half warp: rows g … g + 3, columns 8i + 2t)
/// or 32-bit (2-byte values, warp: rows g … g + 7) staging stores, and a quarter warp's 16-byte
/// reads of 8 column groups of a row (load_staged8's order for 4-byte values, whose chunks 2m and
/// 2m + 1 stay adjacent).
template <int kBytes>
SAMP_HOST_DEVICE constexpr int swizzled_offset(int row, int col) {
  static_assert(kBytes == 4 || kBytes == 2, "4- or 2-byte values");
  if constexpr (kBytes == 4)
    return row * 128 + (((col >> 2) ^ ((row & 3) << 1)) << 2) + (col & 3);
  else
    return row * 128 + (((col >> 3) ^ (row & 7)) << 3) + (col & 7);
}

}  // namespace samp::cuda::fused
