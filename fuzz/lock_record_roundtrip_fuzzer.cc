// Copyright 2026 The pidlock Authors. MIT License.
//
// Round trip of the owner record: builds a valid LockTarget of kind kRecord
// from the fuzzer's bytes (PID in [1, kPidMax], boot8 of 8 lower-case hex
// digits, any pid_ns and start time, a non-empty host of arbitrary bytes),
// formats it with FormatLockTarget and parses it back with ParseLockTarget.
// src/parse.h promises every field back; the text must also stay within
// kMaxTargetSize for any host uname(2) can return, and a text longer than
// that must be refused as kTruncated rather than misread.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "src/parse.h"

namespace {

using pidlock::internal::kMaxTargetSize;
using pidlock::internal::kPidMax;
using pidlock::internal::LockTarget;
using pidlock::internal::ParseError;

constexpr size_t kMaxInput = 64 * 1024;
// Longest nodename uname(2) returns (HOST_NAME_MAX): a record with such a
// host, every byte escaped, must fit in kMaxTargetSize.
constexpr size_t kMaxNodename = 64;
// Longer hosts are generated too, up to a text well over kMaxTargetSize.
constexpr size_t kMaxHost = 2048;

void CheckRoundTrip(FuzzedDataProvider* provider) {
  LockTarget target;
  target.kind = LockTarget::Kind::kRecord;
  target.pid = provider->ConsumeIntegralInRange<pid_t>(1, kPidMax);
  uint32_t boot = provider->ConsumeIntegral<uint32_t>();
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) {
    target.boot8.push_back(kHex[(boot >> shift) & 15]);
  }
  target.pid_ns = provider->ConsumeIntegral<uint64_t>();
  target.start_time = provider->ConsumeIntegral<uint64_t>();
  size_t host_size = provider->ConsumeIntegralInRange<size_t>(1, kMaxHost);
  target.host = provider->ConsumeBytesAsString(host_size);
  if (target.host.empty()) return;  // the input ran out: not a valid record

  std::string text = pidlock::internal::FormatLockTarget(target);
  LockTarget parsed;
  ParseError error = pidlock::internal::ParseLockTarget(text, &parsed);
  if (target.host.size() <= kMaxNodename) {
    FUZZ_CHECK(text.size() <= kMaxTargetSize);
  }
  if (text.size() > kMaxTargetSize) {
    FUZZ_CHECK(error == ParseError::kTruncated);
    return;
  }
  FUZZ_CHECK(error == ParseError::kOk);
  FUZZ_CHECK(parsed.kind == LockTarget::Kind::kRecord);
  FUZZ_CHECK(parsed.pid == target.pid);
  FUZZ_CHECK(parsed.boot8 == target.boot8);
  FUZZ_CHECK(parsed.pid_ns == target.pid_ns);
  FUZZ_CHECK(parsed.start_time == target.start_time);
  FUZZ_CHECK(parsed.host == target.host);
  // The PID is the last path component, as the original npm package reads
  // it: Number(_.last(target.split('/'))).
  FUZZ_CHECK(text.substr(text.rfind('/') + 1) == std::to_string(target.pid));
  FUZZ_CHECK(pidlock::internal::FormatLockTarget(parsed) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  FuzzedDataProvider provider(data, size);
  CheckRoundTrip(&provider);
  return 0;
}
