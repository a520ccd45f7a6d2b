// Sessions are Napi::External handles to a holder of shared_ptr<Encoder>: a run copies the
// pointer and works on a libuv thread (PromiseWorker), so dispose() can drop the session's
// reference at once while a run in flight finishes on its own copy; the memory goes with the last
// reference. Input arrays are copied on the JS thread: the worker never touches JS memory.
#include "cpu/session-binding.h"

#include <cmath>
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

struct SessionHolder {
  std::mutex mutex;
  std::shared_ptr<Encoder> encoder;
};

[[noreturn]] void invalid(const std::string& what) {
  throw Error(codes::kInvalidArgument, what);
}

Napi::Object object_arg(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsObject())
    invalid(std::string(name) + ": expected an object");
  return info[i].As<Napi::Object>();
}

double number_field(const Napi::Object& o, const char* name) {
  const Napi::Value v = o.Get(name);
  if (!v.IsNumber())
    invalid(std::string("config.") + name + ": expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

int int_field(const Napi::Object& o, const char* name) {
  const double d = number_field(o, name);
  if (d != static_cast<double>(static_cast<int>(d)))
    invalid(std::string("config.") + name + ": expected an integer");
  return static_cast<int>(d);
}

bool bool_field(const Napi::Object& o, const char* name) {
  const Napi::Value v = o.Get(name);
  if (!v.IsBoolean())
    invalid(std::string("config.") + name + ": expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

EncoderConfig read_config(const Napi::Object& o) {
  EncoderConfig c;
  c.vocab_size = int_field(o, "vocabSize");
  c.hidden_size = int_field(o, "hiddenSize");
  c.num_heads = int_field(o, "numAttentionHeads");
  c.num_layers = int_field(o, "numHiddenLayers");
  c.intermediate_size = int_field(o, "intermediateSize");
  c.max_positions = int_field(o, "maxPositionEmbeddings");
  c.type_vocab_size = int_field(o, "typeVocabSize");
  c.embedding_size = int_field(o, "embeddingSize");
  c.has_projection = bool_field(o, "hasProjection");
  c.layer_norm_eps = static_cast<float>(number_field(o, "layerNormEps"));
  c.pad_token_id = int_field(o, "padTokenId");
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
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value v = arr.Get(i);
    if (!v.IsNumber())
      invalid("config.layerSources: expected numbers");
    c.layer_sources.push_back(v.As<Napi::Number>().Int32Value());
  }
  const Napi::Value quant = o.Get("layerQuant");
  if (!quant.IsUndefined()) {
    if (!quant.IsArray())
      invalid("config.layerQuant: expected an array with one entry per layer");
    const Napi::Array layers = quant.As<Napi::Array>();
    // Each GEMM: -1 FP32, 0 INT8 with dynamic per-row input scales, > 0 INT8 with that static
    // scale.
    const auto gemm = [](const Napi::Object& layer, uint32_t i, const char* key) {
      const Napi::Value v = layer.Get(key);
      const std::string field = "config.layerQuant[" + std::to_string(i) + "]." + key;
      if (!v.IsNumber())
        invalid(field + ": expected a number");
      const double d = v.As<Napi::Number>().DoubleValue();
      if (d == -1.0)
        return GemmQuant{};
      if (!(d >= 0.0) || !std::isfinite(static_cast<float>(d)))
        invalid(field + ": expected -1 (fp32), 0 (dynamic int8) or a positive finite scale");
      return GemmQuant{true, static_cast<float>(d)};
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
          const Napi::Value value = ao.Get(key);
          const std::string field = "config.layerQuant[" + std::to_string(i) + "].attention." + key;
          if (!value.IsNumber())
            invalid(field + ": expected a number");
          const double d = value.As<Napi::Number>().DoubleValue();
          if (!(d >= 0.0) || !std::isfinite(static_cast<float>(d)))
            invalid(field + ": expected 0 (dynamic) or a positive finite scale");
          return static_cast<float>(d);
        };
        q.attention.int8 = true;
        q.attention.query_scale = scale("query");
        q.attention.key_scale = scale("key");
        q.attention.value_scale = scale("value");
        q.attention.probs_scale = scale("probs");
      }
      c.layer_quant.push_back(q);
    }
    if (static_cast<int>(c.layer_quant.size()) != c.num_layers)
      invalid("config.layerQuant: expected one entry per layer");
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

int int_input(const Napi::Object& o, const char* name) {
  const Napi::Value v = o.Get(name);
  if (!v.IsNumber())
    invalid(std::string(name) + ": expected a positive integer");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d <= 1e9) || d != static_cast<double>(static_cast<int>(d)))
    invalid(std::string(name) + ": expected a positive integer");
  return static_cast<int>(d);
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
    if (!t.IsUndefined()) {
      if (!t.IsNumber() || t.As<Napi::Number>().Int32Value() < 0 ||
          t.As<Napi::Number>().Int32Value() > 1024)
        invalid("spec.threads: expected an integer between 0 and 1024");
      threads = static_cast<unsigned>(t.As<Napi::Number>().Int32Value());
    }
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
          return Napi::External<SessionHolder>::New(e, holder,
                                                    [](Napi::Env, SessionHolder* h) { delete h; });
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
    input.batch = int_input(in, "batchSize");
    input.seq = int_input(in, "sequenceLength");
    input.ids = int32_field(in, "inputIds", false);
    input.mask = int32_field(in, "attentionMask", false);
    input.types = int32_field(in, "tokenTypeIds", true);
    RunOptions options;
    if (info.Length() > 2 && info[2].IsObject()) {
      const Napi::Object o = info[2].As<Napi::Object>();
      options.hidden_states = o.Get("outputHiddenStates").ToBoolean().Value();
      const Napi::Value pad = o.Get("computePadding");
      options.compute_padding = pad.IsUndefined() ? true : pad.ToBoolean().Value();
      const Napi::Value obs = o.Get("observe");
      if (!obs.IsUndefined()) {
        if (!obs.IsArray())
          invalid("observe: expected an array of tensor names");
        const Napi::Array arr = obs.As<Napi::Array>();
        for (uint32_t i = 0; i < arr.Length(); ++i) {
          const Napi::Value v = arr.Get(i);
          if (!v.IsString())
            invalid("observe[" + std::to_string(i) + "]: expected a string");
          options.observe.push_back(v.As<Napi::String>().Utf8Value());
        }
      }
    }
    // Check on the JS thread too, so bad input rejects before any work is queued.
    check_input(encoder->config(), input);
    auto shared_input = std::make_shared<EncoderInput>(std::move(input));
    return samp::napi::PromiseWorker<EncoderOutput>::Run(
        env, "samp_cpu.runSession",
        [encoder, shared_input, options]() { return encoder->run(*shared_input, options); },
        [](Napi::Env e, const EncoderOutput& out) -> Napi::Value {
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
