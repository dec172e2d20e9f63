// Copyright 2026 The pidlock Authors. MIT License.
//
// The pidlock command's exit codes (sysexits.h where one fits), as README.md
// and the usage text list them.

#ifndef PIDLOCK_SRC_CLI_EXIT_CODES_H_
#define PIDLOCK_SRC_CLI_EXIT_CODES_H_

namespace pidlock_cli {

inline constexpr int kExitStatusFree = 3;     // status: free or stale (LSB)
inline constexpr int kExitStatusUnknown = 4;  // status: cannot be told (LSB)
inline constexpr int kExitUsage = 64;         // EX_USAGE
inline constexpr int kExitSystem = 71;        // EX_OSERR: a system call failed
inline constexpr int kExitHeld = 75;  // EX_TEMPFAIL: a live instance holds it
inline constexpr int kExitRefused = 76;  // EX_PROTOCOL: unsafe or unverifiable
inline constexpr int kExitNotExecutable = 126;  // COMMAND not executable
inline constexpr int kExitNotFound = 127;       // COMMAND not found

}  // namespace pidlock_cli

#endif  // PIDLOCK_SRC_CLI_EXIT_CODES_H_
