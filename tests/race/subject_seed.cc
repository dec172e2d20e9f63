// Copyright 2026 The pidlock Authors. MIT License.
//
// A racer for the original algorithm (tests/seed, npm pidlock 0.1.0 in C++):
//
//   subject_seed --dir DIR --key KEY
//
// Same contract as subject_pidlock (witness.h): barrier, one guard() call,
// the witness while holding, then the original's cleanup(). Exit status: 0
// acquired, 75 CONFIRMED_TO_NOT_START, 76 a step threw, 77 at cleanup the
// lock no longer pointed at this process (it was displaced while held).
// Every racer must be started with the same arguments: the original calls
// a holder "the same app" only if its command line is identical.

#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/race/witness.h"
#include "tests/seed/seed_pidlock.h"

namespace {

bool PointsAtMe(const pidlock_seed::GuardResult& r) {
  char buffer[4096];
  ssize_t n = readlink(r.lock_dir.c_str(), buffer, sizeof(buffer) - 1);
  return n >= 0 && std::string(buffer, static_cast<size_t>(n)) == r.me_dir;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, key;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--key") key = argv[i + 1];
  }
  pidlock_race::SubjectEnv env;
  if (dir.empty() || key.empty() || !env.Load()) return 2;
  pidlock_race::Slot& slot = env.slot();
  slot.pid.store(getpid());
  env.WaitForStart();

  pidlock_seed::GuardResult r = pidlock_seed::Guard(dir, key);
  if (r.acquired) {
    slot.took_over.store(
        r.state == pidlock_seed::SeedState::OK_STALE_LOCK_REMOVED ? 1 : 0);
    slot.outcome.store(
        static_cast<int32_t>(pidlock_race::RacerOutcome::kAcquired));
    env.HoldWitnessed(0);
    const bool mine = PointsAtMe(r);
    pidlock_seed::Cleanup(r);
    if (!mine) {
      slot.displaced.store(1);
      fprintf(stderr, "subject_seed[%d]: lock displaced while held\n",
              env.index);
      return 77;
    }
    return 0;
  }
  slot.error_state.store(static_cast<int32_t>(r.state));
  if (r.state == pidlock_seed::SeedState::CONFIRMED_TO_NOT_START) {
    slot.outcome.store(static_cast<int32_t>(pidlock_race::RacerOutcome::kHeld));
    return 75;
  }
  slot.outcome.store(
      static_cast<int32_t>(pidlock_race::RacerOutcome::kRefused));
  fprintf(stderr, "subject_seed[%d]: %s in %s\n", env.index, r.error.c_str(),
          pidlock_seed::SeedStateName(r.state));
  return 76;
}
