// Copyright 2026 The pidlock Authors. MIT License.
//
// The guarded work of race_tree_test: a process somewhere below the lock's
// holder (a grandchild of `pidlock run`, or a daemon that a COMMAND
// double-forked into its own session) that proves to the witness
// (witness.h) when it runs.
//
//   tree_worker           # env: RACE_WITNESS, RACE_WITNESS_DIR, RACE_INDEX,
//                         #      RACE_HOLD_MS
//   tree_worker --euid    # prints geteuid() (the test's setuid check)
//
// Reports its PID and "acquired" in its slot, then Enter, holds RACE_HOLD_MS,
// Leave, exit 0. SIGTERM, SIGINT and SIGHUP are blocked from the first
// instruction and taken synchronously (sigtimedwait) during the hold: on one,
// it Leaves and then dies of that signal (default action), so a terminated
// worker never leaves the holder counter raised. A signal that arrives before
// the mask is set kills it before Enter, which is just as clean. Only SIGKILL
// can leave the counter raised; the test never sends it to a worker except
// when it gives up on a trial (and then it fails the trial anyway).
//
// It never closes descriptors it inherited: under `pidlock run` one of them is
// the key directory's, which carries the lock's witness (an OFD lock), so the
// job holds the lock as long as this process lives. Exit 2 when the
// environment is incomplete.

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "tests/race/witness.h"

int main(int argc, char** argv) {
  sigset_t taken;
  sigemptyset(&taken);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&taken, sig);
  sigprocmask(SIG_BLOCK, &taken, nullptr);

  if (argc == 2 && strcmp(argv[1], "--euid") == 0) {
    printf("%d\n", static_cast<int>(geteuid()));
    return 0;
  }
  pidlock_race::SubjectEnv env;
  if (!env.Load()) return 2;
  env.slot().pid.store(static_cast<int32_t>(getpid()));
  env.slot().outcome.store(
      static_cast<int32_t>(pidlock_race::RacerOutcome::kAcquired));

  pidlock_race::Enter(env.region, env.index, env.witness_dir);
  const int64_t until =
      pidlock_race::MonotonicNs() + static_cast<int64_t>(env.hold_ms) * 1000000;
  int got = 0;
  for (;;) {
    const int64_t left = until - pidlock_race::MonotonicNs();
    if (left <= 0) break;
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(left / 1000000000);
    ts.tv_nsec = static_cast<long>(left % 1000000000);
    const int sig = sigtimedwait(&taken, nullptr, &ts);
    if (sig > 0) {
      got = sig;
      break;
    }
    if (errno != EINTR && errno != EAGAIN) break;
  }
  pidlock_race::Leave(env.region, env.index, env.witness_dir);
  if (got != 0) {
    // Die of the signal, as an unprepared program would, but after Leave.
    signal(got, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &taken, nullptr);
    raise(got);
    _exit(128 + got);
  }
  return 0;
}
