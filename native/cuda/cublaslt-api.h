// The few cuBLASLt types, enums and entry points the encoder uses, declared here because the
// addon never includes cublasLt.h: CI builds with nvcc alone (no cuBLAS headers or libraries), and
// the library is opened with dlopen at run time. Values are those of cublasLt.h / cublas_api.h
// (stable ABI since CUDA 11). library_types.h (cudaDataType) ships with the CUDA runtime headers.
#pragma once

#include <cuda_runtime.h>
#include <library_types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace samp::cuda::lt {

using Status = int;  // cublasStatus_t
inline constexpr Status kSuccess = 0;
inline constexpr Status kAllocFailed = 3;
inline constexpr Status kNotSupported = 15;

using Handle = struct cublasLtContext*;
using MatmulDesc = struct cublasLtMatmulDescOpaque_t*;
using MatrixLayout = struct cublasLtMatrixLayoutOpaque_t*;
using MatmulPreference = struct cublasLtMatmulPreferenceOpaque_t*;

struct MatmulAlgo {
  std::uint64_t data[8];
};
struct HeuristicResult {
  MatmulAlgo algo;
  std::size_t workspace_size;
  Status state;
  float waves_count;
  int reserved[4];
};

// cublasComputeType_t
inline constexpr int kCompute16F = 64;
inline constexpr int kCompute32F = 68;
inline constexpr int kCompute32I = 72;
// cublasOperation_t
inline constexpr std::int32_t kOpN = 0;
inline constexpr std::int32_t kOpT = 1;
// cublasLtMatmulDescAttributes_t
inline constexpr int kDescTransA = 3;
inline constexpr int kDescTransB = 4;
inline constexpr int kDescEpilogue = 7;
inline constexpr int kDescBiasPointer = 8;
inline constexpr int kDescBiasDataType = 26;
// cublasLtEpilogue_t
inline constexpr std::uint32_t kEpilogueDefault = 1;
inline constexpr std::uint32_t kEpilogueBias = 4;
inline constexpr std::uint32_t kEpilogueReluBias = 6;   // RELU | BIAS
inline constexpr std::uint32_t kEpilogueGeluBias = 36;  // GELU | BIAS (GELU's tanh form)
// cublasLtMatrixLayoutAttribute_t
inline constexpr int kLayoutBatchCount = 5;          // int32
inline constexpr int kLayoutStridedBatchOffset = 6;  // int64, in elements
// cublasLtMatmulPreferenceAttributes_t
inline constexpr int kPrefMaxWorkspaceBytes = 1;
inline constexpr int kPrefReductionSchemeMask = 3;
// cublasLtReductionScheme_t (bits of the mask; no split-K reduction is always allowed)
inline constexpr std::uint32_t kReductionComputeType = 2;

/// The entry points, resolved with dlsym from the library cublaslt-loader opened.
struct Api {
  Status (*create)(Handle*) = nullptr;
  Status (*destroy)(Handle) = nullptr;
  Status (*matmul_desc_create)(MatmulDesc*, int compute, cudaDataType_t scale) = nullptr;
  Status (*matmul_desc_destroy)(MatmulDesc) = nullptr;
  Status (*matmul_desc_set)(MatmulDesc, int attr, const void* buf, std::size_t size) = nullptr;
  Status (*layout_create)(MatrixLayout*, cudaDataType_t, std::uint64_t rows, std::uint64_t cols,
                          std::int64_t ld) = nullptr;
  Status (*layout_destroy)(MatrixLayout) = nullptr;
  Status (*layout_set)(MatrixLayout, int attr, const void* buf, std::size_t size) = nullptr;
  Status (*pref_create)(MatmulPreference*) = nullptr;
  Status (*pref_destroy)(MatmulPreference) = nullptr;
  Status (*pref_set)(MatmulPreference, int attr, const void* buf, std::size_t size) = nullptr;
  Status (*heuristic)(Handle, MatmulDesc, MatrixLayout a, MatrixLayout b, MatrixLayout c,
                      MatrixLayout d, MatmulPreference, int requested, HeuristicResult* results,
                      int* returned) = nullptr;
  Status (*matmul)(Handle, MatmulDesc, const void* alpha, const void* a, MatrixLayout,
                   const void* b, MatrixLayout, const void* beta, const void* c, MatrixLayout,
                   void* d, MatrixLayout, const MatmulAlgo* algo, void* workspace,
                   std::size_t workspace_size, cudaStream_t stream) = nullptr;
  /// cublasLtMatmulAlgoCheck (may be absent): whether `algo` runs this problem.
  Status (*algo_check)(Handle, MatmulDesc, MatrixLayout a, MatrixLayout b, MatrixLayout c,
                       MatrixLayout d, const MatmulAlgo* algo, HeuristicResult* result) = nullptr;
  const char* (*status_name)(Status) = nullptr;  // cublasLtGetStatusName (may be absent)
};

/// The resolved API (loaded once, thread-safe). Throws samp::Error(SAMP_GPU_UNAVAILABLE) naming
/// the missing library or symbol.
const Api& api();

/// "CUBLAS_STATUS_NOT_SUPPORTED (15)".
std::string status_text(Status status);

}  // namespace samp::cuda::lt
