// Copyright 2026 The pidlock Authors. MIT License.
//
// The witness as a program, for holders that cannot map the region
// themselves: `pidlock run ... -- race_witness` (the CLI subject) and the
// node subject (spawnSync while it holds). Its parent is the lock holder.
//
//   race_witness
//
// Reports "acquired" in its slot, then Enter, hold RACE_HOLD_MS, Leave
// (witness.h). With RACE_CRASH=1 it then SIGKILLs its parent, the holder,
// so that the lock is left behind by a dead process. Exit status 0; 2 when
// the environment is incomplete.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tests/race/witness.h"

int main() {
  pidlock_race::SubjectEnv env;
  if (!env.Load()) return 2;
  env.slot().outcome.store(
      static_cast<int32_t>(pidlock_race::RacerOutcome::kAcquired));
  if (getenv("PIDLOCK_RACE_DEBUG") != nullptr) {
    fprintf(stderr, "race_witness: pid %d parent %d crash %d\n", getpid(),
            getppid(), env.crash ? 1 : 0);
  }
  env.HoldWitnessed(getppid());
  return 0;
}
