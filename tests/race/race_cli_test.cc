// Copyright 2026 The pidlock Authors. MIT License.
//
// The race properties against the pidlock command: each racer is
// `pidlock_testing run --dir D --key k [--timeout S] -- race_witness`, so the
// holder proving exclusivity is the command's child, nested inside the
// command's tenure. Outcomes come from the exit status (75 held, 76 refused,
// 71 system error) and the refusal's message. Zero violations expected.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "tests/race/harness.h"
#include "tests/race/scenario_gen.h"

extern const char kRaceDefaultRcParams[] = "max_success=50";

namespace pidlock_race {
namespace {

RC_GTEST_PROP(RaceCli, CommandRacersKeepTheLockExclusive, ()) {
  const Scenario scenario = *GenScenario(Subject::kCli, Profile::kFull);
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

}  // namespace
}  // namespace pidlock_race
