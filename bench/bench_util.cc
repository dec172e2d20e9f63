// Copyright 2026 The pidlock Authors. MIT License.

#include "bench/bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "src/pidlock.h"

namespace pidlock_bench {
namespace {

constexpr char kBaselineRow[] = "cycle/flock_open_close";

std::map<std::string, double>& P50ByRow() {
  static std::map<std::string, double> p50;
  return p50;
}

std::string& Failure() {
  static std::string failure;
  return failure;
}

std::string& ScratchStorage() {
  static std::string scratch;
  return scratch;
}

// Parses "--name=value" for our flags; returns false when `arg` is not ours.
bool ParseOne(const char* arg, Flags* flags, bool* bad) {
  auto value_of = [arg](const char* name) -> const char* {
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=') return arg + n + 1;
    return nullptr;
  };
  auto to_int = [bad](const char* v) {
    char* end = nullptr;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < 0 || x > INT_MAX) *bad = true;
    return static_cast<int>(x);
  };
  auto to_seconds = [bad](const char* v) {
    char* end = nullptr;
    double x = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || !(x > 0)) *bad = true;
    return x;
  };
  const char* v;
  if ((v = value_of("--dir")) != nullptr) {
    flags->dir = v;
  } else if ((v = value_of("--cycles")) != nullptr) {
    flags->cycles = to_int(v);
  } else if ((v = value_of("--wakeup_samples")) != nullptr) {
    flags->wakeup_samples = to_int(v);
  } else if ((v = value_of("--slow_wakeup_samples")) != nullptr) {
    flags->slow_wakeup_samples = to_int(v);
  } else if ((v = value_of("--contention_seconds")) != nullptr) {
    flags->contention_seconds = to_seconds(v);
  } else if ((v = value_of("--row_seconds")) != nullptr) {
    flags->row_seconds = to_seconds(v);
  } else if ((v = value_of("--strace_steps")) != nullptr) {
    flags->strace_steps = v;
  } else if (strcmp(arg, "--witness_selftest") == 0) {
    flags->witness_selftest = true;
  } else {
    return false;
  }
  return true;
}

// The median cost of one NowNs() call, measured over a few thousand calls.
double ClockOverheadNs() {
  std::vector<int64_t> d;
  for (int i = 0; i < 5000; ++i) {
    int64_t a = NowNs();
    int64_t b = NowNs();
    d.push_back(b - a);
  }
  return Summarize(d).p50;
}

// Removes the scratch directory and reports a recorded failure.
int Finish(int status) {
  if (!ScratchStorage().empty()) RemoveTree(ScratchStorage());
  if (!Failure().empty()) {
    fprintf(stderr, "pidlock_bench: FAILED: %s\n", Failure().c_str());
    return status == 0 ? 1 : status;
  }
  return status;
}

}  // namespace

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void SleepNs(int64_t ns) {
  struct timespec ts = {static_cast<time_t>(ns / 1000000000),
                        static_cast<long>(ns % 1000000000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

Summary Summarize(std::vector<int64_t> samples) {
  Summary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  // Nearest rank: the smallest sample with at least p of all samples <= it.
  auto rank = [&](double p) {
    const double n = static_cast<double>(samples.size());
    size_t k = static_cast<size_t>(std::ceil(p * n));
    return static_cast<double>(samples[k == 0 ? 0 : k - 1]);
  };
  s.min = static_cast<double>(samples.front());
  s.max = static_cast<double>(samples.back());
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  double sum = 0;
  for (int64_t x : samples) sum += static_cast<double>(x);
  s.mean = sum / static_cast<double>(samples.size());
  return s;
}

void ReportLatency(benchmark::State& state, const std::string& row,
                   const std::vector<int64_t>& samples) {
  Summary s = Summarize(samples);
  state.counters["p50_us"] = s.p50 / 1e3;
  state.counters["p90_us"] = s.p90 / 1e3;
  state.counters["p99_us"] = s.p99 / 1e3;
  state.counters["min_us"] = s.min / 1e3;
  state.counters["max_us"] = s.max / 1e3;
  state.counters["mean_us"] = s.mean / 1e3;
  state.counters["samples"] = static_cast<double>(s.count);
  if (s.count == 0) return;
  P50ByRow()[row] = s.p50;
  auto baseline = P50ByRow().find(kBaselineRow);
  if (baseline != P50ByRow().end() && baseline->second > 0) {
    state.counters["ratio_p50"] = s.p50 / baseline->second;
  }
}

Flags& GetFlags() {
  static Flags flags;
  return flags;
}

void MarkFailed(const std::string& why) {
  if (Failure().empty()) Failure() = why;
}

void FailRow(benchmark::State& state, const std::string& row,
             const std::string& why) {
  state.SkipWithError(why.c_str());
  MarkFailed(row + ": " + why);
}

const std::string& ScratchDir() {
  std::string& scratch = ScratchStorage();
  if (scratch.empty()) {
    std::string pattern = GetFlags().dir + "/pidlock_bench.XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      fprintf(stderr, "pidlock_bench: mkdtemp(%s): %s\n", pattern.c_str(),
              strerror(errno));
      exit(2);
    }
    scratch = buffer.data();
  }
  return scratch;
}

std::string FreshDir(const std::string& name) {
  std::string path = ScratchDir() + "/" + name;
  RemoveTree(path);
  if (mkdir(path.c_str(), 0700) != 0) {
    fprintf(stderr, "pidlock_bench: mkdir(%s): %s\n", path.c_str(),
            strerror(errno));
    exit(2);
  }
  return path;
}

void RemoveTree(const std::string& path) {
  nftw(
      path.c_str(),
      [](const char* p, const struct stat*, int flag, struct FTW*) {
        if (flag == FTW_DP) {
          rmdir(p);
        } else {
          unlink(p);
        }
        return 0;
      },
      16, FTW_DEPTH | FTW_PHYS);
}

std::string FilesystemType(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) return "unknown";
  std::string target = resolved;
  std::ifstream mounts("/proc/self/mounts");
  std::string line, best_type = "unknown";
  size_t best_length = 0;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, mount_point, type;
    if (!(fields >> device >> mount_point >> type)) continue;
    bool inside = target == mount_point || mount_point == "/" ||
                  (target.compare(0, mount_point.size(), mount_point) == 0 &&
                   target.size() > mount_point.size() &&
                   target[mount_point.size()] == '/');
    // The last of equally long matches is the mount on top.
    if (inside && mount_point.size() >= best_length) {
      best_length = mount_point.size();
      best_type = type;
    }
  }
  return best_type;
}

pid_t ForkChild(const std::function<int()>& body) {
  fflush(nullptr);  // or the child's exit could write the parent's buffers
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  return pid;
}

int WaitChild(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int WaitChildFor(pid_t pid, int64_t timeout_ns) {
  const int64_t deadline = NowNs() + timeout_ns;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (r < 0 && errno != EINTR) return -1;
    if (NowNs() > deadline) {
      kill(pid, SIGKILL);
      WaitChild(pid);
      return -1;
    }
    SleepNs(1000000);  // the parent stays off the CPU the child needs
  }
}

bool WaitUntilBlockedIn(pid_t pid, const std::vector<long>& syscalls,
                        int64_t timeout_ns) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/syscall", static_cast<int>(pid));
  const int64_t deadline = NowNs() + timeout_ns;
  do {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char text[64];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0) return false;
    text[n] = '\0';
    // "running", or the syscall number and its arguments.
    char* end = nullptr;
    long number = strtol(text, &end, 10);
    if (end != text &&
        std::find(syscalls.begin(), syscalls.end(), number) != syscalls.end()) {
      return true;
    }
    SleepNs(20000);
  } while (NowNs() < deadline);
  return false;
}

Pipe::Pipe() {
  if (pipe2(fds_, O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
}

Pipe::~Pipe() {
  CloseRead();
  CloseWrite();
}

bool Pipe::Signal() {
  char byte = 1;
  ssize_t n;
  while ((n = write(fds_[1], &byte, 1)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

bool Pipe::Await() {
  char byte;
  ssize_t n;
  while ((n = read(fds_[0], &byte, 1)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

void Pipe::CloseWrite() {
  if (fds_[1] >= 0) close(fds_[1]);
  fds_[1] = -1;
}

void Pipe::CloseRead() {
  if (fds_[0] >= 0) close(fds_[0]);
  fds_[0] = -1;
}

int BenchmarkMain(int argc, char** argv, void (*register_rows)(),
                  int (*other_mode)()) {
  // Ours out, the rest (--benchmark_*) for Google Benchmark.
  int kept = 1;
  bool bad = false;
  for (int i = 1; i < argc; ++i) {
    if (!ParseOne(argv[i], &GetFlags(), &bad)) argv[kept++] = argv[i];
  }
  argc = kept;
  argv[argc] = nullptr;
  if (bad) {
    fprintf(stderr, "pidlock_bench: bad value in flags\n");
    return 2;
  }
  // A SIGKILLed or crashed child must not take the benchmark with it.
  signal(SIGPIPE, SIG_IGN);
  if (other_mode != nullptr) {
    int status = other_mode();
    if (status >= 0) return Finish(status);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  const Flags& flags = GetFlags();
  benchmark::AddCustomContext("pidlock_version", pidlock::kVersion);
  benchmark::AddCustomContext("dir", flags.dir);
  benchmark::AddCustomContext("filesystem", FilesystemType(flags.dir));
  char clock_overhead[32];
  snprintf(clock_overhead, sizeof(clock_overhead), "%.0f", ClockOverheadNs());
  benchmark::AddCustomContext("clock_overhead_ns", clock_overhead);
#ifdef __OPTIMIZE__
  benchmark::AddCustomContext("optimized", "yes");
#else
  benchmark::AddCustomContext("optimized", "no");
#endif
  register_rows();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return Finish(0);
}

}  // namespace pidlock_bench
