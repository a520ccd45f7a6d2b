// Sessions are Napi::External handles to a holder of shared_ptr<Encoder>: a run copies the
// pointer and works on a libuv thread (PromiseWorker: the event loop never waits on the GPU), so
// dispose() can drop the session's reference at once while a run in flight finishes on its own
// copy; the device memory goes with the last reference, released on a worker thread too (cudaFree
// synchronises the device). Input arrays are copied on the JS thread.
#include "session-binding.h"

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "encoder.h"
#include "napi/napi-helpers.h"

namespace samp::cuda {
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

void read_layer_quant(const Napi::Object& o, EncoderConfig& c);

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
  read_layer_quant(o, c);
  check_config(c);
  return c;
}

/// A positive finite scale at `field` (the config checks it again natively).
float scale_field(const Napi::Object& o, const char* key, const std::string& field) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber())
    invalid(field + ": expected a positive finite number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d > 0) || !(d < 3.4e38))
    invalid(field + ": expected a positive finite number, got " + std::to_string(d));
  return static_cast<float>(d);
}

/// config.layerQuant (optional): per layer { qkv, attentionOutput, ffnIntermediate, ffnOutput }
/// each null (float) or { precision: 'int8' | 'fp8', scale }, and attention absent (float) or
/// { query, key, value, probs } (probs 0: the fixed step 1/127).
void read_layer_quant(const Napi::Object& o, EncoderConfig& c) {
  const Napi::Value quant = o.Get("layerQuant");
  if (quant.IsUndefined())
    return;
  if (!quant.IsArray())
    invalid("config.layerQuant: expected an array with one entry per layer");
  const Napi::Array layers = quant.As<Napi::Array>();
  for (uint32_t i = 0; i < layers.Length(); ++i) {
    const std::string at = "config.layerQuant[" + std::to_string(i) + "]";
    const Napi::Value v = layers.Get(i);
    if (!v.IsObject())
      invalid(at + ": expected an object");
    const Napi::Object layer = v.As<Napi::Object>();
    const auto gemm = [&](const char* key) {
      const Napi::Value g = layer.Get(key);
      GemmQuant q;
      if (g.IsNull() || g.IsUndefined())
        return q;
      const std::string field = at + "." + key;
      if (!g.IsObject())
        invalid(field + ": expected null or { precision, scale }");
      const Napi::Object go = g.As<Napi::Object>();
      const Napi::Value p = go.Get("precision");
      const std::string name = p.IsString() ? p.As<Napi::String>().Utf8Value() : "";
      if (name == "int8") {
        q.precision = GemmPrecision::kInt8;
      } else if (name == "fp8") {
        q.precision = GemmPrecision::kFp8;
      } else {
        invalid(field + ".precision: expected int8 or fp8, got \"" + name + "\"");
      }
      q.input_scale = scale_field(go, "scale", field + ".scale");
      return q;
    };
    LayerQuant q;
    q.qkv = gemm("qkv");
    q.attention_output = gemm("attentionOutput");
    q.ffn_intermediate = gemm("ffnIntermediate");
    q.ffn_output = gemm("ffnOutput");
    const Napi::Value attention = layer.Get("attention");
    if (!attention.IsUndefined() && !attention.IsNull()) {
      if (!attention.IsObject())
        invalid(at + ".attention: expected an object");
      const Napi::Object ao = attention.As<Napi::Object>();
      q.attention.int8 = true;
      q.attention.query_scale = scale_field(ao, "query", at + ".attention.query");
      q.attention.key_scale = scale_field(ao, "key", at + ".attention.key");
      q.attention.value_scale = scale_field(ao, "value", at + ".attention.value");
      const Napi::Value probs = ao.Get("probs");
      const bool fixed = probs.IsNumber() && probs.As<Napi::Number>().DoubleValue() == 0;
      q.attention.probs_scale = fixed ? 0.0f : scale_field(ao, "probs", at + ".attention.probs");
    }
    c.layer_quant.push_back(q);
  }
}

WeightSet read_tensors(const Napi::Object& tensors) {
  WeightSet set;
  const Napi::Array names = tensors.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    const Napi::Value v = tensors.Get(name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      invalid("tensors." + name + ": expected a Float32Array");
    const Napi::Float32Array a = v.As<Napi::Float32Array>();
    set.emplace(name, std::vector<float>(a.Data(), a.Data() + a.ElementLength()));
  }
  return set;
}

SessionOptions read_options(const Napi::Object& spec) {
  SessionOptions o;
  const Napi::Value device = spec.Get("deviceIndex");
  if (!device.IsUndefined()) {
    if (!device.IsNumber() || device.As<Napi::Number>().Int32Value() < 0)
      invalid("deviceIndex: expected a non-negative integer");
    o.device = device.As<Napi::Number>().Int32Value();
  }
  const Napi::Value precision = spec.Get("precision");
  const std::string p = precision.IsString() ? precision.As<Napi::String>().Utf8Value() : "";
  if (p == "fp16") {
    o.precision = Precision::kFp16;
  } else if (p == "fp32") {
    o.precision = Precision::kFp32;
  } else {
    invalid("precision: expected fp32 or fp16, got \"" + p + "\"");
  }
  const Napi::Value limit = spec.Get("memoryLimit");
  if (!limit.IsUndefined()) {
    if (!limit.IsNumber() || !(limit.As<Napi::Number>().DoubleValue() >= 0))
      invalid("memoryLimit: expected a non-negative number of bytes");
    o.memory_limit = static_cast<std::size_t>(limit.As<Napi::Number>().DoubleValue());
  }
  const Napi::Value graphs = spec.Get("cudaGraphs");
  const std::string g = graphs.IsString() ? graphs.As<Napi::String>().Utf8Value() : "auto";
  if (g == "auto") {
    o.graphs = GraphMode::kAuto;
  } else if (g == "on") {
    o.graphs = GraphMode::kOn;
  } else if (g == "off") {
    o.graphs = GraphMode::kOff;
  } else {
    invalid("cudaGraphs: expected auto, on or off, got \"" + g + "\"");
  }
  const Napi::Value scales = spec.Get("weightScales");
  if (!scales.IsUndefined()) {
    if (!scales.IsObject())
      invalid("weightScales: expected an object of Float32Arrays");
    o.weight_scales = read_tensors(scales.As<Napi::Object>());
  }
  return o;
}

std::vector<int32_t> int32_field(const Napi::Object& o, const char* name, bool optional) {
  const Napi::Value v = o.Get(name);
  if (optional && (v.IsUndefined() || v.IsNull()))
    return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    invalid(std::string(name) + ": expected an Int32Array");
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

EncoderInput read_input(const Napi::Object& in) {
  EncoderInput input;
  input.batch = int_input(in, "batchSize");
  input.seq = int_input(in, "sequenceLength");
  input.ids = int32_field(in, "inputIds", false);
  input.mask = int32_field(in, "attentionMask", false);
  input.types = int32_field(in, "tokenTypeIds", true);
  return input;
}

SessionHolder& holder_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    invalid("session: expected a session handle");
  return *info[0].As<Napi::External<SessionHolder>>().Data();
}

std::shared_ptr<Encoder> encoder_of(SessionHolder& holder) {
  std::lock_guard<std::mutex> lock(holder.mutex);
  return holder.encoder;
}

Napi::Float32Array to_float32(Napi::Env env, const std::vector<float>& v) {
  Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

/// Hands the vector's memory to JS without a copy (an external ArrayBuffer freeing it when
/// collected): the copy of a batch's hidden states on the JS thread was milliseconds. Runtimes
/// that refuse external buffers (a V8 sandbox) get a copy.
Napi::Float32Array adopt_float32(Napi::Env env, std::vector<float>&& v) {
  if (v.empty())
    return Napi::Float32Array::New(env, 0);
  auto* owned = new std::vector<float>(std::move(v));
  try {
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
        env, owned->data(), owned->size() * sizeof(float),
        [](Napi::Env, void*, std::vector<float>* data) { delete data; }, owned);
    return Napi::Float32Array::New(env, owned->size(), buffer, 0);
  } catch (const Napi::Error&) {
    Napi::Float32Array a = to_float32(env, *owned);
    delete owned;
    return a;
  }
}

// createSession({config, tensors, precision, deviceIndex?, memoryLimit?, cudaGraphs?}) →
// Promise<handle>: copies the tensors here, uploads them on a worker thread.
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
    const SessionOptions options = read_options(spec);
    auto weights = std::make_shared<WeightSet>(read_tensors(tensors_value.As<Napi::Object>()));
    using Ptr = std::shared_ptr<Encoder>;
    return samp::napi::PromiseWorker<Ptr>::Run(
        env, "samp_cuda.createSession",
        [config, options, weights]() -> Ptr {
          auto encoder = std::make_shared<Encoder>(config, *weights, options);
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

/// The same for the run's output block (recycled into HostArray's pool when collected).
Napi::Float32Array adopt_float32(Napi::Env env, HostArray&& a) {
  const std::size_t count = a.size();
  if (count == 0)
    return Napi::Float32Array::New(env, 0);
  float* data = a.release();
  try {
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
        env, data, count * sizeof(float),
        [](Napi::Env, void* p, std::size_t* n) {
          HostArray::recycle(static_cast<float*>(p), *n);
          delete n;
        },
        new std::size_t(count));
    return Napi::Float32Array::New(env, count, buffer, 0);
  } catch (const Napi::Error&) {
    Napi::Float32Array copy = Napi::Float32Array::New(env, count);
    std::copy(data, data + count, copy.Data());
    HostArray::recycle(data, count);
    return copy;
  }
}

Napi::Object output_to_js(Napi::Env e, EncoderOutput& out) {
  Napi::Object result = Napi::Object::New(e);
  result.Set("lastHiddenState", adopt_float32(e, std::move(out.last_hidden_state)));
  if (!out.hidden_states.empty()) {
    Napi::Array states = Napi::Array::New(e, out.hidden_states.size());
    for (uint32_t i = 0; i < out.hidden_states.size(); ++i)
      states.Set(i, adopt_float32(e, std::move(out.hidden_states[i])));
    result.Set("hiddenStates", states);
  }
  if (!out.observed.empty()) {
    Napi::Object observed = Napi::Object::New(e);
    for (ObservedTensor& t : out.observed) {
      Napi::Object o = Napi::Object::New(e);
      o.Set("data", adopt_float32(e, std::move(t.data)));
      Napi::Array shape = Napi::Array::New(e, t.shape.size());
      for (uint32_t i = 0; i < t.shape.size(); ++i)
        shape.Set(i, Napi::Number::New(e, t.shape[i]));
      o.Set("shape", shape);
      observed.Set(t.name, o);
    }
    result.Set("observed", observed);
  }
  Napi::Object stats = Napi::Object::New(e);
  stats.Set("tokens", out.tokens);
  stats.Set("graph", out.graph);
  stats.Set("deviceMilliseconds", out.device_ms);
  result.Set("stats", stats);
  return result;
}

// runSession(handle, input, {outputHiddenStates, computePadding, observe}) → Promise<result>.
Napi::Value RunSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    std::shared_ptr<Encoder> encoder = encoder_of(holder_arg(info));
    if (!encoder)
      throw Error(codes::kSessionDisposed, "the session has been disposed");
    EncoderInput input = read_input(object_arg(info, 1, "input"));
    RunOptions options;
    samp::napi::read_run_options(info, 2, options);
    // Check on the JS thread too, so bad input rejects before any work is queued.
    check_input(encoder->config(), input);
    auto shared_input = std::make_shared<EncoderInput>(std::move(input));
    using Out = std::shared_ptr<EncoderOutput>;
    return samp::napi::PromiseWorker<Out>::Run(
        env, "samp_cuda.runSession",
        [encoder, shared_input, options]() {
          return std::make_shared<EncoderOutput>(encoder->run(*shared_input, options));
        },
        [](Napi::Env e, const Out& out) -> Napi::Value { return output_to_js(e, *out); });
  });
}

// benchmarkSession(handle, input, {computePadding, warmup, iterations}) → Promise<{medianMs, …}>:
// GPU time of forward passes with the batch already on the device (the encoder alone).
Napi::Value BenchmarkSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    std::shared_ptr<Encoder> encoder = encoder_of(holder_arg(info));
    if (!encoder)
      throw Error(codes::kSessionDisposed, "the session has been disposed");
    auto input = std::make_shared<EncoderInput>(read_input(object_arg(info, 1, "input")));
    const Napi::Object o = object_arg(info, 2, "options");
    const bool compute_padding = o.Get("computePadding").ToBoolean().Value();
    const int warmup =
        o.Get("warmup").IsNumber() ? o.Get("warmup").As<Napi::Number>().Int32Value() : 10;
    const int iterations =
        o.Get("iterations").IsNumber() ? o.Get("iterations").As<Napi::Number>().Int32Value() : 50;
    check_input(encoder->config(), *input);
    return samp::napi::PromiseWorker<BenchmarkResult>::Run(
        env, "samp_cuda.benchmarkSession",
        [encoder, input, compute_padding, warmup, iterations]() {
          return encoder->benchmark(*input, compute_padding, warmup, iterations);
        },
        [](Napi::Env e, const BenchmarkResult& r) -> Napi::Value {
          Napi::Object result = Napi::Object::New(e);
          result.Set("iterations", r.iterations);
          result.Set("tokens", r.tokens);
          result.Set("graph", r.graph);
          result.Set("medianMs", r.median_ms);
          result.Set("minMs", r.min_ms);
          result.Set("meanMs", r.mean_ms);
          return result;
        });
  });
}

// disposeSession(handle) → Promise<void>: drops the session's reference; the device memory is
// freed on a worker thread once no run holds the encoder. Idempotent.
Napi::Value DisposeSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    SessionHolder& holder = holder_arg(info);
    auto dropped = std::make_shared<std::shared_ptr<Encoder>>();
    {
      std::lock_guard<std::mutex> lock(holder.mutex);
      dropped->swap(holder.encoder);
    }
    return samp::napi::PromiseWorker<bool>::Run(
        env, "samp_cuda.disposeSession",
        [dropped]() {
          const bool had = *dropped != nullptr;
          dropped->reset();
          return had;
        },
        [](Napi::Env e, const bool&) -> Napi::Value { return e.Undefined(); });
  });
}

// sessionInfo(handle) → {disposed, device, precision, weightBytes, workspaceBytes, graphs}.
Napi::Value SessionInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return samp::napi::guard(env, [&]() -> Napi::Value {
    std::shared_ptr<Encoder> encoder = encoder_of(holder_arg(info));
    Napi::Object o = Napi::Object::New(env);
    o.Set("disposed", encoder == nullptr);
    if (encoder) {
      o.Set("device", encoder->options().device);
      o.Set("precision", precision_name(encoder->options().precision));
      o.Set("weightBytes", static_cast<double>(encoder->weight_bytes()));
      o.Set("workspaceBytes", static_cast<double>(encoder->workspace_bytes()));
      o.Set("graphs", static_cast<double>(encoder->graphs()));
      o.Set("attentionKernel", encoder->attention_kernel());
    }
    return o;
  });
}

}  // namespace

void register_session_binding(Napi::Env env, Napi::Object exports) {
  exports.Set("createSession", Napi::Function::New(env, CreateSession, "createSession"));
  exports.Set("runSession", Napi::Function::New(env, RunSession, "runSession"));
  exports.Set("benchmarkSession", Napi::Function::New(env, BenchmarkSession, "benchmarkSession"));
  exports.Set("disposeSession", Napi::Function::New(env, DisposeSession, "disposeSession"));
  exports.Set("sessionInfo", Napi::Function::New(env, SessionInfo, "sessionInfo"));
}

}  // namespace samp::cuda
