// The N-API face of the FP32 encoder: createSession / runSession / disposeSession / sessionInfo.
#pragma once

#include <napi.h>

namespace samp::cpu {

/// Adds the session functions to the addon's exports.
void register_session_binding(Napi::Env env, Napi::Object exports);

}  // namespace samp::cpu
