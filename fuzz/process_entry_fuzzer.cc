// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes ParseProcessEntry (src/cli/process_table.h), the command's reading
// of a /proc/<pid>/stat line's PID, state, parent and group. Checked against
// a reference written differently (split at the last ')', then at spaces)
// and against the library's own ParseStat: where both accept, the same PID.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "src/cli/process_table.h"
#include "src/parse.h"

namespace {

constexpr size_t kMaxInput = 4096;

// A decimal of 1 to 18 digits into *value.
bool Decimal(std::string_view text, int64_t* value) {
  if (text.empty() || text.size() > 18) return false;
  *value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    *value = *value * 10 + (c - '0');
  }
  return true;
}

bool Reference(std::string_view text, pidlock_cli::ProcessEntry* entry) {
  const size_t open = text.find(" (");
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open) {
    return false;
  }
  int64_t pid = 0;
  if (!Decimal(text.substr(0, open), &pid) || pid > INT32_MAX) return false;
  std::vector<std::string_view> fields;
  std::string_view rest = text.substr(close + 1);
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  for (int i = 0; i < 3; ++i) {
    const size_t space = rest.find(' ');
    fields.push_back(rest.substr(0, space));
    if (space == std::string_view::npos) {
      rest = {};
      break;
    }
    rest.remove_prefix(space + 1);
  }
  // The group may end the text or be followed by anything that is not a
  // digit (the parser reads the number and stops).
  if (fields.size() < 3) return false;
  std::string_view pgrp = fields[2];
  size_t digits = 0;
  while (digits < pgrp.size() && pgrp[digits] >= '0' && pgrp[digits] <= '9') {
    ++digits;
  }
  if (digits < pgrp.size()) pgrp = pgrp.substr(0, digits);
  int64_t ppid = 0, group = 0;
  const char state = fields[0].empty() ? ' ' : fields[0][0];
  const bool letter =
      (state >= 'A' && state <= 'Z') || (state >= 'a' && state <= 'z');
  if (fields[0].size() != 1 || !letter || state == 'Z' || state == 'X' ||
      !Decimal(fields[1], &ppid) || !Decimal(pgrp, &group) ||
      ppid > INT32_MAX || group > INT32_MAX) {
    return false;
  }
  entry->pid = static_cast<pid_t>(pid);
  entry->ppid = static_cast<pid_t>(ppid);
  entry->pgrp = static_cast<pid_t>(group);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  pidlock_cli::ProcessEntry got, want;
  const bool parsed = pidlock_cli::ParseProcessEntry(text, &got);
  const bool expected = Reference(text, &want);
  FUZZ_CHECK(parsed == expected);
  if (parsed) {
    FUZZ_CHECK(got.pid == want.pid && got.ppid == want.ppid &&
               got.pgrp == want.pgrp);
  }
  // ParseStat checks fields 20 and 22 and not 4 and 5: where both parsers
  // accept, they agree on the PID and the state's verdict.
  pidlock::internal::Stat stat;
  if (parsed && pidlock::internal::ParseStat(text, &stat) ==
                    pidlock::internal::ParseError::kOk) {
    FUZZ_CHECK(got.pid == stat.pid && stat.state != 'Z' && stat.state != 'X');
  }
  return 0;
}
