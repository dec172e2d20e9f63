// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes ParseCmdline (the parser of /proc/<pid>/cmdline) and JoinCmdline.
// ParseCmdline must split at every NUL and lose nothing but the optional
// final NUL; JoinCmdline must put exactly one space between two arguments.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "src/parse.h"

namespace {

using pidlock::internal::ParseError;

// The kernel shows at most one page of a rewritten cmdline, and ARG_MAX
// (2 MiB) of a plain one; 64 KiB keeps runs fast and still long.
constexpr size_t kMaxInput = 64 * 1024;

void CheckCmdline(std::string_view text) {
  std::vector<std::string> args = {"stale"};  // must be cleared
  FUZZ_CHECK(pidlock::internal::ParseCmdline(text, &args) == ParseError::kOk);

  // Splitting: no argument holds a NUL, and joining the arguments with NULs
  // gives back the text without its optional final NUL.
  std::string rejoined;
  for (size_t i = 0; i < args.size(); ++i) {
    FUZZ_CHECK(args[i].find('\0') == std::string::npos);
    if (i > 0) rejoined.push_back('\0');
    rejoined += args[i];
  }
  std::string_view expected = text;
  if (!expected.empty() && expected.back() == '\0') expected.remove_suffix(1);
  FUZZ_CHECK(rejoined == expected);
  // An empty text (kernel thread, zombie) has no arguments; any other text
  // has one more argument than it has NULs before its last byte.
  size_t nuls = 0;
  for (char c : expected) nuls += c == '\0';
  FUZZ_CHECK(args.size() == (text.empty() ? 0 : nuls + 1));

  // Joining: "a b c" from {a, b, c}; n arguments get n - 1 single spaces
  // between them, empty arguments included.
  std::string joined = pidlock::internal::JoinCmdline(args);
  std::string expected_joined;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) expected_joined.push_back(' ');
    expected_joined += args[i];
  }
  FUZZ_CHECK(joined == expected_joined);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  CheckCmdline(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
