// createSession / runSession / benchmarkSession / disposeSession / sessionInfo of samp_cuda.node.
#pragma once

#include <napi.h>

namespace samp::cuda {

/// Adds the session functions to the addon's exports.
void register_session_binding(Napi::Env env, Napi::Object exports);

}  // namespace samp::cuda
