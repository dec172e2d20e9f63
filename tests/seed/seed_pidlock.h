// Copyright 2026 The pidlock Authors. MIT License.
//
// The original algorithm: npm pidlock 0.1.0's guard() (lib/pidlock.js),
// re-implemented in C++ one step per line of the original, for the race
// suite only (tests/race). It keeps the original's race on purpose: two
// processes that both read the same stale lock both "remove" it and both
// "create" their own, and the later one deletes the earlier one's fresh lock
// without looking (REMOVING_STALE_LOCK is an unconditional unlink).
//
// Layout, as the original makes it: <dir>/<key>/<pid>/ is a directory per
// process ("me_dir"); <dir>/<key>/lock is a symlink whose target is the
// holder's me_dir, an absolute path ending in its PID. A holder is alive iff
// /proc/<pid>/cmdline is readable and equals the caller's own.
//
//   pidlock_seed::GuardResult r = pidlock_seed::Guard("/tmp", "app");
//   if (r.acquired) {
//     Run();
//     pidlock_seed::Cleanup(r);  // the original's cleanup() / exit hook
//   }
//
// Test hook: like //:pidlock_testing, a process whose environment has
// PIDLOCK_TEST_STOP_AT=<STATE> raises SIGSTOP the first time it enters that
// state (the original's names below), so a race test can SIGKILL or SIGCONT
// it there.

#ifndef PIDLOCK_TESTS_SEED_SEED_PIDLOCK_H_
#define PIDLOCK_TESTS_SEED_SEED_PIDLOCK_H_

#include <string>

namespace pidlock_seed {

// The original's data.state values, verbatim, in the order guard() sets them.
enum class SeedState {
  WIPING_OLD_RUN_WITH_THIS_PID,
  CREATING_NEW_DATA_FOR_THIS_PID,
  ATTEMPTING_TO_CREATE_A_SYMLINK,
  OK,
  GET_OTHER_CMD,
  CONFIRMED_TO_NOT_START,
  REMOVING_STALE_LOCK,
  CREATING_NEW_SYMLINK,
  OK_STALE_LOCK_REMOVED,
};

// The state's name as pidlock.js spells it.
const char* SeedStateName(SeedState state);

// What guard() passed to its callback.
struct GuardResult {
  // error === null: the lock is this process's (OK or OK_STALE_LOCK_REMOVED).
  bool acquired = false;
  // Where guard() ended: CONFIRMED_TO_NOT_START means another live process
  // with the same command line holds the lock; any other state with
  // !acquired means a step threw (see `error`).
  SeedState state = SeedState::WIPING_OLD_RUN_WITH_THIS_PID;
  std::string me_dir;    // path.join(dir, key, String(process.pid))
  std::string lock_dir;  // path.join(dir, key, 'lock')
  // data.other_pid as JavaScript prints Number(last component): "1234",
  // "NaN", "0".
  std::string other_pid;
  // What threw ("symlink: File exists", ...); empty when nothing did.
  std::string error;
};

// guard(dir, key, callback), synchronously: returns what the callback got.
GuardResult Guard(const std::string& dir, const std::string& key);

// The exit hook / cleanup(): if readlink(lock) equals me_dir, unlink the
// lock (two steps, not atomic, as in the original); then rmdir(me_dir).
// Errors are ignored, as in the original.
void Cleanup(const GuardResult& result);

// Number(text).toString() for the subset of JavaScript's Number() that a
// lock target's last component can hit: surrounding whitespace trimmed,
// empty -> "0", [+-]decimal digits -> the integer, 0x hex -> the integer,
// anything else -> "NaN". (Fractions and exponents also give "NaN" here;
// JavaScript would read them, but no PID directory is named like that.)
std::string JsNumberToString(const std::string& text);

}  // namespace pidlock_seed

#endif  // PIDLOCK_TESTS_SEED_SEED_PIDLOCK_H_
