#include "gemm.h"

#include <string>

#include "cuda-check.h"

namespace samp::cuda {
namespace {

constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;  // what cuBLAS suggests for Hopper

}  // namespace

GemmRunner::GemmRunner(cudaDataType_t type) : type_(type) {
  const lt::Api& api = lt::api();
  check_lt(api.create(&handle_), "cublasLtCreate");
  workspace_ = DeviceBuffer(kWorkspaceBytes);
}

GemmRunner::~GemmRunner() {
  const lt::Api& api = lt::api();
  for (auto& [key, p] : plans_) {
    if (p.desc != nullptr)
      api.matmul_desc_destroy(p.desc);
    if (p.a != nullptr)
      api.layout_destroy(p.a);
    if (p.b != nullptr)
      api.layout_destroy(p.b);
    if (p.d != nullptr)
      api.layout_destroy(p.d);
  }
  if (handle_ != nullptr)
    api.destroy(handle_);
}

GemmRunner::Plan& GemmRunner::plan(int m, int n, int k, bool bias) {
  const auto key = std::make_tuple(m, n, k, bias);
  auto it = plans_.find(key);
  if (it != plans_.end())
    return it->second;
  const lt::Api& api = lt::api();
  Plan p;
  // Stored before the checks below so the destructor frees whatever was created.
  auto& slot = plans_[key];
  try {
    check_lt(api.matmul_desc_create(&p.desc, lt::kCompute32F, CUDA_R_32F),
             "cublasLtMatmulDescCreate");
    slot = p;
    const std::int32_t ta = lt::kOpT, tb = lt::kOpN;
    check_lt(api.matmul_desc_set(p.desc, lt::kDescTransA, &ta, sizeof ta), "set TRANSA");
    check_lt(api.matmul_desc_set(p.desc, lt::kDescTransB, &tb, sizeof tb), "set TRANSB");
    const std::uint32_t epilogue = bias ? lt::kEpilogueBias : lt::kEpilogueDefault;
    check_lt(api.matmul_desc_set(p.desc, lt::kDescEpilogue, &epilogue, sizeof epilogue),
             "set EPILOGUE");
    check_lt(api.layout_create(&p.a, type_, k, m, k), "cublasLtMatrixLayoutCreate(W)");
    slot = p;
    check_lt(api.layout_create(&p.b, type_, k, n, k), "cublasLtMatrixLayoutCreate(X)");
    slot = p;
    check_lt(api.layout_create(&p.d, type_, m, n, m), "cublasLtMatrixLayoutCreate(Y)");
    slot = p;
    lt::MatmulPreference pref = nullptr;
    check_lt(api.pref_create(&pref), "cublasLtMatmulPreferenceCreate");
    const std::uint64_t ws = workspace_.bytes();
    api.pref_set(pref, lt::kPrefMaxWorkspaceBytes, &ws, sizeof ws);
    if (bias) {
      // The heuristic checks the epilogue's pointer alignment: give it any aligned address.
      const void* any = workspace_.get();
      api.matmul_desc_set(p.desc, lt::kDescBiasPointer, &any, sizeof any);
    }
    lt::HeuristicResult result{};
    int returned = 0;
    const lt::Status st =
        api.heuristic(handle_, p.desc, p.a, p.b, p.d, p.d, pref, 1, &result, &returned);
    api.pref_destroy(pref);
    check_lt(st, "cublasLtMatmulAlgoGetHeuristic");
    if (returned == 0) {
      throw Error(kGpuFailure, "cuBLASLt has no algorithm for a " + std::to_string(m) + "x" +
                                   std::to_string(n) + "x" + std::to_string(k) + " GEMM");
    }
    p.algo = result.algo;
    slot = p;
  } catch (...) {
    // Keep the created objects for the destructor but forget the unusable plan's key.
    const Plan failed = slot;
    plans_.erase(key);
    if (failed.desc != nullptr)
      api.matmul_desc_destroy(failed.desc);
    if (failed.a != nullptr)
      api.layout_destroy(failed.a);
    if (failed.b != nullptr)
      api.layout_destroy(failed.b);
    if (failed.d != nullptr)
      api.layout_destroy(failed.d);
    throw;
  }
  return slot;
}

void GemmRunner::run(int m, int n, int k, const void* w, const void* x, void* y, const void* bias,
                     cudaStream_t stream) {
  if (n <= 0)
    return;
  Plan& p = plan(m, n, k, bias != nullptr);
  const lt::Api& api = lt::api();
  if (bias != nullptr) {
    check_lt(api.matmul_desc_set(p.desc, lt::kDescBiasPointer, &bias, sizeof bias),
             "set BIAS_POINTER");
  }
  const float alpha = 1.0f, beta = 0.0f;
  check_lt(api.matmul(handle_, p.desc, &alpha, w, p.a, x, p.b, &beta, y, p.d, y, p.d, &p.algo,
                      workspace_.get(), workspace_.bytes(), stream),
           "cublasLtMatmul");
}

}  // namespace samp::cuda
