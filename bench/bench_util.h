// Copyright 2026 The pidlock Authors. MIT License.
//
// What every benchmark binary in bench/ shares: the clock, percentiles
// reported as Google Benchmark counters, the command-line flags (--dir, ...),
// a scratch directory on the file system under test, forked child processes
// and memory shared with them.
//
// Latencies are timed per operation with CLOCK_MONOTONIC and reported as
// percentiles (p50, p90, p99, ...), not only as Google Benchmark's mean:
//
//   std::vector<int64_t> samples;
//   for (auto _ : state) {
//     int64_t t0 = NowNs();
//     DoOneCycle();
//     int64_t ns = NowNs() - t0;
//     state.SetIterationTime(ns * 1e-9);  // benchmark's UseManualTime()
//     samples.push_back(ns);
//   }
//   ReportLatency(state, "cycle/pidlock", samples);

#ifndef PIDLOCK_BENCH_BENCH_UTIL_H_
#define PIDLOCK_BENCH_BENCH_UTIL_H_

#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

namespace pidlock_bench {

// CLOCK_MONOTONIC in nanoseconds. A vDSO call on x86-64 (no syscall); its
// own cost is reported as the context value "clock_overhead_ns".
int64_t NowNs();

// Sleeps `ns` nanoseconds (nanosleep, restarted on EINTR).
void SleepNs(int64_t ns);

// Percentiles of a set of samples (nearest rank), in nanoseconds.
struct Summary {
  size_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
Summary Summarize(std::vector<int64_t> samples);

// Sets the counters p50_us, p90_us, p99_us, min_us, max_us, mean_us and
// samples on `state`. Remembers the p50 of `row` ("family/mechanism"); when
// the baseline row "cycle/flock_open_close" has run before in this process,
// also sets ratio_p50 = p50 / baseline p50 (the ratios of the issue).
void ReportLatency(benchmark::State& state, const std::string& row,
                   const std::vector<int64_t>& samples);

// The flags of the benchmark binaries, parsed by BenchmarkMain. Defaults are
// those of the full run (bench/run.sh); bench/smoke.sh passes tiny values.
struct Flags {
  // The file system under test: the scratch directory is made inside it.
  std::string dir = "/dev/shm";
  // Steps per row of cycle_benchmark (the 20000), fewer where a
  // short pilot says they would take longer than row_seconds (milliseconds
  // per step: some peers on a disk); the row's counter `samples` says how
  // many it took.
  int cycles = 20000;
  double row_seconds = 10.0;
  // Samples per wake-up row; kSlow rows (QLockFile polls every 100+ ms) use
  // slow_wakeup_samples.
  int wakeup_samples = 200;
  int slow_wakeup_samples = 10;
  // Duration of each contention row.
  double contention_seconds = 1.0;
  // "<family>/<mechanism>:<n>": run n steps of one row outside Google
  // Benchmark and exit, for `strace -c -f` (bench/run.sh).
  std::string strace_steps;
  // contention_benchmark only: run the witness against no lock at all and
  // exit 0 iff it saw mutual exclusion violated (proves the witness works).
  bool witness_selftest = false;
};
Flags& GetFlags();

// Records a failure that makes the binary exit non-zero.
void MarkFailed(const std::string& why);

// Ends `row` with an error: SkipWithError (the JSON says error_occurred)
// and MarkFailed. The caller then leaves the benchmark loop.
void FailRow(benchmark::State& state, const std::string& row,
             const std::string& why);

// Parses our flags out of argv. Then, if `other_mode` is given and returns
// a status >= 0, exits with it (the --strace_steps and --witness_selftest
// modes). Else initializes Google Benchmark, adds the run's context
// (directory, file system, clock overhead, build mode), calls
// `register_rows` and runs the selected rows. Returns the process's exit
// status: 0; 1 after MarkFailed (a row error, a violated mutual exclusion);
// 2 on bad flags.
int BenchmarkMain(int argc, char** argv, void (*register_rows)(),
                  int (*other_mode)() = nullptr);

// The run's scratch directory: mkdtemp("<--dir>/pidlock_bench.XXXXXX"),
// removed with everything in it when BenchmarkMain returns.
const std::string& ScratchDir();

// Returns "<ScratchDir()>/<name>", created empty (mode 0700). Removes an
// earlier directory of that name first.
std::string FreshDir(const std::string& name);

// rm -rf, never following symlinks.
void RemoveTree(const std::string& path);

// The file system type of the mount holding `path` ("tmpfs", "ext4",
// "overlay", ...), from /proc/self/mounts; "unknown" if not found.
std::string FilesystemType(const std::string& path);

// Forks; the child runs `body` and _exit()s with its return value (never
// returning, never running destructors or atexit handlers of the parent's
// objects). Returns the child's pid, or -1.
pid_t ForkChild(const std::function<int()>& body);

// waitpid(2): returns the exit status, or 128 + signal number.
int WaitChild(pid_t pid);

// WaitChild for at most `timeout_ns`; then SIGKILLs and reaps the child and
// returns -1.
int WaitChildFor(pid_t pid, int64_t timeout_ns);

// Waits until `pid` sleeps in one of the system calls `syscalls` (the first
// field of /proc/<pid>/syscall), for at most `timeout_ns`. Returns false on
// timeout or when /proc/<pid>/syscall cannot be read.
bool WaitUntilBlockedIn(pid_t pid, const std::vector<long>& syscalls,
                        int64_t timeout_ns);

// A pipe for one-byte handshakes between a parent and a forked child.
class Pipe {
 public:
  Pipe();
  ~Pipe();
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  // Writes one byte; false on error.
  bool Signal();
  // Reads one byte; false on EOF (the other side closed) or error.
  bool Await();
  // Closing the write end makes the other side's Await() return false.
  void CloseWrite();
  void CloseRead();

 private:
  int fds_[2] = {-1, -1};
};

// An object of type T in anonymous MAP_SHARED memory, so that a parent and
// its forked children see the same bytes (std::atomic members that are lock
// free work across processes).
template <typename T>
class Shared {
 public:
  Shared() {
    void* p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("pidlock_bench: mmap(MAP_SHARED)");
      abort();
    }
    value_ = new (p) T();
  }
  ~Shared() {
    value_->~T();
    munmap(value_, sizeof(T));
  }
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;
  T* operator->() const { return value_; }
  T& operator*() const { return *value_; }

 private:
  T* value_;
};

}  // namespace pidlock_bench

#endif  // PIDLOCK_BENCH_BENCH_UTIL_H_
