// The encoder's Linear layers on cuBLASLt: Y[n, m] = X[n, k] · W[m, k]ᵀ (+ bias), row-major,
// which is cuBLAS's column-major "TN" product D(m×n) = Wᵀ(k×m)ᵀ · X(k×n). FP32 sessions run
// FP32 data with FP32 compute (no TF32); FP16 sessions FP16 data with FP32 accumulation.
// Descriptors, layouts and the heuristic's algorithm are cached per shape.
#pragma once

#include <cuda_runtime.h>
#include <library_types.h>

#include <map>
#include <tuple>

#include "cublaslt-api.h"
#include "device-memory.h"

namespace samp::cuda {

class GemmRunner {
 public:
  /// Creates the cuBLASLt handle and a workspace on the current device.
  explicit GemmRunner(cudaDataType_t type);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  /// y[n, m] = x[n, k] · w[m, k]ᵀ + bias[m] (bias of the data type, or null). Throws samp::Error.
  void run(int m, int n, int k, const void* w, const void* x, void* y, const void* bias,
           cudaStream_t stream);

 private:
  struct Plan {
    lt::MatmulDesc desc = nullptr;
    lt::MatrixLayout a = nullptr, b = nullptr, d = nullptr;
    lt::MatmulAlgo algo{};
  };
  Plan& plan(int m, int n, int k, bool bias);

  cudaDataType_t type_;
  lt::Handle handle_ = nullptr;
  DeviceBuffer workspace_;
  std::map<std::tuple<int, int, int, bool>, Plan> plans_;
};

}  // namespace samp::cuda
