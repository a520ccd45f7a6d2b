// fused::swizzled_offset, where the persistent TMA GEMM kernel stages whole 128 × 128 tiles of
// sums: every (row, column) gets its own place, 16-byte chunks stay whole, and each access pattern
// of the kernel (staging stores from mma fragments, the epilogue's 16-byte reads) touches every one
// of the 32 four-byte shared-memory banks at most once a request. Plain arithmetic, so it runs
// without a GPU.
#include "staging-swizzle.h"

#include <array>
#include <cstdio>
#include <set>
#include <vector>

#include "check.h"

namespace {

using samp::cuda::fused::swizzled_offset;

constexpr int kRows = 128, kCols = 128;

/// Byte addresses accessed together (one request's worth) as `bytes`-byte accesses: whether no
/// bank is asked for two different words.
bool conflict_free(const std::vector<int>& byte_addresses, int bytes) {
  std::array<std::set<int>, 32> words;
  for (const int a : byte_addresses)
    for (int w = a / 4; w < (a + bytes) / 4; ++w)
      words[static_cast<std::size_t>(w % 32)].insert(w);
  for (const auto& bank : words)
    if (bank.size() > 1)
      return false;
  return true;
}

template <int kBytes>
void check_layout() {
  // A permutation of the tile: every place taken once, none outside.
  std::vector<int> seen(kRows * kCols, 0);
  bool in_range = true;
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < kCols; ++c) {
      const int at = swizzled_offset<kBytes>(r, c);
      if (at < 0 || at >= kRows * kCols)
        in_range = false;
      else
        ++seen[static_cast<std::size_t>(at)];
    }
  }
  int once = 0;
  for (const int n : seen)
    once += n == 1;
  SAMP_CHECK_MSG(in_range && once == kRows * kCols, kBytes << "-byte values: " << once << " of "
                                                           << kRows * kCols << " places used once");

  // 16-byte chunks (and, for 4-byte values, pairs of chunks 2m, 2m + 1) stay contiguous.
  const int run = 8;  // the 8 values one thread reads
  int broken = 0;
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kCols; c += run)
      for (int e = 1; e < run; ++e)
        broken += swizzled_offset<kBytes>(r, c + e) != swizzled_offset<kBytes>(r, c) + e;
  SAMP_CHECK_MSG(broken == 0, kBytes << "-byte values: " << broken << " values off their run");

  // Staging stores. Lane (g, t) of warp v stores columns 8i + 2t, + 1 of rows 16v + g and
  // 16v + g + 8 of each 64-row half: 4-byte values as one 64-bit store (served a half warp at a
  // time), 2-byte values as one 32-bit store (a warp at a time).
  int store_conflicts = 0;
  for (int half = 0; half < 2; ++half)
    for (int v = 0; v < 4; ++v)
      for (int h8 = 0; h8 < 2; ++h8)
        for (int i = 0; i < 16; ++i) {
          const int lanes = kBytes == 4 ? 16 : 32;
          for (int first = 0; first < 32; first += lanes) {
            std::vector<int> addresses;
            for (int lane = first; lane < first + lanes; ++lane) {
              const int row = 64 * half + 16 * v + (lane >> 2) + 8 * h8;
              addresses.push_back(swizzled_offset<kBytes>(row, 8 * i + 2 * (lane & 3)) * kBytes);
            }
            store_conflicts += !conflict_free(addresses, 2 * kBytes);
          }
        }
  SAMP_CHECK_MSG(store_conflicts == 0, kBytes << "-byte values: " << store_conflicts
                                              << " staging store requests conflict");

  // Epilogue reads: thread tid of 128 takes columns c = 8 (tid mod 16) … + 7 of rows tid / 16 + 8j,
  // as 16-byte loads served a quarter warp (8 threads) at a time: for 4-byte values two loads,
  // column groups 4–7 of each 8 taking their second 16 bytes first (load_staged8), for 2-byte
  // values one.
  int read_conflicts = 0;
  for (int step = 0; step < kRows / 8; ++step)
    for (int quarter = 0; quarter < 16; ++quarter)
      for (int load = 0; load < (kBytes == 4 ? 2 : 1); ++load) {
        std::vector<int> addresses;
        for (int tid = 8 * quarter; tid < 8 * quarter + 8; ++tid) {
          const int c = 8 * (tid % 16), row = tid / 16 + 8 * step;
          const int odd = kBytes == 4 ? (c >> 5) & 1 : 0;
          const int chunk = load ^ odd;  // which 16 bytes of the thread's 8 values this load reads
          addresses.push_back(swizzled_offset<kBytes>(row, c) * kBytes + 16 * chunk);
        }
        read_conflicts += !conflict_free(addresses, 16);
      }
  SAMP_CHECK_MSG(read_conflicts == 0,
                 kBytes << "-byte values: " << read_conflicts << " 16-byte read requests conflict");
  std::printf(
      "%d-byte staging: %d of %d places used once, %d values off their run, %d store and %d"
      " read requests conflicting\n",
      kBytes, once, kRows * kCols, broken, store_conflicts, read_conflicts);
}

}  // namespace

int main() {
  check_layout<4>();
  check_layout<2>();
  // The swizzle is what makes these conflict-free: the plain unpadded layout is not.
  std::vector<int> plain;
  for (int lane = 0; lane < 16; ++lane)
    plain.push_back(((lane >> 2) * kCols + 2 * (lane & 3)) * 4);
  SAMP_CHECK_MSG(!conflict_free(plain, 8), "an unpadded 64-bit staging store should conflict");
  return samp::test::result("staging-swizzle-test");
}
