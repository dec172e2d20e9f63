// Copyright 2026 The pidlock Authors. MIT License.
//
// The race harness: runs one scenario of real processes racing for one lock
// and checks the lock's promises with a witness that does not trust the lock
// (witness.h). It knows nothing of how a subject takes the lock: a subject is
// a program that follows witness.h's contract.
//
// Subjects:
//   kLibrary  tests/race/subject_pidlock (links //:pidlock_testing)
//   kCli      src/cli/pidlock_testing run ... -- tests/race/race_witness
//   kSeed     tests/race/subject_seed (the original's algorithm in C++)
//   kNode     node tests/race/subject_node.js with npm pidlock@0.1.0
//
// One scenario: a fresh lock directory is put in an initial state (free,
// stale, held by a live process, corrupt, ...); N racers are forked and
// exec'ed, each blocks at a barrier (a pipe the harness closes), then all
// start at once, each after its own skew. A fault plan stops racer i at a
// protocol state (PIDLOCK_TEST_STOP_AT, src/hook.h), where the harness
// SIGKILLs it or resumes it after a pause. Then the invariants are checked:
//
//   safety     at most one holder at any instant (spec I1: witness counter,
//              mkdir, non-overlapping intervals); no live holder displaced
//              (I2, I3: its Release() finds its own lock; an initial live
//              holder keeps its lock); no racer dies of anything but the
//              plan.
//   progress   (I4) a free or stale lock that racers try is taken by one of
//   them
//              (unless the plan killed someone who may have taken it);
//              racers that wait long enough all get it in turn.
//   doubt      a corrupt or unverifiable lock: nobody acquires, every racer
//              gets the documented error, the lock is left as it was. Under
//              attack (kAttacker*) also: the error names the component and
//              its owner and mode, and the attacker really renamed while
//              the racers ran.
//   aftermath  once all racers are gone (and the test cleaned a corrupt
//              state), the next acquire succeeds, and nothing but what was
//              there before is left in the key directory.
//
// Safety is checked for every subject; progress, doubt and aftermath are
// this library's promises, checked for kLibrary and kCli only (the original
// makes none of them).

#ifndef PIDLOCK_TESTS_RACE_HARNESS_H_
#define PIDLOCK_TESTS_RACE_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace pidlock_race {

enum class Subject { kLibrary, kCli, kSeed, kNode };

// The lock directory before the racers start.
enum class InitialLock {
  kFree,            // no key directory at all
  kStaleDeadPid,    // left by a real holder of the same subject that died
  kOwnFuturePid,    // names the PID racer 0 will get (ns_last_pid)
  kReusedPid,       // its holder died and a sleeper got its PID since
  kDeadNodeHolder,  // the original's lock: <dir>/<key>/<pid> (dir kept)
  kDangling,        // the original's lock whose target path is gone
  kPreviousBoot,    // a record from another boot of this host
  kOtherNamespace,  // a record from another PID namespace whose holder is
                    // gone (its witness is released): a restarted container
  kLiveHolder,      // held by a live process of the same subject
  kLiveHolderOtherNamespace,  // held by a live holder in its own PID
                              // namespace (with its own /proc)
  kLiveHolderLeaderExited,    // held by a live process whose main thread
                              // has exited (pthread_exit); another thread
                              // holds. This library only (known bug 1).
  // Doubt: corrupt or unverifiable; nobody may take it.
  kRegularFile,    // <key>/lock is a regular file
  kDirectory,      // <key>/lock is a directory
  kGarbageTarget,  // the symlink's target names no PID
  kWrongOwner,     // <key> is owned by another user
  kUnsafeMode,     // <key> is writable by group or others
  kKeySymlink,     // <key> is a symlink to a directory
  kOtherHost,      // a record from another host
  // Doubt, under attack: the racers run as root; another user (uid 65534,
  // the attacker) controls a directory on the path to the lock, and a
  // process of that user renames what is in it (the key directory aside
  // and back) for the whole race. Opening the lock walks the path and
  // refuses it (kPathComponent*): nobody acquires.
  kAttackerOwnedDir,  // DIR is the attacker's (mode 0755); it renames
                      // DIR/<key>. Needs root.
  kAttackerOpenDir,   // DIR is root's, mode 0777 without the sticky bit;
                      // the attacker renames DIR/<key>.
  kAttackerParent,    // DIR (root's, 0700) is in a directory of the
                      // attacker's (0755); it renames DIR itself. Needs root.
};
inline constexpr int kInitialLockCount = 21;

// A racer in another PID namespace (clone(CLONE_NEWPID)).
enum class NsRacer {
  kNone,
  kWithProc,     // also a new mount namespace with its own /proc mounted
  kWithoutProc,  // sees the parent's /proc: readlink /proc/self != getpid()
};

const char* SubjectName(Subject subject);
const char* InitialLockName(InitialLock initial);
const char* NsRacerName(NsRacer ns);
bool IsDoubt(InitialLock initial);
// One of the attacker states (a renaming process runs during the race).
bool IsAttacked(InitialLock initial);
// Held by a live process for the whole race.
bool IsLive(InitialLock initial);
// The lock is free or stale at the start: one racer must take it.
bool IsAcquirable(InitialLock initial);

struct RacerPlan {
  int skew_us = 0;     // start this long after the barrier opens
  int hold_ms = 0;     // hold this long once acquired
  int wait_ms = -1;    // -1: TryAcquire; else Acquire with this timeout
  bool crash = false;  // die by SIGKILL while holding, without releasing
};

struct Fault {
  enum class Action { kKill, kPause };
  int racer = 0;
  std::string state;  // a protocol state name (the subject's own names)
  Action action = Action::kKill;
  int pause_ms = 0;  // kPause: SIGCONT after this long
};

struct Scenario {
  Subject subject = Subject::kLibrary;
  InitialLock initial = InitialLock::kFree;
  std::vector<RacerPlan> racers;
  std::vector<Fault> faults;
  NsRacer ns = NsRacer::kNone;  // if not kNone, the last racer is the one
  bool legacy_form = false;     // kOwnFuturePid/kReusedPid: the original's
                                // target instead of a record
  int variant = 0;              // which garbage target / unsafe mode
};

// One line that ParseScenario reads back (for race_replay), e.g.
//   lib stale_dead_pid ns=none legacy=0 v=0 r=0/5/-1/0,120/0/300/1
//   f=1@REMOVING_STALE_LOCK:kill,0@OK:pause20
std::string ScenarioToString(const Scenario& scenario);
bool ParseScenario(const std::string& text, Scenario* scenario,
                   std::string* error);
// Human-readable, several lines, ending with the replay line.
std::ostream& operator<<(std::ostream& os, const Scenario& scenario);

// The protocol states a fault can name, per subject.
const std::vector<std::string>& StatesOf(Subject subject);
// The states of the takeover path: from reading a lock that exists to
// creating one's own, the check-then-act window of a stale-lock takeover.
const std::vector<std::string>& TakeoverStatesOf(Subject subject);

// What one scenario did and what it violated.
struct ScenarioResult {
  std::vector<std::string> violations;
  std::string report;    // per-racer outcomes, for failure messages
  bool skipped = false;  // could not be set up here (reason in report)
  int racers = 0;
  int kills = 0;    // SIGKILLs at a stop state
  int pauses = 0;   // SIGCONTs after a pause at a stop state
  int crashes = 0;  // holders that died holding, by plan
  int acquisitions = 0;
  int takeovers = 0;  // acquisitions that removed a stale lock
  int held = 0;
  int refused = 0;
  int pid_reuse_real = 0;      // a PID really reused via ns_last_pid
  int pid_reuse_fallback = 0;  // ns_last_pid not writable: simulated
  int ns_racers = 0;
  // The attacker states: renames the attacker did in all, and while the
  // racers ran (from the barrier until the last racer was reaped).
  int64_t attacker_renames = 0;
  int64_t attacker_renames_in_race = 0;
  int64_t elapsed_ms = 0;  // wall time of the whole scenario
};

// Runs the scenario (all processes are reaped before it returns).
ScenarioResult RunScenario(const Scenario& scenario);

// Sums over the scenarios of one property, printed as one line:
// "RACE SUMMARY <name>: scenarios=... racers=... kills=... violations=...".
struct Totals {
  int64_t scenarios = 0, racers = 0, kills = 0, pauses = 0, crashes = 0,
          acquisitions = 0, takeovers = 0, held = 0, refused = 0,
          pid_reuse_real = 0, pid_reuse_fallback = 0, ns_racers = 0,
          attacker_renames = 0, attacker_idle = 0, violations = 0,
          failed_scenarios = 0, skipped = 0, elapsed_ms = 0, slowest_ms = 0;
  // initial[]: scenarios per initial state. An attacker state counts only
  // if the attacker renamed while the racers ran (attacker_renames sums
  // those renames); attacker_idle counts the others.
  int64_t initial[kInitialLockCount] = {};
  void Add(const ScenarioResult& result, InitialLock initial);
  std::string Line(const std::string& name) const;
};
Totals& GlobalTotals();

// Tools the harness runs, found in the test's runfiles.
struct Tools {
  std::string subject_pidlock, subject_seed, cli, witness, node_script;
  std::string node;         // empty when node is not installed
  std::string node_prefix;  // where pidlock@0.1.0 was npm-installed
  std::string base_dir;     // scenario directories go here
};
const Tools& GetTools();

// Installs npm pidlock@0.1.0 (once per process) into a temporary prefix
// with the npm client. Returns "" on success, else why it cannot run.
// "node not installed" is the only reason a test may skip on.
std::string EnsureNodePackage();
inline constexpr char kNodeAbsent[] = "node is not installed";

// Whether this process may write /proc/sys/kernel/ns_last_pid (root in the
// initial user namespace); the reason when not.
bool CanChoosePids(std::string* why);
// Whether clone(CLONE_NEWPID) works here; the reason when not.
bool CanUnsharePidNamespace(std::string* why);

// The protocol's owner record for a process of this host, boot and PID
// namespace (/tmp/notes/protocol.md), formatted independently of the
// library: v1:<boot8>:<pidns>:<start>:<host>/<pid>.
std::string FormatRecord(pid_t pid, uint64_t start_time);
// /proc/<pid>/stat field 22, or 0.
uint64_t StartTimeOf(pid_t pid);

// The outcome of one process run to completion by RunProcess.
struct ProcessResult {
  int status = 0;      // waitpid status
  std::string output;  // stdout and stderr
};
// Runs argv with extra environment, waits at most timeout_ms (then
// SIGKILL). For the dedicated tests.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env,
                         int timeout_ms);

}  // namespace pidlock_race

#endif  // PIDLOCK_TESTS_RACE_HARNESS_H_
