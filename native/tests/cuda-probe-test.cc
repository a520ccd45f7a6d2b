// The CUDA probe on whatever machine runs it: without a driver (CI) it must return the CUDA
// error as a reason instead of crashing; with one it must list the devices and pass the
// kernel self-test. Both branches assert; the branch is chosen by /dev/nvidiactl.
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "check.h"
#include "common/error.h"
#include "cuda-probe.h"

namespace {

bool has_driver_node() {
  struct stat st {};
  return ::stat("/dev/nvidiactl", &st) == 0;
}

void check_cublaslt(const samp::cuda::CublasLtInfo& lt) {
  SAMP_CHECK(samp::cuda::format_cublaslt_version(130001) == "13.0.1");
  if (lt.found) {
    SAMP_CHECK(!lt.tried.empty());
    SAMP_CHECK(!lt.path.empty());
    SAMP_CHECK(lt.version >= 110000);
    std::printf("cuBLASLt %s at %s\n", samp::cuda::format_cublaslt_version(lt.version).c_str(),
                lt.path.c_str());
  } else {
    SAMP_CHECK(lt.tried.size() >= 3);  // every default name was tried
    SAMP_CHECK(!lt.reason.empty());
    std::printf("cuBLASLt: %s\n", lt.reason.c_str());
  }
  SAMP_CHECK(&samp::cuda::load_cublaslt() == &samp::cuda::load_cublaslt());  // loaded once
}

void expect_error(int device, const char* code) {
  try {
    samp::cuda::run_self_test(device);
    SAMP_CHECK_MSG(false, "run_self_test(" << device << ") should have thrown " << code);
  } catch (const samp::Error& e) {
    SAMP_CHECK_MSG(e.code() == code, "got " << e.code() << ": " << e.what());
  }
}

}  // namespace

int main() {
  const samp::cuda::CudaProbe p = samp::cuda::probe_cuda();
  std::printf("runtime %d, driver %d, %zu device(s), reason: %s\n", p.runtime_version,
              p.driver_version, p.devices.size(), p.reason.empty() ? "-" : p.reason.c_str());
  SAMP_CHECK(p.runtime_version >= 12000);
  check_cublaslt(p.cublaslt);

  if (!has_driver_node()) {
    SAMP_CHECK(!p.available);
    SAMP_CHECK(p.devices.empty());
    SAMP_CHECK_MSG(!p.reason.empty(), "no device and no reason");
    SAMP_CHECK(!p.error_name.empty());
    expect_error(0, samp::codes::kGpuUnavailable);
    // A second probe after the failure behaves the same (the error is not sticky).
    SAMP_CHECK(samp::cuda::probe_cuda().reason == p.reason);
  } else {
    SAMP_CHECK_MSG(p.available, "driver node present but: " << p.reason);
    SAMP_CHECK(!p.devices.empty());
    SAMP_CHECK(p.driver_version > 0);
    for (const auto& d : p.devices) {
      std::printf("device %d: %s, sm_%d%d, %zu bytes, %d SMs\n", d.index, d.name.c_str(),
                  d.cc_major, d.cc_minor, d.total_memory, d.multiprocessors);
      SAMP_CHECK(!d.name.empty());
      SAMP_CHECK(d.cc_major >= 5);
      SAMP_CHECK(d.total_memory > 0);
      SAMP_CHECK(d.multiprocessors > 0);
    }
    if (!p.devices.empty()) {
      try {
        const auto r = samp::cuda::run_self_test(0);
        SAMP_CHECK_MSG(r.passed(), r.mismatches << " of " << r.elements << " mismatched");
        std::printf("self-test: %zu elements in %.2f ms\n", r.elements, r.milliseconds);
      } catch (const samp::Error& e) {
        SAMP_CHECK_MSG(false, "self-test threw " << e.code() << ": " << e.what());
      }
      expect_error(static_cast<int>(p.devices.size()), samp::codes::kInvalidArgument);
    }
  }
  return samp::test::result("cuda-probe-test");
}
