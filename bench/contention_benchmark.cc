// Copyright 2026 The pidlock Authors. MIT License.
//
// N processes (forked, not threads; N = 2, 4, 8, 16 on this 2-core machine)
// loop on one lock for --contention_seconds: Lock(10 s), a short critical
// section, Unlock. pidlock (pidlock::Acquire) runs next to blocking flock.
// Two modes:
//   contention/<id>/free/<N>     each process re-acquires at once after
//                                releasing: a free-for-all, the stress test
//   contention/<id>/handoff/<N>  after releasing, a process waits until
//                                another one has acquired: every acquisition
//                                is a handoff to a process that was waiting
//                                (with N-1 waiters)
// The witness: a counter in MAP_SHARED memory, incremented on acquire and
// decremented before release; a holder that finds it already non-zero, or
// finds another holder's mark at the end of its critical section, counts a
// violation of mutual exclusion. Any violation fails the row and the binary.
// Handoff latency: CLOCK_MONOTONIC stored by the holder just before Unlock()
// to the next holder's (another process's) return from Lock().
//
// --witness_selftest runs the witness with no lock at all and exits 0 iff it
// caught violations (so a zero elsewhere means something).

#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/mechanisms.h"

namespace pidlock_bench {
namespace {

constexpr std::chrono::milliseconds kLockTimeout(10000);
// After the stop, all processes must be done within this time.
constexpr int64_t kDrainTimeoutNs = 30000000000;
// The critical section: this many pause instructions (well under 1 us) so
// that overlapping holders, if any, overlap long enough to be seen.
constexpr int kCriticalSpins = 64;
constexpr int64_t kMaxSamples = 1 << 20;

enum class Mode { kFree, kHandoff };

struct ContentionShared {
  std::atomic<int> ready{0};
  std::atomic<int> go{0};
  std::atomic<int> stop{0};
  // The witness.
  std::atomic<int> in_critical{0};
  std::atomic<int> owner{-1};  // the holder's index, written under the lock
  std::atomic<int64_t> violations{0};
  std::atomic<int64_t> errors{0};
  // Counted only before the stop.
  std::atomic<int64_t> acquisitions{0};
  std::atomic<int64_t> handoffs{0};
  std::atomic<int64_t> release_ns{0};  // stored just before Unlock()
  // Futex word for the handoff mode: +1 per acquisition.
  std::atomic<uint32_t> generation{0};
  std::atomic<int64_t> sample_count{0};
  int64_t samples[kMaxSamples];  // handoff latencies, ns
};

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word");

void FutexWait(std::atomic<uint32_t>* word, uint32_t value, int64_t ns) {
  struct timespec ts = {0, static_cast<long>(ns)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, value, &ts,
          nullptr, 0);
}

void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT32_MAX,
          nullptr, nullptr, 0);
}

int Worker(int index, Mode mode, const MechanismInfo& info,
           const std::string& dir, ContentionShared* s) {
  std::unique_ptr<Mechanism> m = info.make(dir);
  s->ready.fetch_add(1);
  while (s->go.load() == 0) SleepNs(50000);
  while (s->stop.load() == 0) {
    Attempt a = m->Lock(kLockTimeout);
    const int64_t t = NowNs();
    if (a != Attempt::kAcquired) {
      fprintf(stderr, "contention worker %d: %s\n", index,
              a == Attempt::kHeld ? "timed out" : m->error().c_str());
      s->errors.fetch_add(1);
      return 3;
    }
    // --- critical section ---
    if (s->in_critical.fetch_add(1) != 0) s->violations.fetch_add(1);
    const int previous = s->owner.exchange(index);
    if (s->stop.load() == 0) {
      s->acquisitions.fetch_add(1);
      if (previous >= 0 && previous != index) {
        s->handoffs.fetch_add(1);
        int64_t k = s->sample_count.fetch_add(1);
        if (k < kMaxSamples) s->samples[k] = t - s->release_ns.load();
      }
    }
    for (int i = 0; i < kCriticalSpins; ++i) __builtin_ia32_pause();
    if (s->owner.load() != index) s->violations.fetch_add(1);
    const uint32_t generation = s->generation.fetch_add(1) + 1;
    if (mode == Mode::kHandoff) FutexWakeAll(&s->generation);
    s->in_critical.fetch_sub(1);
    s->release_ns.store(NowNs());
    // --- end of critical section ---
    if (!m->Unlock()) {
      fprintf(stderr, "contention worker %d: %s\n", index, m->error().c_str());
      s->errors.fetch_add(1);
      return 3;
    }
    if (mode == Mode::kHandoff) {
      // Wait until another process has taken the lock (or the stop).
      while (s->generation.load() == generation && s->stop.load() == 0) {
        FutexWait(&s->generation, generation, 1000000);
      }
    }
  }
  return 0;
}

struct Episode {
  int64_t elapsed_ns = 0;
  int64_t acquisitions = 0, handoffs = 0, violations = 0, errors = 0;
  std::vector<int64_t> samples;
  std::string failure;  // "" or why the episode could not run or drain
};

// Runs `processes` workers for `seconds`.
Episode RunEpisode(const MechanismInfo& info, Mode mode, int processes,
                   double seconds, const std::string& dir) {
  Episode e;
  Shared<ContentionShared> s;
  std::vector<pid_t> pids;
  for (int i = 0; i < processes; ++i) {
    pid_t pid = ForkChild([&]() { return Worker(i, mode, info, dir, &*s); });
    if (pid < 0) {
      e.failure = "fork failed";
      s->stop.store(1);
      s->go.store(1);
      break;
    }
    pids.push_back(pid);
  }
  while (e.failure.empty() && s->ready.load() < processes) SleepNs(100000);
  const int64_t t0 = NowNs();
  s->go.store(1);
  SleepNs(static_cast<int64_t>(seconds * 1e9));
  s->stop.store(1);
  e.elapsed_ns = NowNs() - t0;
  FutexWakeAll(&s->generation);

  // Drain: the waiters get the lock one by one and leave.
  const int64_t deadline = NowNs() + kDrainTimeoutNs;
  size_t left = pids.size();
  std::vector<bool> done(pids.size(), false);
  while (left > 0) {
    for (size_t i = 0; i < pids.size(); ++i) {
      int status;
      if (!done[i] && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
        done[i] = true;
        --left;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++e.errors;
      }
    }
    if (left > 0 && NowNs() > deadline) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (!done[i]) {
          kill(pids[i], SIGKILL);
          WaitChild(pids[i]);
        }
      }
      e.failure = std::to_string(left) +
                  " processes still waiting 30 s "
                  "after the stop";
      break;
    }
    if (left > 0) SleepNs(1000000);
  }
  e.acquisitions = s->acquisitions.load();
  e.handoffs = s->handoffs.load();
  e.violations = s->violations.load();
  e.errors = std::max(e.errors, s->errors.load());
  int64_t n = std::min(s->sample_count.load(), kMaxSamples);
  e.samples.assign(s->samples, s->samples + n);
  return e;
}

void RunRow(benchmark::State& state, const MechanismInfo* info, Mode mode) {
  const int processes = static_cast<int>(state.range(0));
  const std::string row = std::string("contention/") + info->id +
                          (mode == Mode::kFree ? "/free/" : "/handoff/") +
                          std::to_string(processes);
  state.SetLabel(info->title);
  const std::string dir = FreshDir("contention_" + std::string(info->id));
  Episode e;
  for (auto _ : state) {
    e = RunEpisode(*info, mode, processes, GetFlags().contention_seconds, dir);
    state.SetIterationTime(static_cast<double>(e.elapsed_ns) * 1e-9);
  }
  const double seconds = static_cast<double>(e.elapsed_ns) * 1e-9;
  state.counters["processes"] = processes;
  state.counters["acquisitions_per_s"] =
      static_cast<double>(e.acquisitions) / seconds;
  state.counters["handoffs_per_s"] = static_cast<double>(e.handoffs) / seconds;
  state.counters["violations"] = static_cast<double>(e.violations);
  state.counters["errors"] = static_cast<double>(e.errors);
  ReportLatency(state, row, e.samples);
  if (e.violations > 0) {
    FailRow(
        state, row,
        "mutual exclusion violated " + std::to_string(e.violations) + " times");
  } else if (!e.failure.empty()) {
    FailRow(state, row, e.failure);
  } else if (e.errors > 0) {
    FailRow(state, row, std::to_string(e.errors) + " workers failed");
  }
}

void RegisterRows() {
  for (const char* id : {"pidlock", "flock_open_close", "flock_kept"}) {
    const MechanismInfo* info = FindMechanism(id);
    for (Mode mode : {Mode::kFree, Mode::kHandoff}) {
      const std::string name = std::string("contention/") + id +
                               (mode == Mode::kFree ? "/free" : "/handoff");
      benchmark::RegisterBenchmark(name.c_str(), RunRow, info, mode)
          ->Arg(2)
          ->Arg(4)
          ->Arg(8)
          ->Arg(16)
          ->Iterations(1)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

int WitnessSelftest() {
  if (!GetFlags().witness_selftest) return -1;
  const MechanismInfo none = {"none", "no lock", true, false, {}, MakeNoLock};
  Episode e = RunEpisode(none, Mode::kFree, 4, 0.2, FreshDir("selftest"));
  printf(
      "witness self-test: %lld violations in %lld acquisitions without a "
      "lock (%s)\n",
      static_cast<long long>(e.violations),
      static_cast<long long>(e.acquisitions),
      e.violations > 0 ? "the witness works" : "FAILED: it saw none");
  return e.violations > 0 ? 0 : 1;
}

}  // namespace
}  // namespace pidlock_bench

int main(int argc, char** argv) {
  return pidlock_bench::BenchmarkMain(argc, argv, pidlock_bench::RegisterRows,
                                      pidlock_bench::WitnessSelftest);
}
