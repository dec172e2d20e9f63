// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes ParseStat, the parser of /proc/<pid>/stat, against a reference
// parser written here the other way round (split everything, then check),
// and checks that every accepted text reads back to the fields parsed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "src/parse.h"

namespace {

using pidlock_fuzz::DecimalLessOrEqual;
using pidlock_fuzz::IsCanonicalDecimal;

using pidlock::internal::kPidMax;
using pidlock::internal::ParseError;
using pidlock::internal::Stat;

// A stat line is about 300 bytes; longer inputs only cost time.
constexpr size_t kMaxInput = 64 * 1024;

// The documented shape, checked independently of src/parse.cc:
// "PID (COMM) STATE f4 ... f22[ ...]" with an optional final newline, where
// PID is the text before the first " (", COMM ends at the LAST ')', fields 3
// to 22 are non-empty and separated by single spaces, STATE is one byte and
// fields 20 and 22 decimals that fit in 64 bits. Returns false for any other
// text.
bool ReferenceParseStat(std::string_view text, std::string_view* pid,
                        std::string_view* comm, char* state,
                        std::string_view* num_threads,
                        std::string_view* start_time) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  size_t open = text.find(" (");
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open + 2) {
    return false;
  }
  *pid = text.substr(0, open);
  *comm = text.substr(open + 2, close - open - 2);
  std::string_view rest = text.substr(close + 1);
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  std::vector<std::string_view> fields;
  while (fields.size() < 20) {
    size_t space = rest.find(' ');
    fields.push_back(rest.substr(0, space));
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  if (fields.size() < 20) return false;
  for (std::string_view field : fields) {
    if (field.empty()) return false;
  }
  if (fields[0].size() != 1) return false;
  *state = fields[0][0];
  *num_threads = fields[17];
  *start_time = fields[19];
  return true;
}

void CheckParseStat(std::string_view text) {
  Stat stat;
  ParseError error = pidlock::internal::ParseStat(text, &stat);
  if (text.empty()) {
    FUZZ_CHECK(error == ParseError::kEmpty);
    return;
  }
  FUZZ_CHECK(error != ParseError::kEmpty);
  FUZZ_CHECK(error != ParseError::kTruncated);  // only readers truncate

  std::string_view pid, comm, num_threads, start_time;
  char state = 0;
  bool shape =
      ReferenceParseStat(text, &pid, &comm, &state, &num_threads, &start_time);
  bool valid = shape && IsCanonicalDecimal(pid) &&
               DecimalLessOrEqual(pid, std::to_string(kPidMax)) && pid != "0" &&
               IsCanonicalDecimal(num_threads) &&
               DecimalLessOrEqual(num_threads, "18446744073709551615") &&
               IsCanonicalDecimal(start_time) &&
               DecimalLessOrEqual(start_time, "18446744073709551615");
  FUZZ_CHECK(valid == (error == ParseError::kOk));
  if (!valid) return;

  FUZZ_CHECK(stat.pid >= 1 && stat.pid <= kPidMax);
  FUZZ_CHECK(std::to_string(stat.pid) == pid);
  FUZZ_CHECK(stat.comm == comm);
  FUZZ_CHECK(stat.state == state);
  FUZZ_CHECK(std::to_string(stat.num_threads) == num_threads);
  FUZZ_CHECK(std::to_string(stat.start_time) == start_time);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  CheckParseStat(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
