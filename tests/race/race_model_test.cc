// Copyright 2026 The pidlock Authors. MIT License.
//
// A model-based test (rapidcheck/state.h) of the single-process API against
// a model of the lock file: random sequences of TryAcquire, Acquire with a
// timeout, Release (also twice), Inspect, a fork child that tries to
// release, a holder that dies without releasing, and another process that
// takes the lock and gives it back. Each command checks its result against
// the model; the commands run one at a time (races are the other tests').
// Links the shipped library, //:pidlock.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "src/pidlock.h"

extern const char kRaceDefaultRcParams[] = "max_success=60";

namespace pidlock_race {
namespace {

// What <dir>/<key>/lock is, and what this process's Lock object is.
struct LockModel {
  enum class Disk {
    kFree,   // no lock
    kOurs,   // this process's lock
    kStale,  // the lock of a process that died holding it
  };
  Disk disk = Disk::kFree;
  bool have_lock = false;  // Sut::lock came from an acquisition
  bool held = false;       // Sut::lock.held()
  int workers = 0;         // fork children that kept a copy of the lock's fd
};

// The system under test: a fresh lock directory and this process's lock.
struct Sut {
  std::string dir;
  std::string key = "k";
  pidlock::Lock lock;
  std::vector<pid_t> workers;
  Sut() {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/model.XXXXXX";
    std::vector<char> buffer(templ.begin(), templ.end());
    buffer.push_back('\0');
    dir = mkdtemp(buffer.data());
  }
  ~Sut() {
    for (pid_t w : workers) {
      kill(w, SIGKILL);
      waitpid(w, nullptr, 0);
    }
    if (lock.held()) (void)lock.Release();
    std::string cmd = "rm -rf '" + dir + "'";
    (void)!system(cmd.c_str());
  }
  std::string LockPath() const { return dir + "/" + key + "/lock"; }
};

using Command = rc::state::Command<LockModel, Sut>;

// Waits for a child; its exit status, or -1 on a signal / timeout.
int WaitChild(pid_t pid, int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;
    }
    usleep(1000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ExpectAcquireResult(const LockModel& m, pidlock::AcquireResult& r,
                         Sut& sut) {
  switch (m.disk) {
    case LockModel::Disk::kFree:
    case LockModel::Disk::kStale:
      RC_ASSERT(r.outcome == pidlock::Outcome::kAcquired);
      RC_ASSERT(r.lock.took_over() == (m.disk == LockModel::Disk::kStale));
      RC_ASSERT(r.lock.held());
      sut.lock = std::move(r.lock);
      break;
    case LockModel::Disk::kOurs:
      // Acquiring twice in one process: held, by this very process.
      RC_ASSERT(r.outcome == pidlock::Outcome::kHeld);
      RC_ASSERT(r.holder.pid == getpid());
      RC_ASSERT(r.holder.reason == pidlock::Reason::kThisProcess);
      RC_ASSERT(!r.lock.held());
      break;
  }
}

void AcquireApply(LockModel& m) {
  if (m.disk != LockModel::Disk::kOurs) {
    m.disk = LockModel::Disk::kOurs;
    m.have_lock = true;
    m.held = true;
  }
}

struct TryAcquire : Command {
  void apply(LockModel& m) const override { AcquireApply(m); }
  void run(const LockModel& m, Sut& sut) const override {
    pidlock::AcquireResult r = pidlock::TryAcquire(sut.dir, sut.key);
    ExpectAcquireResult(m, r, sut);
  }
  void show(std::ostream& os) const override { os << "TryAcquire"; }
};

struct AcquireWithTimeout : Command {
  void apply(LockModel& m) const override { AcquireApply(m); }
  void run(const LockModel& m, Sut& sut) const override {
    const auto start = std::chrono::steady_clock::now();
    pidlock::AcquireResult r =
        pidlock::Acquire(sut.dir, sut.key, std::chrono::milliseconds(1000));
    const auto took = std::chrono::steady_clock::now() - start;
    // Waiting for oneself would wait the whole timeout: it must not.
    RC_ASSERT(took < std::chrono::milliseconds(500));
    ExpectAcquireResult(m, r, sut);
  }
  void show(std::ostream& os) const override { os << "Acquire(1s)"; }
};

struct Release : Command {
  void checkPreconditions(const LockModel& m) const override {
    RC_PRE(m.have_lock);
  }
  void apply(LockModel& m) const override {
    if (m.held) m.disk = LockModel::Disk::kFree;
    m.held = false;
  }
  void run(const LockModel& m, Sut& sut) const override {
    std::error_code e = sut.lock.Release();
    if (m.held) {
      RC_ASSERT(!e);
      struct stat st;
      RC_ASSERT(lstat(sut.LockPath().c_str(), &st) != 0);
    } else {
      // Double release.
      RC_ASSERT(e == pidlock::Errc::kNotHeld);
    }
    RC_ASSERT(!sut.lock.held());
  }
  void show(std::ostream& os) const override { os << "Release"; }
};

struct Inspect : Command {
  void run(const LockModel& m, Sut& sut) const override {
    pidlock::Inspection i = pidlock::Inspect(sut.dir, sut.key);
    switch (m.disk) {
      case LockModel::Disk::kFree:
        RC_ASSERT(i.status == pidlock::Status::kFree);
        break;
      case LockModel::Disk::kOurs:
        RC_ASSERT(i.status == pidlock::Status::kHeld);
        RC_ASSERT(i.holder.pid == getpid());
        RC_ASSERT(i.holder.target == sut.lock.target());
        break;
      case LockModel::Disk::kStale:
        RC_ASSERT(i.status == pidlock::Status::kStale);
        RC_ASSERT(i.holder.reason == pidlock::Reason::kNoSuchProcess);
        break;
    }
  }
  void show(std::ostream& os) const override { os << "Inspect"; }
};

// fork(); the child calls Release() on its copy: kNotOwner, nothing
// removed; it sees the parent as the live holder. The parent still holds.
struct ForkThenReleaseInChild : Command {
  void checkPreconditions(const LockModel& m) const override { RC_PRE(m.held); }
  void run(const LockModel&, Sut& sut) const override {
    const pid_t parent = getpid();
    fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
      std::error_code e = sut.lock.Release();
      if (e != pidlock::Errc::kNotOwner) _exit(10);
      pidlock::Inspection i = pidlock::Inspect(sut.dir, sut.key);
      if (i.status != pidlock::Status::kHeld || i.holder.pid != parent) {
        _exit(11);
      }
      pidlock::AcquireResult r = pidlock::TryAcquire(sut.dir, sut.key);
      if (r.outcome != pidlock::Outcome::kHeld || r.holder.pid != parent) {
        _exit(12);
      }
      _exit(0);
    }
    RC_ASSERT(WaitChild(child, 10000) == 0);
    RC_ASSERT(sut.lock.held());
    char target[4096];
    ssize_t n = readlink(sut.LockPath().c_str(), target, sizeof(target));
    RC_ASSERT(n > 0);
    RC_ASSERT(std::string(target, static_cast<size_t>(n)) == sut.lock.target());
  }
  void show(std::ostream& os) const override { os << "ForkThenReleaseInChild"; }
};

// Another process takes the lock and dies holding it.
struct HolderDiesHolding : Command {
  void checkPreconditions(const LockModel& m) const override {
    RC_PRE(m.disk == LockModel::Disk::kFree);
  }
  void apply(LockModel& m) const override { m.disk = LockModel::Disk::kStale; }
  void run(const LockModel&, Sut& sut) const override {
    fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
      pidlock::AcquireResult r = pidlock::TryAcquire(sut.dir, sut.key);
      if (r.outcome != pidlock::Outcome::kAcquired) _exit(20);
      kill(getpid(), SIGKILL);  // no release, no destructors
      _exit(21);
    }
    int status = 0;
    waitpid(child, &status, 0);
    RC_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  void show(std::ostream& os) const override { os << "HolderDiesHolding"; }
};

// Another process takes the lock (taking a stale one over) and releases it;
// it must finish within 3 s.
struct OtherProcessTakesAndReleases : Command {
  void checkPreconditions(const LockModel& m) const override {
    RC_PRE(m.disk != LockModel::Disk::kOurs);
  }
  void apply(LockModel& m) const override { m.disk = LockModel::Disk::kFree; }
  void run(const LockModel&, Sut& sut) const override {
    fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
      pidlock::AcquireResult r = pidlock::TryAcquire(sut.dir, sut.key);
      if (r.outcome != pidlock::Outcome::kAcquired) _exit(30);
      if (r.lock.Release()) _exit(31);
      _exit(0);
    }
    const int code = WaitChild(child, 3000);
    RC_ASSERT(code != -2);  // -2: still blocked after 3 s
    RC_ASSERT(code == 0);
  }
  void show(std::ostream& os) const override {
    os << "OtherProcessTakesAndReleases";
  }
};

// A worker forked while the lock is held, that never execs and never
// touches the lock: it only keeps the inherited descriptors. Release() must
// not rely on close(2) to drop the key directory's flock (the worker's copy
// would keep it, and every later release or takeover of the key would block
// until the worker exits: README.md bug 2, fixed in 51aebc7).
struct ForkWorker : Command {
  void checkPreconditions(const LockModel& m) const override {
    RC_PRE(m.held && m.workers < 2);
  }
  void apply(LockModel& m) const override { ++m.workers; }
  void run(const LockModel&, Sut& sut) const override {
    fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
      sleep(60);
      _exit(0);
    }
    sut.workers.push_back(child);
  }
  void show(std::ostream& os) const override { os << "ForkWorker"; }
};

// Counted for the summary line printed at the end.
int g_sequences = 0;

class ModelSummary : public testing::Environment {
 public:
  void TearDown() override {
    printf(
        "RACE SUMMARY RaceModel: command sequences=%d (each in a fresh "
        "lock directory)\n",
        g_sequences);
  }
};
const testing::Environment* const kModelSummary =
    testing::AddGlobalTestEnvironment(new ModelSummary);

RC_GTEST_PROP(RaceModel, SingleProcessApiMatchesTheModel, ()) {
  ++g_sequences;
  LockModel model;
  Sut sut;
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<
                       TryAcquire, AcquireWithTimeout, Release, Inspect,
                       ForkThenReleaseInChild, HolderDiesHolding,
                       OtherProcessTakesAndReleases, ForkWorker>());
}

}  // namespace
}  // namespace pidlock_race
