// Copyright 2026 The pidlock Authors. MIT License.
//
// How soon a waiter gets the lock once it is free, for the mechanisms that
// can wait (Lock(timeout): pidlock::Acquire, blocking flock and OFD locks,
// QLockFile::tryLock(timeout)):
//   wake_after_release/<id>  the holder (this process) releases
//   wake_after_kill/<id>     the holder (a forked child) is SIGKILLed
// Each sample: a waiter is forked (before the holder acquires: it shares no
// descriptor with the holder) and calls Lock(10 s) once the lock is held;
// when /proc/<waiter>/syscall shows it asleep in the mechanism's wait (poll,
// flock, fcntl or nanosleep) and 200 us more have passed, CLOCK_MONOTONIC is
// stored just before the release (Unlock()) or kill(SIGKILL); the waiter
// stores CLOCK_MONOTONIC when Lock() returns acquired, in shared memory.
// Latency = the difference. For release, the time includes the releasing
// call up to its unlink/unlock (pidlock's Release() first takes the key
// directory's flock and re-reads the lock); release_call_p50_us reports how
// long the whole releasing call took.

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/mechanisms.h"

namespace pidlock_bench {
namespace {

constexpr std::chrono::milliseconds kWaiterTimeout(10000);
constexpr int64_t kBlockedTimeoutNs = 5000000000;  // waiter must sleep by then
constexpr int64_t kSettleNs = 200000;              // then 200 us more
constexpr int64_t kChildTimeoutNs = 15000000000;   // a stuck child fails

struct WakeShared {
  std::atomic<int64_t> acquired_ns{0};
};

enum class Cause { kRelease, kKill };

// Forks the waiter before anyone holds the lock, so that it is an unrelated
// process that shares none of the holder's descriptors. It makes its
// mechanism, signals `ready`, waits for `go`, then waits in Lock(), stores
// the time it got the lock, releases and exits 0 (3: not acquired).
pid_t ForkWaiter(const MechanismInfo& info, const std::string& dir, Pipe* ready,
                 Pipe* go, WakeShared* shared) {
  return ForkChild([&]() {
    go->CloseWrite();
    std::unique_ptr<Mechanism> m = info.make(dir);
    ready->Signal();
    if (!go->Await()) return 4;
    Attempt a = m->Lock(kWaiterTimeout);
    shared->acquired_ns.store(NowNs());
    if (a != Attempt::kAcquired) {
      fprintf(stderr, "waiter: %s\n",
              a == Attempt::kHeld ? "timed out" : m->error().c_str());
      return 3;
    }
    m->Unlock();
    return 0;
  });
}

// One sample; returns "" or what went wrong.
std::string Sample(const MechanismInfo& info, Cause cause,
                   const std::string& dir, Mechanism* holder,
                   WakeShared* shared, int64_t* latency_ns,
                   int64_t* release_call_ns, bool* seen_asleep) {
  Pipe ready, go;
  shared->acquired_ns.store(0);
  pid_t waiter = ForkWaiter(info, dir, &ready, &go, shared);
  go.CloseRead();
  if (waiter < 0 || !ready.Await()) {
    if (waiter > 0) WaitChildFor(waiter, kChildTimeoutNs);
    return "cannot start the waiter";
  }

  // The holder: this process, or a child that acquires and then waits to
  // be killed.
  pid_t holder_pid = -1;
  std::string failure;
  if (cause == Cause::kRelease) {
    if (holder->TryLock() != Attempt::kAcquired) {
      failure = "holder: " + holder->error();
    }
  } else {
    Pipe holding;
    holder_pid = ForkChild([&]() {
      std::unique_ptr<Mechanism> m = info.make(dir);
      if (m->TryLock() != Attempt::kAcquired) return 3;
      holding.Signal();
      for (;;) pause();
    });
    if (holder_pid < 0 || !holding.Await()) {
      failure = "the holder child did not acquire";
    }
  }
  if (!failure.empty()) {
    go.CloseWrite();  // the waiter leaves
    WaitChildFor(waiter, kChildTimeoutNs);
    if (holder_pid > 0) {
      kill(holder_pid, SIGKILL);
      WaitChild(holder_pid);
    }
    return failure;
  }

  go.Signal();
  *seen_asleep =
      WaitUntilBlockedIn(waiter, info.wait_syscalls, kBlockedTimeoutNs);
  SleepNs(kSettleNs);

  int64_t t_free;
  if (cause == Cause::kRelease) {
    t_free = NowNs();
    bool ok = holder->Unlock();
    *release_call_ns = NowNs() - t_free;
    if (!ok) failure = "Unlock: " + holder->error();
  } else {
    t_free = NowNs();
    kill(holder_pid, SIGKILL);
    WaitChild(holder_pid);  // reaped at once, as a supervisor would
  }
  int status = WaitChildFor(waiter, kChildTimeoutNs);
  if (!failure.empty()) return failure;
  if (status != 0) {
    return status < 0 ? "the waiter was still waiting after 15 s"
                      : "the waiter did not get the lock (exit status " +
                            std::to_string(status) + ")";
  }
  *latency_ns = shared->acquired_ns.load() - t_free;
  return "";
}

void RunRow(benchmark::State& state, const MechanismInfo* info, Cause cause) {
  const std::string family =
      cause == Cause::kRelease ? "wake_after_release" : "wake_after_kill";
  const std::string row = family + "/" + info->id;
  state.SetLabel(info->title);
  const std::string dir = FreshDir(family + "_" + info->id);
  Shared<WakeShared> shared;
  std::unique_ptr<Mechanism> holder = info->make(dir);
  std::vector<int64_t> samples, release_calls;
  int not_seen_asleep = 0;
  for (auto _ : state) {
    int64_t latency_ns = 0, release_call_ns = -1;
    bool seen_asleep = false;
    std::string e = Sample(*info, cause, dir, holder.get(), &*shared,
                           &latency_ns, &release_call_ns, &seen_asleep);
    if (!e.empty()) {
      FailRow(state, row, e);
      break;
    }
    if (!seen_asleep) ++not_seen_asleep;  // counted; the sample is kept
    if (release_call_ns >= 0) release_calls.push_back(release_call_ns);
    state.SetIterationTime(static_cast<double>(latency_ns) * 1e-9);
    samples.push_back(latency_ns);
  }
  ReportLatency(state, row, samples);
  state.counters["not_seen_asleep"] = not_seen_asleep;
  if (!release_calls.empty()) {
    state.counters["release_call_p50_us"] = Summarize(release_calls).p50 / 1e3;
  }
}

void RegisterRows() {
  const Flags& flags = GetFlags();
  for (Cause cause : {Cause::kRelease, Cause::kKill}) {
    for (const MechanismInfo& info : Mechanisms()) {
      if (!info.can_wait) continue;
      // An open+lock+close flock or OFD waiter waits exactly like a kept
      // one: only the kept variants get rows (and flock_open_close, the
      // baseline of the cycle rows).
      const std::string id = info.id;
      if (id == "ofd_open_close") continue;
      const std::string name =
          std::string(cause == Cause::kRelease ? "wake_after_release/"
                                               : "wake_after_kill/") +
          info.id;
      benchmark::RegisterBenchmark(name.c_str(), RunRow, &info, cause)
          ->Iterations(info.slow_wait ? flags.slow_wakeup_samples
                                      : flags.wakeup_samples)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace
}  // namespace pidlock_bench

int main(int argc, char** argv) {
  return pidlock_bench::BenchmarkMain(argc, argv, pidlock_bench::RegisterRows);
}
