#include "cublaslt-api.h"

#include <mutex>

#include "common/error.h"
#include "cublaslt-loader.h"

namespace samp::cuda::lt {
namespace {

template <typename Fn>
void resolve(Fn& fn, const char* name, std::string& missing) {
  fn = reinterpret_cast<Fn>(cublaslt_symbol(name));
  if (fn == nullptr)
    missing += (missing.empty() ? "" : ", ") + std::string(name);
}

}  // namespace

const Api& api() {
  static std::once_flag once;
  static Api table;
  static std::string error;
  std::call_once(once, [] {
    const CublasLtInfo& info = load_cublaslt();
    if (!info.found) {
      error = info.reason + "; install cuBLAS (libcublasLt.so.13) or set SAMP_CUBLASLT_PATH";
      return;
    }
    std::string missing;
    resolve(table.create, "cublasLtCreate", missing);
    resolve(table.destroy, "cublasLtDestroy", missing);
    resolve(table.matmul_desc_create, "cublasLtMatmulDescCreate", missing);
    resolve(table.matmul_desc_destroy, "cublasLtMatmulDescDestroy", missing);
    resolve(table.matmul_desc_set, "cublasLtMatmulDescSetAttribute", missing);
    resolve(table.layout_create, "cublasLtMatrixLayoutCreate", missing);
    resolve(table.layout_destroy, "cublasLtMatrixLayoutDestroy", missing);
    resolve(table.layout_set, "cublasLtMatrixLayoutSetAttribute", missing);
    resolve(table.pref_create, "cublasLtMatmulPreferenceCreate", missing);
    resolve(table.pref_destroy, "cublasLtMatmulPreferenceDestroy", missing);
    resolve(table.pref_set, "cublasLtMatmulPreferenceSetAttribute", missing);
    resolve(table.heuristic, "cublasLtMatmulAlgoGetHeuristic", missing);
    resolve(table.matmul, "cublasLtMatmul", missing);
    if (!missing.empty())
      error = info.path + " lacks " + missing;
    // Optional: lets a tuned algorithm serve other token counts of its size class.
    table.algo_check =
        reinterpret_cast<decltype(table.algo_check)>(cublaslt_symbol("cublasLtMatmulAlgoCheck"));
    // Optional: only used to word errors.
    table.status_name =
        reinterpret_cast<const char* (*)(Status)>(cublaslt_symbol("cublasLtGetStatusName"));
  });
  if (!error.empty())
    throw Error(codes::kGpuUnavailable, error);
  return table;
}

std::string status_text(Status status) {
  const char* name = nullptr;
  try {
    if (api().status_name != nullptr)
      name = api().status_name(status);
  } catch (const Error&) {
  }
  return std::string(name != nullptr ? name : "CUBLAS_STATUS") + " (" + std::to_string(status) +
         ")";
}

}  // namespace samp::cuda::lt
