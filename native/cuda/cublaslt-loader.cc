#include "cublaslt-loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace samp::cuda {
namespace {

using GetVersionFn = std::size_t (*)();

void* g_handle = nullptr;

CublasLtInfo load_once() {
  CublasLtInfo info;
  std::vector<std::string> candidates;
  if (const char* env = std::getenv(kCublasLtPathEnv); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  }
  for (const char* name : kCublasLtNames)
    candidates.emplace_back(name);

  std::string errors;
  for (const std::string& candidate : candidates) {
    info.tried.push_back(candidate);
    dlerror();  // clear any stale error
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* err = dlerror();
      errors += (errors.empty() ? "" : "; ") + std::string(err != nullptr ? err : candidate);
      continue;
    }
    auto get_version = reinterpret_cast<GetVersionFn>(dlsym(handle, "cublasLtGetVersion"));
    if (get_version == nullptr) {
      errors += (errors.empty() ? "" : "; ") + candidate + ": no symbol cublasLtGetVersion";
      dlclose(handle);
      continue;
    }
    Dl_info where{};
    info.path = dladdr(reinterpret_cast<void*>(get_version), &where) != 0 && where.dli_fname
                    ? where.dli_fname
                    : candidate;
    info.version = get_version();
    info.found = true;
    g_handle = handle;  // kept for the life of the process
    return info;
  }
  info.reason = "cuBLASLt not found (" + errors + ")";
  return info;
}

}  // namespace

const CublasLtInfo& load_cublaslt() {
  static std::once_flag once;
  static CublasLtInfo info;
  std::call_once(once, [] { info = load_once(); });
  return info;
}

void* cublaslt_symbol(const char* name) {
  if (!load_cublaslt().found)
    return nullptr;
  return dlsym(g_handle, name);
}

std::string format_cublaslt_version(std::size_t version) {
  return std::to_string(version / 10000) + "." + std::to_string((version / 100) % 100) + "." +
         std::to_string(version % 100);
}

}  // namespace samp::cuda
