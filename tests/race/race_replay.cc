// Copyright 2026 The pidlock Authors. MIT License.
//
// Replays one scenario, as printed by a failing property ("replay: ..."),
// as many times as asked:
//
//   bazel run //tests/race:race_replay -- [--times N] 'SCENARIO'
//
// Prints the violations of each run and a tally; exits 1 if any run
// violated an invariant. A race is a matter of timing: a shrunk scenario
// fails in some runs, not in all, so ask for a few dozen.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/race/harness.h"

int main(int argc, char** argv) {
  int times = 1;
  std::string text;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--times" && i + 1 < argc) {
      times = atoi(argv[++i]);
    } else {
      text = a;
    }
  }
  pidlock_race::Scenario scenario;
  std::string error;
  if (text.empty() || !pidlock_race::ParseScenario(text, &scenario, &error)) {
    fprintf(stderr,
            "usage: race_replay [--times N] 'SUBJECT INITIAL ns=.. legacy=.. "
            "v=.. r=.. f=..'\n%s\n",
            error.c_str());
    return 2;
  }
  if (scenario.subject == pidlock_race::Subject::kNode ||
      scenario.initial == pidlock_race::InitialLock::kDeadNodeHolder) {
    std::string why = pidlock_race::EnsureNodePackage();
    if (!why.empty() && scenario.subject == pidlock_race::Subject::kNode) {
      fprintf(stderr, "race_replay: %s\n", why.c_str());
      return 2;
    }
  }
  int failed = 0;
  for (int i = 0; i < times; ++i) {
    pidlock_race::ScenarioResult r = pidlock_race::RunScenario(scenario);
    if (r.violations.empty()) continue;
    ++failed;
    printf("run %d: %zu violation(s)\n", i + 1, r.violations.size());
    for (const std::string& v : r.violations) printf("  - %s\n", v.c_str());
    printf("%s", r.report.c_str());
  }
  printf("%d of %d runs violated an invariant\n", failed, times);
  return failed > 0 ? 1 : 0;
}
