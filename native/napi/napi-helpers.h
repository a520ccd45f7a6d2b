// Shared Node-API helpers for every samp addon. Built with NAPI_CPP_EXCEPTIONS: native code
// throws samp::Error, and these helpers turn it into a JS Error whose `code` is stable.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <string>
#include <utility>

#include "common/error.h"

namespace samp::napi {

/// A JS Error with `code` set (e.g. "SAMP_GPU_UNAVAILABLE").
inline Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

/// Runs `fn` and rethrows any C++ exception as a JS Error with a stable code, so that nothing
/// escapes as an uncaught C++ exception (which would abort the process).
template <typename F>
auto guard(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const samp::Error& e) {
    throw make_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_error(env, codes::kNativeFailure, "out of host memory");
  } catch (const std::exception& e) {
    throw make_error(env, codes::kNativeFailure, e.what());
  }
}

/// Reads a run's options object ({outputHiddenStates, computePadding, observe}) at info[index]
/// into `options` (a backend's RunOptions: hidden_states, compute_padding, observe); absent fields
/// keep their defaults, computePadding defaults to true. Throws samp::Error(SAMP_INVALID_ARGUMENT)
/// naming a malformed `observe`.
template <typename Options>
void read_run_options(const Napi::CallbackInfo& info, std::size_t index, Options& options) {
  if (info.Length() <= index || !info[index].IsObject())
    return;
  const Napi::Object o = info[index].As<Napi::Object>();
  options.hidden_states = o.Get("outputHiddenStates").ToBoolean().Value();
  const Napi::Value pad = o.Get("computePadding");
  options.compute_padding = pad.IsUndefined() ? true : pad.ToBoolean().Value();
  const Napi::Value obs = o.Get("observe");
  if (obs.IsUndefined())
    return;
  if (!obs.IsArray())
    throw Error(codes::kInvalidArgument, "observe: expected an array of tensor names");
  const Napi::Array arr = obs.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value v = arr.Get(i);
    if (!v.IsString())
      throw Error(codes::kInvalidArgument, "observe[" + std::to_string(i) + "]: expected a string");
    options.observe.push_back(v.As<Napi::String>().Utf8Value());
  }
}

/// Runs `work` on the libuv thread pool and settles a promise with `to_js(result)` on the JS
/// thread; a samp::Error thrown by `work` rejects it with that error's code.
template <typename T>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<T()>;
  using ToJs = std::function<Napi::Value(Napi::Env, const T&)>;

  static Napi::Promise Run(Napi::Env env, const char* name, Work work, ToJs to_js) {
    auto* worker = new PromiseWorker(env, name, std::move(work), std::move(to_js));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();  // the worker deletes itself after OnOK/OnError
    return promise;
  }

 protected:
  void Execute() override {
    try {
      result_ = work_();
    } catch (const samp::Error& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      SetError("out of host memory");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(to_js_(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    deferred_.Reject(make_error(Env(), code_, e.Message()).Value());
  }

 private:
  PromiseWorker(Napi::Env env, const char* name, Work work, ToJs to_js)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        to_js_(std::move(to_js)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs to_js_;
  T result_{};
  std::string code_ = codes::kNativeFailure;
};

}  // namespace samp::napi
