// Copyright 2026 The pidlock Authors. MIT License.
//
// The attacker states (harness.h: kAttackerOwnedDir, kAttackerOpenDir,
// kAttackerParent): the racers run as root while another user (uid 65534)
// controls a directory on the path to the lock, and a process of that user
// renames the key directory (or the lock directory) aside and back for the
// whole race, as in `mv DIR/KEY DIR/KEY.aside` while a holder holds.
//
//  - Teeth: against the C++ copy of the original (tests/seed, no path
//    checks), the attack lets a second racer in while the first still
//    holds: the witness sees two holders. Each state must show that within
//    its budget; the same plan without the attacker (a free lock) shows no
//    double holder, so the attack is the cause.
//  - This library and its CLI, the same plans and a few more (waits, a
//    racer that would die holding, pauses at the first protocol state, a
//    racer in another PID namespace): every racer is refused with
//    PathComponentWrongOwner or PathComponentUnsafeMode naming the
//    component, nobody acquires, and the attacker renamed while they ran.
//
// The property tests (race_library_test, race_cli_test) draw these states
// too, at random; this test runs each of them every time.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/race/harness.h"

extern const char kRaceDefaultRcParams[] = "max_success=1";

namespace pidlock_race {
namespace {

constexpr InitialLock kAttacked[] = {
    InitialLock::kAttackerOwnedDir,
    InitialLock::kAttackerOpenDir,
    InitialLock::kAttackerParent,
};

// The teeth's plan: racer 0 takes the lock and holds 40 ms; three more come
// while it holds, 2, 6 and 12 ms later, and try once. Without the attacker
// they see it held; with it, one that comes while the key directory is
// aside makes a fresh one and acquires.
Scenario LateComers(Subject subject, InitialLock initial) {
  Scenario s;
  s.subject = subject;
  s.initial = initial;
  const int skews_us[] = {0, 2000, 6000, 12000};
  for (int skew : skews_us) {
    RacerPlan r;
    r.skew_us = skew;
    r.hold_ms = skew == 0 ? 40 : 5;
    s.racers.push_back(r);
  }
  return s;
}

std::string Violations(const ScenarioResult& r) {
  std::string text;
  for (const std::string& v : r.violations) text += "  - " + v + "\n";
  return text + r.report;
}

bool TwoHolders(const ScenarioResult& r) {
  for (const std::string& v : r.violations) {
    if (v.rfind("witness: ", 0) == 0) return true;
  }
  return false;
}

#define REQUIRE_ROOT()                                                 \
  do {                                                                 \
    if (geteuid() != 0) {                                              \
      printf(                                                          \
          "RACE SKIPPED: the attacker states need root (chown to uid " \
          "65534)\n");                                                 \
      GTEST_SKIP() << "not root";                                      \
    }                                                                  \
  } while (0)

TEST(RaceAttackerTeeth, SeedLetsARenamingAttackerMakeTwoHolders) {
  REQUIRE_ROOT();
  const int budget = 10;
  for (InitialLock initial : kAttacked) {
    const Scenario s = LateComers(Subject::kSeed, initial);
    int trials = 0;
    bool found = false;
    ScenarioResult last;
    while (!found && trials < budget) {
      ++trials;
      last = RunScenario(s);
      GlobalTotals().Add(last, s.initial);
      ASSERT_FALSE(last.skipped) << last.report;
      // A run in which the attacker did not rename while the racers ran
      // tests nothing: it does not count.
      if (last.attacker_renames_in_race == 0) continue;
      found = TwoHolders(last);
    }
    EXPECT_TRUE(found) << "the original algorithm never had two holders in "
                       << budget << " trials of " << ScenarioToString(s)
                       << "; last:\n"
                       << Violations(last);
    if (found) {
      printf(
          "RACE TEETH seed %s: two holders in trial %d of %d (the attacker "
          "renamed %lld times while the racers ran):\n%s",
          InitialLockName(initial), trials, budget,
          static_cast<long long>(last.attacker_renames_in_race),
          Violations(last).c_str());
    }
  }
}

TEST(RaceAttackerTeeth, SeedHasNoTwoHoldersWithoutTheAttacker) {
  // The control: the same plan on a free lock, no attacker.
  const Scenario s = LateComers(Subject::kSeed, InitialLock::kFree);
  for (int i = 0; i < 5; ++i) {
    ScenarioResult r = RunScenario(s);
    GlobalTotals().Add(r, s.initial);
    EXPECT_FALSE(TwoHolders(r)) << ScenarioToString(s) << "\n" << Violations(r);
  }
}

// Every run must satisfy every invariant (harness.h; for the attacker
// states: refused with the documented Errc naming the component, nobody
// acquires, the key directory left as it was, the attacker renamed while
// the racers ran).
void RunClean(const Scenario& s, int times) {
  for (int i = 0; i < times; ++i) {
    ScenarioResult r = RunScenario(s);
    GlobalTotals().Add(r, s.initial);
    ASSERT_FALSE(r.skipped) << r.report;
    EXPECT_TRUE(r.violations.empty()) << ScenarioToString(s) << "\n"
                                      << Violations(r);
    EXPECT_GT(r.attacker_renames_in_race, 0) << ScenarioToString(s);
    if (!r.violations.empty()) return;
  }
}

TEST(RaceAttacker, LibraryAndCliRefuseEveryAttackerState) {
  REQUIRE_ROOT();
  std::string why;
  const bool namespaces = CanUnsharePidNamespace(&why);
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    for (InitialLock initial : kAttacked) {
      // The teeth's plan, which the original loses.
      RunClean(LateComers(subject, initial), 2);
      // Many at once, waits, a racer that would die holding, pauses and a
      // kill at the first protocol state.
      Scenario many;
      many.subject = subject;
      many.initial = initial;
      for (int i = 0; i < 8; ++i) {
        RacerPlan r;
        r.skew_us = 150 * (i % 3);
        r.hold_ms = 5;
        r.wait_ms = i % 2 == 0 ? 200 : -1;
        r.crash = i == 3;
        many.racers.push_back(r);
      }
      many.faults.push_back(
          {1, "OPENING_KEY_DIRECTORY", Fault::Action::kPause, 15});
      many.faults.push_back(
          {2, "OPENING_KEY_DIRECTORY", Fault::Action::kKill, 0});
      RunClean(many, 1);
      // A racer in another PID namespace walks the same path.
      if (namespaces) {
        for (NsRacer ns : {NsRacer::kWithProc, NsRacer::kWithoutProc}) {
          Scenario s = LateComers(subject, initial);
          s.ns = ns;
          RunClean(s, 1);
        }
      }
    }
  }
  if (!namespaces) {
    printf("RACE SKIPPED: no PID namespace racers here: %s\n", why.c_str());
  }
}

}  // namespace
}  // namespace pidlock_race
