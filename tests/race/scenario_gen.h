// Copyright 2026 The pidlock Authors. MIT License.
//
// RapidCheck generators of race scenarios (harness.h). Every choice is a
// separate pick inside gen::exec, so RapidCheck shrinks each one on its own:
// fewer racers, no skew, shorter holds, no waits, fewer faults, an earlier
// initial state in the lists below.

#ifndef PIDLOCK_TESTS_RACE_SCENARIO_GEN_H_
#define PIDLOCK_TESTS_RACE_SCENARIO_GEN_H_

#include <rapidcheck.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/race/harness.h"

namespace pidlock_race {

enum class Profile {
  // Everything: every initial state, waits, crashes, faults at any protocol
  // state, a racer in another PID namespace. For this library (lib, cli).
  kFull,
  // What exposes the original's race, and nothing else: a stale lock, racers
  // released together with small skews, no faults. The same profile runs
  // against this library as a control.
  kTeeth,
  // kTeeth plus pauses of the first racers at the states of the takeover
  // path (TakeoverStatesOf), where a check-then-act race lives.
  kTeethWithPauses,
};

inline rc::Gen<RacerPlan> GenRacerPlan(Subject subject, Profile profile,
                                       InitialLock initial, bool ns_racer) {
  return rc::gen::exec([=] {
    RacerPlan r;
    r.skew_us = *rc::gen::weightedOneOf<int>({
        {4, rc::gen::just(0)},
        {3, rc::gen::inRange(0, 300)},
        {profile == Profile::kFull ? 1 : 0, rc::gen::inRange(300, 20000)},
    });
    r.hold_ms = *rc::gen::weightedOneOf<int>({
        {profile == Profile::kFull ? 2 : 0, rc::gen::just(0)},
        {5, rc::gen::inRange(2, 20)},
        {1, rc::gen::inRange(20, 60)},
    });
    const bool can_wait =
        profile == Profile::kFull &&
        (subject == Subject::kLibrary || subject == Subject::kCli);
    if (can_wait) {
      // Long waits only where the lock is free or stale: a live holder or a
      // refusal would make them wait (or return) for nothing.
      const bool long_ok = IsAcquirable(initial);
      r.wait_ms = *rc::gen::weightedOneOf<int>({
          {6, rc::gen::just(-1)},
          {2, rc::gen::inRange(0, 300)},
          {long_ok ? 1 : 0, rc::gen::just(10000)},
      });
    }
    if (profile == Profile::kFull && !ns_racer) {
      r.crash = *rc::gen::weightedElement<bool>({{7, false}, {1, true}});
    }
    return r;
  });
}

// Scenarios of min_racers..max_racers racers (node processes cost ~50 MB
// and ~0.1 s of CPU each, so the node teeth use fewer).
inline rc::Gen<Scenario> GenScenario(Subject subject, Profile profile,
                                     int max_racers = 16, int min_racers = 2) {
  return rc::gen::exec([=] {
    Scenario s;
    s.subject = subject;
    const int n = *rc::gen::inRange(min_racers, max_racers + 1);
    if (profile == Profile::kFull) {
      s.initial = *rc::gen::weightedElement<InitialLock>({
          {3, InitialLock::kFree},
          {3, InitialLock::kStaleDeadPid},
          {2, InitialLock::kOwnFuturePid},
          {2, InitialLock::kReusedPid},
          {1, InitialLock::kDeadNodeHolder},
          {1, InitialLock::kDangling},
          {1, InitialLock::kPreviousBoot},
          {1, InitialLock::kOtherNamespace},
          {2, InitialLock::kLiveHolder},
          {1, InitialLock::kLiveHolderOtherNamespace},
          // A holder whose main thread exited (the API subject only).
          {subject == Subject::kLibrary ? 1 : 0,
           InitialLock::kLiveHolderLeaderExited},
          {1, InitialLock::kRegularFile},
          {1, InitialLock::kDirectory},
          {1, InitialLock::kGarbageTarget},
          {1, InitialLock::kWrongOwner},
          {1, InitialLock::kUnsafeMode},
          {1, InitialLock::kKeySymlink},
          {1, InitialLock::kOtherHost},
          // Doubt under attack: a renaming attacker on the path.
          {1, InitialLock::kAttackerOwnedDir},
          {1, InitialLock::kAttackerOpenDir},
          {1, InitialLock::kAttackerParent},
      });
      s.ns = *rc::gen::weightedElement<NsRacer>({
          {8, NsRacer::kNone},
          {1, NsRacer::kWithProc},
          {1, NsRacer::kWithoutProc},
      });
    } else {
      s.initial = *rc::gen::element(
          InitialLock::kStaleDeadPid, InitialLock::kDeadNodeHolder,
          InitialLock::kDangling, InitialLock::kReusedPid);
    }
    if (s.initial == InitialLock::kOwnFuturePid ||
        s.initial == InitialLock::kReusedPid ||
        s.initial == InitialLock::kLiveHolder) {
      s.legacy_form = *rc::gen::arbitrary<bool>();
    }
    s.variant = *rc::gen::inRange(0, 10);
    for (int i = 0; i < n; ++i) {
      const bool ns_racer = s.ns != NsRacer::kNone && i == n - 1;
      s.racers.push_back(*GenRacerPlan(subject, profile, s.initial, ns_racer));
    }
    const std::vector<std::string>& states =
        profile == Profile::kTeethWithPauses ? TakeoverStatesOf(subject)
                                             : StatesOf(subject);
    if (profile != Profile::kTeeth && !states.empty()) {
      // The teeth's fault plans always pause someone somewhere.
      const bool teeth = profile == Profile::kTeethWithPauses;
      const int faults = *rc::gen::weightedElement<int>(
          {{teeth ? 0 : 3, 0}, {3, 1}, {2, 2}, {1, 3}});
      const int faultable = s.ns != NsRacer::kNone ? n - 1 : n;
      for (int k = 0; k < faults && k < faultable; ++k) {
        Fault f;
        // Racers leave the barrier roughly in index order; the teeth pause
        // one of the first three, the ones that meet the stale lock.
        f.racer =
            *rc::gen::inRange(0, teeth ? std::min(faultable, 3) : faultable);
        f.state = *rc::gen::elementOf(states);
        f.action =
            profile == Profile::kTeethWithPauses
                ? Fault::Action::kPause
                : *rc::gen::weightedElement<Fault::Action>(
                      {{2, Fault::Action::kKill}, {1, Fault::Action::kPause}});
        if (f.action == Fault::Action::kPause) {
          f.pause_ms = *rc::gen::inRange(1, teeth ? 30 : 100);
        }
        bool taken = false;
        for (const Fault& g : s.faults) taken = taken || g.racer == f.racer;
        if (!taken) s.faults.push_back(f);
      }
    }
    return s;
  });
}

}  // namespace pidlock_race

#endif  // PIDLOCK_TESTS_RACE_SCENARIO_GEN_H_
