// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes ParseBootId, the parser of /proc/sys/kernel/random/boot_id, against
// the documented shape: 8-4-4-4-12 hex digits (either case), an optional
// final newline, nothing else; boot8 is the first 8 digits in lower case.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "src/parse.h"

namespace {

using pidlock::internal::ParseError;

// A boot id is 37 bytes; anything longer is rejected by its length.
constexpr size_t kMaxInput = 4096;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

void CheckBootId(std::string_view text) {
  std::string boot8 = "unchanged";
  ParseError error = pidlock::internal::ParseBootId(text, &boot8);
  if (text.empty()) {
    FUZZ_CHECK(error == ParseError::kEmpty);
    return;
  }
  std::string_view body = text;
  if (body.back() == '\n') body.remove_suffix(1);
  bool valid = body.size() == 36;
  for (size_t i = 0; valid && i < body.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    valid = dash ? body[i] == '-' : IsHex(body[i]);
  }
  FUZZ_CHECK(error == (valid ? ParseError::kOk : ParseError::kSyntax));
  if (!valid) return;
  FUZZ_CHECK(boot8.size() == 8);
  for (size_t i = 0; i < 8; ++i) {
    FUZZ_CHECK(boot8[i] == ToLower(body[i]));
    FUZZ_CHECK(!(boot8[i] >= 'A' && boot8[i] <= 'F'));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  CheckBootId(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
