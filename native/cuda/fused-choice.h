// Which way a Linear + epilogue runs: cuBLASLt's GEMM then the epilogue kernel ("split"), or the
// fused kernel of gemm-fused.h. Neither wins everywhere (cuBLASLt's tuned GEMMs are faster on
// some shapes, the fused kernel saves a pass over the product), so the first time a GEMM shape
// and token size class runs outside a CUDA graph capture both are timed on the real operands (in
// a graph of their own, see graph_ms) and the faster is kept for the process (the first session
// to time a class decides for all, so sessions of one model agree bit for bit).
// SAMP_CUDA_FUSED_GEMM=0 never fuses, =1 always fuses where the kernel applies.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "gemm.h"
#include "graph-capture.h"

namespace samp::cuda {

enum class FusedMode { kTimed, kNever, kAlways };

/// The mode SAMP_CUDA_FUSED_GEMM asks for ("0", "1", anything else timed).
FusedMode fused_mode_from(const std::string& setting);

/// One GEMM site of the table: the operand kind (GemmKind), the bytes of a stored output value
/// (FP32 or FP16 sessions), output width m, reduction k.
struct FusedSite {
  int device = 0;
  int kind = 0;
  int out_bytes = 0;
  int m = 0;
  int k = 0;
};

/// The table's entry for the site and token count: 1 fused, 0 split, −1 not yet timed.
int fused_choice(const FusedSite& site, int tokens);

/// Records the site's choice for the token count's size class unless a session did first, and
/// returns the choice that stands.
bool record_fused_choice(const FusedSite& site, int tokens, bool fused);

/// Runs fused() or split(), which compute the same outputs; `supported` says whether the fused
/// kernel takes the shape. Timing runs each way (once untimed, then 3 times) and records a
/// GemmTuneRecord in `log`: kind 4 + the site's kind, heuristic_ms the split time, best_ms the
/// fused time, chosen 1 where the fused kernel runs.
template <typename Fused, typename Split>
void run_fastest(FusedMode mode, const FusedSite& site, int tokens, bool supported,
                 cudaStream_t stream, std::vector<GemmTuneRecord>& log, const Fused& fused,
                 const Split& split) {
  if (!supported || mode == FusedMode::kNever)
    return split();
  if (mode == FusedMode::kAlways)
    return fused();
  int choice = fused_choice(site, tokens);
  // The capture state is asked only while the site has no choice (not on every eager run).
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  if (choice < 0)
    check_cuda(cudaStreamIsCapturing(stream, &capture), "cudaStreamIsCapturing");
  if (choice < 0 && capture == cudaStreamCaptureStatusNone) {
    constexpr int kTimedRuns = 3;
    const auto time = [&](const auto& f) {
      f();  // eagerly first: lets cuBLASLt tune this shape (it cannot inside a capture)
      return graph_ms(stream, kTimedRuns, f);
    };
    const double split_ms = time(split), fused_ms = time(fused);
    choice = record_fused_choice(site, tokens, fused_ms < split_ms) ? 1 : 0;
    GemmTuneRecord r;
    r.kind = 4 + site.kind;
    r.m = site.m;
    r.n = tokens;
    r.k = site.k;
    r.candidates = 2;
    r.chosen = choice;
    r.heuristic_ms = split_ms;
    r.best_ms = fused_ms;
    log.push_back(r);
  }
  // Not timed yet inside a capture (eager runs come first, so only with tuning off): fused.
  if (choice != 0)
    fused();
  else
    split();
}

}  // namespace samp::cuda
