#include "encoder.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <type_traits>

#include "common/encoder-input-check.h"
#include "common/error.h"
#include "cpu/activation-taps.h"
#include "cuda-check.h"
#include "device-memory.h"
#include "fused-choice.h"
#include "gemm-fused.h"
#include "gemm.h"
#include "graph-capture.h"
#include "kernels.h"
#include "l2-prefetch.h"
#include "launch.h"
#include "layer-weights.h"
#include "packing.h"
#include "quant-kernels.h"
#include "quantized-weights.h"
#include "stream-pool.h"
#include "timer.h"

namespace samp::cuda {

using cpu::ObserveRequest;
using cpu::Tap;

namespace {

[[noreturn]] void invalid(const std::string& field, const std::string& problem) {
  throw Error(codes::kInvalidArgument, field + ": " + problem);
}

/// The value of an environment variable ("" when unset).
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

enum class AttentionKernel { kGeneric, kWmma, kMma };

/// A recorded activation on the device, copied back after the run.
struct Record {
  std::string name;
  std::vector<int> shape;
  DeviceBuffer data;
  bool packed = true;  // [tokens, width] to unpack, or already padded
  int width = 0;
};

}  // namespace

struct Encoder::Impl {
  EncoderConfig config;
  SessionOptions options;
  std::size_t weight_bytes = 0;
  const char* attention_kernel = "generic";
  virtual ~Impl() = default;
  virtual EncoderOutput run(const EncoderInput& input, const RunOptions& options) = 0;
  virtual BenchmarkResult benchmark(const EncoderInput& input, bool compute_padding, int warmup,
                                    int iterations) = 0;
  virtual std::vector<OpTime> profile(const EncoderInput& input, bool compute_padding,
                                      int iterations) = 0;
  virtual std::vector<GemmTuneRecord> gemm_tunings() const = 0;
  virtual std::size_t workspace_bytes() const = 0;
  virtual std::size_t graphs() const = 0;
};

namespace {

// Tokens from which the persistent TMA kernel takes a fused Linear on Hopper: below, its tiles
// are too few to keep a block's consumers busy, and the wgmma kernel's blocks start sooner.
constexpr int kTmaMinTokens = 512;
// Up to this many tokens a fused Linear runs on the 64 × 64 tiles of launch_gemm_fused_small, whose
// more blocks stream the weights on more SMs.
constexpr int kSmallMaxTokens = 256;
// Kernel launches are programmatic (launch.h) below this many tokens: measured on the H100 at 128
// and 4,096 tokens faster (batch 32: fp16 1.66–1.70 against 1.70–1.75 ms, int8-full 1.39 against
// 1.41–1.43), at 16,384 no faster for FP16 and 1% slower for int8-full (session 10).
constexpr int kProgrammaticMaxTokens = 8192;
// Below this many tokens the next layer's weights are prefetched into L2 while a layer runs.
constexpr int kPrefetchMaxTokens = 512;
// Up to this many tokens the attention-output and FFN2 Linears before a LayerNorm may run as k
// parts (GemmRunner::run_parts) that the LayerNorm kernel adds up: at few tokens their hidden-size
// outputs are too few tiles for the SMs, and cuBLASLt's own split-k adds a reduction kernel.
constexpr int kPartsMaxTokens = 256;
constexpr int kMaxParts = kMaxInputParts;
// Up to this many tokens (with programmatic launches) the int8 attention output and FFN2 run as k
// parts on our small tiles (launch_gemm_parts_small) rather than on cuBLASLt, whose kernels cannot
// start early (NOTES.md, session 16): H100, batch 1, int8-full 0.332–0.335 against 0.350–0.352 ms
// for the attention output; FFN2 gained only once the LayerNorm after it was quicker (session 17).
// For FP16 both Linears lost or broke even (the small tiles read each weight once per 32 tokens).
constexpr int kSmallPartsMaxTokens = 128;
static_assert(kPartsMaxTokens <= kMaxPartsRows, "the LayerNorm adds parts up only at so many rows");

template <typename T>
class TypedEncoder final : public Encoder::Impl {
 public:
  TypedEncoder(const EncoderConfig& c, const WeightSet& w, const SessionOptions& o)
      : workspace_(o.memory_limit) {
    config = c;
    options = o;
    const std::string choice = env("SAMP_CUDA_ATTENTION");
    const bool tensor_cores =
        std::is_same_v<T, __half> &&
        attention_wmma_supported(c.head_dim(), 3 * c.hidden_size, c.hidden_size);
    attention_ = !tensor_cores || choice == "generic" ? AttentionKernel::kGeneric
                 : choice == "wmma"                   ? AttentionKernel::kWmma
                                                      : AttentionKernel::kMma;
    attention_kernel = attention_ == AttentionKernel::kMma    ? "tensor-core"
                       : attention_ == AttentionKernel::kWmma ? "tensor-core-wmma"
                                                              : "generic";
    // SAMP_CUDA_ATTENTION_SPLIT=0: the tensor-core attention never splits a row's keys over a
    // block's warps (by default it does for batches too small to fill the GPU).
    attention_split_ = env("SAMP_CUDA_ATTENTION_SPLIT") != "0";
    // SAMP_CUDA_ATTENTION_WHOLE=0: rows of up to 128 tokens take the tiled FP16 kernel too (by
    // default they are staged whole and take one softmax pass).
    attention_whole_ = env("SAMP_CUDA_ATTENTION_WHOLE") != "0";
    // SAMP_CUDA_INT8_ATTENTION=generic: INT8 attention layers take the dp4a kernel even where the
    // tensor-core one applies (tests compare the two).
    int8_attention_generic_ = env("SAMP_CUDA_INT8_ATTENTION") == "generic";
    // SAMP_CUDA_RESIDUAL_EPILOGUE=1: the projections' bias and residual ride in the GEMM epilogue
    // (C = residual, beta 1) and the LayerNorm reads one tensor. Off by default: measured on the
    // H100 the GEMMs lost more (reading C) than the LayerNorms gained (NOTES.md, GPU run 4).
    fused_residual_ = env("SAMP_CUDA_RESIDUAL_EPILOGUE") == "1";
    // SAMP_CUDA_ACT_EPILOGUE=1: the FFN activation rides in the first FFN GEMM's epilogue (no pass
    // over [tokens, FFN]): ReLU and gelu_new (cuBLASLt's GELU is the tanh form; FP32 matches the
    // kernel to 1.2e-6), and with SAMP_CUDA_GELU_EPILOGUE=tanh exact GELU as its tanh form too.
    // Off by default: in FP16 the fused epilogue put the ALBERT fixture at 3.16e-3 against the
    // 3e-3 golden bound (GPU run 6/7), though it saves 0.24 / 0.8 ms at batch 32 / 128 (NOTES.md).
    ffn1_epilogue_ = GemmEpilogue::kNone;
    if (env("SAMP_CUDA_ACT_EPILOGUE") == "1") {
      if (c.activation == Activation::kRelu)
        ffn1_epilogue_ = GemmEpilogue::kReluBias;
      if (c.activation == Activation::kGeluTanh ||
          (c.activation == Activation::kGelu && env("SAMP_CUDA_GELU_EPILOGUE") == "tanh"))
        ffn1_epilogue_ = GemmEpilogue::kGeluTanhBias;
    }
    fused_mode_ = fused_mode_from(env("SAMP_CUDA_FUSED_GEMM"));
    // SAMP_CUDA_K_PARTS_OUT / _FFN2=n: the attention-output / FFN2 Linear in n k parts at few
    // tokens (k_split; 1 turns it off).
    if (!env("SAMP_CUDA_K_PARTS_OUT").empty())
      parts_out_ = std::atoi(env("SAMP_CUDA_K_PARTS_OUT").c_str());
    if (!env("SAMP_CUDA_K_PARTS_FFN2").empty())
      parts_ffn2_ = std::atoi(env("SAMP_CUDA_K_PARTS_FFN2").c_str());
    // SAMP_CUDA_SMALL_PARTS=0: the int8 attention output and FFN2 on cuBLASLt too;
    // SAMP_CUDA_SMALL_PARTS_OUT / _FFN2=n: at most n parts on the small tiles (1: cuBLASLt).
    small_parts_max_tokens_ = env("SAMP_CUDA_SMALL_PARTS") == "0" ? 0 : kSmallPartsMaxTokens;
    if (!env("SAMP_CUDA_SMALL_PARTS_OUT").empty())
      small_parts_out_ = std::atoi(env("SAMP_CUDA_SMALL_PARTS_OUT").c_str());
    if (!env("SAMP_CUDA_SMALL_PARTS_FFN2").empty())
      small_parts_ffn2_ = std::atoi(env("SAMP_CUDA_SMALL_PARTS_FFN2").c_str());
    GemmTuning tuning;
    tuning.tune = env("SAMP_CUDA_GEMM_TUNE") != "0";
    if (!env("SAMP_CUDA_GEMM_CANDIDATES").empty())
      tuning.candidates = std::atoi(env("SAMP_CUDA_GEMM_CANDIDATES").c_str());
    tuning.fp16_accumulate = env("SAMP_CUDA_GEMM_COMPUTE") == "16f";
    check_cuda(cudaSetDevice(o.device), "cudaSetDevice");
    check_cuda(acquire_stream(o.device, StreamRole::kMain, &stream_), "cudaStreamCreate");
    try {
      upload_weights(w);
      check_cuda(allow_gemm_fused_shared_bytes(), "cudaFuncSetAttribute");
      check_cuda(allow_gemm_fused_small_shared_bytes(), "cudaFuncSetAttribute");
      // SAMP_CUDA_FUSED_KERNEL=mma / wgmma / tma / small: one fused kernel wherever it applies
      // (to compare); by default the small-tile one up to kSmallMaxTokens, then on Hopper the TMA
      // kernel from kTmaMinTokens on (int8 and FP16), the wgmma one between and for FP8; elsewhere
      // mma.sync.
      const std::string kernel = env("SAMP_CUDA_FUSED_KERNEL");
      small_max_tokens_ = kernel == "small" ? std::numeric_limits<int>::max()
                          : kernel.empty()  ? kSmallMaxTokens
                                            : -1;
      fused_wgmma_ = gemm_fused_wgmma_available() && kernel != "mma";
      if (fused_wgmma_) {
        check_cuda(allow_gemm_fused_wgmma_shared_bytes(), "cudaFuncSetAttribute");
        check_cuda(allow_gemm_layer_norm_wgmma_shared_bytes(), "cudaFuncSetAttribute");
      }
      if (fused_wgmma_ && kernel != "wgmma" && gemm_fused_tma_available()) {
        check_cuda(allow_gemm_fused_tma_shared_bytes(), "cudaFuncSetAttribute");
        tma_min_tokens_ = kernel == "tma" ? 0 : kTmaMinTokens;
      }
      // Programmatic launches (launch.h) on sm_90 and newer below kProgrammaticMaxTokens;
      // SAMP_CUDA_PDL=0: none; =all: at any token count.
      int major = 0;
      check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, o.device),
                 "cudaDeviceGetAttribute");
      const std::string pdl = env("SAMP_CUDA_PDL");
      programmatic_max_tokens_ = major < 9 || pdl == "0" ? 0
                                 : pdl == "all"          ? std::numeric_limits<int>::max()
                                                         : kProgrammaticMaxTokens;
      // SAMP_CUDA_L2_PREFETCH=0: no L2 prefetch; =all: at any token count.
      const std::string prefetch = env("SAMP_CUDA_L2_PREFETCH");
      prefetch_max_tokens_ = prefetch == "0"     ? 0
                             : prefetch == "all" ? std::numeric_limits<int>::max()
                                                 : kPrefetchMaxTokens;
      if (prefetch_max_tokens_ > 0)
        prefetcher_ = std::make_unique<L2Prefetcher>(o.device);
      gemm_ = std::make_unique<GemmRunner>(
          o.precision == Precision::kFp16 ? GemmKind::kFp16 : GemmKind::kFp32, tuning);
      prepare_quantized(tuning);
      timer_ = std::make_unique<Timer>();
    } catch (...) {
      release_stream(o.device, StreamRole::kMain, stream_);
      throw;
    }
  }

  ~TypedEncoder() override {
    cudaSetDevice(options.device);
    cudaStreamSynchronize(stream_);
    drop_graphs();
    for (cudaEvent_t e : marks_)
      cudaEventDestroy(e);
    timer_.reset();
    gemm_.reset();
    release_stream(options.device, StreamRole::kMain, stream_);
    // The device buffers go with the members, on this device.
  }

  std::size_t workspace_bytes() const override { return workspace_.capacity(); }
  std::size_t graphs() const override { return graphs_.size(); }

  EncoderOutput run(const EncoderInput& input, const RunOptions& ro) override {
    check_input(config, input);
    const ObserveRequest observe = cpu::parse_observe(ro.observe, config.num_layers);
    std::lock_guard<std::mutex> lock(mutex_);
    check_cuda(cudaSetDevice(options.device), "cudaSetDevice");
    const Packing p = pack(config, input, ro.compute_padding);
    const Buffers b = prepare(p);

    const int t = p.tokens;
    const int h = config.hidden_size;
    Recorder rec;
    rec.observe = &observe;
    rec.hidden_states = ro.hidden_states;
    rec.batch = input.batch;
    rec.seq = input.seq;
    const bool recording = ro.hidden_states || observe.any();
    const Key key{t, input.batch, p.max_queries};
    bool graph = false;
    if (!recording && options.graphs != GraphMode::kOff) {
      int& seen = seen_[key];
      seen = std::min(seen + 1, 2);
      graph = options.graphs == GraphMode::kOn || seen >= 2;
    }
    if (graph) {
      cudaGraphExec_t exec = graph_for(key, b, p);
      timer_->start(stream_);
      check_cuda(cudaGraphLaunch(exec, stream_), "cudaGraphLaunch");
      timer_->stop(stream_);
    } else {
      timer_->start(stream_);
      forward(b, p, recording ? &rec : nullptr);
      timer_->stop(stream_);
    }
    staging_out_.reserve(static_cast<std::size_t>(t) * h * sizeof(float));
    check_cuda(cudaMemcpyAsync(staging_out_.as<float>(), b.out,
                               static_cast<std::size_t>(t) * h * sizeof(float),
                               cudaMemcpyDeviceToHost, stream_),
               "cudaMemcpyAsync (output)");
    std::vector<std::vector<float>> host_records(rec.records.size());
    for (std::size_t i = 0; i < rec.records.size(); ++i) {
      const Record& r = rec.records[i];
      host_records[i].resize(r.data.bytes() / sizeof(float));
      check_cuda(cudaMemcpyAsync(host_records[i].data(), r.data.get(), r.data.bytes(),
                                 cudaMemcpyDeviceToHost, stream_),
                 "cudaMemcpyAsync (observed)");
    }
    check_cuda(cudaStreamSynchronize(stream_), "the encoder's kernels");

    EncoderOutput out;
    out.batch = input.batch;
    out.seq = input.seq;
    out.hidden = h;
    out.tokens = t;
    out.graph = graph;
    out.device_ms = timer_->ms();
    out.last_hidden_state = unpack_output(p, staging_out_.as<float>(), h, input.batch, input.seq);
    for (std::size_t i = 0; i < rec.records.size(); ++i) {
      Record& r = rec.records[i];
      std::vector<float> data =
          r.packed ? unpack(p, host_records[i].data(), r.width, input.batch, input.seq)
                   : std::move(host_records[i]);
      if (r.name.empty()) {
        out.hidden_states.push_back(std::move(data));
      } else {
        out.observed.push_back({r.name, r.shape, std::move(data)});
      }
    }
    return out;
  }

  BenchmarkResult benchmark(const EncoderInput& input, bool compute_padding, int warmup,
                            int iterations) override {
    check_input(config, input);
    if (iterations < 1)
      invalid("iterations", "expected a positive integer");
    std::lock_guard<std::mutex> lock(mutex_);
    check_cuda(cudaSetDevice(options.device), "cudaSetDevice");
    const Packing p = pack(config, input, compute_padding);
    const Buffers b = prepare(p);
    const Key key{p.tokens, input.batch, p.max_queries};
    const bool graph = options.graphs != GraphMode::kOff;
    cudaGraphExec_t exec = graph ? graph_for(key, b, p) : nullptr;
    const auto once = [&] {
      if (graph) {
        check_cuda(cudaGraphLaunch(exec, stream_), "cudaGraphLaunch");
      } else {
        forward(b, p, nullptr);
      }
    };
    for (int i = 0; i < warmup; ++i)
      once();
    check_cuda(cudaStreamSynchronize(stream_), "the encoder's kernels");
    std::vector<double> times;
    for (int i = 0; i < iterations; ++i) {
      timer_->start(stream_);
      once();
      timer_->stop(stream_);
      check_cuda(cudaStreamSynchronize(stream_), "the encoder's kernels");
      times.push_back(timer_->ms());
    }
    BenchmarkResult r;
    r.iterations = iterations;
    r.tokens = p.tokens;
    r.graph = graph;
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    r.median_ms = sorted[sorted.size() / 2];
    r.min_ms = sorted.front();
    double sum = 0;
    for (double v : times)
      sum += v;
    r.mean_ms = sum / static_cast<double>(times.size());
    return r;
  }

  std::vector<OpTime> profile(const EncoderInput& input, bool compute_padding,
                              int iterations) override {
    check_input(config, input);
    if (iterations < 1)
      invalid("iterations", "expected a positive integer");
    std::lock_guard<std::mutex> lock(mutex_);
    check_cuda(cudaSetDevice(options.device), "cudaSetDevice");
    const Packing p = pack(config, input, compute_padding);
    const Buffers b = prepare(p);
    forward(b, p, nullptr);  // tunes the GEMMs of this shape, warms up
    check_cuda(cudaStreamSynchronize(stream_), "the encoder's kernels");
    static const char* const kStart = "(start)";
    profiling_ = true;
    mark_count_ = 0;
    try {
      for (int i = 0; i < iterations; ++i) {
        mark(kStart);
        forward(b, p, nullptr);
      }
    } catch (...) {
      profiling_ = false;
      throw;
    }
    profiling_ = false;
    check_cuda(cudaStreamSynchronize(stream_), "the encoder's kernels");
    std::vector<OpTime> ops;
    for (std::size_t j = 1; j < mark_count_; ++j) {
      if (mark_names_[j] == kStart)
        continue;
      float ms = 0;
      check_cuda(cudaEventElapsedTime(&ms, marks_[j - 1], marks_[j]), "cudaEventElapsedTime");
      auto it = std::find_if(ops.begin(), ops.end(),
                             [&](const OpTime& o) { return o.name == mark_names_[j]; });
      if (it == ops.end()) {
        ops.push_back({mark_names_[j], 0, 0});
        it = ops.end() - 1;
      }
      it->ms += ms;
      it->count += 1;
    }
    for (OpTime& o : ops) {
      o.ms /= iterations;
      o.count /= iterations;
    }
    return ops;
  }

  std::vector<GemmTuneRecord> gemm_tunings() const override {
    std::vector<GemmTuneRecord> all = gemm_->tunings();
    for (const auto* runner : {gemm8_.get(), gemmf8_.get()}) {
      if (runner != nullptr)
        all.insert(all.end(), runner->tunings().begin(), runner->tunings().end());
    }
    all.insert(all.end(), fused_log_.begin(), fused_log_.end());
    return all;
  }

 private:
  using Key = std::tuple<int, int, int>;  // tokens, rows, longest row

  /// The run's pieces of the workspace.
  struct Buffers {
    int32_t* ints = nullptr;  // ids | positions | types | rows, uploaded in one copy
    std::size_t int_count = 0;
    int32_t* ids = nullptr;
    int32_t* positions = nullptr;
    int32_t* types = nullptr;
    RowSpan* rows = nullptr;
    T *emb = nullptr, *x = nullptr, *y = nullptr, *tmp = nullptr, *qkv = nullptr, *ctx = nullptr,
      *ffn = nullptr;
    float* out = nullptr;
    // Mixed-precision sessions only: int32 GEMM products and one-byte (int8 or E4M3) copies.
    int32_t* acc = nullptr;  // [T, max(3H, FFN)]
    uint8_t *x8 = nullptr, *y8 = nullptr, *qkv8 = nullptr, *ctx8 = nullptr, *ffn8 = nullptr;
    // Up to kPartsMaxTokens: a k-split product's parts, int32 or FP32 ([kMaxParts, T, H]).
    void* parts = nullptr;
  };

  /// What a recording run copies out (hidden states have an empty name).
  struct Recorder {
    const ObserveRequest* observe = nullptr;
    bool hidden_states = false;
    int batch = 0, seq = 0;
    std::vector<Record> records;
  };

  Buffers carve(void* base, const Packing& p) const {
    const EncoderConfig& c = config;
    const std::size_t t = static_cast<std::size_t>(p.tokens);
    const std::size_t h = c.hidden_size;
    Carver cv(base);
    Buffers b;
    b.int_count = 3 * t + 3 * p.rows.size();
    b.ints = cv.take<int32_t>(b.int_count);
    if (b.ints != nullptr) {
      b.ids = b.ints;
      b.positions = b.ints + t;
      b.types = b.ints + 2 * t;
      b.rows = reinterpret_cast<RowSpan*>(b.ints + 3 * t);
    }
    b.emb = cv.take<T>(c.has_projection ? t * c.embedding_size : 0);
    b.x = cv.take<T>(t * h);
    b.y = cv.take<T>(t * h);
    b.tmp = cv.take<T>(t * h);
    b.qkv = cv.take<T>(t * 3 * h);
    b.ctx = cv.take<T>(t * h);
    b.ffn = cv.take<T>(t * c.intermediate_size);
    b.out = cv.take<float>(t * h);
    b.parts = cv.take<int32_t>(t <= kPartsMaxTokens ? kMaxParts * t * h : 0);
    if (quantized_) {
      const std::size_t inter = c.intermediate_size;
      b.acc = cv.take<int32_t>(t * std::max(3 * h, inter));
      b.x8 = cv.take<uint8_t>(t * h);
      b.y8 = cv.take<uint8_t>(t * h);
      b.qkv8 = cv.take<uint8_t>(t * 3 * h);
      b.ctx8 = cv.take<uint8_t>(t * h);
      b.ffn8 = cv.take<uint8_t>(t * inter);
    }
    bytes_needed_ = cv.used();
    return b;
  }

  /// Sizes the workspace for the run, carves it and uploads the packed tokens.
  Buffers prepare(const Packing& p) {
    carve(nullptr, p);
    if (workspace_.reserve(bytes_needed_))
      drop_graphs();  // captured pointers are stale
    Buffers b = carve(workspace_.base(), p);
    staging_in_.reserve(b.int_count * sizeof(int32_t));
    int32_t* s = staging_in_.as<int32_t>();
    const std::size_t t = static_cast<std::size_t>(p.tokens);
    std::copy(p.ids.begin(), p.ids.end(), s);
    std::copy(p.positions.begin(), p.positions.end(), s + t);
    std::copy(p.types.begin(), p.types.end(), s + 2 * t);
    std::copy(reinterpret_cast<const int32_t*>(p.rows.data()),
              reinterpret_cast<const int32_t*>(p.rows.data()) + 3 * p.rows.size(), s + 3 * t);
    check_cuda(
        cudaMemcpyAsync(b.ints, s, b.int_count * sizeof(int32_t), cudaMemcpyHostToDevice, stream_),
        "cudaMemcpyAsync (tokens)");
    return b;
  }

  cudaGraphExec_t graph_for(const Key& key, const Buffers& b, const Packing& p) {
    const auto it = graphs_.find(key);
    if (it != graphs_.end())
      return it->second;
    if (graphs_.size() >= kMaxGraphs)
      drop_graphs();
    // GEMMs are tuned on their first eager run, never inside a capture: run this shape eagerly
    // once first so the graph records the tuned algorithms.
    if (eager_tokens_.count(p.tokens) == 0)
      forward(b, p, nullptr);
    const cudaGraphExec_t exec = capture_graph(stream_, [&] { forward(b, p, nullptr); });
    graphs_[key] = exec;
    return exec;
  }

  void drop_graphs() {
    for (auto& [key, exec] : graphs_)
      cudaGraphExecDestroy(exec);
    graphs_.clear();
    if (seen_.size() > 4096)
      seen_.clear();
  }

  /// Copies a [tokens, width] slice (row stride ld) of `src` as FP32 into a new record.
  void record_packed(Recorder* rec, std::string name, std::vector<int> shape, const T* src, int ld,
                     int width, int tokens) {
    Record r;
    r.name = std::move(name);
    r.shape = std::move(shape);
    r.width = width;
    r.data = DeviceBuffer(static_cast<std::size_t>(tokens) * width * sizeof(float));
    check_cuda(launch_to_float(src, ld, tokens, width, r.data.template as<float>(), stream_),
               "to_float kernel");
    rec->records.push_back(std::move(r));
  }

  void forward(const Buffers& b, const Packing& p, Recorder* rec) {
    const EncoderConfig& c = config;
    const int t = p.tokens;
    const ProgrammaticLaunches programmatic(t < programmatic_max_tokens_);
    // With few tokens each layer's GEMMs wait on HBM for their weights: fetch the next layer's
    // into L2 while one runs (on a side stream; joined before the output). Only into CUDA graphs:
    // eager runs of few tokens are bound by the host's launches, which the side stream's events
    // and kernels would add to (H100 batch 1, eager: 0.63 ms in session 6's bench, 0.88 with them).
    const bool captured = capturing();
    L2Prefetcher* prefetch = t < prefetch_max_tokens_ && captured ? prefetcher_.get() : nullptr;
    if (prefetch != nullptr && prefetched(0))
      prefetch->fetch(stream_, layer_ranges(0));
    const int h = c.hidden_size;
    const int e = c.embedding_size;
    const int inter = c.intermediate_size;
    const int d = c.head_dim();
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
    const int batch = static_cast<int>(p.rows.size());
    const auto wants = [&](int layer, Tap tap) {
      return rec != nullptr && rec->observe->wants(layer, tap);
    };
    const auto padded = [&](int width) { return std::vector<int>{rec->batch, rec->seq, width}; };

    EmbeddingTables tables;
    tables.word = word_.as<float>();
    tables.position = position_.as<float>();
    tables.token_type = c.type_vocab_size > 0 ? token_type_.as<float>() : nullptr;
    tables.gamma = emb_g_.as<float>();
    tables.beta = emb_b_.as<float>();
    tables.width = e;
    tables.eps = c.layer_norm_eps;
    T* embedded = c.has_projection ? b.emb : b.x;
    check_cuda(launch_embedding<T>(tables, b.ids, b.positions, b.types, t, embedded, stream_),
               "embedding kernel");
    if (rec != nullptr && rec->observe->embeddings_output)
      record_packed(rec, "embeddings.output", padded(e), embedded, e, e, t);
    mark("embedding + LayerNorm");
    if (c.has_projection) {
      gemm_->run(h, t, e, proj_w_.get(), b.emb, b.x, GemmEpilogue::kBias, proj_b_.get(), nullptr,
                 stream_);
      mark("embedding projection GEMM");
    }
    if (rec != nullptr && rec->hidden_states)
      record_packed(rec, "", {}, b.x, h, h, t);

    bool x_quantized = false;  // b.x8 holds x quantized for this layer's QKV GEMM
    final_output_ = nullptr;
    final_written_ = false;
    for (int l = 0; l < c.num_layers; ++l) {
      if (prefetch != nullptr && l + 1 < c.num_layers && prefetched(l + 1))
        prefetch->fetch(stream_, layer_ranges(l + 1));
      if (l + 1 == c.num_layers)
        final_output_ = b.out;
      // A layer with a quantized GEMM or INT8 attention, or one whose last LayerNorm must hand
      // the next layer's quantized QKV its input, takes the mixed-precision path.
      if (c.quant_of(l).any() || (l + 1 < c.num_layers && c.quant_of(l + 1).qkv.quantized())) {
        quantized_layer(l, b, t, batch, p, rec, x_quantized);
        continue;
      }
      x_quantized = false;
      const LayerWeights& w = *layers_[static_cast<std::size_t>(l)];
      const std::string at = "layers." + std::to_string(l) + ".";
      const auto name = [&](Tap tap) { return at + cpu::tap_name(tap); };
      if (wants(l, Tap::kQkvInput))
        record_packed(rec, name(Tap::kQkvInput), padded(h), b.x, h, h, t);
      gemm_->run(3 * h, t, h, w.qkv_w.get(), b.x, b.qkv, GemmEpilogue::kBias, w.qkv_b.get(),
                 nullptr, stream_);
      mark("QKV GEMM (+bias)");
      const Tap parts[3] = {Tap::kQuery, Tap::kKey, Tap::kValue};
      for (int part = 0; part < 3; ++part) {
        if (wants(l, parts[part]))
          record_packed(rec, name(parts[part]), padded(h), b.qkv + part * h, 3 * h, h, t);
      }
      check_cuda(attention(b, p.max_queries, batch, scale), "attention kernel");
      mark("attention");
      if (wants(l, Tap::kScores) || wants(l, Tap::kProbs))
        observe_attention(rec, l, b, p, scale);
      if (wants(l, Tap::kContext))
        record_packed(rec, name(Tap::kContext), padded(h), b.ctx, h, h, t);

      float_linear_layer_norm(w, kAttentionOutput, h, t, b, b.ctx, w.out_b, w.out_b_t, b.x, w.ln1_g,
                              w.ln1_b, b.y, "attention output GEMM");
      mark("LayerNorm (attention)");
      if (wants(l, Tap::kFfnIntermediateInput))
        record_packed(rec, name(Tap::kFfnIntermediateInput), padded(h), b.y, h, h, t);

      if (ffn1_epilogue_ != GemmEpilogue::kNone) {
        gemm_->run(inter, t, h, w.ffn1_w.get(), b.y, b.ffn, ffn1_epilogue_, w.ffn1_b_t.get(),
                   nullptr, stream_);
        mark("FFN1 GEMM (+bias, activation)");
      } else {
        run_fastest(
            fused_mode_, site(GemmKind::kFp16, inter, h), t,
            std::is_same_v<T, __half> && fused_supported<__half>(inter, h, inter, 0), stream_,
            fused_log_,
            [&] {
              if constexpr (std::is_same_v<T, __half>) {
                check_cuda(
                    fused_gemm<T, int8_t>(b.y, w.ffn1_w.template as<T>(), t, inter, h,
                                          Dequant{1.0f, nullptr, w.ffn1_b.as<float>()},
                                          c.activation, b.ffn, inter, QuantOut<int8_t>{}, stream_),
                    "fused FFN1 GEMM + bias + activation kernel");
              }
            },
            [&] {
              gemm_->run(inter, t, h, w.ffn1_w.get(), b.y, b.ffn, GemmEpilogue::kNone, nullptr,
                         nullptr, stream_);
              check_cuda(launch_bias_activation<T>(b.ffn, t, inter, w.ffn1_b.as<float>(),
                                                   c.activation, stream_),
                         "bias + activation kernel");
            });
        mark("FFN1 GEMM + bias + activation");
      }
      if (wants(l, Tap::kFfnOutputInput))
        record_packed(rec, name(Tap::kFfnOutputInput), padded(inter), b.ffn, inter, inter, t);

      float_linear_layer_norm(w, kFfnOutput, inter, t, b, b.ffn, w.ffn2_b, w.ffn2_b_t, b.y, w.ln2_g,
                              w.ln2_b, b.x, "FFN2 GEMM");
      mark("LayerNorm (FFN)");
      if (rec != nullptr && rec->hidden_states)
        record_packed(rec, "", {}, b.x, h, h, t);
    }
    if (prefetch != nullptr)
      prefetch->join(stream_);
    if (!final_written_) {
      check_cuda(launch_to_float<T>(b.x, h, t, h, b.out, stream_), "to_float kernel");
      mark("output to FP32");
    }
    final_output_ = nullptr;
    if (!captured)
      eager_tokens_.insert(t);
  }

  /// The quantized copy of a GEMM input in `buf` (stride ld), typed for `g`'s precision; none
  /// (a null QuantOut<int8_t>) for a float GEMM or `skip`.
  template <typename F>
  static void with_quant_out(const GemmQuant& g, uint8_t* buf, int ld, F&& f, bool skip = false) {
    if (!skip && g.precision == GemmPrecision::kInt8) {
      f(QuantOut<int8_t>{reinterpret_cast<int8_t*>(buf), ld, input_inv_scale(g), nullptr});
    } else if (!skip && g.precision == GemmPrecision::kFp8) {
      f(QuantOut<__nv_fp8_e4m3>{reinterpret_cast<__nv_fp8_e4m3*>(buf), ld, input_inv_scale(g),
                                nullptr});
    } else {
      f(QuantOut<int8_t>{});
    }
  }

  /// Quantizes src [t, width] (T) into buf as g's input.
  void quantize_input(const GemmQuant& g, const T* src, int width, uint8_t* buf, int t) {
    with_quant_out(g, buf, width, [&](auto q) {
      check_cuda(launch_dequant_activation<T, T>(src, width, t, width, Dequant{}, Activation::kNone,
                                                 static_cast<T*>(nullptr), 0, q, stream_),
                 "quantize kernel");
    });
  }

  /// Whether forward() fetches layer l's weights into L2 ahead of it: not where all four of its
  /// GEMMs are INT8. H100 batch 1, int8-full (session 17): 0.310–0.313 ms without the prefetch,
  /// 0.313–0.320 with it, 0.322–0.325 fetching only the layers' biases and LayerNorm parameters;
  /// the small-tile kernels queue their own weights before waiting on the kernel before them.
  bool prefetched(int l) const {
    const LayerQuant q = config.quant_of(l);
    for (const GemmQuant* g : q.gemms()) {
      if (g->precision != GemmPrecision::kInt8)
        return true;
    }
    return false;
  }

  /// The weights layer l reads (the copies its plan runs), then its biases while there is room.
  L2Ranges layer_ranges(int l) const {
    const LayerWeights& w = *layers_[static_cast<std::size_t>(l)];
    const LayerQuant q = config.quant_of(l);
    const std::array<const GemmQuant*, 4> plan = q.gemms();
    L2Ranges r;
    for (int i = 0; i < 4; ++i) {
      const DeviceBuffer& d = plan[i]->precision == GemmPrecision::kInt8 ? w.int8[i].data
                              : plan[i]->precision == GemmPrecision::kFp8
                                  ? w.fp8[i].data
                                  : float_weight(w, Linear(i));
      r.add(d.get(), d.bytes());
    }
    for (const DeviceBuffer* d : {&w.qkv_b, &w.out_b, &w.ffn1_b, &w.ffn2_b, &w.ln1_g, &w.ln1_b,
                                  &w.ln2_g, &w.ln2_b, &w.qkv_b_f})
      r.add(d->get(), d->bytes());
    return r;
  }

  /// The float (storage-type) weights of one of a layer's Linears.
  static const DeviceBuffer& float_weight(const LayerWeights& w, Linear which) {
    const DeviceBuffer* weights[4] = {&w.qkv_w, &w.out_w, &w.ffn1_w, &w.ffn2_w};
    return *weights[which];
  }

  /// The attention-output or FFN2 Linear of a float layer and the bias + residual + LayerNorm
  /// after it: cuBLASLt's GEMM (bias and residual in its epilogue with SAMP_CUDA_RESIDUAL_EPILOGUE)
  /// then the LayerNorm kernel, or in FP16 sessions the one kernel of gemm-wgmma-ln.cu where it
  /// times faster. `gemm_op` names the GEMM for the per-op profile (with the one kernel, all of
  /// its time).
  void float_linear_layer_norm(const LayerWeights& w, Linear which, int k, int t, const Buffers& b,
                               const T* x, const DeviceBuffer& bias, const DeviceBuffer& bias_t,
                               const T* residual, const DeviceBuffer& gamma,
                               const DeviceBuffer& beta, T* out, const char* gemm_op) {
    const EncoderConfig& c = config;
    const int h = c.hidden_size;
    const bool fusable = std::is_same_v<T, __half> && fused_wgmma_ &&
                         gemm_layer_norm_wgmma_supported<__half>(h, k, 0);
    run_fastest(
        fused_mode_, site(GemmKind::kFp16, h, k), t, fusable, stream_, fused_log_,
        [&] {
          output_from(which, false);
          if constexpr (std::is_same_v<T, __half>) {
            check_cuda(launch_gemm_layer_norm_wgmma<__half, T, int8_t>(
                           x, float_weight(w, which).template as<__half>(), t, h, k,
                           Dequant{1.0f, nullptr, bias.as<float>()}, residual, gamma.as<float>(),
                           beta.as<float>(), c.layer_norm_eps, out, QuantOut<int8_t>{}, stream_),
                       "Linear + LayerNorm kernel");
            mark(gemm_op);  // the LayerNorm's time is the GEMM's
          }
        },
        [&] {
          const int parts = std::is_same_v<T, __half> ? k_split(which, k, t, false).parts : 1;
          if (parts > 1) {
            gemm_->run_parts(h, t, k, parts, float_weight(w, which).get(), x, b.parts, stream_);
            mark(gemm_op);
            check_cuda(
                launch_layer_norm_quantize<float, T, int8_t>(
                    static_cast<const float*>(b.parts), Dequant{1.0f, nullptr, bias.as<float>()},
                    residual, gamma.as<float>(), beta.as<float>(), t, h, c.layer_norm_eps, out,
                    QuantOut<int8_t>{}, stream_, InputParts{parts, static_cast<std::size_t>(t) * h},
                    output_from(which)),
                "k parts + bias + residual + LayerNorm kernel");
            return;
          }
          gemm_->run(h, t, k, float_weight(w, which).get(), x, b.tmp,
                     fused_residual_ ? GemmEpilogue::kBias : GemmEpilogue::kNone,
                     fused_residual_ ? bias_t.get() : nullptr, fused_residual_ ? residual : nullptr,
                     stream_);
          mark(gemm_op);
          check_cuda(launch_bias_residual_layer_norm<T>(
                         b.tmp, fused_residual_ ? nullptr : bias.as<float>(),
                         fused_residual_ ? nullptr : residual, gamma.as<float>(), beta.as<float>(),
                         t, h, c.layer_norm_eps, out, stream_, output_from(which)),
                     "bias + residual + LayerNorm kernel");
        });
  }

  /// The attention-output or FFN2 Linear of a mixed-precision layer (k inputs, hidden-size
  /// outputs) and the bias + residual + LayerNorm after it, quantizing `out` for the next GEMM:
  /// one kernel with the LayerNorm in its epilogue (gemm-wgmma-ln.cu; int8, or FP16 in FP16
  /// sessions) where it applies and times faster, else linear() and the LayerNorm kernel.
  template <typename Q>
  void linear_layer_norm(const LayerWeights& w, Linear which, const GemmQuant& g, int k, int t,
                         const T* x, const uint8_t* x8, const Buffers& b, const DeviceBuffer& bias,
                         const T* residual, const DeviceBuffer& gamma, const DeviceBuffer& beta,
                         T* out, const QuantOut<Q>& q) {
    const EncoderConfig& c = config;
    const int h = c.hidden_size;
    const bool int8 = g.precision == GemmPrecision::kInt8;
    const bool half = g.precision == GemmPrecision::kFloat && std::is_same_v<T, __half>;
    const Dequant dq =
        int8 ? Dequant{g.input_scale, w.int8[which].scales.template as<float>(), bias.as<float>()}
             : Dequant{1.0f, nullptr, bias.as<float>()};
    const int ld_q = q.q != nullptr ? q.ld : 0;
    const bool fusable =
        fused_wgmma_ && (int8 ? gemm_layer_norm_wgmma_supported<int8_t>(h, k, ld_q)
                              : half && gemm_layer_norm_wgmma_supported<__half>(h, k, ld_q));
    run_fastest(
        fused_mode_, site(int8 ? GemmKind::kInt8 : GemmKind::kFp16, h, k), t, fusable, stream_,
        fused_log_,
        [&] {
          output_from(which, false);
          cudaError_t err = cudaErrorInvalidValue;
          if (int8) {
            err = launch_gemm_layer_norm_wgmma<int8_t, T, Q>(
                reinterpret_cast<const int8_t*>(x8), w.int8[which].data.template as<int8_t>(), t, h,
                k, dq, residual, gamma.as<float>(), beta.as<float>(), c.layer_norm_eps, out, q,
                stream_);
          } else if constexpr (std::is_same_v<T, __half>) {
            err = launch_gemm_layer_norm_wgmma<__half, T, Q>(
                x, float_weight(w, which).template as<__half>(), t, h, k, dq, residual,
                gamma.as<float>(), beta.as<float>(), c.layer_norm_eps, out, q, stream_);
          }
          check_cuda(err, "Linear + LayerNorm (+ quantize) kernel");
        },
        [&] {
          const KSplit split = int8 ? k_split(which, k, t, true) : KSplit{};
          const int parts = split.parts;
          if (parts > 1) {
            if (split.small_tiles)
              check_cuda(launch_gemm_parts_small(reinterpret_cast<const int8_t*>(x8),
                                                 w.int8[which].data.template as<int8_t>(), t, h, k,
                                                 parts, static_cast<int32_t*>(b.parts), stream_),
                         "k-parts product kernel");
            else
              gemm8_->run_parts(h, t, k, parts, w.int8[which].data.get(), x8, b.parts, stream_);
            check_cuda(launch_layer_norm_quantize<int32_t, T>(
                           static_cast<const int32_t*>(b.parts), dq, residual, gamma.as<float>(),
                           beta.as<float>(), t, h, c.layer_norm_eps, out, q, stream_,
                           InputParts{parts, static_cast<std::size_t>(t) * h}, output_from(which)),
                       "k parts + LayerNorm (+ quantize) kernel");
            return;
          }
          linear(w, which, g, h, k, t, x, x8, b.tmp, b.acc, nullptr);
          // INT8: the exact int32 product in b.acc; FP8 and float: T in b.tmp (dq: the bias only).
          check_cuda(int8 ? launch_layer_norm_quantize<int32_t, T>(
                                b.acc, dq, residual, gamma.as<float>(), beta.as<float>(), t, h,
                                c.layer_norm_eps, out, q, stream_, {}, output_from(which))
                          : launch_layer_norm_quantize<T, T>(
                                b.tmp, dq, residual, gamma.as<float>(), beta.as<float>(), t, h,
                                c.layer_norm_eps, out, q, stream_, {}, output_from(which)),
                     "LayerNorm (+ quantize) kernel");
        });
  }

  /// One Linear of a mixed-precision layer, its input already in `x` (T) and, for a quantized
  /// GEMM, in `x8`: INT8 → the exact int32 product in b.acc; FP8 → alpha-scaled T into `out`
  /// (+ bias when `bias_t` is set); float → `out` (+ bias when `bias_t` is set).
  void linear(const LayerWeights& w, Linear which, const GemmQuant& g, int m, int k, int t,
              const T* x, const uint8_t* x8, T* out, int32_t* acc, const void* bias_t) {
    const GemmEpilogue ep = bias_t != nullptr ? GemmEpilogue::kBias : GemmEpilogue::kNone;
    if (g.precision == GemmPrecision::kInt8) {
      gemm8_->run(m, t, k, w.int8[which].data.get(), x8, acc, GemmEpilogue::kNone, nullptr, nullptr,
                  stream_);
    } else if (g.precision == GemmPrecision::kFp8) {
      const float alpha = w.fp8[which].tensor_scale / input_inv_scale(g);
      gemmf8_->run(m, t, k, w.fp8[which].data.get(), x8, out, ep, bias_t, nullptr, stream_, alpha);
    } else {
      gemm_->run(m, t, k, float_weight(w, which).get(), x, out, ep, bias_t, nullptr, stream_);
    }
  }

  /// A layer of a mixed-precision plan (any GEMM float, INT8 or FP8; attention float or INT8).
  /// Each quantized GEMM's input is quantized by the kernel that produces it (LayerNorm,
  /// activation, INT8 attention, QKV epilogue); `x_quantized` says b.x8 already holds this
  /// layer's QKV input, and is set for the next layer.
  void quantized_layer(int l, const Buffers& b, int t, int batch, const Packing& p, Recorder* rec,
                       bool& x_quantized) {
    const EncoderConfig& c = config;
    const int h = c.hidden_size;
    const int inter = c.intermediate_size;
    const int d = c.head_dim();
    const LayerWeights& w = *layers_[static_cast<std::size_t>(l)];
    const LayerQuant lq = c.quant_of(l);
    const GemmQuant next_qkv = l + 1 < c.num_layers ? c.quant_of(l + 1).qkv : GemmQuant{};
    const bool recording = rec != nullptr;
    const auto wants = [&](Tap tap) { return recording && rec->observe->wants(l, tap); };
    const auto padded = [&](int width) { return std::vector<int>{rec->batch, rec->seq, width}; };
    const std::string at = "layers." + std::to_string(l) + ".";
    const auto name = [&](Tap tap) { return at + cpu::tap_name(tap); };
    if (lq.attention.int8 && (wants(Tap::kScores) || wants(Tap::kProbs))) {
      invalid("observe", "the attention scores and probabilities of layer " + std::to_string(l) +
                             " run in INT8 on this CUDA session; observe them on a float session");
    }

    // QKV: its int8 / FP8 input quantized by the previous LayerNorm (or here); INT8 attention
    // takes Q, K, V as int8, requantized per part in the QKV epilogue.
    if (wants(Tap::kQkvInput))
      record_packed(rec, name(Tap::kQkvInput), padded(h), b.x, h, h, t);
    if (lq.qkv.quantized() && !x_quantized)
      quantize_input(lq.qkv, b.x, h, b.x8, t);
    const ExtrasRef ex = extras(l);
    QuantOut<int8_t> qkv8{reinterpret_cast<int8_t*>(b.qkv8), 3 * h, 1.0f, ex.qkv_inv_scales};
    const bool qkv_float_needed = !lq.attention.int8 || recording;
    if (lq.qkv.precision == GemmPrecision::kInt8) {
      const Dequant dq{lq.qkv.input_scale, w.int8[kQkv].scales.as<float>(), w.qkv_b_f.as<float>()};
      T* qkv = qkv_float_needed ? b.qkv : nullptr;
      const QuantOut<int8_t> q = lq.attention.int8 ? qkv8 : QuantOut<int8_t>{};
      run_fastest(
          fused_mode_, site(GemmKind::kInt8, 3 * h, h), t,
          fused_supported<int8_t>(3 * h, h, 3 * h, 3 * h), stream_, fused_log_,
          [&] {
            check_cuda(fused_gemm<int8_t, int8_t>(reinterpret_cast<const int8_t*>(b.x8),
                                                  w.int8[kQkv].data.template as<int8_t>(), t, 3 * h,
                                                  h, dq, Activation::kNone, qkv, 3 * h, q, stream_),
                       "fused QKV GEMM + dequantize kernel");
          },
          [&] {
            linear(w, kQkv, lq.qkv, 3 * h, h, t, b.x, b.x8, nullptr, b.acc, nullptr);
            check_cuda(launch_dequant_activation<int32_t, T>(
                           b.acc, 3 * h, t, 3 * h, dq, Activation::kNone, qkv, 3 * h, q, stream_),
                       "QKV dequantize kernel");
          });
    } else {
      linear(w, kQkv, lq.qkv, 3 * h, h, t, b.x, b.x8, b.qkv, nullptr, w.qkv_b.get());
      if (lq.attention.int8) {
        check_cuda(
            launch_dequant_activation<T, T>(b.qkv, 3 * h, t, 3 * h, Dequant{}, Activation::kNone,
                                            static_cast<T*>(nullptr), 0, qkv8, stream_),
            "QKV quantize kernel");
      }
    }
    mark("QKV (mixed precision)");
    const Tap parts[3] = {Tap::kQuery, Tap::kKey, Tap::kValue};
    for (int part = 0; part < 3; ++part) {
      if (wants(parts[part]))
        record_packed(rec, name(parts[part]), padded(h), b.qkv + part * h, 3 * h, h, t);
    }

    // Attention; an INT8 attention hands an INT8 attention-output GEMM its context as int8.
    const GemmQuant& ao = lq.attention_output;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
    bool ctx_quantized = false;
    if (lq.attention.int8) {
      const AttentionQuant& aq = lq.attention;
      const float sp = aq.probs_scale > 0.0f ? aq.probs_scale : 1.0f / 127.0f;
      AttentionInt8Args args;
      args.qkv8 = reinterpret_cast<const int8_t*>(b.qkv8);
      args.ld_qkv = 3 * h;
      args.rows = b.rows;
      args.num_rows = batch;
      args.max_queries = p.max_queries;
      args.heads = c.num_heads;
      args.head_dim = d;
      args.score_scale = aq.query_scale * scale * aq.key_scale;
      args.probs_inv_scale = 1.0f / sp;
      args.context_scale = sp * aq.value_scale;
      args.ld_ctx = h;
      ctx_quantized = ao.precision == GemmPrecision::kInt8;
      args.ctx8_inv_scale = ctx_quantized ? input_inv_scale(ao) : 1.0f;
      args.generic_kernel = int8_attention_generic_;
      args.split_keys = attention_split_;
      check_cuda(launch_attention_int8<T>(
                     args, ctx_quantized && !recording ? nullptr : b.ctx,
                     ctx_quantized ? reinterpret_cast<int8_t*>(b.ctx8) : nullptr, stream_),
                 "INT8 attention kernel");
    } else {
      check_cuda(attention(b, p.max_queries, batch, scale), "attention kernel");
      if (wants(Tap::kScores) || wants(Tap::kProbs))
        observe_attention(rec, l, b, p, scale);
    }
    mark("attention (mixed precision)");
    if (wants(Tap::kContext))
      record_packed(rec, name(Tap::kContext), padded(h), b.ctx, h, h, t);
    if (ao.quantized() && !ctx_quantized)
      quantize_input(ao, b.ctx, h, b.ctx8, t);

    // Attention output + bias + residual + LayerNorm, quantizing y for a quantized FFN GEMM.
    const GemmQuant& f1 = lq.ffn_intermediate;
    with_quant_out(f1, b.y8, h, [&](auto q) {
      linear_layer_norm(w, kAttentionOutput, ao, h, t, b.ctx, b.ctx8, b, w.out_b, b.x, w.ln1_g,
                        w.ln1_b, b.y, q);
    });
    mark("attention output + LayerNorm (mixed precision)");
    if (wants(Tap::kFfnIntermediateInput))
      record_packed(rec, name(Tap::kFfnIntermediateInput), padded(h), b.y, h, h, t);

    // FFN1 + bias + activation, quantizing for a quantized FFN2.
    const GemmQuant& f2 = lq.ffn_output;
    const bool ffn_float_needed = !f2.quantized() || recording;
    with_quant_out(f2, b.ffn8, inter, [&](auto q) {
      using Q = std::remove_pointer_t<decltype(q.q)>;
      if (f1.precision == GemmPrecision::kInt8) {
        const Dequant dq{f1.input_scale, w.int8[kFfnIntermediate].scales.as<float>(),
                         w.ffn1_b.as<float>()};
        T* ffn = ffn_float_needed ? b.ffn : nullptr;
        run_fastest(
            fused_mode_, site(GemmKind::kInt8, inter, h), t,
            fused_supported<int8_t>(inter, h, inter, inter), stream_, fused_log_,
            [&] {
              check_cuda(
                  fused_gemm<int8_t, Q>(reinterpret_cast<const int8_t*>(b.y8),
                                        w.int8[kFfnIntermediate].data.template as<int8_t>(), t,
                                        inter, h, dq, c.activation, ffn, inter, q, stream_),
                  "fused FFN1 GEMM + activation (+ quantize) kernel");
            },
            [&] {
              linear(w, kFfnIntermediate, f1, inter, h, t, b.y, b.y8, b.ffn, b.acc, nullptr);
              check_cuda(launch_dequant_activation<int32_t, T>(
                             b.acc, inter, t, inter, dq, c.activation, ffn, inter, q, stream_),
                         "bias + activation (+ quantize) kernel");
            });
      } else {
        const auto split = [&] {
          linear(w, kFfnIntermediate, f1, inter, h, t, b.y, b.y8, b.ffn, b.acc, nullptr);
          check_cuda(launch_dequant_activation<T, T>(b.ffn, inter, t, inter,
                                                     Dequant{1.0f, nullptr, w.ffn1_b.as<float>()},
                                                     c.activation, b.ffn, inter, q, stream_),
                     "bias + activation (+ quantize) kernel");
        };
        // FP8 (FP16 sessions on Hopper): the wgmma kernel scales the FP32 sums by s_x · s_w,
        // adds the bias and activates without the FP16 round trip of cuBLASLt's output.
        const bool fp8 = f1.precision == GemmPrecision::kFp8 && std::is_same_v<T, __half>;
        run_fastest(
            fp8 ? fused_mode_ : FusedMode::kNever, site(GemmKind::kFp8, inter, h), t,
            fp8 && fused_wgmma_ &&
                gemm_fused_wgmma_supported<__nv_fp8_e4m3>(inter, h, inter, inter),
            stream_, fused_log_,
            [&] {
              if constexpr (std::is_same_v<T, __half>) {
                const float alpha = w.fp8[kFfnIntermediate].tensor_scale / input_inv_scale(f1);
                check_cuda(launch_gemm_fused_wgmma<__nv_fp8_e4m3, T, Q>(
                               reinterpret_cast<const __nv_fp8_e4m3*>(b.y8),
                               w.fp8[kFfnIntermediate].data.template as<__nv_fp8_e4m3>(), t, inter,
                               h, Dequant{alpha, nullptr, w.ffn1_b.as<float>()}, c.activation,
                               ffn_float_needed ? b.ffn : nullptr, inter, q, stream_),
                           "fused FP8 FFN1 GEMM + activation (+ quantize) kernel");
              }
            },
            split);
      }
    });
    mark("FFN1 + activation (mixed precision)");
    if (wants(Tap::kFfnOutputInput))
      record_packed(rec, name(Tap::kFfnOutputInput), padded(inter), b.ffn, inter, inter, t);

    // FFN2 + bias + residual + LayerNorm, quantizing x for the next layer's quantized QKV.
    with_quant_out(next_qkv, b.x8, h, [&](auto q) {
      linear_layer_norm(w, kFfnOutput, f2, inter, t, b.ffn, b.ffn8, b, w.ffn2_b, b.y, w.ln2_g,
                        w.ln2_b, b.x, q);
    });
    x_quantized = next_qkv.quantized();
    mark("FFN2 + LayerNorm (mixed precision)");
    if (recording && rec->hidden_states)
      record_packed(rec, "", {}, b.x, h, h, t);
  }

  struct ExtrasRef {
    const float* qkv_inv_scales = nullptr;
  };
  ExtrasRef extras(int layer) const {
    if (extras_.empty())
      return {};
    return {extras_[static_cast<std::size_t>(layer)].qkv_inv_scales.template as<float>()};
  }

  /// Mixed-precision sessions: the INT8 / FP8 GEMM runners, the per-layer inverse scales of the
  /// INT8 attention's inputs, and the INT8 attention kernel's shared memory.
  void prepare_quantized(const GemmTuning& tuning) {
    const EncoderConfig& c = config;
    bool int8 = false, fp8 = false, attention = false;
    for (const LayerQuant& q : c.layer_quant) {
      for (const GemmQuant* g : q.gemms()) {
        int8 = int8 || g->precision == GemmPrecision::kInt8;
        fp8 = fp8 || g->precision == GemmPrecision::kFp8;
      }
      attention = attention || q.attention.int8;
    }
    quantized_ = int8 || fp8 || attention;
    if (fp8 && !std::is_same_v<T, __half>)
      invalid("layerQuant", "FP8 GEMMs run in FP16 sessions only");
    if (quantized_ && c.hidden_size > kMaxQuantizedLayerNormWidth) {
      invalid("hiddenSize", "mixed-precision layers take a hidden size up to " +
                                std::to_string(kMaxQuantizedLayerNormWidth));
    }
    if (int8)
      gemm8_ = std::make_unique<GemmRunner>(GemmKind::kInt8, tuning);
    if (fp8)
      gemmf8_ = std::make_unique<GemmRunner>(GemmKind::kFp8, tuning);
    if (!attention)
      return;
    const std::size_t smem = attention_int8_shared_bytes(c.max_sequence_length(), c.head_dim());
    if (smem > 48 * 1024)
      check_cuda(allow_attention_int8_shared_bytes(smem), "cudaFuncSetAttribute (INT8 attention)");
    const std::size_t h = c.hidden_size;
    for (int l = 0; l < c.num_layers; ++l) {
      LayerExtras e;
      const AttentionQuant& a = c.quant_of(l).attention;
      if (a.int8) {
        std::vector<float> inv(3 * h);
        std::fill(inv.begin(), inv.begin() + h, 1.0f / a.query_scale);
        std::fill(inv.begin() + h, inv.begin() + 2 * h, 1.0f / a.key_scale);
        std::fill(inv.begin() + 2 * h, inv.end(), 1.0f / a.value_scale);
        std::size_t ignored = 0;
        e.qkv_inv_scales = upload<float>({&inv}, &ignored);
      }
      extras_.push_back(std::move(e));
    }
  }

  /// The fused GEMM + epilogue kernel of this session: wgmma on Hopper, else mma.sync.
  template <typename In, typename Q>
  cudaError_t fused_gemm(const In* x, const In* w, int tokens, int n, int k, const Dequant& dq,
                         Activation act, T* out, int ld_out, const QuantOut<Q>& q,
                         cudaStream_t stream) const {
    // FP8 needs the wgmma kernel's promoted sums.
    if constexpr (!std::is_same_v<In, __nv_fp8_e4m3>) {
      if (tokens <= small_max_tokens_ &&
          gemm_fused_small_supported<In>(n, k, ld_out, q.q != nullptr ? q.ld : 0))
        return launch_gemm_fused_small<In, T, Q>(x, w, tokens, n, k, dq, act, out, ld_out, q,
                                                 stream);
      if (tma_min_tokens_ >= 0 && tokens >= tma_min_tokens_ &&
          gemm_fused_tma_supported<In>(n, k, ld_out, q.q != nullptr ? q.ld : 0))
        return launch_gemm_fused_tma<In, T, Q>(x, w, tokens, n, k, dq, act, out, ld_out, q, stream);
    }
    return fused_wgmma_
               ? launch_gemm_fused_wgmma<In, T, Q>(x, w, tokens, n, k, dq, act, out, ld_out, q,
                                                   stream)
               : launch_gemm_fused<In, T, Q>(x, w, tokens, n, k, dq, act, out, ld_out, q, stream);
  }
  template <typename In>
  bool fused_supported(int n, int k, int ld_out, int ld_q) const {
    return fused_wgmma_ ? gemm_fused_wgmma_supported<In>(n, k, ld_out, ld_q)
                        : gemm_fused_supported<In>(n, k, ld_out, ld_q);
  }
  /// Where the LayerNorm after `which` also writes its output as FP32: the encoder's output
  /// (b.out) after the last layer's FFN2, else nowhere. `writes`: whether the way that calls
  /// this writes it (the fused Linear + LayerNorm kernel does not: then the FP32 pass runs after
  /// the layers). run_fastest may time both ways first; the way that runs last decides.
  float* output_from(Linear which, bool writes = true) {
    if (which != kFfnOutput || final_output_ == nullptr)
      return nullptr;
    final_written_ = writes;
    return writes ? final_output_ : nullptr;
  }

  /// How the attention-output or FFN2 Linear (reduction k) of int8 or FP16 inputs runs at t
  /// tokens: in how many k parts, added up by the LayerNorm kernel (1: one product), and whether
  /// they are our small-tile kernel's (launch_gemm_parts_small: int8 with programmatic launches,
  /// kSmallPartsMaxTokens) or cuBLASLt's (GemmRunner::run_parts).
  struct KSplit {
    int parts = 1;
    bool small_tiles = false;
  };
  KSplit k_split(Linear which, int k, int t, bool int8) const {
    const int h = config.hidden_size;
    if (t > kPartsMaxTokens || h % 8 != 0)
      return {};
    if (int8 && t <= small_parts_max_tokens_ && t < programmatic_max_tokens_) {
      // The most parts up to the site's count that the shape divides into (the attention output:
      // 3 at hidden 768, 2 at 256).
      const int most = which == kAttentionOutput ? small_parts_out_ : small_parts_ffn2_;
      for (int parts = std::min(most, kMaxParts); parts > 1; --parts) {
        if (gemm_parts_small_supported(h, k, parts))
          return {parts, true};
      }
    }
    const int wanted = which == kFfnOutput ? parts_ffn2_ : parts_out_;
    if (wanted <= 1 || wanted > kMaxParts || k % (16 * wanted) != 0)
      return {};
    return {wanted, false};
  }

  /// A GEMM site of the fused-or-split table (fused-choice.h) on this session's device.
  FusedSite site(GemmKind kind, int m, int k) const {
    return {options.device, static_cast<int>(kind), static_cast<int>(sizeof(T)), m, k};
  }

  /// Whether the session's stream is being captured into a CUDA graph now.
  bool capturing() const {
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    check_cuda(cudaStreamIsCapturing(stream_, &status), "cudaStreamIsCapturing");
    return status != cudaStreamCaptureStatusNone;
  }

  /// Profiling runs: records an event after an op, named for it.
  void mark(const char* name) {
    if (!profiling_)
      return;
    if (mark_count_ == marks_.size()) {
      cudaEvent_t e = nullptr;
      check_cuda(cudaEventCreate(&e), "cudaEventCreate");
      marks_.push_back(e);
      mark_names_.push_back(nullptr);
    }
    check_cuda(cudaEventRecord(marks_[mark_count_], stream_), "cudaEventRecord");
    mark_names_[mark_count_] = name;
    ++mark_count_;
  }

  /// The tensor-core kernels for FP16 with head_dim 64 (mma.sync by default, WMMA with
  /// SAMP_CUDA_ATTENTION=wmma, none with =generic when the session was made), the generic one
  /// otherwise.
  cudaError_t attention(const Buffers& b, int max_queries, int batch, float scale) {
    const EncoderConfig& c = config;
    const int h = c.hidden_size;
    if constexpr (std::is_same_v<T, __half>) {
      if (attention_ == AttentionKernel::kMma) {
        return launch_attention_mma(b.qkv, 3 * h, b.ctx, h, b.rows, batch, max_queries, c.num_heads,
                                    scale, stream_, attention_split_, attention_whole_);
      }
      if (attention_ == AttentionKernel::kWmma) {
        return launch_attention_wmma(b.qkv, 3 * h, b.ctx, h, b.rows, batch, max_queries,
                                     c.num_heads, scale, stream_);
      }
    }
    return launch_attention<T>(b.qkv, 3 * h, b.ctx, h, b.rows, batch, max_queries, c.num_heads,
                               c.head_dim(), scale, stream_);
  }

  void observe_attention(Recorder* rec, int layer, const Buffers& b, const Packing& p,
                         float scale) {
    const EncoderConfig& c = config;
    const std::size_t size =
        static_cast<std::size_t>(rec->batch) * c.num_heads * rec->seq * rec->seq;
    const std::vector<int> shape = {rec->batch, c.num_heads, rec->seq, rec->seq};
    float* ptrs[2] = {nullptr, nullptr};
    const Tap taps[2] = {Tap::kScores, Tap::kProbs};
    for (int i = 0; i < 2; ++i) {
      if (!rec->observe->wants(layer, taps[i]))
        continue;
      Record r;
      r.name = "layers." + std::to_string(layer) + "." + cpu::tap_name(taps[i]);
      r.shape = shape;
      r.packed = false;
      r.data = DeviceBuffer(size * sizeof(float));
      check_cuda(cudaMemsetAsync(r.data.get(), 0, size * sizeof(float), stream_),
                 "cudaMemsetAsync");
      ptrs[i] = r.data.template as<float>();
      rec->records.push_back(std::move(r));
    }
    check_cuda(launch_attention_observe<T>(
                   b.qkv, 3 * c.hidden_size, b.rows, static_cast<int>(p.rows.size()), p.max_queries,
                   c.num_heads, c.head_dim(), scale, rec->seq, ptrs[0], ptrs[1], stream_),
               "attention observation kernel");
  }

  void upload_weights(const WeightSet& w) {
    const EncoderConfig& c = config;
    const std::size_t h = c.hidden_size;
    const std::size_t e = c.embedding_size;
    const std::size_t inter = c.intermediate_size;
    std::size_t& n = weight_bytes;
    word_ = upload<float>({&tensor(w, "embeddings.word", c.vocab_size * e)}, &n);
    position_ = upload<float>({&tensor(w, "embeddings.position", c.max_positions * e)}, &n);
    if (c.type_vocab_size > 0)
      token_type_ = upload<float>({&tensor(w, "embeddings.token_type", c.type_vocab_size * e)}, &n);
    emb_g_ = upload<float>({&tensor(w, "embeddings.norm.weight", e)}, &n);
    emb_b_ = upload<float>({&tensor(w, "embeddings.norm.bias", e)}, &n);
    if (c.has_projection) {
      proj_w_ = upload<T>({&tensor(w, "embeddings.projection.weight", h * e)}, &n);
      proj_b_ = upload<T>({&tensor(w, "embeddings.projection.bias", h)}, &n);
    }
    std::map<int, std::size_t> index;  // layer source → sources_ slot
    for (int source : c.layer_sources) {
      if (index.count(source) != 0)
        continue;
      const std::string at = "layers." + std::to_string(source) + ".";
      const auto get = [&](const char* name, std::size_t count) -> const std::vector<float>& {
        return tensor(w, at + name, count);
      };
      // Which precisions the plan runs each Linear of this source at (ALBERT: several layers).
      bool need_float[4] = {false, false, false, false}, need8[4] = {}, need_fp8[4] = {};
      for (int l = 0; l < c.num_layers; ++l) {
        if (c.layer_sources[static_cast<std::size_t>(l)] != source)
          continue;
        const LayerQuant q = c.quant_of(l);
        const std::array<const GemmQuant*, 4> g = q.gemms();
        for (int i = 0; i < 4; ++i) {
          need_float[i] = need_float[i] || g[i]->precision == GemmPrecision::kFloat;
          need8[i] = need8[i] || g[i]->precision == GemmPrecision::kInt8;
          need_fp8[i] = need_fp8[i] || g[i]->precision == GemmPrecision::kFp8;
        }
      }
      // The FP32 weights of each Linear ([out, in]), the QKV parts concatenated.
      std::vector<float> qkv_all;
      qkv_all.reserve(3 * h * h);
      for (const char* part : {"query", "key", "value"}) {
        const auto& v = get((std::string("attention.") + part + ".weight").c_str(), h * h);
        qkv_all.insert(qkv_all.end(), v.begin(), v.end());
      }
      const std::vector<float>* weights[4] = {&qkv_all, &get("attention.output.weight", h * h),
                                              &get("ffn.intermediate.weight", inter * h),
                                              &get("ffn.output.weight", h * inter)};
      const int outs[4] = {static_cast<int>(3 * h), static_cast<int>(h), static_cast<int>(inter),
                           static_cast<int>(h)};
      const int ins[4] = {static_cast<int>(h), static_cast<int>(h), static_cast<int>(h),
                          static_cast<int>(inter)};
      auto lw = std::make_unique<LayerWeights>();
      DeviceBuffer* float_w[4] = {&lw->qkv_w, &lw->out_w, &lw->ffn1_w, &lw->ffn2_w};
      for (int i = 0; i < 4; ++i) {
        if (need_float[i])
          *float_w[i] = upload<T>({weights[i]}, &n);
        if (need8[i]) {
          const std::vector<float> given = given_scales(at, static_cast<Linear>(i), outs[i]);
          lw->int8[i] = quantize_int8(*weights[i], outs[i], ins[i],
                                      given.empty() ? nullptr : given.data(), &n);
        }
        if (need_fp8[i])
          lw->fp8[i] = quantize_fp8(*weights[i], outs[i], ins[i], &n);
      }
      lw->qkv_b = upload<T>({&get("attention.query.bias", h), &get("attention.key.bias", h),
                             &get("attention.value.bias", h)},
                            &n);
      if (need8[kQkv]) {
        lw->qkv_b_f = upload<float>({&get("attention.query.bias", h), &get("attention.key.bias", h),
                                     &get("attention.value.bias", h)},
                                    &n);
      }
      lw->out_b = upload<float>({&get("attention.output.bias", h)}, &n);
      lw->out_b_t = upload<T>({&get("attention.output.bias", h)}, &n);
      lw->ln1_g = upload<float>({&get("attention.norm.weight", h)}, &n);
      lw->ln1_b = upload<float>({&get("attention.norm.bias", h)}, &n);
      lw->ffn1_b = upload<float>({&get("ffn.intermediate.bias", inter)}, &n);
      lw->ffn1_b_t = upload<T>({&get("ffn.intermediate.bias", inter)}, &n);
      lw->ffn2_b = upload<float>({&get("ffn.output.bias", h)}, &n);
      lw->ffn2_b_t = upload<T>({&get("ffn.output.bias", h)}, &n);
      lw->ln2_g = upload<float>({&get("ffn.norm.weight", h)}, &n);
      lw->ln2_b = upload<float>({&get("ffn.norm.bias", h)}, &n);
      index[source] = sources_.size();
      sources_.push_back(std::move(lw));
    }
    for (int source : c.layer_sources)
      layers_.push_back(sources_[index[source]].get());
  }

  /// The profile's per-channel scales of a Linear's weight under `at` (layers.<source>.), or
  /// empty (then max|row| / 127). QKV takes the three parts' scales, all or none.
  std::vector<float> given_scales(const std::string& at, Linear which, int out) const {
    static const char* const kNames[4][3] = {
        {"attention.query.weight", "attention.key.weight", "attention.value.weight"},
        {"attention.output.weight", nullptr, nullptr},
        {"ffn.intermediate.weight", nullptr, nullptr},
        {"ffn.output.weight", nullptr, nullptr}};
    const WeightSet& scales = options.weight_scales;
    std::vector<float> all;
    int found = 0, parts = 0;
    for (const char* name : kNames[which]) {
      if (name == nullptr)
        continue;
      ++parts;
      const auto it = scales.find(at + name);
      if (it == scales.end())
        continue;
      ++found;
      all.insert(all.end(), it->second.begin(), it->second.end());
    }
    if (found == 0)
      return {};
    if (found != parts)
      invalid("weightScales",
              "has scales for some of " + at + "attention.{query,key,value}.weight but not all");
    if (static_cast<int>(all.size()) != out) {
      invalid("weightScales", "the scales of " + at + kNames[which][0] + " have " +
                                  std::to_string(all.size()) + " values, expected " +
                                  std::to_string(out));
    }
    for (float v : all) {
      if (!(v > 0.0f) || !std::isfinite(v))
        invalid("weightScales",
                "the scales of " + at + kNames[which][0] + " must be positive and finite");
    }
    return all;
  }

  static constexpr std::size_t kMaxGraphs = 32;

  AttentionKernel attention_ = AttentionKernel::kGeneric;
  bool attention_split_ = true;  // SAMP_CUDA_ATTENTION_SPLIT
  bool attention_whole_ = true;  // SAMP_CUDA_ATTENTION_WHOLE
  bool int8_attention_generic_ = false;
  bool fused_residual_ = false;
  GemmEpilogue ffn1_epilogue_ = GemmEpilogue::kNone;
  FusedMode fused_mode_ = FusedMode::kTimed;  // SAMP_CUDA_FUSED_GEMM
  // k_split (SAMP_CUDA_K_PARTS_OUT / _FFN2). Measured on the H100 at 128 tokens (session 13): FFN2
  // in 4 parts fp16 −3%, int8-full −1.5%; the attention output in 2 parts ~−1.5% for FP16 (and put
  // the ALBERT fixture's FP16 error at 3.24e-3 in one golden run, over the 3e-3 bound), slower for
  // int8, so one product.
  int parts_out_ = 1, parts_ffn2_ = 4;
  int small_parts_max_tokens_ = 0;  // k_split's small tiles (SAMP_CUDA_SMALL_PARTS)
  // The int8 attention output's parts there (SAMP_CUDA_SMALL_PARTS_OUT): 2 and 3 measured the same
  // in session 16; after session 17's LayerNorm changes, int8-full batch 1 0.309–0.311 ms in 3
  // against 0.313–0.320 in 2.
  int small_parts_out_ = 3;
  // FFN2's (SAMP_CUDA_SMALL_PARTS_FFN2), session 17: int8-full batch 1 0.298–0.301 ms in 2 parts,
  // 0.302–0.305 in 4, against 0.307–0.311 on cuBLASLt's 4 parts (session 16, before the LayerNorm
  // changes: slower or within noise).
  int small_parts_ffn2_ = 2;
  // forward(): b.out while the last layer runs (output_from), and whether its LayerNorm wrote it.
  float* final_output_ = nullptr;
  bool final_written_ = false;
  bool fused_wgmma_ = false;               // the fused kernel is the wgmma one
  int tma_min_tokens_ = -1;                // … or from this many tokens the TMA one (-1 never)
  int small_max_tokens_ = -1;              // … up to this many the small-tile one (-1 never)
  std::vector<GemmTuneRecord> fused_log_;  // the fused-or-split timings this session made
  std::set<int> eager_tokens_;             // token counts that ran eagerly (their GEMMs are tuned)
  int programmatic_max_tokens_ = 0;  // programmatic launches below this many tokens (SAMP_CUDA_PDL)
  int prefetch_max_tokens_ = 0;      // L2 prefetch below this many tokens
  std::unique_ptr<L2Prefetcher> prefetcher_;  // … on its side stream
  bool profiling_ = false;
  std::vector<cudaEvent_t> marks_;
  std::vector<const char*> mark_names_;
  std::size_t mark_count_ = 0;

  cudaStream_t stream_ = nullptr;
  DeviceBuffer word_, position_, token_type_, emb_g_, emb_b_, proj_w_, proj_b_;
  std::vector<std::unique_ptr<LayerWeights>> sources_;
  std::vector<const LayerWeights*> layers_;
  std::unique_ptr<GemmRunner> gemm_;
  std::unique_ptr<GemmRunner> gemm8_, gemmf8_;  // INT8 / FP8 GEMMs of a mixed-precision plan
  bool quantized_ = false;                      // any INT8 / FP8 GEMM or INT8 attention
  std::vector<LayerExtras> extras_;
  std::unique_ptr<Timer> timer_;
  Workspace workspace_;
  mutable std::size_t bytes_needed_ = 0;
  PinnedBuffer staging_in_, staging_out_;
  std::map<Key, cudaGraphExec_t> graphs_;
  std::map<Key, int> seen_;
  std::mutex mutex_;
};

}  // namespace

void check_input(const EncoderConfig& c, const EncoderInput& in) {
  check_encoder_input(c, in);
}

Encoder::Encoder(const EncoderConfig& config, const WeightSet& weights,
                 const SessionOptions& options) {
  check_config(config);
  if (options.precision == Precision::kFp16) {
    impl_ = std::make_unique<TypedEncoder<__half>>(config, weights, options);
  } else {
    impl_ = std::make_unique<TypedEncoder<float>>(config, weights, options);
  }
}

Encoder::~Encoder() = default;

EncoderOutput Encoder::run(const EncoderInput& input, const RunOptions& options) {
  return impl_->run(input, options);
}

BenchmarkResult Encoder::benchmark(const EncoderInput& input, bool compute_padding, int warmup,
                                   int iterations) {
  return impl_->benchmark(input, compute_padding, warmup, iterations);
}

std::vector<OpTime> Encoder::profile(const EncoderInput& input, bool compute_padding,
                                     int iterations) {
  return impl_->profile(input, compute_padding, iterations);
}

std::vector<GemmTuneRecord> Encoder::gemm_tunings() const {
  return impl_->gemm_tunings();
}

const EncoderConfig& Encoder::config() const {
  return impl_->config;
}
const SessionOptions& Encoder::options() const {
  return impl_->options;
}
std::size_t Encoder::weight_bytes() const {
  return impl_->weight_bytes;
}
std::size_t Encoder::workspace_bytes() const {
  return impl_->workspace_bytes();
}
std::size_t Encoder::graphs() const {
  return impl_->graphs();
}
const char* Encoder::attention_kernel() const {
  return impl_->attention_kernel;
}

}  // namespace samp::cuda
