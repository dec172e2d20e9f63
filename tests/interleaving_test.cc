// Copyright 2026 The pidlock Authors. MIT License.
//
// One interleaving per test, forced with the test hook (src/hook.h): an
// attempt runs in a child that stops (SIGSTOP) on entering a named state;
// while it is stopped, the test changes the lock under it; then it
// continues. Each test makes one transition of spec/state_machine.md
// happen that a free-running race makes only by chance.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "src/hook.h"
#include "src/parse.h"
#include "src/pidlock.h"
#include "src/proc.h"
#include "tests/test_util.h"

namespace pidlock {
namespace {

using testing::MakeLock;
using testing::ReadLock;
using testing::TempDir;

constexpr char kKey[] = "app";

// What the stopped attempt returned.
struct Seen {
  Outcome outcome = Outcome::kError;
  Reason reason = Reason::kUnknown;
  pid_t holder = 0;
  bool took_over = false;
};

// A TryAcquire in a child that stops on entering `state`.
class StoppedAttempt {
 public:
  StoppedAttempt(const std::string& dir, const char* state) {
    if (pipe(pipe_) != 0) abort();
    pid_ = fork();
    if (pid_ == 0) {
      close(pipe_[0]);
      setenv(internal::kStopAtEnv, state, 1);
      AcquireResult r = TryAcquire(dir, kKey);
      Seen seen{r.outcome, r.holder.reason, r.holder.pid,
                r.outcome == Outcome::kAcquired && r.lock.took_over()};
      const bool sent = write(pipe_[1], &seen, sizeof(seen)) == sizeof(seen);
      _exit(sent ? 0 : 1);  // holding, if it acquired: a crash
    }
    close(pipe_[1]);
  }
  ~StoppedAttempt() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(pipe_[0]);
  }
  StoppedAttempt(const StoppedAttempt&) = delete;
  StoppedAttempt& operator=(const StoppedAttempt&) = delete;

  // True once the child stopped at its state (false if it ended first).
  bool WaitStopped() {
    int status = 0;
    if (waitpid(pid_, &status, WUNTRACED) != pid_) return false;
    if (WIFSTOPPED(status)) return true;
    reaped_ = true;
    return false;
  }

  // Continues the child and returns what its attempt returned.
  Seen Finish() {
    kill(pid_, SIGCONT);
    Seen seen;
    EXPECT_EQ(read(pipe_[0], &seen, sizeof(seen)),
              static_cast<ssize_t>(sizeof(seen)));
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
    return seen;
  }

 private:
  pid_t pid_ = -1;
  int pipe_[2] = {-1, -1};
  bool reaped_ = false;
};

// This process's record, with another PID namespace or PID when given.
std::string Record(pid_t pid, uint64_t pid_ns = 0) {
  std::error_code error;
  const internal::SelfRecord* self = internal::GetSelf(&error);
  EXPECT_NE(self, nullptr) << error.message();
  internal::LockTarget target;
  EXPECT_EQ(internal::ParseLockTarget(self->target, &target),
            internal::ParseError::kOk);
  target.pid = pid;
  if (pid_ns != 0) target.pid_ns = pid_ns;
  return internal::FormatLockTarget(target);
}

// A lock whose holder is dead (and has no job): stale.
void MakeStaleLock(const std::string& dir) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  MakeLock(dir, kKey, Record(child));
}

// T6 lock-vanished: the lock is released between the attempt's failed
// symlinkat and its readlinkat; it starts over at S3 and acquires.
TEST(InterleavingTest, LockReleasedBeforeItIsReadIsAcquired) {
  TempDir dir;
  AcquireResult held = TryAcquire(dir.path(), kKey);
  ASSERT_EQ(held.outcome, Outcome::kAcquired) << held.error.Message();
  StoppedAttempt attempt(dir.path(), "READING_LOCK");
  ASSERT_TRUE(attempt.WaitStopped());
  ASSERT_FALSE(held.lock.Release());
  const Seen seen = attempt.Finish();
  EXPECT_EQ(seen.outcome, Outcome::kAcquired);
  EXPECT_FALSE(seen.took_over);
}

// T13 lock-changed: another process takes the stale lock over while the
// attempt that judged it dead waits for the flock; under the flock the
// attempt sees another lock, starts over and finds it held.
TEST(InterleavingTest, StaleLockTakenOverMeanwhileIsNotTakenAgain) {
  TempDir dir;
  MakeStaleLock(dir.path());
  StoppedAttempt attempt(dir.path(), "LOCKING_FOR_TAKEOVER");
  ASSERT_TRUE(attempt.WaitStopped());
  AcquireResult winner = TryAcquire(dir.path(), kKey);
  ASSERT_EQ(winner.outcome, Outcome::kAcquired) << winner.error.Message();
  ASSERT_TRUE(winner.lock.took_over());
  const Seen seen = attempt.Finish();
  EXPECT_EQ(seen.outcome, Outcome::kHeld);
  EXPECT_EQ(seen.holder, getpid());
  EXPECT_EQ(ReadLock(dir.path(), kKey), winner.lock.target());
}

// T16 takeover-lost-race: a fresh acquirer creates the lock between the
// takeover's unlinkat and its symlinkat (it needs no flock); the takeover
// loses, judges the new lock (S4) and finds it held.
TEST(InterleavingTest, TakeoverLosesToAFreshAcquirer) {
  TempDir dir;
  MakeStaleLock(dir.path());
  StoppedAttempt attempt(dir.path(), "CREATING_NEW_SYMLINK");
  ASSERT_TRUE(attempt.WaitStopped());
  AcquireResult fresh = TryAcquire(dir.path(), kKey);
  ASSERT_EQ(fresh.outcome, Outcome::kAcquired) << fresh.error.Message();
  EXPECT_FALSE(fresh.lock.took_over());
  const Seen seen = attempt.Finish();
  EXPECT_EQ(seen.outcome, Outcome::kHeld);
  EXPECT_EQ(seen.holder, getpid());
  EXPECT_EQ(ReadLock(dir.path(), kKey), fresh.lock.target());
}

// Holds `byte` of <dir>/app on an open file description of its own, as a
// holder (or a holder's job) in another process would.
int HoldWitness(const std::string& dir, internal::WitnessByte byte) {
  const int fd =
      open((dir + "/" + kKey).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(internal::TakeWitness(fd, byte), 0);
  return fd;
}

// T21 witness-held-on-recheck: a record of another PID namespace judged
// WitnessReleased, whose witness is held again by the time the attempt has
// the flock (the holder there released and acquired again with the same
// record), is held: the re-test under the flock sees it.
TEST(InterleavingTest, WitnessTakenBeforeTheFlockKeepsTheLock) {
  TempDir dir;
  const std::string record = Record(1, 4026532999);  // a container's PID 1
  MakeLock(dir.path(), kKey, record);
  StoppedAttempt attempt(dir.path(), "LOCKING_FOR_TAKEOVER");
  ASSERT_TRUE(attempt.WaitStopped());
  const int witness = HoldWitness(dir.path(), internal::WitnessByte::kWitness);
  const Seen seen = attempt.Finish();
  close(witness);
  EXPECT_EQ(seen.outcome, Outcome::kHeld);
  EXPECT_EQ(seen.reason, Reason::kWitnessHeld);
  EXPECT_EQ(ReadLock(dir.path(), kKey), record);
}

// T22 job-witness-held-on-recheck: a dead holder's job judged over, whose
// job witness is held by the time the attempt has the flock (/proc was
// wrong, R1), is held: the re-test under the flock sees it.
TEST(InterleavingTest, JobWitnessTakenBeforeTheFlockKeepsTheLock) {
  TempDir dir;
  MakeStaleLock(dir.path());
  const std::string stale = ReadLock(dir.path(), kKey);
  StoppedAttempt attempt(dir.path(), "LOCKING_FOR_TAKEOVER");
  ASSERT_TRUE(attempt.WaitStopped());
  const int witness =
      HoldWitness(dir.path(), internal::WitnessByte::kJobWitness);
  const Seen seen = attempt.Finish();
  close(witness);
  EXPECT_EQ(seen.outcome, Outcome::kHeld);
  EXPECT_EQ(seen.reason, Reason::kJobAlive);
  EXPECT_EQ(ReadLock(dir.path(), kKey), stale);
}

}  // namespace
}  // namespace pidlock
