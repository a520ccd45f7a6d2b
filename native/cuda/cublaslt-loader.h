// cuBLASLt is loaded at run time with dlopen, never linked: the addon then builds without
// cuBLAS (CI has only nvcc) and loads on machines where cuBLAS is missing, and the probe can
// say so instead of the dynamic loader refusing the whole addon.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace samp::cuda {

/// Where cuBLASLt came from, or why it was not found.
struct CublasLtInfo {
  bool found = false;
  std::string path;                // file the library was loaded from (when found)
  std::size_t version = 0;         // cublasLtGetVersion(), e.g. 130001 = 13.0.1
  std::string reason;              // why not found: every dlopen error, in order
  std::vector<std::string> tried;  // names/paths handed to dlopen, in order
};

/// Environment variable naming a cuBLASLt file to try before the default names.
inline constexpr const char* kCublasLtPathEnv = "SAMP_CUBLASLT_PATH";

/// Names tried, in order, after SAMP_CUBLASLT_PATH: the CUDA 13 soname, then 12, then the
/// unversioned development link.
inline constexpr const char* kCublasLtNames[] = {"libcublasLt.so.13", "libcublasLt.so.12",
                                                 "libcublasLt.so"};

/// Loads cuBLASLt once per process (thread-safe) and keeps it loaded for later dlsym calls.
const CublasLtInfo& load_cublaslt();

/// A symbol of the loaded cuBLASLt, or nullptr when cuBLASLt or the symbol is missing.
void* cublaslt_symbol(const char* name);

/// "13.0.1" for 130001 (cuBLAS encodes major*10000 + minor*100 + patch).
std::string format_cublaslt_version(std::size_t version);

}  // namespace samp::cuda
