// Copyright 2026 The pidlock Authors. MIT License.
//
// Acquire's wake-ups (src/wait.cc; spec I6): a waiter sleeps until the lock is
// released or its holder dies, and must then acquire without waiting for
// its timeout. Each waiter here has a timeout of an hour, so only a wake-up
// lets it acquire; the test gives it a generous kEventually for that, which
// says nothing about how fast it is, only that it is woken at all. The
// holders keep running after they release: a holder that exits right after
// releasing would wake the waiter through its pidfd and hide a waiter that
// does not see releases.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "src/hook.h"
#include "src/parse.h"
#include "src/pidlock.h"
#include "tests/test_util.h"

namespace pidlock {
namespace {

using testing::TempDir;

constexpr char kKey[] = "app";
constexpr int kCannot = 77;  // a PID namespace cannot be made here

// Long enough for any wake-up on a loaded machine; far shorter than the
// waiters' own timeout.
constexpr std::chrono::seconds kEventually(20);
constexpr std::chrono::hours kWaiterTimeout(1);

// A child that holds the lock and, when told, releases it and lives on.
class Holder {
 public:
  explicit Holder(const std::string& dir, const char* key = kKey) {
    if (pipe(to_) != 0 || pipe(from_) != 0) abort();
    pid_ = fork();
    if (pid_ < 0) abort();
    if (pid_ == 0) {
      close(to_[1]);
      close(from_[0]);
      AcquireResult r = TryAcquire(dir, key);
      Say(r.outcome == Outcome::kAcquired ? 'a' : 'e');
      char command = 0;
      if (read(to_[0], &command, 1) != 1) _exit(1);
      Say(r.lock.Release() ? 'e' : 'r');
      for (;;) pause();
    }
    close(to_[0]);
    close(from_[1]);
    EXPECT_EQ(Hear(), 'a') << "the holder could not acquire";
  }
  ~Holder() {
    Kill();
    close(to_[1]);
    close(from_[0]);
  }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  // Releases the lock; the holder keeps running.
  void Release() {
    const char command = 'r';
    ASSERT_EQ(write(to_[1], &command, 1), 1);
    ASSERT_EQ(Hear(), 'r') << "the holder's release failed";
  }
  pid_t pid() const { return pid_; }
  // SIGKILLs the holder (it dies holding) and reaps it.
  void Kill() {
    if (reaped_) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }

 private:
  void Say(char c) {
    if (write(from_[1], &c, 1) != 1) _exit(1);
  }
  char Hear() {
    char c = 0;
    return read(from_[0], &c, 1) == 1 ? c : 0;
  }

  pid_t pid_ = -1;
  int to_[2] = {-1, -1};
  int from_[2] = {-1, -1};
  bool reaped_ = false;
};

// /proc/<pid>/stat's state letter, or 0.
char StateOf(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream text;
  text << file.rdbuf();
  internal::Stat stat;
  return internal::ParseStat(text.str(), &stat) == internal::ParseError::kOk
             ? stat.state
             : 0;
}

// Acquire(dir, kKey, an hour) in a child that stops (src/hook.h) in its
// first attempt, when it has found the lock held (CONFIRMED_TO_NOT_START),
// before it sets up its wake-ups.
class Waiter {
 public:
  explicit Waiter(const std::string& dir) {
    if (pipe(pipe_) != 0) abort();
    pid_ = fork();
    if (pid_ < 0) abort();
    if (pid_ == 0) {
      close(pipe_[0]);
      setenv(internal::kStopAtEnv, "CONFIRMED_TO_NOT_START", 1);
      AcquireResult r = Acquire(dir, kKey, kWaiterTimeout);
      const Outcome outcome = r.outcome;
      const bool sent =
          write(pipe_[1], &outcome, sizeof(outcome)) == sizeof(outcome);
      _exit(sent ? 0 : 1);  // holding, if it acquired: a crash
    }
    close(pipe_[1]);
  }
  ~Waiter() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(pipe_[0]);
  }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // Waits until the first attempt has stopped at CONFIRMED_TO_NOT_START.
  bool WaitStopped() {
    int status = 0;
    return waitpid(pid_, &status, WUNTRACED) == pid_ && WIFSTOPPED(status);
  }
  void Continue() { kill(pid_, SIGCONT); }

  // Waits until the waiter has a pidfd of `holder` open: it has judged
  // `holder` the live holder.
  bool WatchesHolder(pid_t holder) {
    const std::string wanted = "Pid:\t" + std::to_string(holder) + "\n";
    const std::string fdinfo = "/proc/" + std::to_string(pid_) + "/fdinfo/";
    const auto deadline = std::chrono::steady_clock::now() + kEventually;
    while (std::chrono::steady_clock::now() < deadline) {
      for (int fd = 0; fd < 64; ++fd) {
        std::ifstream file(fdinfo + std::to_string(fd));
        std::stringstream text;
        text << file.rdbuf();
        if (text.str().find(wanted) != std::string::npos) return true;
      }
      usleep(1000);
    }
    return false;
  }

  // Continues the waiter and waits until it sleeps: it has set up its
  // wake-ups, tried once more and found the lock still held, and sleeps in
  // poll(2), the only place where it sleeps.
  bool ContinueUntilAsleep() {
    Continue();
    const auto deadline = std::chrono::steady_clock::now() + kEventually;
    while (std::chrono::steady_clock::now() < deadline) {
      if (StateOf(pid_) == 'S') return true;
      usleep(1000);
    }
    return false;
  }

  // True if the waiter acquired within kEventually.
  bool AcquiresEventually() {
    struct pollfd fd = {pipe_[0], POLLIN, 0};
    const int ms =
        static_cast<int>(std::chrono::milliseconds(kEventually).count());
    if (poll(&fd, 1, ms) != 1) return false;
    Outcome outcome = Outcome::kError;
    return read(pipe_[0], &outcome, sizeof(outcome)) == sizeof(outcome) &&
           outcome == Outcome::kAcquired;
  }

 private:
  pid_t pid_ = -1;
  int pipe_[2] = {-1, -1};
};

// The holder releases while the waiter sleeps, and lives on: inotify, not
// the holder's pidfd, must wake the waiter.
TEST(WaitTest, WokenWhenALiveHolderReleases) {
  TempDir dir;
  Holder holder(dir.path());
  Waiter waiter(dir.path());
  ASSERT_TRUE(waiter.WaitStopped());
  ASSERT_TRUE(waiter.ContinueUntilAsleep());
  holder.Release();
  EXPECT_TRUE(waiter.AcquiresEventually())
      << "a waiter slept through a release by a live holder";
}

// The key directory is swapped by hand for another one, whose lock another
// live holder holds, while the waiter sleeps: the waiter must watch the new
// directory, and the new holder's release must wake it (both holders live
// on, so no pidfd does).
TEST(WaitTest, WokenByAReleaseInAKeyDirectorySwappedIn) {
  TempDir dir;
  Holder first(dir.path());
  Holder second(dir.path(), "other");
  Waiter waiter(dir.path());
  ASSERT_TRUE(waiter.WaitStopped());
  ASSERT_TRUE(waiter.ContinueUntilAsleep());
  const std::string key_path = dir.path() + "/" + kKey;
  const std::string other_path = dir.path() + "/other";
  ASSERT_EQ(renameat2(AT_FDCWD, key_path.c_str(), AT_FDCWD, other_path.c_str(),
                      RENAME_EXCHANGE),
            0);
  // The swap wakes the waiter; it finds the second holder and sleeps again.
  ASSERT_TRUE(waiter.WatchesHolder(second.pid()));
  ASSERT_TRUE(waiter.ContinueUntilAsleep());
  second.Release();
  EXPECT_TRUE(waiter.AcquiresEventually())
      << "a waiter kept watching a key directory that was swapped out";
}

// The release comes after the waiter's first attempt found the lock held
// and before its watch exists, so no inotify event will ever come, and the
// holder lives on: only the attempt that follows setting up the watches
// can see the lock free (no lost wake-up).
TEST(WaitTest, ReleaseBeforeTheWatchIsNotMissed) {
  TempDir dir;
  Holder holder(dir.path());
  Waiter waiter(dir.path());
  ASSERT_TRUE(waiter.WaitStopped());
  holder.Release();
  waiter.Continue();
  EXPECT_TRUE(waiter.AcquiresEventually())
      << "a release before the watch was set up was lost";
}

// The holder dies holding while the waiter sleeps: nothing is released, so
// no inotify event comes; its pidfd must wake the waiter.
TEST(WaitTest, WokenWhenTheHolderDies) {
  TempDir dir;
  Holder holder(dir.path());
  Waiter waiter(dir.path());
  ASSERT_TRUE(waiter.WaitStopped());
  ASSERT_TRUE(waiter.ContinueUntilAsleep());
  holder.Kill();
  EXPECT_TRUE(waiter.AcquiresEventually())
      << "a waiter slept through its holder's death";
}

// A holder in another PID namespace (a container's PID 1) dies holding:
// its PID names another process here, so no pidfd can tell, and nothing
// is released; the waiter must re-test the witness until it is gone.
TEST(WaitTest, WokenWhenAHolderInAnotherPidNamespaceDies) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t outer = fork();
  ASSERT_GE(outer, 0);
  if (outer == 0) {
    close(ready[0]);
    if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      _exit(kCannot);
    }
    const pid_t init = fork();
    if (init == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (mount("proc", "/proc", "proc", 0, nullptr) != 0) _exit(kCannot);
      AcquireResult r = TryAcquire(dir.path(), kKey);
      const char byte = r.outcome == Outcome::kAcquired ? 'a' : 'e';
      if (write(ready[1], &byte, 1) != 1) _exit(1);
      for (;;) pause();  // holds until the container is killed
    }
    int status = 0;
    waitpid(init, &status, 0);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  close(ready[1]);
  char byte = 0;
  if (read(ready[0], &byte, 1) != 1) {
    int status = 0;
    waitpid(outer, &status, 0);
    close(ready[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == kCannot) {
      GTEST_SKIP() << "cannot create PID and mount namespaces here";
    }
    FAIL() << "the container's holder failed: " << status;
  }
  close(ready[0]);
  ASSERT_EQ(byte, 'a') << "the container's holder could not acquire";
  {
    Waiter waiter(dir.path());
    ASSERT_TRUE(waiter.WaitStopped());
    ASSERT_TRUE(waiter.ContinueUntilAsleep());
    // The container's PID 1 dies of its parent-death signal.
    kill(outer, SIGKILL);
    waitpid(outer, nullptr, 0);
    EXPECT_TRUE(waiter.AcquiresEventually())
        << "a waiter slept through the death of a holder in another PID "
           "namespace";
  }
}

}  // namespace
}  // namespace pidlock
