// Copyright 2026 The pidlock Authors. MIT License.
//
// Parsers of every byte pidlock reads from outside: /proc/<pid>/stat,
// /proc/<pid>/cmdline, the boot id, and the lock symlink's target. Each is a
// pure function of its input (no I/O, no global state), so tests and fuzzers
// feed it bytes. Each returns the value or a specific error; none throws.

#ifndef PIDLOCK_SRC_PARSE_H_
#define PIDLOCK_SRC_PARSE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pidlock {
namespace internal {

// The largest PID Linux can hand out (PID_MAX_LIMIT on 64-bit).
inline constexpr pid_t kPidMax = 4194304;

enum class ParseError {
  kOk = 0,
  kEmpty,      // the input is empty
  kSyntax,     // the input does not have the documented shape
  kRange,      // a number is out of range (e.g. a PID above kPidMax, or 0)
  kTruncated,  // the input was cut off by the reader's cap
};

// Parses an unsigned decimal number: one or more ASCII digits, no sign, no
// white space, no leading zero unless the text is "0". Returns kSyntax for
// anything else (note: strtoul would accept "-1" and " 1") and kRange when
// the value does not fit in 64 bits.
ParseError ParseDecimal(std::string_view text, uint64_t* value);

// Parses a PID as ParseDecimal does, then requires 1 <= pid <= kPidMax
// (kRange otherwise).
ParseError ParsePid(std::string_view text, pid_t* pid);

// The fields of /proc/<pid>/stat that pidlock uses.
struct Stat {
  pid_t pid = 0;             // field 1
  std::string comm;          // field 2, without the parentheses
  char state = '\0';         // field 3: R, S, D, Z, X, ...
  uint64_t num_threads = 0;  // field 20
  uint64_t start_time = 0;   // field 22: clock ticks after boot
};

// Parses the text of /proc/<pid>/stat. The command name (field 2) may contain
// spaces, parentheses and newlines and is not escaped, so the text is split
// at the LAST ')'. Returns kEmpty for "", kSyntax when the shape is not
// "PID (COMM) STATE f4 ... f22 ..." (fields 20 and 22 decimal), kRange when
// the PID, thread count or start time does not fit. A trailing newline is
// optional.
ParseError ParseStat(std::string_view text, Stat* stat);

// Splits the text of /proc/<pid>/cmdline into arguments at NUL bytes. The
// final NUL is optional (a process may have rewritten its arguments). An
// empty text (kernel threads, zombies) gives no arguments and kOk.
ParseError ParseCmdline(std::string_view text, std::vector<std::string>* args);

// Joins arguments with single spaces, for messages and the CLI's output.
std::string JoinCmdline(const std::vector<std::string>& args);

// Parses /proc/sys/kernel/random/boot_id
// ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus an optional newline, hex digits
// in either case) and returns in `boot8` the first 8 hex digits in lower case.
// kSyntax for any other shape.
ParseError ParseBootId(std::string_view text, std::string* boot8);

// Parses /proc/self/timens_offsets: lines "<clock> <seconds> <nanoseconds>"
// (white space between, seconds signed, 0 <= nanoseconds < 10^9), for the
// clocks "monotonic" and "boottime". Returns in *boottime_ns the boottime
// offset in nanoseconds. kSyntax for any other shape or a missing boottime
// line, kRange when the offset does not fit in 64-bit nanoseconds.
ParseError ParseTimensOffsets(std::string_view text, int64_t* boottime_ns);

// The owner record a lock symlink's target carries.
//
// This library writes targets of the form
//     v1:<boot8>:<pidns>:<start_time>:<host>/<pid>
// e.g. "v1:3f2a9c1b:4026531836:1234567:myhost/4242", in one symlinkat(2), so
// the record is published atomically with the lock. The last path component
// is the holder's PID, as in the original npm package, whose targets are
// absolute paths "<dir>/<key>/<pid>" without a record ("legacy" targets).
struct LockTarget {
  enum class Kind {
    kRecord,  // written by this library: all fields below are set
    kLegacy,  // written by the original: only `pid` is set
  };
  Kind kind = Kind::kLegacy;
  pid_t pid = 0;
  std::string boot8;        // kRecord: first 8 hex digits of the boot id
  uint64_t pid_ns = 0;      // kRecord: inode of /proc/<pid>/ns/pid
  uint64_t start_time = 0;  // kRecord: /proc/<pid>/stat field 22, less
                            // the writer's time-namespace boot offset
  std::string host;         // kRecord: the host name, decoded
};

// Longest target this library writes or accepts (PATH_MAX - 1).
inline constexpr size_t kMaxTargetSize = 4095;

// Parses a lock symlink's target. A target of the record form gives kRecord.
// Any other target whose last '/'-separated component is a PID (ParsePid)
// gives kLegacy. kEmpty for "", kSyntax when the last component is not a
// decimal number (e.g. the target ends in '/', or has leading zeros) or a
// "v1:" target is malformed, kRange when the PID is 0 or above kPidMax or a
// number overflows, kTruncated when longer than kMaxTargetSize.
ParseError ParseLockTarget(std::string_view text, LockTarget* target);

// Formats `target` (kind kRecord) as ParseLockTarget reads it, encoding the
// host: bytes other than [A-Za-z0-9._-] become %XX (upper-case hex).
// ParseLockTarget(FormatLockTarget(t)) gives back t for every valid t.
std::string FormatLockTarget(const LockTarget& target);

// Returns a short English description of `error`, e.g. "out of range".
const char* ParseErrorName(ParseError error);

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_PARSE_H_
