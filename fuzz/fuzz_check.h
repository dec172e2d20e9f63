// Copyright 2026 The pidlock Authors. MIT License.
//
// FUZZ_CHECK(condition): the assertion of the fuzzers. When the condition is
// false it prints the file, line and condition and calls abort(), so that
// libFuzzer (or fuzz/replay_main.cc under `bazel test`) reports a crash and
// keeps the input. It is active in every build (unlike assert(), which
// -DNDEBUG would remove). Also the reference helpers several fuzzers share.

#ifndef PIDLOCK_FUZZ_FUZZ_CHECK_H_
#define PIDLOCK_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

namespace pidlock_fuzz {

// One or more ASCII digits without a leading zero (but "0" itself): the
// documented spelling of a number, checked independently of src/parse.cc.
inline bool IsCanonicalDecimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Compares two canonical decimals as numbers.
inline bool DecimalLessOrEqual(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a <= b;
}

}  // namespace pidlock_fuzz

#endif  // PIDLOCK_FUZZ_FUZZ_CHECK_H_
