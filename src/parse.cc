// Copyright 2026 The pidlock Authors. MIT License.

#include "src/parse.h"

#include <cstdint>
#include <limits>

namespace pidlock {
namespace internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHostByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) ||
         c == '.' || c == '_' || c == '-';
}

// Takes the text up to the next `sep` from *rest (dropping the separator).
// Returns false when there is no `sep`.
bool TakeField(std::string_view* rest, char sep, std::string_view* field) {
  size_t at = rest->find(sep);
  if (at == std::string_view::npos) return false;
  *field = rest->substr(0, at);
  rest->remove_prefix(at + 1);
  return true;
}

ParseError DecodeHost(std::string_view text, std::string* host) {
  host->clear();
  if (text.empty()) return ParseError::kSyntax;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (IsHostByte(c)) {
      host->push_back(c);
      continue;
    }
    if (c != '%' || i + 2 >= text.size()) return ParseError::kSyntax;
    int hi = HexValue(text[i + 1]);
    int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return ParseError::kSyntax;
    char decoded = static_cast<char>(hi * 16 + lo);
    // One spelling per host: a byte that needs no escape must not have one,
    // and escapes are upper case, so Format(Parse(x)) == x.
    if (IsHostByte(decoded) || (text[i + 1] >= 'a' && text[i + 1] <= 'f') ||
        (text[i + 2] >= 'a' && text[i + 2] <= 'f')) {
      return ParseError::kSyntax;
    }
    host->push_back(decoded);
    i += 2;
  }
  return ParseError::kOk;
}

}  // namespace

ParseError ParseDecimal(std::string_view text, uint64_t* value) {
  if (text.empty()) return ParseError::kSyntax;
  if (text.size() > 1 && text[0] == '0') return ParseError::kSyntax;
  // Shape first, then range: "99999999999999999999x" is malformed, not out
  // of range.
  for (char c : text) {
    if (!IsDigit(c)) return ParseError::kSyntax;
  }
  uint64_t v = 0;
  for (char c : text) {
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return ParseError::kRange;
    }
    v = v * 10 + digit;
  }
  *value = v;
  return ParseError::kOk;
}

ParseError ParsePid(std::string_view text, pid_t* pid) {
  uint64_t v = 0;
  ParseError error = ParseDecimal(text, &v);
  if (error != ParseError::kOk) return error;
  if (v < 1 || v > static_cast<uint64_t>(kPidMax)) return ParseError::kRange;
  *pid = static_cast<pid_t>(v);
  return ParseError::kOk;
}

ParseError ParseStat(std::string_view text, Stat* stat) {
  if (text.empty()) return ParseError::kEmpty;
  if (text.back() == '\n') text.remove_suffix(1);
  size_t open = text.find(" (");
  size_t close = text.rfind(')');  // comm may hold ')': split at the LAST one
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open + 1) {
    return ParseError::kSyntax;
  }
  Stat out;
  ParseError error = ParsePid(text.substr(0, open), &out.pid);
  if (error != ParseError::kOk) return error;
  out.comm = std::string(text.substr(open + 2, close - open - 2));

  // After ") " come fields 3 (state) to 52, separated by single spaces.
  std::string_view rest = text.substr(close + 1);
  if (rest.size() < 2 || rest[0] != ' ') return ParseError::kSyntax;
  rest.remove_prefix(1);
  std::string_view field;
  for (int number = 3; number <= 22; ++number) {
    bool last = rest.find(' ') == std::string_view::npos;
    if (last) {
      field = rest;
      rest = {};
    } else {
      TakeField(&rest, ' ', &field);
    }
    if (field.empty()) return ParseError::kSyntax;
    if (number == 3) {  // state: one letter
      if (field.size() != 1) return ParseError::kSyntax;
      out.state = field[0];
    } else if (number == 20) {  // num_threads
      error = ParseDecimal(field, &out.num_threads);
      if (error != ParseError::kOk) return error;
      if (last) return ParseError::kSyntax;
    } else if (number == 22) {  // starttime: clock ticks after boot
      error = ParseDecimal(field, &out.start_time);
      if (error != ParseError::kOk) return error;
      break;
    } else if (last) {
      return ParseError::kSyntax;  // the text ends before field 22
    }
  }
  *stat = std::move(out);
  return ParseError::kOk;
}

ParseError ParseCmdline(std::string_view text, std::vector<std::string>* args) {
  args->clear();
  while (!text.empty()) {
    size_t nul = text.find('\0');
    if (nul == std::string_view::npos) {
      args->emplace_back(text);  // no final NUL: the last argument still counts
      break;
    }
    args->emplace_back(text.substr(0, nul));
    text.remove_prefix(nul + 1);
  }
  return ParseError::kOk;
}

std::string JoinCmdline(const std::vector<std::string>& args) {
  std::string joined;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) joined.push_back(' ');
    joined += args[i];
  }
  return joined;
}

ParseError ParseBootId(std::string_view text, std::string* boot8) {
  if (text.empty()) return ParseError::kEmpty;
  if (text.back() == '\n') text.remove_suffix(1);
  // 8-4-4-4-12 hex digits.
  static constexpr size_t kDashes[] = {8, 13, 18, 23};
  if (text.size() != 36) return ParseError::kSyntax;
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash = i == kDashes[0] || i == kDashes[1] || i == kDashes[2] ||
                i == kDashes[3];
    if (dash ? text[i] != '-' : HexValue(text[i]) < 0) {
      return ParseError::kSyntax;
    }
  }
  boot8->clear();
  for (size_t i = 0; i < 8; ++i) {
    char c = text[i];
    boot8->push_back(c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a')
                                          : c);
  }
  return ParseError::kOk;
}

ParseError ParseTimensOffsets(std::string_view text, int64_t* boottime_ns) {
  bool found = false;
  int64_t result = 0;
  while (!text.empty()) {
    std::string_view line;
    if (!TakeField(&text, '\n', &line)) {
      line = text;
      text = {};
    }
    // Three fields separated by runs of spaces.
    std::string_view fields[3];
    size_t count = 0;
    while (!line.empty()) {
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (line.empty()) break;
      if (count == 3) return ParseError::kSyntax;
      size_t end = line.find(' ');
      fields[count++] = line.substr(0, end);
      line =
          end == std::string_view::npos ? std::string_view() : line.substr(end);
    }
    if (count != 3) return ParseError::kSyntax;
    if (fields[0] != "monotonic" && fields[0] != "boottime") {
      return ParseError::kSyntax;
    }
    std::string_view seconds_text = fields[1];
    const bool negative = !seconds_text.empty() && seconds_text[0] == '-';
    if (negative) seconds_text.remove_prefix(1);
    uint64_t seconds = 0;
    uint64_t nanoseconds = 0;
    ParseError error = ParseDecimal(seconds_text, &seconds);
    if (error == ParseError::kOk) error = ParseDecimal(fields[2], &nanoseconds);
    if (error != ParseError::kOk) return error;
    if (nanoseconds >= 1000000000 || (negative && seconds == 0)) {
      return ParseError::kSyntax;
    }
    if (fields[0] != "boottime") continue;
    if (found) return ParseError::kSyntax;  // two boottime lines
    found = true;
    // A timespec: signed seconds plus non-negative nanoseconds (-0.5 s is
    // "-1 500000000"). 128 bits: no overflow before the range check.
    __int128 ns = static_cast<__int128>(seconds) * 1000000000;
    if (negative) ns = -ns;
    ns += static_cast<__int128>(nanoseconds);
    if (ns > INT64_MAX || ns < INT64_MIN) return ParseError::kRange;
    result = static_cast<int64_t>(ns);
  }
  if (!found) return ParseError::kSyntax;
  *boottime_ns = result;
  return ParseError::kOk;
}

ParseError ParseLockTarget(std::string_view text, LockTarget* target) {
  if (text.empty()) return ParseError::kEmpty;
  if (text.size() > kMaxTargetSize) return ParseError::kTruncated;
  size_t slash = text.rfind('/');
  std::string_view last =
      slash == std::string_view::npos ? text : text.substr(slash + 1);
  LockTarget out;
  ParseError error = ParsePid(last, &out.pid);
  if (error != ParseError::kOk) return error;

  std::string_view dir = slash == std::string_view::npos
                             ? std::string_view()
                             : text.substr(0, slash);
  if (dir.substr(0, 3) != "v1:") {
    out.kind = LockTarget::Kind::kLegacy;
    *target = std::move(out);
    return ParseError::kOk;
  }
  // v1:<boot8>:<pidns>:<start_time>:<host>
  out.kind = LockTarget::Kind::kRecord;
  std::string_view rest = dir.substr(3);
  std::string_view boot8, pid_ns, start_time;
  if (!TakeField(&rest, ':', &boot8) || !TakeField(&rest, ':', &pid_ns) ||
      !TakeField(&rest, ':', &start_time)) {
    return ParseError::kSyntax;
  }
  if (boot8.size() != 8) return ParseError::kSyntax;
  for (char c : boot8) {
    if (HexValue(c) < 0 || (c >= 'A' && c <= 'F')) return ParseError::kSyntax;
  }
  out.boot8 = std::string(boot8);
  if ((error = ParseDecimal(pid_ns, &out.pid_ns)) != ParseError::kOk ||
      (error = ParseDecimal(start_time, &out.start_time)) != ParseError::kOk) {
    return error;
  }
  if ((error = DecodeHost(rest, &out.host)) != ParseError::kOk) return error;
  *target = std::move(out);
  return ParseError::kOk;
}

std::string FormatLockTarget(const LockTarget& target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(64);
  out += "v1:";
  out += target.boot8;
  out += ':';
  out += std::to_string(target.pid_ns);
  out += ':';
  out += std::to_string(target.start_time);
  out += ':';
  for (char c : target.host) {
    if (IsHostByte(c)) {
      out.push_back(c);
    } else {
      unsigned char u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  out += '/';
  out += std::to_string(target.pid);
  return out;
}

const char* ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kEmpty:
      return "empty";
    case ParseError::kSyntax:
      return "malformed";
    case ParseError::kRange:
      return "out of range";
    case ParseError::kTruncated:
      return "too long";
  }
  return "unknown parse error";
}

}  // namespace internal
}  // namespace pidlock
