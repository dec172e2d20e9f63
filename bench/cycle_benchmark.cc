// Copyright 2026 The pidlock Authors. MIT License.
//
// What one lock operation costs, in one process, for every mechanism of
// bench/mechanisms.h, in three families of rows:
//   cycle/<id>     uncontended acquire + release (TryLock + Unlock)
//   refused/<id>   TryLock against a live holder (a forked child holding
//                  the lock): the "already running" path
//   takeover/<id>  TryLock against the lock a SIGKILLed holder left behind
//                  (timed: the acquiring call only; the stale lock is put
//                  back and the lock released outside the timed part)
// Each step is timed on its own; rows report p50/p90/p99 as counters and
// ratio_p50 to cycle/flock_open_close of the same run.
//
// --strace_steps=<family>/<id>:<n> runs n steps of one row without Google
// Benchmark, for counting system calls with `strace -c -f` (bench/run.sh
// subtracts a run with n = 0).

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/mechanisms.h"

namespace pidlock_bench {
namespace {

const char* AttemptName(Attempt a) {
  switch (a) {
    case Attempt::kAcquired:
      return "acquired";
    case Attempt::kHeld:
      return "held";
    case Attempt::kError:
      return "error";
  }
  return "?";
}

// One family of rows: Setup once, then Step per sample.
class Fixture {
 public:
  explicit Fixture(const MechanismInfo& info) : info_(info) {}
  virtual ~Fixture() = default;
  // Returns "" or what went wrong.
  virtual std::string Setup() = 0;
  // One timed operation: sets *ns, returns "" or what went wrong.
  virtual std::string Step(int64_t* ns) = 0;
  // Counters beyond the latency percentiles.
  virtual void AddCounters(benchmark::State&) {}

 protected:
  std::string Unexpected(const char* what, Attempt got) {
    std::string s = std::string(what) + ": TryLock " + AttemptName(got);
    if (got == Attempt::kError) s += " (" + mechanism_->error() + ")";
    return s;
  }

  const MechanismInfo& info_;
  std::unique_ptr<Mechanism> mechanism_;
};

// Uncontended acquire + release.
class CycleFixture : public Fixture {
 public:
  using Fixture::Fixture;

  std::string Setup() override {
    mechanism_ = info_.make(FreshDir(std::string("cycle_") + info_.id));
    // Warm-up: the first acquisition creates directories and files and, for
    // pidlock, reads this process's identity from /proc (cached after).
    for (int i = 0; i < 3; ++i) {
      int64_t ns;
      std::string e = Step(&ns);
      if (!e.empty()) return "warm-up: " + e;
    }
    return "";
  }

  std::string Step(int64_t* ns) override {
    const int64_t t0 = NowNs();
    Attempt a = mechanism_->TryLock();
    bool released = a == Attempt::kAcquired && mechanism_->Unlock();
    *ns = NowNs() - t0;
    if (a != Attempt::kAcquired) return Unexpected("free lock", a);
    if (!released) return "Unlock: " + mechanism_->error();
    return "";
  }
};

// TryLock while a forked child holds the lock.
class RefusedFixture : public Fixture {
 public:
  using Fixture::Fixture;

  ~RefusedFixture() override {
    if (holder_ > 0) {
      release_.CloseWrite();  // the holder's Await() fails: it unlocks
      WaitChild(holder_);
    }
  }

  std::string Setup() override {
    const std::string dir = FreshDir(std::string("refused_") + info_.id);
    const MechanismInfo& info = info_;
    holder_ = ForkChild([&]() {
      release_.CloseWrite();
      std::unique_ptr<Mechanism> m = info.make(dir);
      if (m->TryLock() != Attempt::kAcquired) return 3;
      ready_.Signal();
      release_.Await();  // until the parent closes its end (or dies)
      m->Unlock();
      return 0;
    });
    release_.CloseRead();
    if (holder_ < 0 || !ready_.Await()) return "the holder did not acquire";
    mechanism_ = info_.make(dir);
    for (int i = 0; i < 3; ++i) {
      int64_t ns;
      std::string e = Step(&ns);
      if (!e.empty()) return "warm-up: " + e;
    }
    return "";
  }

  std::string Step(int64_t* ns) override {
    const int64_t t0 = NowNs();
    Attempt a = mechanism_->TryLock();
    *ns = NowNs() - t0;
    if (a == Attempt::kAcquired) mechanism_->Unlock();
    if (a != Attempt::kHeld) return Unexpected("lock held by a child", a);
    return "";
  }

 private:
  Pipe ready_, release_;
  pid_t holder_ = -1;
};

// TryLock against a stale lock: the one a SIGKILLed holder left behind.
class TakeoverFixture : public Fixture {
 public:
  using Fixture::Fixture;

  std::string Setup() override {
    dir_ = FreshDir(std::string("takeover_") + info_.id);
    std::string e = MakeStaleLock();
    if (!e.empty()) return e;
    mechanism_ = info_.make(dir_);
    for (int i = 0; i < 3; ++i) {
      int64_t ns;
      e = Step(&ns);
      if (!e.empty()) return "warm-up: " + e;
    }
    takeovers_ = 0;
    return "";
  }

  std::string Step(int64_t* ns) override {
    for (int attempt = 0;; ++attempt) {
      if (!RestoreArtifact(stale_)) return "cannot restore the stale lock";
      const int64_t t0 = NowNs();
      Attempt a = mechanism_->TryLock();
      *ns = NowNs() - t0;
      if (a == Attempt::kAcquired) {
        if (mechanism_->TookOver()) ++takeovers_;
        if (!mechanism_->Unlock()) return "Unlock: " + mechanism_->error();
        return "";
      }
      // The dead holder's PID may have been reused by a live process (PIDs
      // wrap at pid_max): make a new stale lock and try again.
      if (a != Attempt::kHeld || attempt >= 3) {
        return Unexpected("stale lock", a);
      }
      ++remade_;
      std::string e = MakeStaleLock();
      if (!e.empty()) return e;
    }
  }

  void AddCounters(benchmark::State& state) override {
    // Steps the mechanism itself reported as takeovers (pidlock, the seed).
    state.counters["takeovers"] = static_cast<double>(takeovers_);
    state.counters["stale_remade"] = static_cast<double>(remade_);
  }

 private:
  // A child acquires and is SIGKILLed while holding; what it left is
  // captured, to be put back before each step.
  std::string MakeStaleLock() {
    Pipe ready;
    const MechanismInfo& info = info_;
    const std::string dir = dir_;
    pid_t child = ForkChild([&]() {
      std::unique_ptr<Mechanism> m = info.make(dir);
      if (m->TryLock() != Attempt::kAcquired) return 3;
      ready.Signal();
      for (;;) pause();
    });
    if (child < 0) return "fork failed";
    bool acquired = ready.Await();
    kill(child, SIGKILL);
    WaitChild(child);
    if (!acquired) return "the child did not acquire";
    if (!CaptureArtifact(mechanism_ ? mechanism_->ArtifactPath()
                                    : info_.make(dir_)->ArtifactPath(),
                         &stale_)) {
      return "the dead holder left nothing to take over";
    }
    return "";
  }

  std::string dir_;
  Artifact stale_;
  int64_t takeovers_ = 0;
  int64_t remade_ = 0;
};

using FixtureMaker = std::unique_ptr<Fixture> (*)(const MechanismInfo&);

struct Family {
  const char* name;
  FixtureMaker make;
};

const Family kFamilies[] = {
    {"cycle",
     [](const MechanismInfo& i) -> std::unique_ptr<Fixture> {
       return std::make_unique<CycleFixture>(i);
     }},
    {"refused",
     [](const MechanismInfo& i) -> std::unique_ptr<Fixture> {
       return std::make_unique<RefusedFixture>(i);
     }},
    {"takeover",
     [](const MechanismInfo& i) -> std::unique_ptr<Fixture> {
       return std::make_unique<TakeoverFixture>(i);
     }},
};

void RunRow(benchmark::State& state, const Family* family,
            const MechanismInfo* info) {
  const std::string row = std::string(family->name) + "/" + info->id;
  state.SetLabel(info->title);
  std::unique_ptr<Fixture> fixture = family->make(*info);
  std::string e = fixture->Setup();
  if (!e.empty()) {
    FailRow(state, row, e);
    for (auto _ : state) {
    }
    return;
  }
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(state.max_iterations));
  for (auto _ : state) {
    int64_t ns = 0;
    e = fixture->Step(&ns);
    if (!e.empty()) {
      FailRow(state, row, e);
      break;
    }
    state.SetIterationTime(static_cast<double>(ns) * 1e-9);
    samples.push_back(ns);
  }
  fixture->AddCounters(state);
  ReportLatency(state, row, samples);
}

// The number of steps for a row: --cycles, or fewer when a pilot of a few
// steps (wall time, untimed parts included) says --cycles would take longer
// than --row_seconds; at least kMinSteps.
int64_t StepsFor(const Family& family, const MechanismInfo& info) {
  constexpr int kPilotSteps = 10;
  constexpr int64_t kMinSteps = 200;
  const Flags& flags = GetFlags();
  std::unique_ptr<Fixture> pilot = family.make(info);
  if (!pilot->Setup().empty()) return flags.cycles;  // the row will report it
  const int64_t t0 = NowNs();
  for (int i = 0; i < kPilotSteps; ++i) {
    int64_t ns;
    if (!pilot->Step(&ns).empty()) return flags.cycles;
  }
  const double step_s = static_cast<double>(NowNs() - t0) * 1e-9 / kPilotSteps;
  const double budget = flags.row_seconds / step_s;
  if (budget >= flags.cycles) return flags.cycles;
  return std::max(kMinSteps, static_cast<int64_t>(budget));
}

void RegisterRows() {
  // Families in order, the baseline cycle/flock_open_close first, so every
  // later row gets its ratio.
  for (const Family& family : kFamilies) {
    for (const MechanismInfo& info : Mechanisms()) {
      benchmark::RegisterBenchmark(
          (std::string(family.name) + "/" + info.id).c_str(), RunRow, &family,
          &info)
          ->Iterations(StepsFor(family, info))
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

// --strace_steps=<family>/<id>:<n>
int StraceSteps() {
  const std::string spec = GetFlags().strace_steps;
  if (spec.empty()) return -1;
  size_t slash = spec.find('/'), colon = spec.rfind(':');
  if (slash == std::string::npos || colon == std::string::npos ||
      colon < slash) {
    fprintf(stderr, "--strace_steps=<family>/<mechanism>:<n>\n");
    return 2;
  }
  const std::string family_name = spec.substr(0, slash);
  const MechanismInfo* info =
      FindMechanism(spec.substr(slash + 1, colon - slash - 1));
  const long n = strtol(spec.c_str() + colon + 1, nullptr, 10);
  const Family* family = nullptr;
  for (const Family& f : kFamilies) {
    if (family_name == f.name) family = &f;
  }
  if (info == nullptr || family == nullptr || n < 0) {
    fprintf(stderr, "--strace_steps: unknown row or count: %s\n", spec.c_str());
    return 2;
  }
  std::unique_ptr<Fixture> fixture = family->make(*info);
  std::string e = fixture->Setup();
  for (long i = 0; e.empty() && i < n; ++i) {
    int64_t ns;
    e = fixture->Step(&ns);
  }
  fixture.reset();
  if (!e.empty()) {
    fprintf(stderr, "%s: %s\n", spec.c_str(), e.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace pidlock_bench

int main(int argc, char** argv) {
  return pidlock_bench::BenchmarkMain(argc, argv, pidlock_bench::RegisterRows,
                                      pidlock_bench::StraceSteps);
}
