#include "gemm.h"

#include <algorithm>
#include <mutex>
#include <string>

#include "cuda-check.h"
#include "graph-capture.h"

namespace samp::cuda {
namespace {

constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;  // what cuBLAS suggests for Hopper
constexpr int kTimedRuns = 4;  // per candidate, after one untimed run (as a graph replay)

std::uint32_t lt_epilogue(GemmEpilogue e) {
  switch (e) {
    case GemmEpilogue::kBias:
      return lt::kEpilogueBias;
    case GemmEpilogue::kGeluTanhBias:
      return lt::kEpilogueGeluBias;
    case GemmEpilogue::kReluBias:
      return lt::kEpilogueReluBias;
    case GemmEpilogue::kNone:
      break;
  }
  return lt::kEpilogueDefault;
}

/// Tuned algorithms, shared by every session of the process: the first session to tune a shape
/// decides for all, so two sessions of one model compute bit-identical results (a per-session
/// choice could differ with timing noise). Keyed by device, data type, accumulation, m, size class
/// of n, k, epilogue, residual, k parts.
using SharedKey = std::tuple<int, int, bool, int, int, int, int, bool, int>;
std::mutex shared_mutex;
std::map<SharedKey, lt::MatmulAlgo>& shared_tunings() {
  static std::map<SharedKey, lt::MatmulAlgo> tunings;
  return tunings;
}

int current_device() {
  int device = 0;
  cudaGetDevice(&device);
  return device;
}

}  // namespace

int gemm_size_class(int n) {
  int c = 16;
  while (c < n && c < (1 << 30))
    c <<= 1;
  return c;
}

GemmRunner::GemmRunner(GemmKind kind, const GemmTuning& tuning) : kind_(kind), tuning_(tuning) {
  switch (kind) {
    case GemmKind::kFp32:
      in_type_ = out_type_ = CUDA_R_32F;
      break;
    case GemmKind::kFp16:
      in_type_ = out_type_ = CUDA_R_16F;
      break;
    case GemmKind::kInt8:
      in_type_ = CUDA_R_8I;
      out_type_ = CUDA_R_32I;
      break;
    case GemmKind::kFp8:
      in_type_ = CUDA_R_8F_E4M3;
      out_type_ = CUDA_R_16F;
      break;
  }
  tuning_.candidates = std::clamp(tuning_.candidates, 1, 32);
  if (kind_ != GemmKind::kFp16)
    tuning_.fp16_accumulate = false;
  device_ = current_device();
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

std::vector<lt::HeuristicResult> GemmRunner::candidates(const Plan& p, int count) const {
  const lt::Api& api = lt::api();
  lt::MatmulPreference pref = nullptr;
  check_lt(api.pref_create(&pref), "cublasLtMatmulPreferenceCreate");
  const std::uint64_t ws = workspace_.bytes();
  api.pref_set(pref, lt::kPrefMaxWorkspaceBytes, &ws, sizeof ws);
  if (out_type_ == CUDA_R_16F) {
    // Split-K partial sums only in the compute type (FP32): the in-place and output-type schemes
    // add the parts up in FP16, an extra rounding per split (FP16 data, FP32 accumulation is the
    // contract). Measured neutral for speed on BERT-base (GPU run 7).
    const std::uint32_t mask = lt::kReductionComputeType;
    api.pref_set(pref, lt::kPrefReductionSchemeMask, &mask, sizeof mask);
  }
  std::vector<lt::HeuristicResult> results(static_cast<std::size_t>(count));
  int returned = 0;
  const lt::Status st =
      api.heuristic(handle_, p.desc, p.a, p.b, p.d, p.d, pref, count, results.data(), &returned);
  api.pref_destroy(pref);
  check_lt(st, "cublasLtMatmulAlgoGetHeuristic");
  results.resize(static_cast<std::size_t>(std::max(returned, 0)));
  // A candidate whose state is not success cannot run this problem.
  results.erase(
      std::remove_if(results.begin(), results.end(),
                     [](const lt::HeuristicResult& r) { return r.state != lt::kSuccess; }),
      results.end());
  return results;
}

GemmRunner::Plan& GemmRunner::plan(const Key& key) {
  auto it = plans_.find(key);
  if (it != plans_.end())
    return it->second;
  const auto [m, n, k, epilogue_id, residual, parts] = key;
  const lt::Api& api = lt::api();
  Plan p;
  // Stored before the checks below so the destructor frees whatever was created.
  auto& slot = plans_[key];
  try {
    const bool half_compute = tuning_.fp16_accumulate;
    const bool integer = kind_ == GemmKind::kInt8;
    check_lt(api.matmul_desc_create(
                 &p.desc,
                 integer        ? lt::kCompute32I
                 : half_compute ? lt::kCompute16F
                                : lt::kCompute32F,
                 integer ? CUDA_R_32I : half_compute ? CUDA_R_16F : CUDA_R_32F),
             "cublasLtMatmulDescCreate");
    slot = p;
    const std::int32_t ta = lt::kOpT, tb = lt::kOpN;
    check_lt(api.matmul_desc_set(p.desc, lt::kDescTransA, &ta, sizeof ta), "set TRANSA");
    check_lt(api.matmul_desc_set(p.desc, lt::kDescTransB, &tb, sizeof tb), "set TRANSB");
    const GemmEpilogue epilogue = static_cast<GemmEpilogue>(epilogue_id);
    const std::uint32_t ep = lt_epilogue(epilogue);
    check_lt(api.matmul_desc_set(p.desc, lt::kDescEpilogue, &ep, sizeof ep), "set EPILOGUE");
    // With k parts: batch s of W and X is their k-slice s (same leading dimension, the next
    // slice k / parts elements on), batch s of Y the s-th [n, m] block, in the accumulation type.
    const int slice = k / parts;
    check_lt(api.layout_create(&p.a, in_type_, slice, m, k), "cublasLtMatrixLayoutCreate(W)");
    slot = p;
    check_lt(api.layout_create(&p.b, in_type_, slice, n, k), "cublasLtMatrixLayoutCreate(X)");
    slot = p;
    const cudaDataType_t out_type = parts > 1 ? (integer ? CUDA_R_32I : CUDA_R_32F) : out_type_;
    check_lt(api.layout_create(&p.d, out_type, m, n, m), "cublasLtMatrixLayoutCreate(Y)");
    slot = p;
    if (parts > 1) {
      const std::int32_t count = parts;
      const std::int64_t in_step = slice;
      const std::int64_t out_step = static_cast<std::int64_t>(m) * n;
      for (lt::MatrixLayout l : {p.a, p.b, p.d}) {
        check_lt(api.layout_set(l, lt::kLayoutBatchCount, &count, sizeof count), "set BATCH_COUNT");
        const std::int64_t& step = l == p.d ? out_step : in_step;
        check_lt(api.layout_set(l, lt::kLayoutStridedBatchOffset, &step, sizeof step),
                 "set STRIDED_BATCH_OFFSET");
      }
    }
    if (epilogue != GemmEpilogue::kNone) {
      // The heuristic checks the epilogue's pointer alignment: give it any aligned address.
      const void* any = workspace_.get();
      api.matmul_desc_set(p.desc, lt::kDescBiasPointer, &any, sizeof any);
    }
    // The size class's tuned algorithm (this process, any session), when it runs this shape.
    bool found = false;
    lt::MatmulAlgo tuned{};
    if (tuning_.tune) {
      std::lock_guard<std::mutex> lock(shared_mutex);
      const auto shared =
          shared_tunings().find(SharedKey{device_, static_cast<int>(kind_), tuning_.fp16_accumulate,
                                          m, gemm_size_class(n), k, epilogue_id, residual, parts});
      found = shared != shared_tunings().end();
      if (found)
        tuned = shared->second;
    }
    lt::HeuristicResult check{};
    if (found && api.algo_check != nullptr &&
        api.algo_check(handle_, p.desc, p.a, p.b, p.d, p.d, &tuned, &check) == lt::kSuccess &&
        check.workspace_size <= workspace_.bytes()) {
      p.algo = tuned;
      p.tuned = true;
    } else {
      const std::vector<lt::HeuristicResult> list = candidates(p, 1);
      if (list.empty()) {
        throw Error(kGpuFailure, "cuBLASLt has no algorithm for a " + std::to_string(m) + "x" +
                                     std::to_string(n) + "x" + std::to_string(k) + " GEMM");
      }
      p.algo = list.front().algo;
    }
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

void GemmRunner::matmul(const Plan& p, const lt::MatmulAlgo& algo, const void* w, const void* x,
                        void* y, const void* residual, float alpha, cudaStream_t stream) const {
  const lt::Api& api = lt::api();
  const void* c = residual != nullptr ? residual : y;
  lt::Status st;
  if (kind_ == GemmKind::kInt8) {
    const std::int32_t one = 1, zero = 0;
    st = api.matmul(handle_, p.desc, &one, w, p.a, x, p.b, &zero, c, p.d, y, p.d, &algo,
                    workspace_.get(), workspace_.bytes(), stream);
  } else if (tuning_.fp16_accumulate) {
    const std::uint16_t one = 0x3C00, beta = residual != nullptr ? 0x3C00 : 0;  // FP16 1 and 0
    st = api.matmul(handle_, p.desc, &one, w, p.a, x, p.b, &beta, c, p.d, y, p.d, &algo,
                    workspace_.get(), workspace_.bytes(), stream);
  } else {
    const float beta = residual != nullptr ? 1.0f : 0.0f;
    st = api.matmul(handle_, p.desc, &alpha, w, p.a, x, p.b, &beta, c, p.d, y, p.d, &algo,
                    workspace_.get(), workspace_.bytes(), stream);
  }
  check_lt(st, "cublasLtMatmul");
}

void GemmRunner::tune(Plan& p, const Key& key, const void* w, const void* x, void* y,
                      const void* bias, const void* residual, float alpha, cudaStream_t stream) {
  const auto [m, n, k, epilogue_id, has_residual, parts] = key;
  const lt::Api& api = lt::api();
  std::vector<lt::HeuristicResult> list = candidates(p, tuning_.candidates);
  GemmTuneRecord record;
  record.kind = static_cast<int>(kind_);
  record.m = m;
  record.n = n;
  record.k = k;
  record.parts = parts;
  record.epilogue = epilogue_id;
  record.residual = has_residual;
  record.candidates = static_cast<int>(list.size());
  if (bias != nullptr) {
    check_lt(api.matmul_desc_set(p.desc, lt::kDescBiasPointer, &bias, sizeof bias),
             "set BIAS_POINTER");
  }
  double best = -1;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const lt::MatmulAlgo& algo = list[i].algo;
    // Every candidate computes the same product into y (idempotent: beta reads residual only).
    // Timed as a graph replay, as the encoder's small batches run: some algorithms come with a
    // memset of their own (H100: FP16 QKV at 4,096 tokens, ~4 µs a layer in a graph), which
    // back-to-back eager runs hide behind the host's launches.
    double per = 0;
    try {
      matmul(p, algo, w, x, y, residual, alpha, stream);
      per =
          graph_ms(stream, kTimedRuns, [&] { matmul(p, algo, w, x, y, residual, alpha, stream); });
    } catch (const Error&) {
      // A candidate that fails to launch is skipped; the heuristic's first one is kept if all do.
      cudaGetLastError();
      continue;
    }
    if (i == 0)
      record.heuristic_ms = per;
    if (best < 0 || per < best) {
      best = per;
      p.algo = algo;
      record.chosen = static_cast<int>(i);
    }
  }
  record.best_ms = best < 0 ? 0 : best;
  p.tuned = true;
  {
    std::lock_guard<std::mutex> lock(shared_mutex);
    // A session that tuned the class first wins (emplace keeps it), so every session agrees.
    const auto [it, inserted] = shared_tunings().emplace(
        SharedKey{device_, static_cast<int>(kind_), tuning_.fp16_accumulate, m, gemm_size_class(n),
                  k, epilogue_id, has_residual, parts},
        p.algo);
    if (!inserted) {
      lt::HeuristicResult check{};
      if (api.algo_check != nullptr &&
          api.algo_check(handle_, p.desc, p.a, p.b, p.d, p.d, &it->second, &check) ==
              lt::kSuccess &&
          check.workspace_size <= workspace_.bytes()) {
        p.algo = it->second;
      }
    }
  }
  tunings_.push_back(record);
}

void GemmRunner::run(int m, int n, int k, const void* w, const void* x, void* y,
                     GemmEpilogue epilogue, const void* bias, const void* residual,
                     cudaStream_t stream, float alpha) {
  if (n <= 0)
    return;
  if (residual != nullptr && (kind_ == GemmKind::kInt8 || kind_ == GemmKind::kFp8))
    throw Error(codes::kInvalidArgument, "a quantized GEMM takes no residual");
  run_plan(Key{m, n, k, static_cast<int>(epilogue), residual != nullptr, 1}, w, x, y, bias,
           residual, stream, alpha);
}

void GemmRunner::run_parts(int m, int n, int k, int parts, const void* w, const void* x,
                           void* partials, cudaStream_t stream) {
  if (n <= 0)
    return;
  if (kind_ == GemmKind::kFp8 || tuning_.fp16_accumulate)
    throw Error(codes::kInvalidArgument,
                "k parts need int8, FP16 or FP32 data, FP32 or int32 sums");
  // One part would be run()'s plan, whose output is the data type, not the accumulation type.
  if (parts < 2 || k % parts != 0 || (k / parts) % 16 != 0) {
    throw Error(codes::kInvalidArgument, "cannot cut k = " + std::to_string(k) + " into " +
                                             std::to_string(parts) + " parts of a multiple of 16");
  }
  run_plan(Key{m, n, k, static_cast<int>(GemmEpilogue::kNone), false, parts}, w, x, partials,
           nullptr, nullptr, stream, 1.0f);
}

void GemmRunner::run_plan(const Key& key, const void* w, const void* x, void* y, const void* bias,
                          const void* residual, cudaStream_t stream, float alpha) {
  Plan& p = plan(key);
  if (!p.tuned && tuning_.tune) {
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    check_cuda(cudaStreamIsCapturing(stream, &capture), "cudaStreamIsCapturing");
    if (capture == cudaStreamCaptureStatusNone)
      tune(p, key, w, x, y, bias, residual, alpha, stream);
  }
  const lt::Api& api = lt::api();
  if (bias != nullptr) {
    check_lt(api.matmul_desc_set(p.desc, lt::kDescBiasPointer, &bias, sizeof bias),
             "set BIAS_POINTER");
  }
  matmul(p, p.algo, w, x, y, residual, alpha, stream);
}

}  // namespace samp::cuda
