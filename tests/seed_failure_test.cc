// Copyright 2026 The pidlock Authors. MIT License.
//
// The original's failures 2 and 3, each run against both algorithms: the
// C++ copy of the original (tests/seed/) must fail them, as npm pidlock
// 0.1.0 does, and this library must not. (Failure 1, the takeover race, is
// the race suite's teeth: tests/race/race_teeth_*_test.cc.)

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "src/parse.h"
#include "src/pidlock.h"
#include "src/proc.h"
#include "tests/seed/seed_pidlock.h"
#include "tests/test_util.h"

namespace pidlock {
namespace {

using testing::Child;
using testing::MakeLock;
using testing::ReadLock;
using testing::TempDir;

constexpr char kKey[] = "app";

// Failure 2: the lock names the caller's own PID, left by an earlier
// process (a container whose app is always PID 1). The original refuses for
// ever: /proc/<own pid>/cmdline is readable and equal to its own.
TEST(SeedFailureTest, LockNamingOwnPid_OriginalRefuses_LibraryTakesOver) {
  TempDir dir;
  const std::string own = dir.path() + "/app/" + std::to_string(getpid());
  MakeLock(dir.path(), kKey, own);
  pidlock_seed::GuardResult seed = pidlock_seed::Guard(dir.path(), kKey);
  EXPECT_FALSE(seed.acquired);
  EXPECT_EQ(seed.state, pidlock_seed::SeedState::CONFIRMED_TO_NOT_START);
  pidlock_seed::Cleanup(seed);

  MakeLock(dir.path(), kKey, own);
  AcquireResult r = TryAcquire(dir.path(), kKey);
  ASSERT_EQ(r.outcome, Outcome::kAcquired) << r.error.Message();
  EXPECT_EQ(r.holder.reason, Reason::kOwnPidEarlierProcess);
}

// Failure 3: a live holder started with other arguments. The original takes
// its lock (its command line differs from the caller's); by default this
// library keeps it, since the key alone names the app.
TEST(SeedFailureTest,
     LiveHolderWithOtherArguments_OriginalTakesIt_LibraryKeepsIt) {
  TempDir dir;
  Child holder([](Child& self) {
    self.Ready();
    execlp("sleep", "sleep", "1000", nullptr);
    return 127;
  });
  ASSERT_TRUE(holder.WaitReady());
  testing::WaitForExec(holder.pid(), "sleep");
  const std::string legacy =
      dir.path() + "/app/" + std::to_string(holder.pid());

  MakeLock(dir.path(), kKey, legacy);
  pidlock_seed::GuardResult seed = pidlock_seed::Guard(dir.path(), kKey);
  EXPECT_TRUE(seed.acquired) << "the original kept a lock it takes";
  EXPECT_EQ(seed.state, pidlock_seed::SeedState::OK_STALE_LOCK_REMOVED);
  pidlock_seed::Cleanup(seed);

  MakeLock(dir.path(), kKey, legacy);
  AcquireResult r = TryAcquire(dir.path(), kKey);
  ASSERT_EQ(r.outcome, Outcome::kHeld) << r.error.Message();
  EXPECT_EQ(r.holder.pid, holder.pid());
  EXPECT_EQ(ReadLock(dir.path(), kKey), legacy);
}

}  // namespace
}  // namespace pidlock
