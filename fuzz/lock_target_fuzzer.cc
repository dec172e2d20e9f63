// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes ParseLockTarget (the parser of a lock symlink's target) and, on the
// same bytes, ParseDecimal and ParsePid, each against its documented
// contract in src/parse.h:
//  - ParseDecimal accepts exactly the canonical decimals that fit in 64 bits;
//  - ParsePid accepts exactly those in [1, kPidMax];
//  - ParseLockTarget's PID is the last '/'-component read by ParsePid (with
//    ParsePid's error when that fails); a target of the record form has one
//    spelling only, so FormatLockTarget gives back the very text parsed; any
//    other target is legacy, and nothing longer than kMaxTargetSize parses.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "src/parse.h"

namespace {

using pidlock_fuzz::DecimalLessOrEqual;
using pidlock_fuzz::IsCanonicalDecimal;

using pidlock::internal::kMaxTargetSize;
using pidlock::internal::kPidMax;
using pidlock::internal::LockTarget;
using pidlock::internal::ParseError;

// Targets over kMaxTargetSize (4095) are rejected by length; keep room to
// reach that branch.
constexpr size_t kMaxInput = 64 * 1024;

void CheckDecimalAndPid(std::string_view text) {
  uint64_t value = 12345;
  ParseError error = pidlock::internal::ParseDecimal(text, &value);
  ParseError expected = ParseError::kSyntax;
  if (IsCanonicalDecimal(text)) {
    expected = DecimalLessOrEqual(text, "18446744073709551615")
                   ? ParseError::kOk
                   : ParseError::kRange;
  }
  FUZZ_CHECK(error == expected);
  if (error == ParseError::kOk) FUZZ_CHECK(std::to_string(value) == text);

  pid_t pid = 12345;
  ParseError pid_error = pidlock::internal::ParsePid(text, &pid);
  if (error != ParseError::kOk) {
    FUZZ_CHECK(pid_error == error);
  } else if (value < 1 || value > static_cast<uint64_t>(kPidMax)) {
    FUZZ_CHECK(pid_error == ParseError::kRange);
  } else {
    FUZZ_CHECK(pid_error == ParseError::kOk);
    FUZZ_CHECK(static_cast<uint64_t>(pid) == value);
  }
}

void CheckLockTarget(std::string_view text) {
  LockTarget target;
  ParseError error = pidlock::internal::ParseLockTarget(text, &target);
  if (text.empty()) {
    FUZZ_CHECK(error == ParseError::kEmpty);
    return;
  }
  if (text.size() > kMaxTargetSize) {
    FUZZ_CHECK(error == ParseError::kTruncated);
    return;
  }
  size_t slash = text.rfind('/');
  std::string_view last =
      slash == std::string_view::npos ? text : text.substr(slash + 1);
  std::string_view dir = slash == std::string_view::npos
                             ? std::string_view()
                             : text.substr(0, slash);
  pid_t pid = 0;
  ParseError pid_error = pidlock::internal::ParsePid(last, &pid);
  if (pid_error != ParseError::kOk) {
    FUZZ_CHECK(error == pid_error);
    return;
  }
  bool record_form = dir.substr(0, 3) == "v1:";
  if (!record_form) {
    FUZZ_CHECK(error == ParseError::kOk);
    FUZZ_CHECK(target.kind == LockTarget::Kind::kLegacy);
    FUZZ_CHECK(target.pid == pid);
    return;
  }
  // "v1:" targets are records or errors, never legacy.
  FUZZ_CHECK(error == ParseError::kOk || error == ParseError::kSyntax ||
             error == ParseError::kRange);
  if (error != ParseError::kOk) return;
  FUZZ_CHECK(target.kind == LockTarget::Kind::kRecord);
  FUZZ_CHECK(target.pid == pid);
  FUZZ_CHECK(target.boot8.size() == 8);
  for (char c : target.boot8) {
    FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  FUZZ_CHECK(!target.host.empty());
  FUZZ_CHECK(pidlock::internal::FormatLockTarget(target) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckLockTarget(text);
  CheckDecimalAndPid(text);
  return 0;
}
