// Copyright 2026 The pidlock Authors. MIT License.
//
// Fixed scenarios the generator reaches only by chance, each checked with
// the same invariants (harness.h), against this library and its CLI:
//
//  - real PID reuse: as root, /proc/sys/kernel/ns_last_pid is written before
//    fork so that a new process gets a dead holder's PID (a racer: "its own
//    future PID"; a sleeper: "a reused PID with another start time"). Skips
//    with a message where ns_last_pid is not writable.
//  - PID namespaces: a racer in another PID namespace (clone(CLONE_NEWPID),
//    with and without its own /proc) facing a live holder is never let in;
//    racers facing a live holder in another namespace see it held; a lock
//    whose holder's namespace is gone is taken over.
//  - a lock left by a real node process running npm pidlock@0.1.0 that was
//    killed while holding.
//  - litter: 30 holders die in turn on one key; nothing accumulates.
//  - regressions of library bugs this suite found (README.md).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "src/pidlock.h"
#include "tests/race/harness.h"
#include "tests/race/witness.h"

extern const char kRaceDefaultRcParams[] = "max_success=1";

namespace pidlock_race {
namespace {

Scenario Simple(Subject subject, InitialLock initial, int n,
                NsRacer ns = NsRacer::kNone, bool legacy = false) {
  Scenario s;
  s.subject = subject;
  s.initial = initial;
  s.ns = ns;
  s.legacy_form = legacy;
  for (int i = 0; i < n; ++i) {
    RacerPlan r;
    r.hold_ms = 5;
    r.skew_us = 37 * i;
    s.racers.push_back(r);
  }
  return s;
}

// Runs the scenario `times` times; every run must satisfy every invariant.
ScenarioResult RunClean(const Scenario& s, int times = 2) {
  ScenarioResult last;
  for (int i = 0; i < times; ++i) {
    last = RunScenario(s);
    GlobalTotals().Add(last, s.initial);
    EXPECT_TRUE(last.violations.empty())
        << ScenarioToString(s) << "\n"
        << [&] {
             std::string text;
             for (const std::string& v : last.violations)
               text += "  - " + v + "\n";
             return text + last.report;
           }();
    if (!last.violations.empty()) break;
  }
  return last;
}

#define REQUIRE_PID_CHOICE()                                         \
  do {                                                               \
    std::string why;                                                 \
    if (!CanChoosePids(&why)) {                                      \
      printf("RACE SKIPPED: real PID reuse not possible here: %s\n", \
             why.c_str());                                           \
      GTEST_SKIP() << why;                                           \
    }                                                                \
  } while (0)

#define REQUIRE_PID_NAMESPACES()                                         \
  do {                                                                   \
    std::string why;                                                     \
    if (!CanUnsharePidNamespace(&why)) {                                 \
      printf("RACE SKIPPED: no PID namespaces here: %s\n", why.c_str()); \
      GTEST_SKIP() << why;                                               \
    }                                                                    \
  } while (0)

TEST(RacePidReuse, DeadHoldersPidGoesToASleeper) {
  REQUIRE_PID_CHOICE();
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    for (bool legacy : {false, true}) {
      // On a busy machine another process may fork between the write to
      // ns_last_pid and ours, and take the PID: a few tries.
      int real = 0;
      for (int attempt = 0; attempt < 5 && real == 0; ++attempt) {
        real += RunClean(Simple(subject, InitialLock::kReusedPid, 4,
                                NsRacer::kNone, legacy),
                         1)
                    .pid_reuse_real;
      }
      EXPECT_GE(real, 1) << "the sleeper never got the dead holder's PID";
    }
  }
}

TEST(RacePidReuse, DeadHoldersPidGoesToARacer) {
  REQUIRE_PID_CHOICE();
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    for (bool legacy : {false, true}) {
      int real = 0;
      for (int attempt = 0; attempt < 5 && real == 0; ++attempt) {
        real += RunClean(Simple(subject, InitialLock::kOwnFuturePid, 4,
                                NsRacer::kNone, legacy),
                         1)
                    .pid_reuse_real;
      }
      EXPECT_GE(real, 1) << "racer 0 never got the PID named by the lock";
    }
  }
}

TEST(RacePidNamespace, RacerInAnotherNamespaceIsKeptOutOfALiveHolder) {
  REQUIRE_PID_NAMESPACES();
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    // Its own /proc: judges the record by its witness, sees it held.
    RunClean(Simple(subject, InitialLock::kLiveHolder, 3, NsRacer::kWithProc));
    // The parent's /proc: cannot trust it, refused (ProcOtherNamespace).
    RunClean(
        Simple(subject, InitialLock::kLiveHolder, 3, NsRacer::kWithoutProc));
    RunClean(
        Simple(subject, InitialLock::kStaleDeadPid, 3, NsRacer::kWithoutProc));
    RunClean(Simple(subject, InitialLock::kFree, 3, NsRacer::kWithoutProc));
  }
}

TEST(RacePidNamespace, LiveHolderInAnotherNamespaceIsSeenHeld) {
  REQUIRE_PID_NAMESPACES();
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    RunClean(Simple(subject, InitialLock::kLiveHolderOtherNamespace, 6));
    RunClean(Simple(subject, InitialLock::kLiveHolderOtherNamespace, 3,
                    NsRacer::kWithProc));
  }
}

TEST(RacePidNamespace, DeadNamespacesLockIsTakenOver) {
  REQUIRE_PID_NAMESPACES();
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    ScenarioResult r =
        RunClean(Simple(subject, InitialLock::kOtherNamespace, 6));
    EXPECT_GE(r.acquisitions, 1);
    RunClean(
        Simple(subject, InitialLock::kStaleDeadPid, 3, NsRacer::kWithProc));
    RunClean(Simple(subject, InitialLock::kFree, 4, NsRacer::kWithProc));
  }
}

// Regression, README.md bug 3: a racer in another PID namespace with its
// own /proc (a container) judged the original's lock (no owner record, so
// no namespace) by its own /proc, where the live holder's PID does not
// exist: NoSuchProcess, takeover, two holders. Now it is refused with
// LegacyHolderNotVisible.
TEST(RaceRegression, NamespaceRacerNeverTakesTheOriginalsLiveLock) {
  REQUIRE_PID_NAMESPACES();
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    Scenario s =
        Simple(subject, InitialLock::kLiveHolder, 2, NsRacer::kWithProc);
    s.legacy_form = true;
    RunClean(s, 3);
  }
}

// Regression, README.md bug 1 (fixed in f9d94ff, "Z1"): a holder whose main
// thread has exited (pthread_exit) while another thread goes on is alive,
// though /proc/<pid>/stat shows its thread-group leader as 'Z'; "state Z ->
// DEAD (Zombie)" let the next acquirer take the lock over from the live
// process.
TEST(RaceRegression, HolderWhoseMainThreadExitedKeepsTheLock) {
  for (Subject subject : {Subject::kLibrary}) {
    RunClean(Simple(subject, InitialLock::kLiveHolderLeaderExited, 3), 3);
  }
}

// Regression, README.md bug 2 (fixed in 51aebc7): Release() dropped the key
// directory's flock by close(2) alone. A fork child (a worker that never execs)
// still has the descriptor, so the flock stays held after the release, and the
// next holder's Release() (and every takeover) blocks in LOCKING_FOR_RELEASE
// until the worker exits.
TEST(RaceRegression, ForkedWorkerDoesNotKeepTheFlockAfterRelease) {
  const std::string dir = GetTools().base_dir + "/forked-worker";
  (void)!system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str());
  int worker_pipe[2];
  ASSERT_EQ(pipe(worker_pipe), 0);
  fflush(nullptr);
  pid_t holder = fork();
  if (holder == 0) {
    pidlock::AcquireResult r = pidlock::TryAcquire(dir, "k");
    if (r.outcome != pidlock::Outcome::kAcquired) _exit(2);
    pid_t worker = fork();
    if (worker == 0) {
      sleep(30);  // a worker: keeps the inherited descriptors, nothing else
      _exit(0);
    }
    (void)!write(worker_pipe[1], &worker, sizeof(worker));
    if (r.lock.Release()) _exit(3);
    _exit(0);  // the worker lives on
  }
  close(worker_pipe[1]);
  pid_t worker = 0;
  (void)!read(worker_pipe[0], &worker, sizeof(worker));
  close(worker_pipe[0]);
  int status = 0;
  waitpid(holder, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  pid_t next = fork();
  if (next == 0) {
    pidlock::AcquireResult r = pidlock::TryAcquire(dir, "k");
    if (r.outcome != pidlock::Outcome::kAcquired) _exit(4);
    alarm(3);  // SIGALRM if Release() is still blocked after 3 s
    if (r.lock.Release()) _exit(5);
    _exit(0);
  }
  waitpid(next, &status, 0);
  if (worker > 0) kill(worker, SIGKILL);  // not our child: init reaps it
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the next holder's Release() "
      << (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
              ? "was still blocked in LOCKING_FOR_RELEASE after 3 s"
              : "failed");
}

TEST(RaceNodeHolder, LockLeftByAKilledNodeHolderIsTakenOver) {
  const std::string why = EnsureNodePackage();
  if (why == kNodeAbsent) {
    printf("RACE SKIPPED: %s: no real node holder\n", why.c_str());
    GTEST_SKIP() << why;
  }
  ASSERT_EQ(why, "");
  for (Subject subject : {Subject::kLibrary, Subject::kCli}) {
    // (Who removed the stale lock need not be who got it: a racer that
    // removed it can lose the fresh create to another at S3.)
    ScenarioResult r =
        RunClean(Simple(subject, InitialLock::kDeadNodeHolder, 4));
    EXPECT_GE(r.acquisitions, 1);
  }
}

// 30 holders on one key, each killed while holding (SIGKILL, no release):
// each next one takes over, and the key directory never holds more than the
// lock.
TEST(RaceLitter, DeadHoldersLeaveNothingBehind) {
  const Tools& tools = GetTools();
  const std::string dir = tools.base_dir + "/litter";
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  const std::string region = dir + "/witness.region";
  Region* r = CreateRegion(region);
  ASSERT_NE(r, nullptr);
  for (int i = 0; i < 30; ++i) {
    ProcessResult p = RunProcess(
        {tools.subject_pidlock, "--dir", dir, "--key", "k"},
        {"RACE_WITNESS=" + region, "RACE_WITNESS_DIR=" + dir + "/w.d",
         "RACE_INDEX=" + std::to_string(i % kMaxSlots), "RACE_CRASH=1"},
        10000);
    ASSERT_TRUE(WIFSIGNALED(p.status)) << p.output;
    ProcessResult ls = RunProcess({"/bin/ls", "-A", dir + "/k"}, {}, 5000);
    EXPECT_EQ(ls.output, "lock\n") << "after holder " << i;
  }
  ProcessResult last =
      RunProcess({tools.subject_pidlock, "--dir", dir, "--key", "k"},
                 {"RACE_WITNESS=" + region, "RACE_WITNESS_DIR=" + dir + "/w.d",
                  "RACE_INDEX=0"},
                 10000);
  EXPECT_TRUE(WIFEXITED(last.status) && WEXITSTATUS(last.status) == 0)
      << last.output;
  ProcessResult ls = RunProcess({"/bin/ls", "-A", dir + "/k"}, {}, 5000);
  EXPECT_EQ(ls.output, "");
  EXPECT_LE(r->max_holders.load(), 1);
  UnmapRegion(r);
}

}  // namespace
}  // namespace pidlock_race
