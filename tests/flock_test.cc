// Copyright 2026 The pidlock Authors. MIT License.
//
// The key directory's flock serialises takeovers and releases of one key
// (T11, T17): each confirms the lock and then unlinks it, and nothing may
// replace the lock in between. Each test stops one process between its
// confirmation and its unlink (src/hook.h), lets a second attempt (a thread
// of the test) try to replace the lock meanwhile, and then lets the first
// go on: with the flock the second waits, and no lock is ever unlinked
// under a holder.

#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>

#include "src/hook.h"
#include "src/parse.h"
#include "src/pidlock.h"
#include "src/proc.h"
#include "tests/test_util.h"

namespace pidlock {
namespace {

using testing::Child;
using testing::MakeLock;
using testing::ReadLock;
using testing::TempDir;

constexpr char kKey[] = "app";

// How long the second attempt is given to finish when nothing blocks it. One
// that waits for the flock gives up only after 10 s (KeyDirectoryBusy), so
// the first is let go well before that.
constexpr std::chrono::seconds kAttemptTime(2);

// TryAcquire(dir, kKey, options) on a thread of this process, started while
// another process is stopped holding (or, without the flock, not holding)
// the flock. Returns once the attempt is over, or after kAttemptTime if it
// is not (it waits for the flock).
class Contender {
 public:
  Contender(const std::string& dir, const Options& options)
      : result_(std::async(std::launch::async, [dir, options] {
          return TryAcquire(dir, kKey, options);
        })) {
    result_.wait_for(kAttemptTime);
  }

  AcquireResult Result() { return result_.get(); }

 private:
  std::future<AcquireResult> result_;
};

// Waits for `pid` to stop (SIGSTOP from the hook); false if it ended.
bool WaitStopped(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status);
}

// Two takeovers of one stale lock: the first stops at REMOVING_STALE_LOCK
// (S9), having confirmed the stale lock under the flock (S8). The second
// judges the same stale lock dead. With the flock it waits, then finds the
// first one's lock, alive (T13, then T8). Without it, it confirms the stale
// lock too and replaces it, and the first then unlinks the second's fresh
// lock and creates its own: two holders.
TEST(FlockTest, SecondTakeoverWaitsForTheFirst) {
  TempDir dir;
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);
  std::error_code error;
  const internal::SelfRecord* self = internal::GetSelf(&error);
  ASSERT_NE(self, nullptr) << error.message();
  internal::LockTarget target;
  ASSERT_EQ(internal::ParseLockTarget(self->target, &target),
            internal::ParseError::kOk);
  target.pid = dead;
  const std::string stale = internal::FormatLockTarget(target);
  MakeLock(dir.path(), kKey, stale);

  int result[2];
  ASSERT_EQ(pipe(result), 0);
  Child first([&](Child&) {
    setenv(internal::kStopAtEnv, "REMOVING_STALE_LOCK", 1);
    AcquireResult r = TryAcquire(dir.path(), kKey);
    const bool acquired = r.outcome == Outcome::kAcquired;
    if (write(result[1], &acquired, 1) != 1) return 1;
    pause();  // holds
    return 0;
  });
  ASSERT_TRUE(WaitStopped(first.pid())) << "the first did not stop at S9";

  Contender second(dir.path(), Options());
  kill(first.pid(), SIGCONT);
  bool first_acquired = false;
  ASSERT_EQ(read(result[0], &first_acquired, 1), 1);
  close(result[0]);
  close(result[1]);
  AcquireResult r = second.Result();

  ASSERT_TRUE(first_acquired);
  EXPECT_EQ(r.outcome, Outcome::kHeld)
      << "two holders: the second took over too";
  EXPECT_EQ(r.holder.pid, first.pid());
  const std::string lock = ReadLock(dir.path(), kKey);
  EXPECT_EQ(lock.substr(lock.rfind('/') + 1), std::to_string(first.pid()));
}

// A release against a takeover of its live holder as another app: under
// the default identity a live holder is never judged dead, so no takeover
// can meet its release; under Identity::kCmdline a live holder with another
// command line is another app (L16), whose lock is taken over while it
// runs. The holder (a child) acquires, then makes its command line differ
// from this process's (argv[0] edited in place, as setproctitle does:
// /proc/<pid>/cmdline shows the new bytes), and releases, stopping at
// REMOVING_OWN_LOCK (S15), its lock confirmed (S14). This process then
// takes the lock over as another app. With the flock the takeover waits
// until the release is over (its S8 finds no lock, and it starts over at
// S3). Without it the takeover replaces the lock under the stopped release,
// which then unlinks the new holder's lock (I3): a third process acquires.
TEST(FlockTest, ReleaseNeverUnlinksTheLockOfATakeoverAsAnotherApp) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t holder = fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    close(ready[0]);
    AcquireResult r = TryAcquire(dir.path(), kKey);
    if (r.outcome != Outcome::kAcquired) _exit(10);
    char* name = program_invocation_name;
    name[0] = name[0] == 'x' ? 'y' : 'x';
    const char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(11);
    setenv(internal::kStopAtEnv, "REMOVING_OWN_LOCK", 1);
    const std::error_code released = r.lock.Release();
    _exit(!released ? 0 : released == Errc::kLockLost ? 1 : 12);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the holder could not acquire";
  close(ready[0]);
  ASSERT_TRUE(WaitStopped(holder)) << "the release did not stop at S15";

  Options as_another_app;
  as_another_app.identity = Identity::kCmdline;
  Contender takeover(dir.path(), as_another_app);
  kill(holder, SIGCONT);
  int status = 0;
  ASSERT_EQ(waitpid(holder, &status, 0), holder);
  AcquireResult taken = takeover.Result();

  ASSERT_EQ(taken.outcome, Outcome::kAcquired) << taken.error.Message();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the release did not remove its lock";
  EXPECT_EQ(ReadLock(dir.path(), kKey), taken.lock.target())
      << "the release unlinked the new holder's lock";
  Child other([&](Child&) {
    return TryAcquire(dir.path(), kKey).outcome == Outcome::kHeld ? 0 : 1;
  });
  EXPECT_EQ(other.Wait(), 0) << "a third process acquired";
  EXPECT_FALSE(taken.lock.Release());
}

}  // namespace
}  // namespace pidlock
