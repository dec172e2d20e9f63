// Copyright 2026 The pidlock Authors. MIT License.
//
// FUZZ_CHECK(condition): the assertion of the fuzzers. When the condition is
// false it prints the file, line and condition and calls abort(), so that
// libFuzzer (or fuzz/replay_main.cc under `bazel test`) reports a crash and
// keeps the input. It is active in every build (unlike assert(), which
// -DNDEBUG would remove).

#ifndef PIDLOCK_FUZZ_FUZZ_CHECK_H_
#define PIDLOCK_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

#endif  // PIDLOCK_FUZZ_FUZZ_CHECK_H_
