// Copyright 2026 The pidlock Authors. MIT License.
//
// Teeth: a property that is expected to FAIL. The race suite is run against
// the original algorithm (tests/seed in C++, and the real npm package under
// node), and the test passes only if RapidCheck finds a violation (the
// original's double-acquire) and shrinks it. The shrunk scenario is printed
// with the command that replays it.
//
// A race does not fail every time, so while shrinking each candidate runs up
// to `retries` times, and shrinking stops after `shrink_budget_ms` (the
// smallest failing scenario found so far is reported).

#ifndef PIDLOCK_TESTS_RACE_TEETH_H_
#define PIDLOCK_TESTS_RACE_TEETH_H_

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "tests/race/harness.h"
#include "tests/race/scenario_gen.h"
#include "tests/race/witness.h"

namespace pidlock_race {

struct TeethSearch {
  std::string name;
  Subject subject = Subject::kSeed;
  Profile profile = Profile::kTeeth;
  int max_racers = 16;
  int min_racers = 2;
  int max_scenarios = 60;  // give up (test fails) after this many passes
  int retries = 3;
  int failures_needed = 1;  // while shrinking, of `retries` runs
  int64_t shrink_budget_ms = 20000;
};

struct TeethOutcome {
  bool found = false;
  int scenarios_before = 0;  // scenarios that passed before the first failure
  std::string message;       // RapidCheck's report with the shrunk scenario
};

// Runs the property; when it fails, the failure is the finding.
inline TeethOutcome SearchForViolation(const TeethSearch& search) {
  struct State {
    bool shrinking = false;
    int64_t shrink_deadline = 0;
  };
  auto state = std::make_shared<State>();
  const TeethSearch t = search;
  auto property = [t, state] {
    const Scenario s =
        *GenScenario(t.subject, t.profile, t.max_racers, t.min_racers);
    if (state->shrinking && MonotonicNs() > state->shrink_deadline) {
      return;  // shrink budget spent: keep the smallest failure found so far
    }
    // Searching, one failure is a finding. Shrinking, a candidate counts as
    // failing if it fails `failures_needed` of up to `retries` runs, so the
    // scenario reported is one that fails that reliably.
    const int attempts = state->shrinking ? t.retries : 1;
    const int needed = state->shrinking ? t.failures_needed : 1;
    int failures = 0;
    std::string last;
    for (int a = 0; a < attempts && failures < needed; ++a) {
      if (needed - failures > attempts - a) break;  // cannot get there
      ScenarioResult r = RunScenario(s);
      GlobalTotals().Add(r, s.initial);
      if (r.violations.empty()) continue;
      ++failures;
      std::ostringstream os;
      for (const std::string& v : r.violations) os << "  - " << v << "\n";
      os << "  racers:\n" << r.report;
      last = os.str();
    }
    if (failures < needed) return;
    if (!state->shrinking) {
      state->shrinking = true;
      state->shrink_deadline = MonotonicNs() + t.shrink_budget_ms * 1000000;
    }
    RC_FAIL(last);
  };
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = t.max_scenarios;
  rc::detail::TestMetadata metadata;
  metadata.id = t.name;
  metadata.description = t.name;
  const rc::detail::TestResult result =
      rc::detail::checkTestable(property, metadata, params);
  TeethOutcome out;
  rc::detail::FailureResult failure;
  if (result.match(failure)) {
    out.found = true;
    out.scenarios_before = failure.numSuccess;
    std::ostringstream os;
    rc::detail::printResultMessage(result, os);
    out.message = os.str();
  } else {
    std::ostringstream os;
    rc::detail::printResultMessage(result, os);
    out.message = os.str();
  }
  return out;
}

// Runs one fixed scenario `trials` times; returns how many violated.
inline int CountLosses(const Scenario& scenario, int trials) {
  int lost = 0;
  for (int i = 0; i < trials; ++i) {
    ScenarioResult r = RunScenario(scenario);
    GlobalTotals().Add(r, scenario.initial);
    if (!r.violations.empty()) ++lost;
  }
  return lost;
}

// n racers released together on a stale lock, each holding hold_ms.
inline Scenario StaleLockRace(Subject subject, InitialLock initial, int n,
                              int hold_ms) {
  Scenario s;
  s.subject = subject;
  s.initial = initial;
  for (int i = 0; i < n; ++i) {
    RacerPlan r;
    r.hold_ms = hold_ms;
    s.racers.push_back(r);
  }
  return s;
}

}  // namespace pidlock_race

#endif  // PIDLOCK_TESTS_RACE_TEETH_H_
