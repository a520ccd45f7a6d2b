// The one exception type native code throws. `code` is stable and mirrors the `SAMP_*` codes
// of the TypeScript errors in @samp/core, so the N-API layer can hand it to JS unchanged.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace samp {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

/// Stable codes used by native code (JS sees them as `error.code`).
namespace codes {
inline constexpr const char* kInvalidArgument = "SAMP_INVALID_ARGUMENT";
inline constexpr const char* kGpuUnavailable = "SAMP_GPU_UNAVAILABLE";
inline constexpr const char* kDeviceOutOfMemory = "SAMP_DEVICE_OUT_OF_MEMORY";
inline constexpr const char* kNativeFailure = "SAMP_NATIVE_FAILURE";
inline constexpr const char* kInputTooLong = "SAMP_INPUT_TOO_LONG";
inline constexpr const char* kSessionDisposed = "SAMP_SESSION_DISPOSED";
}  // namespace codes

}  // namespace samp
