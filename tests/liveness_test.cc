// Copyright 2026 The pidlock Authors. MIT License.
//
// The liveness decision, row by row of spec/state_machine.md "Liveness
// decisions": fake probes only, since each row is one combination of what
// /proc and kill(2) say.

#include "src/liveness.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace pidlock {
namespace internal {
namespace {

constexpr int64_t kSecond = 1000000000;

Self MakeSelf() {
  Self self;
  self.pid = 100;
  self.start_time = 5000;
  self.pid_ns = 4026531836;
  self.boot8 = "0123abcd";
  self.host = "here";
  self.cmdline = std::string("app\0--flag\0", 11);
  self.boot_wall_ns = 1000 * kSecond;
  self.ticks_per_second = 100;
  return self;
}

LockTarget Record(pid_t pid, uint64_t start_time) {
  LockTarget t;
  t.kind = LockTarget::Kind::kRecord;
  t.pid = pid;
  t.start_time = start_time;
  t.pid_ns = 4026531836;
  t.boot8 = "0123abcd";
  t.host = "here";
  return t;
}

LockTarget Legacy(pid_t pid) {
  LockTarget t;
  t.kind = LockTarget::Kind::kLegacy;
  t.pid = pid;
  return t;
}

std::string StatText(pid_t pid, char state, uint64_t start_time, int threads) {
  return std::to_string(pid) + " (app) " + state +
         " 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 " + std::to_string(threads) +
         " 0 " + std::to_string(start_time) + " 0 0\n";
}

Probe Running(pid_t pid, uint64_t start_time, char state = 'S',
              int threads = 1) {
  Probe p;
  p.stat = StatText(pid, state, start_time, threads);
  p.cmdline = std::string("app\0--flag\0", 11);
  return p;
}

Probe Missing(int kill_errno) {
  Probe p;
  p.stat_errno = ENOENT;
  p.kill_errno = kill_errno;
  return p;
}

// `probe`, with the witness read as `witness`: what the caller adds when a
// record's process is dead (Judgement::more).
Probe WithWitness(Probe probe, Witness witness) {
  probe.witness = witness;
  return probe;
}
Probe JobOver(Probe probe) {
  return WithWitness(std::move(probe), Witness::kReleased);
}

struct Row {
  const char* name;
  LockTarget target;
  Probe probe;
  Identity identity;
  int64_t lock_mtime_ns;
  Verdict verdict;
  Reason reason;
  Errc error;
};

TEST(JudgeTest, SpecTable) {
  const Self self = MakeSelf();
  LockTarget other_host = Record(200, 7000);
  other_host.host = "there";
  LockTarget other_boot = Record(200, 7000);
  other_boot.boot8 = "ffffffff";
  LockTarget other_ns = Record(200, 7000);
  other_ns.pid_ns = 4026532000;
  Probe witness_held, witness_released, witness_error;
  witness_held.witness = Witness::kHeld;
  witness_released.witness = Witness::kReleased;
  witness_error.witness = Witness::kError;
  Probe unreadable;
  unreadable.stat_errno = EACCES;
  Probe garbage;
  garbage.stat = "nonsense";
  Probe truncated = Running(200, 7000);
  truncated.stat_truncated = true;
  Probe other_args = Running(200, 7000);
  other_args.cmdline = std::string("app\0--other\0", 12);
  Probe old_other_args = Running(200, 5000);
  old_other_args.cmdline = other_args.cmdline;
  Probe cut_args = other_args;
  cut_args.cmdline_truncated = true;
  // Legacy lock made at wall time 1000 s + 60 s; 100 ticks per second.
  const int64_t made = 1060 * kSecond;

  const Row kRows[] = {
      {"L17 alive", Record(200, 7000), Running(200, 7000), Identity::kKey, 0,
       Verdict::kAlive, Reason::kAlive, Errc::kOk},
      {"L6 this process",
       Record(100, 5000),
       {},
       Identity::kKey,
       0,
       Verdict::kAlive,
       Reason::kThisProcess,
       Errc::kOk},
      {"L7 L23 own pid, earlier process", Record(100, 4000), JobOver({}),
       Identity::kKey, 0, Verdict::kDead, Reason::kOwnPidEarlierProcess,
       Errc::kOk},
      {"L8 own pid, original's lock",
       Legacy(100),
       {},
       Identity::kKey,
       made,
       Verdict::kDead,
       Reason::kOwnPidEarlierProcess,
       Errc::kOk},
      {"L9 L23 gone", Record(200, 7000), JobOver(Missing(ESRCH)),
       Identity::kKey, 0, Verdict::kDead, Reason::kNoSuchProcess, Errc::kOk},
      // The job: processes that inherited the holder's key-directory
      // descriptor hold the witness after the recorded process is gone.
      {"L22 gone, its job alive", Record(200, 7000),
       WithWitness(Missing(ESRCH), Witness::kHeld), Identity::kKey, 0,
       Verdict::kAlive, Reason::kJobAlive, Errc::kOk},
      {"L24 gone, its job untestable", Record(200, 7000),
       WithWitness(Missing(ESRCH), Witness::kError), Identity::kKey, 0,
       Verdict::kUnknown, Reason::kUnknown, Errc::kJobUnverifiable},
      {"L24 gone, its job unread", Record(200, 7000), Missing(ESRCH),
       Identity::kKey, 0, Verdict::kUnknown, Reason::kUnknown,
       Errc::kJobUnverifiable},
      {"L13 L22 zombie, its job alive", Record(200, 7000),
       WithWitness(Running(200, 7000, 'Z'), Witness::kHeld), Identity::kKey, 0,
       Verdict::kAlive, Reason::kJobAlive, Errc::kOk},
      {"L14 L22 pid reused, its job alive", Record(200, 7000),
       WithWitness(Running(200, 7001), Witness::kHeld), Identity::kKey, 0,
       Verdict::kAlive, Reason::kJobAlive, Errc::kOk},
      {"L7 L22 own pid, earlier process, its job alive", Record(100, 4000),
       WithWitness({}, Witness::kHeld), Identity::kKey, 0, Verdict::kAlive,
       Reason::kJobAlive, Errc::kOk},
      // The original takes no witness: a held one is another process's.
      {"L9 original's lock, gone, a witness held", Legacy(200),
       WithWitness(Missing(ESRCH), Witness::kHeld), Identity::kKey, 0,
       Verdict::kDead, Reason::kNoSuchProcess, Errc::kOk},
      // Another boot id is judged by the witness, which a reboot drops: a
      // container's virtualised boot id is no reboot.
      {"L2 other boot id, witness held", LockTarget(other_boot),
       WithWitness(Running(200, 7000), Witness::kHeld), Identity::kKey, 0,
       Verdict::kAlive, Reason::kWitnessHeld, Errc::kOk},
      {"L2 other boot id, witness released", LockTarget(other_boot),
       WithWitness(Running(200, 7000), Witness::kReleased), Identity::kKey, 0,
       Verdict::kDead, Reason::kPreviousBoot, Errc::kOk},
      {"L2 other boot id, witness untestable", LockTarget(other_boot),
       WithWitness(Running(200, 7000), Witness::kError), Identity::kKey, 0,
       Verdict::kUnknown, Reason::kUnknown, Errc::kHolderOtherNamespace},
      {"L10 hidden by hidepid", Record(200, 7000), Missing(EPERM),
       Identity::kKey, 0, Verdict::kUnknown, Reason::kUnknown,
       Errc::kHolderHidden},
      {"L11 no /proc entry but kill works", Record(200, 7000), Missing(0),
       Identity::kKey, 0, Verdict::kUnknown, Reason::kUnknown,
       Errc::kHolderHidden},
      {"L12 stat unreadable", Record(200, 7000), unreadable, Identity::kKey, 0,
       Verdict::kUnknown, Reason::kUnknown, Errc::kHolderUnverifiable},
      {"L12 stat garbage", Record(200, 7000), garbage, Identity::kKey, 0,
       Verdict::kUnknown, Reason::kUnknown, Errc::kHolderUnverifiable},
      {"L12 stat truncated", Record(200, 7000), truncated, Identity::kKey, 0,
       Verdict::kUnknown, Reason::kUnknown, Errc::kHolderUnverifiable},
      {"L12 stat of another pid", Record(200, 7000), Running(201, 7000),
       Identity::kKey, 0, Verdict::kUnknown, Reason::kUnknown,
       Errc::kHolderUnverifiable},
      {"L13 L23 zombie", Record(200, 7000), JobOver(Running(200, 7000, 'Z')),
       Identity::kKey, 0, Verdict::kDead, Reason::kZombie, Errc::kOk},
      {"L13 dead (X)", Record(200, 7000), JobOver(Running(200, 7000, 'X')),
       Identity::kKey, 0, Verdict::kDead, Reason::kZombie, Errc::kOk},
      // pthread_exit() in the main thread: Z, but other threads run.
      {"L13 L17 Z with live threads", Record(200, 7000),
       Running(200, 7000, 'Z', 2), Identity::kKey, 0, Verdict::kAlive,
       Reason::kAlive, Errc::kOk},
      {"L14 L23 pid reused", Record(200, 7000), JobOver(Running(200, 7001)),
       Identity::kKey, 0, Verdict::kDead, Reason::kPidReused, Errc::kOk},
      {"L2 other boot id, witness unread", other_boot, Running(200, 7000),
       Identity::kKey, 0, Verdict::kUnknown, Reason::kUnknown,
       Errc::kHolderOtherNamespace},
      {"L1 other host", other_host, Missing(ESRCH), Identity::kKey, 0,
       Verdict::kUnknown, Reason::kUnknown, Errc::kHolderOtherHost},
      {"L5 other pid namespace, witness unread", other_ns, Missing(ESRCH),
       Identity::kKey, 0, Verdict::kUnknown, Reason::kUnknown,
       Errc::kHolderOtherNamespace},
      {"L5 other pid namespace, witness untestable", other_ns, witness_error,
       Identity::kKey, 0, Verdict::kUnknown, Reason::kUnknown,
       Errc::kHolderOtherNamespace},
      {"L3 other pid namespace, witness held", other_ns, witness_held,
       Identity::kKey, 0, Verdict::kAlive, Reason::kWitnessHeld, Errc::kOk},
      {"L4 other pid namespace, witness released", other_ns, witness_released,
       Identity::kKey, 0, Verdict::kDead, Reason::kWitnessReleased, Errc::kOk},
      {"L17 other args, key identity", Record(200, 7000), other_args,
       Identity::kKey, 0, Verdict::kAlive, Reason::kAlive, Errc::kOk},
      {"L16 other args, cmdline identity", Record(200, 7000), other_args,
       Identity::kCmdline, 0, Verdict::kDead, Reason::kOtherCommandLine,
       Errc::kOk},
      {"L17 truncated args, cmdline identity", Record(200, 7000), cut_args,
       Identity::kCmdline, 0, Verdict::kAlive, Reason::kAlive, Errc::kOk},
      {"L17 same args, cmdline identity", Record(200, 7000), Running(200, 7000),
       Identity::kCmdline, 0, Verdict::kAlive, Reason::kAlive, Errc::kOk},
      // The original's locks: started 50 s after boot (5000 ticks), lock
      // made 60 s after boot: may be the holder.
      {"L17 original's lock, older process", Legacy(200), Running(200, 5000),
       Identity::kKey, made, Verdict::kAlive, Reason::kAlive, Errc::kOk},
      {"L15 original's lock, process newer than lock", Legacy(200),
       Running(200, 6200), Identity::kKey, made, Verdict::kDead,
       Reason::kStartedAfterLock, Errc::kOk},
      {"L15 original's lock, within clock slack", Legacy(200),
       Running(200, 6050), Identity::kKey, made, Verdict::kAlive,
       Reason::kAlive, Errc::kOk},
      {"L15 original's lock, mtime at the end of time", Legacy(200),
       Running(200, 5000), Identity::kKey, INT64_MAX, Verdict::kAlive,
       Reason::kAlive, Errc::kOk},
      {"L9 original's lock, gone", Legacy(200), Missing(ESRCH), Identity::kKey,
       made, Verdict::kDead, Reason::kNoSuchProcess, Errc::kOk},
      {"L16 original's lock, other args, cmdline identity", Legacy(200),
       old_other_args, Identity::kCmdline, made, Verdict::kDead,
       Reason::kOtherCommandLine, Errc::kOk},
      {"L17 original's lock, same args, cmdline identity", Legacy(200),
       Running(200, 5000), Identity::kCmdline, made, Verdict::kAlive,
       Reason::kAlive, Errc::kOk},
  };
  for (const Row& row : kRows) {
    Judgement j =
        Judge(row.target, self, row.probe, row.identity, row.lock_mtime_ns);
    EXPECT_EQ(j.verdict, row.verdict) << row.name;
    EXPECT_EQ(j.reason, row.reason) << row.name;
    EXPECT_EQ(j.error, row.error) << row.name;
  }
}

// Start times in /proc are shifted by the reader's time-namespace boot
// offset; records carry them without it.
TEST(JudgeTest, StartTimesAreComparedWithoutTheTimeNamespaceOffset) {
  Self self = MakeSelf();
  self.boottime_offset_ticks = 1000000;  // +10000 s, read by this process
  Judgement j =
      Judge(Record(200, 7000), self, Running(200, 1007000), Identity::kKey, 0);
  EXPECT_EQ(j.verdict, Verdict::kAlive);
  j = Judge(Record(200, 7000), self, JobOver(Running(200, 7000)),
            Identity::kKey, 0);
  EXPECT_EQ(j.reason, Reason::kPidReused);
}

// The original's locks record no PID namespace: from a container, a PID
// that does not exist here may be a live holder's elsewhere.
// L21.
TEST(JudgeTest, OriginalsLockWithAMissingPidIsUnknownInAContainer) {
  Self self = MakeSelf();
  self.pid_ns = 4026532999;  // not the initial PID namespace
  Judgement j = Judge(Legacy(200), self, Missing(ESRCH), Identity::kKey, 0);
  EXPECT_EQ(j.verdict, Verdict::kUnknown);
  EXPECT_EQ(j.error, Errc::kLegacyHolderNotVisible);
  // Records name their namespace: no doubt there.
  LockTarget record = Record(200, 7000);
  record.pid_ns = self.pid_ns;
  j = Judge(record, self, JobOver(Missing(ESRCH)), Identity::kKey, 0);
  EXPECT_EQ(j.reason, Reason::kNoSuchProcess);
}

// Nor is the caller's own PID proof from a container: the original's lock
// may be a process's of the host's namespace with the same number.
// L25, and L8 from the initial PID namespace.
TEST(JudgeTest, OriginalsLockWithOurPidIsUnknownInAContainer) {
  Self self = MakeSelf();
  self.pid_ns = 4026532999;
  Judgement j = Judge(Legacy(self.pid), self, Probe(), Identity::kKey, 0);
  EXPECT_EQ(j.verdict, Verdict::kUnknown);
  EXPECT_EQ(j.error, Errc::kLegacyHolderNotVisible);
  self.pid_ns = kInitialPidNamespace;
  j = Judge(Legacy(self.pid), self, Probe(), Identity::kKey, 0);
  EXPECT_EQ(j.reason, Reason::kOwnPidEarlierProcess);
}

TEST(JudgeTest, NothingUnreadIsJudgedDead) {
  // A default Probe says "read, empty": it must never make a holder dead.
  const Self self = MakeSelf();
  for (Identity identity : {Identity::kKey, Identity::kCmdline}) {
    Judgement j = Judge(Record(200, 7000), self, Probe(), identity, 0);
    EXPECT_EQ(j.verdict, Verdict::kUnknown);
  }
}

// A record's dead process asks for the witness, and only then: a live
// holder, a previous boot or the original's lock never does.
TEST(JudgeTest, ADeadRecordAsksForTheWitnessOfItsJob) {
  const Self self = MakeSelf();
  EXPECT_EQ(
      Judge(Record(200, 7000), self, Missing(ESRCH), Identity::kKey, 0).more,
      Need::kWitness);
  EXPECT_EQ(
      Judge(Record(200, 7000), self, Running(200, 7001), Identity::kKey, 0)
          .more,
      Need::kWitness);
  EXPECT_EQ(
      Judge(Record(200, 7000), self, Running(200, 7000), Identity::kKey, 0)
          .more,
      Need::kNothing);
  EXPECT_EQ(Judge(Legacy(200), self, Missing(ESRCH), Identity::kKey, 0).more,
            Need::kNothing);
  EXPECT_EQ(
      Judge(Record(200, 7000), self, JobOver(Missing(ESRCH)), Identity::kKey, 0)
          .more,
      Need::kNothing);
}

TEST(NeedForTest, ReadsNoMoreThanNeeded) {
  const Self self = MakeSelf();
  EXPECT_EQ(NeedFor(Record(100, 4000), self, Identity::kKey), Need::kNothing);
  EXPECT_EQ(NeedFor(Legacy(100), self, Identity::kKey), Need::kNothing);
  EXPECT_EQ(NeedFor(Record(200, 7000), self, Identity::kKey), Need::kStat);
  EXPECT_EQ(NeedFor(Record(200, 7000), self, Identity::kCmdline),
            Need::kCmdline);
  LockTarget other_host = Record(200, 7000);
  other_host.host = "there";
  EXPECT_EQ(NeedFor(other_host, self, Identity::kKey), Need::kNothing);
  LockTarget other_boot = Record(100, 5000);  // our PID, another boot id
  other_boot.boot8 = "ffffffff";
  EXPECT_EQ(NeedFor(other_boot, self, Identity::kKey), Need::kWitness);
  LockTarget other_ns = Record(100, 5000);  // our PID, another namespace's
  other_ns.pid_ns = 1;
  EXPECT_EQ(NeedFor(other_ns, self, Identity::kKey), Need::kWitness);
}

}  // namespace
}  // namespace internal
}  // namespace pidlock
