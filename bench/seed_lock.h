// Copyright 2026 The pidlock Authors. MIT License.
//
// The original npm package pidlock 0.1.0 (lib/pidlock.js, its guard()),
// re-implemented in C++ step by step, so that the cost of its algorithm can
// be measured next to pidlock's without node's own overhead. For benchmarks
// only: it keeps the original's races and its rule that a live process with
// another command line does not hold the lock.
//
// Layout, as the original makes it: <dir>/<key>/<pid>/ is a directory per
// process ("me_dir"); <dir>/<key>/lock is a symlink whose target is the
// holder's me_dir, an absolute path ending in its PID.
//
//   SeedGuardResult r = SeedGuard("/dev/shm/x", "app");
//   if (r.acquired) {
//     Run();
//     SeedCleanup(r);  // the original's cleanup() / exit hook
//   }

#ifndef PIDLOCK_BENCH_SEED_LOCK_H_
#define PIDLOCK_BENCH_SEED_LOCK_H_

#include <string>

namespace pidlock_bench {

// The original's data.state values, verbatim (pidlock.js sets them as it
// goes; the last one set is where guard() ended).
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
struct SeedGuardResult {
  // The original's `error === null`: the lock is this process's now
  // (state OK or OK_STALE_LOCK_REMOVED).
  bool acquired = false;
  // Where guard() ended. CONFIRMED_TO_NOT_START: another live process with
  // the same command line holds the lock. Any other state with !acquired:
  // a step threw (see `error`).
  SeedState state = SeedState::WIPING_OLD_RUN_WITH_THIS_PID;
  std::string me_dir;    // path.join(dir, key, String(process.pid))
  std::string lock_dir;  // path.join(dir, key, 'lock')
  // data.other_pid as JavaScript prints it: "1234", or "NaN" when the lock's
  // target does not end in a number.
  std::string other_pid;
  // What threw (empty when nothing did).
  std::string error;
};

// The original's guard(dir, key, callback), without the callback:
//  WIPING_OLD_RUN_WITH_THIS_PID    rmdir(me_dir), errors ignored
//  CREATING_NEW_DATA_FOR_THIS_PID  mkpath.sync(me_dir): umask read; stat
//                                  me_dir, on ENOENT mkpath the parent,
//                                  then mkdir(me_dir, 0777 & ~umask)
//  ATTEMPTING_TO_CREATE_A_SYMLINK  symlink(me_dir, lock_dir) -> OK
//  GET_OTHER_CMD                   on failure: readlink(lock_dir), its last
//                                  '/' component is the other PID; read
//                                  /proc/<other>/cmdline (unreadable: stale)
//  CONFIRMED_TO_NOT_START          readable and equal to our own cmdline
//                                  (read at the start of every call)
//  REMOVING_STALE_LOCK             else unlink(lock_dir), rmdir(lock_dir),
//                                  errors ignored
//  CREATING_NEW_SYMLINK            symlink(me_dir, lock_dir), failure throws
//  OK_STALE_LOCK_REMOVED
// `dir` must be absolute (mkpath resolves relative paths against the cwd).
SeedGuardResult SeedGuard(const std::string& dir, const std::string& key);

// The cleanup (and exit hook) guard() hands out when it acquired: unlinks
// lock_dir if readlink(lock_dir) is still me_dir (two steps, not atomic, as
// in the original), then rmdir(me_dir); every error ignored. A no-op for a
// result that did not acquire.
void SeedCleanup(const SeedGuardResult& result);

}  // namespace pidlock_bench

#endif  // PIDLOCK_BENCH_SEED_LOCK_H_
