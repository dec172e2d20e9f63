// Copyright 2026 The pidlock Authors. MIT License.
//
// A racer for this library, linked with //:pidlock_testing (so
// PIDLOCK_TEST_STOP_AT stops it at a protocol state):
//
//   subject_pidlock --dir DIR --key KEY [--wait-ms N] [--identity cmdline]
//                   [--leader-exits]
//
// Waits at the harness's barrier (witness.h), tries the lock once (or waits
// up to N ms with Acquire), reports the outcome in its witness slot, and
// while holding proves it to the witness. Exit status: 0 acquired and
// released, 75 held, 76 refused (an Errc), 71 a system error, 77 Release()
// found the lock was no longer its own (displaced), 78 another release
// error, 2 usage.
//
// --leader-exits: once holding, the main thread calls pthread_exit() and a
// second thread holds, proves and releases. The process is alive the whole
// time; only its thread-group leader is a zombie.

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "src/pidlock.h"
#include "tests/race/witness.h"

namespace {

using pidlock_race::RacerOutcome;
using pidlock_race::SubjectEnv;

SubjectEnv env;
pidlock::Lock held_lock;

// Releases and reports; returns the exit status.
int ReleaseAndReport() {
  std::error_code e = held_lock.Release();
  pidlock_race::Slot& slot = env.slot();
  if (!e) return 0;
  slot.release_errc.store(e.value());
  if (e == pidlock::Errc::kLockLost) {
    slot.displaced.store(1);
    fprintf(stderr, "subject_pidlock[%d]: release: %s\n", env.index,
            e.message().c_str());
    return 77;
  }
  fprintf(stderr, "subject_pidlock[%d]: release: %s\n", env.index,
          e.message().c_str());
  return 78;
}

void* LeaderlessHolder(void*) {
  env.HoldWitnessed(0);
  exit(ReleaseAndReport());
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, key;
  int wait_ms = -1;
  bool leader_exits = false;
  pidlock::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--key" && i + 1 < argc) {
      key = argv[++i];
    } else if (a == "--wait-ms" && i + 1 < argc) {
      wait_ms = atoi(argv[++i]);
    } else if (a == "--identity" && i + 1 < argc) {
      options.identity = strcmp(argv[++i], "cmdline") == 0
                             ? pidlock::Identity::kCmdline
                             : pidlock::Identity::kKey;
    } else if (a == "--leader-exits") {
      leader_exits = true;
    } else {
      fprintf(stderr, "subject_pidlock: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (dir.empty() || key.empty() || !env.Load()) return 2;
  pidlock_race::Slot& slot = env.slot();
  slot.pid.store(getpid());
  env.WaitForStart();

  pidlock::AcquireResult r =
      wait_ms < 0 ? pidlock::TryAcquire(dir, key, options)
                  : pidlock::Acquire(
                        dir, key, std::chrono::milliseconds(wait_ms), options);
  if (getenv("PIDLOCK_RACE_DEBUG") != nullptr) {
    fprintf(stderr,
            "subject_pidlock[%d] pid %d: outcome %d took_over %d "
            "holder %d '%s' reason %s\n",
            env.index, getpid(), static_cast<int>(r.outcome),
            r.lock.took_over() ? 1 : 0, r.holder.pid, r.holder.target.c_str(),
            pidlock::ReasonName(r.holder.reason));
  }
  switch (r.outcome) {
    case pidlock::Outcome::kAcquired:
      slot.took_over.store(r.lock.took_over() ? 1 : 0);
      slot.outcome.store(static_cast<int32_t>(RacerOutcome::kAcquired));
      held_lock = std::move(r.lock);
      if (leader_exits) {
        pthread_t thread;
        if (pthread_create(&thread, nullptr, LeaderlessHolder, nullptr) != 0) {
          return 71;
        }
        pthread_exit(nullptr);
      }
      env.HoldWitnessed(0);
      return ReleaseAndReport();
    case pidlock::Outcome::kHeld:
      slot.outcome.store(static_cast<int32_t>(RacerOutcome::kHeld));
      return 75;
    case pidlock::Outcome::kError: {
      const bool ours = r.error.code.category() == pidlock::ErrorCategory();
      slot.error_code.store(r.error.code.value());
      slot.error_state.store(static_cast<int32_t>(r.error.state));
      slot.outcome.store(static_cast<int32_t>(ours ? RacerOutcome::kRefused
                                                   : RacerOutcome::kSystem));
      fprintf(stderr, "%s\n", r.error.Message().c_str());
      return ours ? 76 : 71;
    }
  }
  return 71;
}
