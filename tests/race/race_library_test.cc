// Copyright 2026 The pidlock Authors. MIT License.
//
// The race properties against this library: generated scenarios
// (scenario_gen.h, Profile::kFull) of 2..16 real processes, through the C++
// API (subject_pidlock) and through the CLI (pidlock run ... --
// race_witness). Every invariant of harness.h must hold in every scenario:
// zero violations.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "tests/race/harness.h"
#include "tests/race/scenario_gen.h"

// The CI budget of this binary (race_main.cc); RC_PARAMS overrides it.
extern const char kRaceDefaultRcParams[] = "max_success=80";

namespace pidlock_race {
namespace {

void CheckScenario(const Scenario& scenario) {
  ScenarioResult result = RunScenario(scenario);
  GlobalTotals().Add(result, scenario.initial);
  RC_TAG(InitialLockName(scenario.initial));
  if (result.violations.empty()) return;
  std::ostringstream os;
  os << result.violations.size() << " violation(s):\n";
  for (const std::string& v : result.violations) os << "  - " << v << "\n";
  os << "  racers:\n" << result.report;
  RC_FAIL(os.str());
}

RC_GTEST_PROP(RaceLibrary, ApiRacersKeepTheLockExclusive, ()) {
  CheckScenario(*GenScenario(Subject::kLibrary, Profile::kFull));
}

}  // namespace
}  // namespace pidlock_race
