// Sessions are Napi::External handles to a holder of shared_ptr<Encoder>: a run copies the
// pointer and works on a libuv thread (PromiseWorker), so dispose() can drop the session's
// reference at once while a run in flight finishes on its own copy; the memory goes with the last
// reference. Input arrays are copied on the JS thread: the worker never touches JS memory.
//
// Every number read from JS is checked before it is converted (finite, integral where an integer
// is meant, within its range): a C++ cast of an out-of-range double is undefined behaviour, and
// V8's Int32Value() wraps and truncates (threads: 2**32 + 1 was one thread). A session reports its
// packed weights and kept workspace to V8 (AdjustExternalMemory), so that undisposed sessions
// create GC pressure instead of hiding behind a small External.
#include "cpu/session-binding.h"

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "cpu/encoder.h"
#include "cpu/int8/int8-gemm.h"
#include "napi/napi-helpers.h"

namespace samp::cpu {
namespace {

/// The bytes a session has reported to V8 as external memory. Touched on the JS thread only (the
/// completions of createSession and runSession, disposeSession, the handle's finalizer), so it
/// needs no lock; shared with runs in flight, which may complete after dispose.
class ReportedMemory {
 public:
  /// Makes the report `bytes` (by adjusting with the change), unless the session was released.
  void set(Napi::BasicEnv env, std::size_t bytes) {
    if (released_)
      return;
    const int64_t now = static_cast<int64_t>(bytes);
    if (now != bytes_)
      Napi::MemoryManagement::AdjustExternalMemory(env, now - bytes_);
    bytes_ = now;
  }
  /// Withdraws the report for good (dispose or finalizer, whichever comes first).
  void release(Napi::BasicEnv env) {
    set(env, 0);
    released_ = true;
  }

 private:
  int64_t bytes_ = 0;
  bool released_ = false;
};

struct SessionHolder {
  std::mutex mutex;
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<ReportedMemory> reported = std::make_shared<ReportedMemory>();
};

[[noreturn]] void invalid(const std::string& what) {
  throw Error(codes::kInvalidArgument, what);
}

/// A JS value for an error message: numbers as JS prints them (shortest exact form), else the type.
std::string describe(const Napi::Value& v) {
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (std::isnan(d))
      return "NaN";
    if (std::isinf(d))
      return d > 0 ? "Infinity" : "-Infinity";
    char text[32];
    for (int digits = 1; digits <= 17; ++digits) {
      std::snprintf(text, sizeof text, "%.*g", digits, d);
      if (std::strtod(text, nullptr) == d)
        break;
    }
    return text;
  }
  if (v.IsUndefined())
    return "undefined";
  if (v.IsNull())
    return "null";
  if (v.IsString())
    return "a string";
  if (v.IsBoolean())
    return "a boolean";
  if (v.IsArray())
    return "an array";
  return v.IsObject() ? "an object" : "a value of another type";
}

/// An integer in [lo, hi]: refuses non-numbers, NaN, ±Infinity, fractions and anything outside the
/// range before converting (so no cast is ever out of range).
int integer_value(const Napi::Value& v, const std::string& field, int lo, int hi) {
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : std::nan("");
  if (!(d >= lo && d <= hi) || d != std::trunc(d)) {
    invalid(field + ": expected an integer between " + std::to_string(lo) + " and " +
            std::to_string(hi) + ", got " + describe(v));
  }
  return static_cast<int>(d);
}

/// A positive number that stays positive and finite as a float32 (a normal one, at least
/// FLT_MIN), or exactly 0 when `zero_ok`: what LayerNorm epsilons and quantization scales take.
/// Checked on the double, since converting one beyond FLT_MAX to float is undefined behaviour.
float positive_float(const Napi::Value& v, const std::string& field, bool zero_ok,
                     const std::string& expected) {
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : std::nan("");
  if (zero_ok && d == 0.0)
    return 0.0f;
  if (!(d >= static_cast<double>(FLT_MIN) && d <= static_cast<double>(FLT_MAX)))
    invalid(field + ": expected " + expected + ", got " + describe(v));
  return static_cast<float>(d);
}

Napi::Object object_arg(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsObject())
    invalid(std::string(name) + ": expected an object");
  return info[i].As<Napi::Object>();
}

/// config.<name>: an integer in [lo, INT_MAX] (check_config then checks it against the others).
int int_field(const Napi::Object& o, const char* name, int lo) {
  return integer_value(o.Get(name), std::string("config.") + name, lo, INT_MAX);
}

bool bool_field(const Napi::Object& o, const char* name) {
  const Napi::Value v = o.Get(name);
  if (!v.IsBoolean())
    invalid(std::string("config.") + name + ": expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

EncoderConfig read_config(const Napi::Object& o) {
  EncoderConfig c;
  c.vocab_size = int_field(o, "vocabSize", 1);
  c.hidden_size = int_field(o, "hiddenSize", 1);
  c.num_heads = int_field(o, "numAttentionHeads", 1);
  c.num_layers = int_field(o, "numHiddenLayers", 1);
  c.intermediate_size = int_field(o, "intermediateSize", 1);
  c.max_positions = int_field(o, "maxPositionEmbeddings", 1);
  c.type_vocab_size = int_field(o, "typeVocabSize", 0);
  c.embedding_size = int_field(o, "embeddingSize", 1);
  c.has_projection = bool_field(o, "hasProjection");
  c.layer_norm_eps = positive_float(o.Get("layerNormEps"), "config.layerNormEps", false,
                                    "a positive finite number within float32's range");
  c.pad_token_id = int_field(o, "padTokenId", 0);
  c.padding_aware_positions = bool_field(o, "paddingAwarePositions");
  const Napi::Value act = o.Get("hiddenAct");
  const std::string name = act.IsString() ? act.As<Napi::String>().Utf8Value() : "";
  if (name == "gelu") {
    c.activation = Activation::kGelu;
  } else if (name == "gelu_new") {
    c.activation = Activation::kGeluTanh;
  } else if (name == "relu") {
    c.activation = Activation::kRelu;
  } else {
    invalid("config.hiddenAct: expected gelu, gelu_new or relu, got \"" + name + "\"");
  }
  const Napi::Value sources = o.Get("layerSources");
  if (!sources.IsArray())
    invalid("config.layerSources: expected an array of layer indices");
  const Napi::Array arr = sources.As<Napi::Array>();
  // Lengths first: a sparse array of 2^32 − 1 holes must not be walked.
  const auto one_per_layer = [&c](const Napi::Array& a, const char* field) {
    if (a.Length() != static_cast<uint32_t>(c.num_layers)) {
      invalid(std::string(field) + ": expected one entry per layer (" +
              std::to_string(c.num_layers) + "), got " + std::to_string(a.Length()));
    }
  };
  one_per_layer(arr, "config.layerSources");
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    c.layer_sources.push_back(integer_value(
        arr.Get(i), "config.layerSources[" + std::to_string(i) + "]", 0, c.num_layers - 1));
  }
  const Napi::Value quant = o.Get("layerQuant");
  if (!quant.IsUndefined()) {
    if (!quant.IsArray())
      invalid("config.layerQuant: expected an array with one entry per layer");
    const Napi::Array layers = quant.As<Napi::Array>();
    one_per_layer(layers, "config.layerQuant");
    // Each GEMM: -1 FP32, 0 INT8 with dynamic per-row input scales, > 0 INT8 with that static
    // scale.
    const auto gemm = [](const Napi::Object& layer, uint32_t i, const char* key) {
      const Napi::Value v = layer.Get(key);
      if (v.IsNumber() && v.As<Napi::Number>().DoubleValue() == -1.0)
        return GemmQuant{};
      const std::string field = "config.layerQuant[" + std::to_string(i) + "]." + key;
      return GemmQuant{
          true, positive_float(v, field, true,
                               "-1 (fp32), 0 (dynamic int8) or a positive finite float32 scale")};
    };
    for (uint32_t i = 0; i < layers.Length(); ++i) {
      const Napi::Value v = layers.Get(i);
      if (!v.IsObject())
        invalid("config.layerQuant[" + std::to_string(i) + "]: expected an object");
      const Napi::Object layer = v.As<Napi::Object>();
      LayerQuant q;
      q.qkv = gemm(layer, i, "qkv");
      q.attention_output = gemm(layer, i, "attentionOutput");
      q.ffn_intermediate = gemm(layer, i, "ffnIntermediate");
      q.ffn_output = gemm(layer, i, "ffnOutput");
      // The attention matmuls: absent = FP32; {query, key, value, probs} = INT8 with these input
      // scales (0: dynamic; probs 0: the fixed step 1/127).
      const Napi::Value attention = layer.Get("attention");
      if (!attention.IsUndefined()) {
        if (!attention.IsObject())
          invalid("config.layerQuant[" + std::to_string(i) + "].attention: expected an object");
        const Napi::Object ao = attention.As<Napi::Object>();
        const auto scale = [&](const char* key) {
          const std::string field = "config.layerQuant[" + std::to_string(i) + "].attention." + key;
          return positive_float(ao.Get(key), field, true,
                                "0 (dynamic) or a positive finite float32 scale");
        };
        q.attention.int8 = true;
        q.attention.query_scale = scale("query");
        q.attention.key_scale = scale("key");
        q.attention.value_scale = scale("value");
        q.attention.probs_scale = scale("probs");
      }
      c.layer_quant.push_back(q);
    }
  }
  check_config(c);
  return c;
}

WeightSet read_tensors(const Napi::Object& tensors) {
  WeightSet set;
  const Napi::Array names = tensors.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    const Napi::Value v = tensors.Get(name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      invalid("tensors." + name + ": expected a Float32Array");
    }
    const Napi::Float32Array a = v.As<Napi::Float32Array>();
    set.emplace(name, std::vector<float>(a.Data(), a.Data() + a.ElementLength()));
  }
  return set;
}

std::vector<int32_t> int32_field(const Napi::Object& o, const char* name, bool optional) {
  const Napi::Value v = o.Get(name);
  if (optional && (v.IsUndefined() || v.IsNull()))
    return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    invalid(std::string(name) + ": expected an Int32Array");
  }
  const Napi::Int32Array a = v.As<Napi::Int32Array>();
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

SessionHolder& holder_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    invalid("session: expected a session handle");
  return *info[0].As<Napi::External<SessionHolder>>().Data();
}

Napi::Float32Array to_float32(Napi::Env env, const std::vector<float>& v) {
  Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

// The INT8 kernels of a session: `spec.int8Isa` when given (tests compare ISAs in one process),
// else the best level this CPU runs under SAMP_CPU_ISA as it is now (read per session, as the
// FP32 choice is).
Int8Isa select_int8_isa(const Napi::Value& requested) {
  if (!requested.IsUndefined()) {
    const std::string name = requested.IsString() ? requested.As<Napi::String>().Utf8Value() : "";
    const auto isa = parse_int8_isa(name);
    if (!isa)
      invalid("spec.int8Isa: expected scalar, avx2, avx-vnni, avx512-vnni or amx-int8");
    if (!int8::isa_runnable(*isa)) {
      throw Error("SAMP_UNSUPPORTED_CPU", std::string("spec.int8Isa: ") + int8_isa_name(*isa) +
                                              " cannot run on this CPU or was not compiled");
    }
    return *isa;
  }
  const IsaOverride o = read_isa_override();
  if (!o.valid()) {
    throw Error(codes::kInvalidArgument,
                std::string(kIsaOverrideEnv) + "=\"" + o.raw +
                    "\" is not one of scalar, avx2, avx-vnni, avx512-vnni, amx-int8");
  }
  const int8::IsaChoice& c = int8::isa_choice();
  const bool amx_ok = c.amx == AmxPermission::kGranted || c.amx == AmxPermission::kNotNeeded;
  return int8::resolve_isa(c.features, amx_ok, o);
}

// createSession({config, tensors, threads}) → Promise<handle>: copies the tensors here, packs them
// on a worker thread.
Napi::Value CreateSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    const Napi::Object spec = object_arg(info, 0, "spec");
    const Napi::Value config_value = spec.Get("config");
    const Napi::Value tensors_value = spec.Get("tensors");
    if (!config_value.IsObject())
      invalid("spec.config: expected an object");
    if (!tensors_value.IsObject())
      invalid("spec.tensors: expected an object");
    const EncoderConfig config = read_config(config_value.As<Napi::Object>());
    auto weights = std::make_shared<WeightSet>(read_tensors(tensors_value.As<Napi::Object>()));
    // Optional per-channel INT8 weight scales (a QuantProfile's `weights`), by weight name.
    const Napi::Value scales_value = spec.Get("weightScales");
    if (!scales_value.IsUndefined()) {
      if (!scales_value.IsObject())
        invalid("spec.weightScales: expected an object");
      for (auto& [name, values] : read_tensors(scales_value.As<Napi::Object>()))
        weights->emplace(name + kWeightScalesSuffix, std::move(values));
    }
    unsigned threads = 0;
    const Napi::Value t = spec.Get("threads");
    if (!t.IsUndefined())
      threads = static_cast<unsigned>(integer_value(t, "spec.threads", 0, 1024));
    const Fp32Isa isa = select_fp32_isa();
    const Int8Isa int8_isa = select_int8_isa(spec.Get("int8Isa"));
    using Ptr = std::shared_ptr<Encoder>;
    return samp::napi::PromiseWorker<Ptr>::Run(
        env, "samp_cpu.createSession",
        [config, weights, threads, isa, int8_isa]() -> Ptr {
          auto encoder = std::make_shared<Encoder>(config, *weights, threads, isa, int8_isa);
          weights->clear();
          return encoder;
        },
        [](Napi::Env e, const Ptr& encoder) -> Napi::Value {
          auto* holder = new SessionHolder();
          holder->encoder = encoder;
          holder->reported->set(e, encoder->weight_bytes() + encoder->workspace_bytes());
          return Napi::External<SessionHolder>::New(e, holder,
                                                    [](Napi::Env finalizer_env, SessionHolder* h) {
                                                      h->reported->release(finalizer_env);
                                                      delete h;
                                                    });
        });
  });
}

// runSession(handle, input, {outputHiddenStates, computePadding, observe}) → Promise<result>.
Napi::Value RunSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    SessionHolder& holder = holder_arg(info);
    std::shared_ptr<Encoder> encoder;
    {
      std::lock_guard<std::mutex> lock(holder.mutex);
      encoder = holder.encoder;
    }
    if (!encoder)
      throw Error(codes::kSessionDisposed, "the session has been disposed");
    const Napi::Object in = object_arg(info, 1, "input");
    EncoderInput input;
    input.batch = integer_value(in.Get("batchSize"), "batchSize", 1, INT_MAX);
    input.seq = integer_value(in.Get("sequenceLength"), "sequenceLength", 1, INT_MAX);
    // The sizes alone decide the token limit, before any array is copied.
    check_run_size(encoder->config(), input.batch, input.seq);
    input.ids = int32_field(in, "inputIds", false);
    input.mask = int32_field(in, "attentionMask", false);
    input.types = int32_field(in, "tokenTypeIds", true);
    RunOptions options;
    samp::napi::read_run_options(info, 2, options);
    // Check on the JS thread too, so bad input rejects before any work is queued.
    check_input(encoder->config(), input);
    auto shared_input = std::make_shared<EncoderInput>(std::move(input));
    const std::shared_ptr<ReportedMemory> reported = holder.reported;
    const std::size_t weight_bytes = encoder->weight_bytes();
    return samp::napi::PromiseWorker<EncoderOutput>::Run(
        env, "samp_cpu.runSession",
        [encoder, shared_input, options]() { return encoder->run(*shared_input, options); },
        [reported, weight_bytes](Napi::Env e, const EncoderOutput& out) -> Napi::Value {
          // The workspace may have grown (or been freed) in this run: report what it holds now.
          reported->set(e, weight_bytes + out.workspace_bytes);
          Napi::Object result = Napi::Object::New(e);
          result.Set("lastHiddenState", to_float32(e, out.last_hidden_state));
          if (!out.hidden_states.empty()) {
            Napi::Array states = Napi::Array::New(e, out.hidden_states.size());
            for (uint32_t i = 0; i < out.hidden_states.size(); ++i)
              states.Set(i, to_float32(e, out.hidden_states[i]));
            result.Set("hiddenStates", states);
          }
          if (!out.observed.empty()) {
            Napi::Object observed = Napi::Object::New(e);
            for (const ObservedTensor& t : out.observed) {
              Napi::Object o = Napi::Object::New(e);
              o.Set("data", to_float32(e, t.data));
              Napi::Array shape = Napi::Array::New(e, t.shape.size());
              for (uint32_t i = 0; i < t.shape.size(); ++i)
                shape.Set(i, Napi::Number::New(e, t.shape[i]));
              o.Set("shape", shape);
              observed.Set(t.name, o);
            }
            result.Set("observed", observed);
          }
          return result;
        });
  });
}

// disposeSession(handle): drops the session's reference; idempotent.
Napi::Value DisposeSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    SessionHolder& holder = holder_arg(info);
    std::shared_ptr<Encoder> dropped;
    {
      std::lock_guard<std::mutex> lock(holder.mutex);
      dropped.swap(holder.encoder);
    }
    // Withdrawn now, though a run in flight keeps the encoder until it ends.
    holder.reported->release(env);
    return env.Undefined();
  });
}

// sessionInfo(handle) → {threads, isa, disposed}.
Napi::Value SessionInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    SessionHolder& holder = holder_arg(info);
    std::shared_ptr<Encoder> encoder;
    {
      std::lock_guard<std::mutex> lock(holder.mutex);
      encoder = holder.encoder;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("disposed", encoder == nullptr);
    if (encoder) {
      o.Set("threads", encoder->threads());
      o.Set("isa", fp32_isa_name(encoder->isa()));
      o.Set("int8Isa", samp::int8_isa_name(encoder->int8_isa()));
      o.Set("weightBytes", static_cast<double>(encoder->weight_bytes()));
      o.Set("workspaceBytes", static_cast<double>(encoder->workspace_bytes()));
    }
    return o;
  });
}

}  // namespace

void register_session_binding(Napi::Env env, Napi::Object exports) {
  exports.Set("createSession", Napi::Function::New(env, CreateSession, "createSession"));
  exports.Set("runSession", Napi::Function::New(env, RunSession, "runSession"));
  exports.Set("disposeSession", Napi::Function::New(env, DisposeSession, "disposeSession"));
  exports.Set("sessionInfo", Napi::Function::New(env, SessionInfo, "sessionInfo"));
}

}  // namespace samp::cpu
