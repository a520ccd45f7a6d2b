// Scalar reference kernels (baseline x86-64, no ISA flags): s8×s8 products accumulated in int32
// straight from the packed layout, so the packing itself is exercised by the reference too.
#include <cstddef>
#include <cstdint>

#include "kernel-impl.h"
#include "kernels.h"

namespace samp::int8::detail {
namespace {

struct ScalarKernel {
  using V = VScalar;
  static constexpr std::size_t kMR = 1;
  static constexpr std::size_t kNB = 1;
  static constexpr std::size_t kMC = 64;
  static constexpr bool kCompensate = false;

  static std::size_t panel_bytes(const KernelArgs& a) { return a.k_groups * 4; }
  static void pack(const KernelArgs& a, const int8_t* rows, std::size_t rows_valid,
                   uint8_t* panel) {
    pack_groups_u8<kMR>(a, rows, rows_valid, 0, panel);
  }
  static void begin() {}
  static void end() {}

  template <int NB>
  static void ukernel(const KernelArgs& a, const uint8_t* panel, std::size_t block,
                      int32_t* tile) {
    static_assert(NB == 1, "the scalar kernel works on one 16-column block");
    const int8_t* w = a.w + block * a.w_block_stride;
    int32_t acc[16] = {};
    for (std::size_t g = 0; g < a.k_groups; ++g) {
      const int8_t* ap = reinterpret_cast<const int8_t*>(panel + g * 4);
      const int8_t* wp = w + g * 64;
      for (std::size_t j = 0; j < 16; ++j) {
        int32_t s = 0;
        for (std::size_t i = 0; i < 4; ++i) s += int32_t{ap[i]} * int32_t{wp[j * 4 + i]};
        acc[j] += s;
      }
    }
    for (std::size_t j = 0; j < 16; ++j) tile[j] = acc[j];
  }
};

void gemm_range(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1) {
  run_range<ScalarKernel>(a, m0, m1, n0, n1);
}
float absmax(const float* x, std::size_t n) { return absmax_impl<VScalar>(x, n); }
void quantize(const float* x, std::size_t n, float inv, int8_t* q) {
  quantize_impl<VScalar>(x, n, inv, q);
}
void softmax_quantize(float* x, std::size_t n, float inv, int8_t* q) {
  softmax_quantize_impl<VScalar>(x, n, inv, q);
}

}  // namespace

const KernelTable& scalar_kernels() {
  static const KernelTable table{Int8Isa::kScalar, gemm_range, absmax, quantize,
                                 softmax_quantize};
  return table;
}

}  // namespace samp::int8::detail
