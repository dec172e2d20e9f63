// Copyright 2026 The pidlock Authors. MIT License.
//
// Teeth, against the original algorithm re-implemented in C++ (tests/seed):
// the suite must find its double-acquire and shrink it. And the control:
// the same search against this library finds nothing.
//
//  - SeedFaultPlanFindsDoubleAcquire: scenarios with pauses at the
//    original's own protocol states (PIDLOCK_TEST_STOP_AT, as for this
//    library). A racer paused between judging the lock stale and removing
//    it removes the next holder's fresh lock: found in a few scenarios and
//    shrunk to a deterministic two-racer scenario. Expected to fail; the
//    test passes when it does.
//  - SeedTimingAloneLossRate: no hooks at all, racers released together on
//    a stale lock; reports how often the original lost. The C++ copy is
//    fast, its window is microseconds wide: a few percent of trials.
//  - SeedTimingAloneFindsDoubleAcquire: RapidCheck over hook-free scenarios
//    until a double-acquire shows (up to 400; typically ~100, so 20-60 s):
//    only with PIDLOCK_RACE_SLOW_TEETH=1, as the CI budget cannot afford
//    it reliably.
//  - LibrarySurvivesTheSameSearch: the fault-plan search, this library.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/race/harness.h"
#include "tests/race/teeth.h"

extern const char kRaceDefaultRcParams[] = "max_success=40";

namespace pidlock_race {
namespace {

TEST(RaceTeeth, SeedFaultPlanFindsDoubleAcquire) {
  TeethSearch search;
  search.name = "seed with pauses at its protocol states";
  search.subject = Subject::kSeed;
  search.profile = Profile::kTeethWithPauses;
  search.max_racers = 6;
  search.max_scenarios = 100;  // found after 4-29 in our runs
  search.retries = 3;
  search.failures_needed = 2;
  search.shrink_budget_ms = 10000;
  TeethOutcome out = SearchForViolation(search);
  ASSERT_TRUE(out.found)
      << "the suite did not find the original's double-acquire in "
      << search.max_scenarios << " scenarios with a fault plan:\n"
      << out.message;
  printf(
      "RACE TEETH seed (fault plan): found the original's double-acquire "
      "after %d passing scenario(s); shrunk:\n%s\n",
      out.scenarios_before, out.message.c_str());
}

TEST(RaceTeeth, SeedTimingAloneFindsDoubleAcquire) {
  const char* slow = getenv("PIDLOCK_RACE_SLOW_TEETH");
  if (slow == nullptr || std::string(slow) != "1") {
    printf(
        "RACE SKIPPED: the hook-free search for the C++ copy's race "
        "needs ~100 scenarios (~20-60 s); run it with "
        "--test_env=PIDLOCK_RACE_SLOW_TEETH=1\n");
    GTEST_SKIP() << "set PIDLOCK_RACE_SLOW_TEETH=1";
  }
  TeethSearch search;
  search.name = "seed, timing alone";
  search.subject = Subject::kSeed;
  search.profile = Profile::kTeeth;
  search.max_racers = 8;
  search.max_scenarios = 400;
  search.retries = 20;
  search.shrink_budget_ms = 15000;
  TeethOutcome out = SearchForViolation(search);
  ASSERT_TRUE(out.found)
      << "the suite did not find the original's double-acquire in "
      << search.max_scenarios << " hook-free scenarios:\n"
      << out.message;
  printf(
      "RACE TEETH seed (timing alone): found the original's "
      "double-acquire after %d passing scenario(s); shrunk:\n%s\n",
      out.scenarios_before, out.message.c_str());
}

TEST(RaceTeeth, SeedTimingAloneLossRate) {
  const int trials = 60;
  int lost = CountLosses(
      StaleLockRace(Subject::kSeed, InitialLock::kStaleDeadPid, 4, 10), trials);
  printf(
      "RACE RATE seed: 4 racers released together on a stale lock, no "
      "hooks: the original double-acquired in %d of %d trials\n",
      lost, trials);
}

TEST(RaceTeeth, LibrarySurvivesTheSameSearch) {
  TeethSearch search;
  search.name = "this library, the teeth's search";
  search.subject = Subject::kLibrary;
  search.profile = Profile::kTeethWithPauses;
  search.max_racers = 6;
  search.max_scenarios = 30;
  TeethOutcome out = SearchForViolation(search);
  EXPECT_FALSE(out.found) << out.message;
}

}  // namespace
}  // namespace pidlock_race
