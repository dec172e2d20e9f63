// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes ParseTimensOffsets, the parser of /proc/self/timens_offsets. Two
// modes, chosen by the first byte: raw bytes (never crash; an accepted text
// has exactly one boottime line), and a round trip of offsets formatted as
// the kernel does ("%-10s %10lld %9ld" per clock, in either order, with any
// run of spaces) that must parse back to the boottime offset.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "src/parse.h"

namespace {

using pidlock::internal::ParseError;

constexpr size_t kMaxInput = 4096;

// Counts lines whose first word is "boottime".
int BoottimeLines(std::string_view text) {
  int count = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.substr(0, 9) == "boottime ") ++count;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return count;
}

std::string Spaces(FuzzedDataProvider* in) {
  return std::string(in->ConsumeIntegralInRange<size_t>(1, 12), ' ');
}

void RoundTrip(FuzzedDataProvider* in) {
  // The kernel keeps offsets within about +-2^62 ns; any int64 second count
  // that fits after multiplying by 10^9 must round-trip.
  const int64_t seconds =
      in->ConsumeIntegralInRange<int64_t>(-9223372035LL, 9223372035LL);
  const int64_t nanoseconds = in->ConsumeIntegralInRange<int64_t>(0, 999999999);
  const std::string boottime = "boottime" + Spaces(in) +
                               std::to_string(seconds) + Spaces(in) +
                               std::to_string(nanoseconds);
  const std::string monotonic =
      "monotonic" + Spaces(in) +
      std::to_string(in->ConsumeIntegral<int32_t>()) + Spaces(in) +
      std::to_string(in->ConsumeIntegralInRange<int64_t>(0, 999999999));
  std::string text = in->ConsumeBool() ? monotonic + "\n" + boottime
                                       : boottime + "\n" + monotonic;
  if (in->ConsumeBool()) text += "\n";
  int64_t parsed = 42;
  const ParseError error = pidlock::internal::ParseTimensOffsets(text, &parsed);
  const __int128 expected =
      static_cast<__int128>(seconds) * 1000000000 + nanoseconds;
  if (expected > INT64_MAX || expected < INT64_MIN) {
    FUZZ_CHECK(error == ParseError::kRange);
    return;
  }
  FUZZ_CHECK(error == ParseError::kOk);
  FUZZ_CHECK(parsed == static_cast<int64_t>(expected));
}

void Raw(std::string_view text) {
  int64_t parsed = 42;
  const ParseError error = pidlock::internal::ParseTimensOffsets(text, &parsed);
  FUZZ_CHECK(error == ParseError::kOk || error == ParseError::kSyntax ||
             error == ParseError::kRange);
  if (error == ParseError::kOk) {
    FUZZ_CHECK(BoottimeLines(text) == 1);
  } else {
    FUZZ_CHECK(parsed == 42);  // untouched on error
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > kMaxInput) return 0;
  if (data[0] & 1) {
    FuzzedDataProvider in(data + 1, size - 1);
    RoundTrip(&in);
  } else {
    Raw(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  }
  return 0;
}
