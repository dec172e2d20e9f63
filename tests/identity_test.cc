// Copyright 2026 The pidlock Authors. MIT License.
//
// "This process" is more than a PID number (spec section 13, the process
// identity): PID numbers repeat across PID namespaces, boot ids can be
// virtualised, and the original's locks name no namespace. Each test makes
// the collision with real processes and namespaces (root only: skipped, with
// the reason, where namespaces cannot be made).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

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
constexpr int kCannot = 77;  // the namespace could not be made here

// In a child process: runs `body` as PID 1 of a new PID namespace with its
// own /proc (a container's main process) and exits with its exit status, or
// kCannot. The container's Ready() is forwarded to `outer_ready`. _exit:
// the caller's /proc is the container's now, which LeakSanitizer's exit
// check cannot work with.
[[noreturn]] void ExitInContainer(const std::function<int(Child&)>& body,
                                  Child* outer_ready) {
  if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0 ||
      mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    _exit(kCannot);
  }
  Child init([&](Child& self) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (mount("proc", "/proc", "proc", 0, nullptr) != 0) return kCannot;
    if (getpid() != 1) return kCannot;
    const int status = body(self);
    // _exit: LeakSanitizer's exit check cannot work across namespaces.
    _exit(status);
    return status;
  });
  if (init.WaitReady() && outer_ready != nullptr) outer_ready->Ready();
  const int status = init.Wait();
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status));
}

// Forks a child in a new PID namespace, whose PID number is 1 like its
// caller's when the caller is PID 1 of its own; returns the child's exit
// status (kCannot when the namespace cannot be made).
int InNewPidNamespace(const std::function<int()>& body) {
  if (unshare(CLONE_NEWPID) != 0) return kCannot;
  const pid_t child = fork();
  if (child == 0) _exit(body());
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return kCannot;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

// I7. A container's main process
// (PID 1) holds the lock, unshares a PID namespace and forks a worker, whose
// getpid() is 1 too. The worker's copy of the Lock, released or destroyed,
// must leave the parent's lock alone: otherwise a third process acquires
// while the parent still holds.
TEST(IdentityTest, ForkChildWithTheHoldersPidNumberDoesNotRelease) {
  for (const bool destroy : {false, true}) {
    TempDir dir;
    Child outer([&](Child& self) {
      ExitInContainer(
          [&](Child& container) {
            AcquireResult r = TryAcquire(dir.path(), kKey);
            if (r.outcome != Outcome::kAcquired) return 3;
            const int worker = InNewPidNamespace([&] {
              if (getpid() != 1) return kCannot;
              if (destroy) {
                Lock copy = std::move(r.lock);
                return 0;  // ~Lock
              }
              return r.lock.Release() == Errc::kNotOwner ? 0 : 4;
            });
            if (worker != 0) return worker;
            if (!r.lock.held() || ReadLock(dir.path(), kKey).empty()) return 5;
            container.Ready();
            pause();
            return 0;
          },
          &self);
      return 0;
    });
    if (!outer.WaitReady()) {
      const int status = outer.Wait();
      if (WIFEXITED(status) && WEXITSTATUS(status) == kCannot) {
        GTEST_SKIP() << "cannot create PID and mount namespaces here";
      }
      FAIL() << "destroy=" << destroy << ": the container's holder failed: "
             << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    // The parent still holds: nobody else may acquire.
    AcquireResult r = TryAcquire(dir.path(), kKey);
    EXPECT_EQ(r.outcome, Outcome::kHeld)
        << "destroy=" << destroy << ": " << r.error.Message();
    EXPECT_EQ(r.holder.reason, Reason::kWitnessHeld);
    outer.Kill();
    outer.Wait();
  }
}

// I7. A process that acquired once (its record is
// cached) unshares a PID namespace; its child there has the same PID number
// and must write its own record, not its parent's, or judges would tie the
// child's lock to the parent's life. With its own /proc the record is its
// own; without one, /proc is another namespace's and it refuses.
TEST(IdentityTest, ChildWithTheParentsPidNumberWritesItsOwnRecord) {
  for (const bool own_proc : {true, false}) {
    TempDir dir;
    Child outer([&](Child&) {
      ExitInContainer(
          [&](Child&) {
            AcquireResult first = TryAcquire(dir.path(), "first");
            if (first.outcome != Outcome::kAcquired) return 3;
            return InNewPidNamespace([&] {
              if (getpid() != 1) return kCannot;
              if (own_proc) {
                if (unshare(CLONE_NEWNS) != 0 ||
                    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE,
                          nullptr) != 0 ||
                    mount("proc", "/proc", "proc", 0, nullptr) != 0) {
                  return kCannot;
                }
              }
              AcquireResult r = TryAcquire(dir.path(), kKey);
              if (!own_proc) {
                return r.outcome == Outcome::kError &&
                               r.error.code == Errc::kProcOtherNamespace
                           ? 0
                           : 4;
              }
              if (r.outcome != Outcome::kAcquired) return 5;
              internal::LockTarget target;
              if (internal::ParseLockTarget(r.lock.target(), &target) !=
                  internal::ParseError::kOk) {
                return 6;
              }
              struct stat ns;
              if (stat("/proc/self/ns/pid", &ns) != 0) return kCannot;
              if (target.pid != 1 || target.pid_ns != ns.st_ino) return 7;
              if (target.start_time != testing::StartTimeOf(1)) return 8;
              return 0;
            });
          },
          nullptr);
      return 0;
    });
    const int status = outer.Wait();
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == kCannot) {
      GTEST_SKIP() << "cannot create PID and mount namespaces here";
    }
    EXPECT_EQ(WEXITSTATUS(status), 0) << "own_proc=" << own_proc;
  }
}

// I7: a child made by a raw clone(2), which runs no pthread_atfork handler,
// is not the acquirer either.
TEST(IdentityTest, RawCloneChildDoesNotRelease) {
  TempDir dir;
  AcquireResult r = TryAcquire(dir.path(), kKey);
  ASSERT_EQ(r.outcome, Outcome::kAcquired) << r.error.Message();
  const pid_t child = static_cast<pid_t>(
      syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (child == 0) {
    _exit(r.lock.Release() == Errc::kNotOwner ? 0 : 1);
  }
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(ReadLock(dir.path(), kKey), r.lock.target());
  EXPECT_FALSE(r.lock.Release());
}

// L2. A container with a virtualised boot id (systemd-nspawn bind-mounts one
// over /proc/sys/kernel/random/boot_id) and the host's host name sees the
// host's live holder's record with another boot id: that is no reboot, and
// the witness says the holder lives.
TEST(IdentityTest, VirtualisedBootIdDoesNotMakeALiveHolderStale) {
  TempDir dir;
  AcquireResult held = TryAcquire(dir.path(), kKey);
  ASSERT_EQ(held.outcome, Outcome::kAcquired) << held.error.Message();
  const std::string boot_id = dir.path() + "/boot_id";
  std::ofstream(boot_id) << "00000000-1111-2222-3333-444444444444\n";
  Child container([&](Child&) {
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount(boot_id.c_str(), "/proc/sys/kernel/random/boot_id", nullptr,
              MS_BIND, nullptr) != 0) {
      _exit(kCannot);
    }
    AcquireResult r = TryAcquire(dir.path(), kKey);
    if (r.outcome == Outcome::kHeld &&
        r.holder.reason == Reason::kWitnessHeld) {
      _exit(0);
    }
    std::fprintf(stderr, "outcome %d reason %s: %s\n",
                 static_cast<int>(r.outcome), ReasonName(r.holder.reason),
                 r.error.Message().c_str());
    _exit(1);
    return 1;
  });
  const int status = container.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kCannot) {
    GTEST_SKIP() << "cannot bind-mount a boot id here";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ReadLock(dir.path(), kKey), held.lock.target());
}

// L25: the original's lock records no namespace: from a container, a lock
// with the container's own PID may be a live host process's.
TEST(IdentityTest, OriginalsLockWithOurPidIsRefusedInAContainer) {
  TempDir dir;
  MakeLock(dir.path(), kKey, "/tmp/app/1");
  Child outer([&](Child&) {
    ExitInContainer(
        [&](Child&) {
          AcquireResult r = TryAcquire(dir.path(), kKey);
          return r.outcome == Outcome::kError &&
                         r.error.code == Errc::kLegacyHolderNotVisible
                     ? 0
                     : 3;
        },
        nullptr);
    return 0;
  });
  const int status = outer.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kCannot) {
    GTEST_SKIP() << "cannot create PID and mount namespaces here";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ReadLock(dir.path(), kKey), "/tmp/app/1");
}

}  // namespace
}  // namespace pidlock
