// A minimal check macro for the ctest suite (no test framework to download). A failed check
// prints where and why, the test goes on, and samp_test_result() turns failures into exit 1.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>

namespace samp::test {
inline int& failures() {
  static int count = 0;
  return count;
}
inline int& checks() {
  static int count = 0;
  return count;
}
inline void report(bool ok, const char* expr, const char* file, int line, const std::string& msg) {
  ++checks();
  if (ok) return;
  ++failures();
  std::fprintf(stderr, "%s:%d: CHECK FAILED: %s%s%s\n", file, line, expr, msg.empty() ? "" : " — ",
               msg.c_str());
}
inline int result(const char* name) {
  std::printf("%s: %d checks, %d failed\n", name, checks(), failures());
  return failures() == 0 ? 0 : 1;
}
}  // namespace samp::test

#define SAMP_CHECK(cond) ::samp::test::report(static_cast<bool>(cond), #cond, __FILE__, __LINE__, "")
#define SAMP_CHECK_MSG(cond, msg)                                                         \
  do {                                                                                    \
    std::ostringstream samp_check_os_;                                                    \
    samp_check_os_ << msg;                                                                \
    ::samp::test::report(static_cast<bool>(cond), #cond, __FILE__, __LINE__, samp_check_os_.str()); \
  } while (0)
#define SAMP_IMPLIES(a, b) SAMP_CHECK_MSG(!(a) || (b), #a " implies " #b)
