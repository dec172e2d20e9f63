// Copyright 2026 The pidlock Authors. MIT License.
//
// Process trees racing for one lock: `pidlock run` must guard COMMAND's whole
// job, not just COMMAND. In a trial, K (3..6) wrappers
//
//   pidlock run --dir D --key job --wait --timeout 20 -- sh -c SCRIPT WORKER
//
// start nearly at once, each guarding one job shape:
//   shell           sh -c '"$0"; exit $?' tree_worker       (a grandchild)
//   daemon          sh -c '("$1" "$0" &); exit 0' tree_worker setsid
//                   (double-forked into its own session; COMMAND exits at
//                   once while the worker runs)
//   setuid          the shell shape with a root-owned mode 4755 copy of the
//   setuid_daemon   worker, and the daemon shape with it; these run only in
//                   trials whose wrappers all run as uid 65534 (setpriv), as
//                   root only
// The worker (tree_worker.cc) is the guarded work: it proves to the witness
// (witness.h: an atomic holder counter and its maximum, mkdir of a witness
// directory) that it runs, for 5..40 ms. Meanwhile the test SIGKILLs or
// SIGTERMs some wrappers: when a wrapper's worker is seen running (after a
// random delay) or at a random time. Workers are never SIGKILLed (a SIGKILLed
// worker could not Leave); SIGTERM reaches them only through a wrapper.
//
// Counted: guarded runs (worker entries), wrapper kills by signal, and double
// runs (an Enter that found another holder in, by the counter or the
// directory). Checked per trial: no double run, the counter back at 0, every
// wrapper that was not signalled exits 0 after its worker ran, a SIGKILLed one
// dies of SIGKILL, a SIGTERMed one ends 0, 143 or of SIGTERM, all of it within
// a deadline (else everything is killed and the trial fails); afterwards
// `pidlock status` says free or stale (3) and `pidlock run -- true` exits 0.
//
// The test process is a child subreaper: a job whose wrapper died is
// reparented to it, so "everything ended" is waitpid's ECHILD, and a trial
// past its deadline can kill every descendant.
//
// The teeth: the same trials against subject_child_only (the command as it
// was: guards its direct child only, its witness close-on-exec) must find
// double runs. Environment: PIDLOCK_RACE_TREE_SEED=N replays a run's trial
// plans; PIDLOCK_RACE_TREE_SECONDS=N runs the property's trials for at least
// N seconds (soak); PIDLOCK_RACE_KEEP=1 keeps the trial directories (with
// each wrapper's log); PIDLOCK_RACE_DIR as in the rest of the suite.

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/race/witness.h"

namespace pidlock_race {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr uid_t kNobody = 65534;
constexpr int64_t kMs = 1000000;
// A trial takes well under a second; past this, it hangs.
constexpr int64_t kTrialDeadlineNs = 15000 * kMs;

// ----------------------------------------------------------------------------
// Tools and directories.

std::string Runfile(const std::string& relative) {
  std::vector<std::string> roots;
  if (const char* d = getenv("TEST_SRCDIR")) roots.push_back(d);
  if (const char* d = getenv("RUNFILES_DIR")) roots.push_back(d);
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    roots.push_back(std::string(exe, static_cast<size_t>(n)) + ".runfiles");
  }
  for (const std::string& root : roots) {
    for (const char* ws : {"pidlock", "__main__"}) {
      const std::string path = root + "/" + ws + "/" + relative;
      if (access(path.c_str(), R_OK) == 0) return path;
    }
  }
  return relative;
}

std::string FindSystemProgram(const char* name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
    const std::string path = std::string(dir) + "/" + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

bool CopyFile(const std::string& from, const std::string& to, mode_t mode) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!in || !out) return false;
  out << in.rdbuf();
  out.close();
  return out.good() && chmod(to.c_str(), mode) == 0;
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

void RemoveTree(const std::string& path) {
  if (!path.empty()) nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

// At most `cap` bytes of a file, "" when it cannot be read (a /proc entry
// whose process just went, say). No streams: they throw on read errors.
std::string ReadFile(const std::string& path, size_t cap = 4096) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string s;
  char buf[4096];
  ssize_t n;
  while (s.size() <= cap && (n = read(fd, buf, sizeof(buf))) > 0) {
    s.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (s.size() > cap) s = s.substr(0, cap) + "...";
  return s;
}

void SleepNs(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void CloseFrom(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  for (int fd = first; fd < 4096; ++fd) close(fd);
}

struct TreeEnv {
  std::string setpriv, sh, setsid;
  // Root trials: the runfiles, and trial directories under PIDLOCK_RACE_DIR
  // (else TEST_TMPDIR).
  std::string cli, child_only, worker, base;
  // Trials as uid 65534: copies under a world-traversable /tmp directory
  // (the runfiles are under /root), plus the setuid worker.
  bool nobody = false;
  std::string nobody_why;  // why not
  std::string nobody_base, n_cli, n_child_only, n_worker, n_suid_worker;
  bool keep = false;
};

// Runs argv (as uid 65534 when `nobody`) with stdout and stderr captured;
// returns the wait status, or -1 when it had to be killed after timeout_ms.
int RunCommand(const TreeEnv& env, bool nobody, std::vector<std::string> argv,
               std::string* output, int64_t timeout_ms = 10000) {
  if (nobody) {
    argv.insert(argv.begin(), {env.setpriv, "--reuid=65534", "--regid=65534",
                               "--clear-groups", "--"});
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    CloseFrom(3);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(&a[0]);
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  if (pid < 0) {
    close(pipefd[0]);
    return -1;
  }
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  std::string out;
  const int64_t give_up = MonotonicNs() + timeout_ms * kMs;
  int status = 0;
  bool killed = false;
  for (;;) {
    char buf[512];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (!killed && MonotonicNs() > give_up) {
      kill(pid, SIGKILL);
      killed = true;
    }
    SleepNs(kMs / 2);
  }
  char buf[512];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  close(pipefd[0]);
  if (output != nullptr) *output = out;
  return killed ? -1 : status;
}

std::string DescribeStatus(int status) {
  if (status == -1) return "timed out";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return std::string("killed by ") + sigabbrev_np(WTERMSIG(status));
  }
  return "status " + std::to_string(status);
}

void SetUpNobody(TreeEnv* env) {
  if (geteuid() != 0) {
    env->nobody_why = "not root";
    return;
  }
  if (env->setpriv.empty()) {
    env->nobody_why = "no setpriv";
    return;
  }
  char tmpl[] = "/tmp/pidlock-race-tree.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    env->nobody_why = std::string("mkdtemp /tmp: ") + strerror(errno);
    return;
  }
  env->nobody_base = tmpl;
  chmod(tmpl, 0711);
  const std::string bin = env->nobody_base + "/bin";
  mkdir(bin.c_str(), 0755);
  chmod(bin.c_str(), 0755);
  env->n_cli = bin + "/pidlock";
  env->n_child_only = bin + "/subject_child_only";
  env->n_worker = bin + "/tree_worker";
  env->n_suid_worker = bin + "/tree_worker_setuid";
  if (!CopyFile(env->cli, env->n_cli, 0755) ||
      !CopyFile(env->child_only, env->n_child_only, 0755) ||
      !CopyFile(env->worker, env->n_worker, 0755) ||
      !CopyFile(env->worker, env->n_suid_worker, 0755) ||
      chown(env->n_suid_worker.c_str(), 0, 0) != 0 ||
      chmod(env->n_suid_worker.c_str(), 04755) != 0) {
    env->nobody_why = "cannot copy the programs to " + bin;
    return;
  }
  std::string out;
  int st = RunCommand(*env, true, {env->n_worker, "--euid"}, &out);
  if (st != 0 || atoi(out.c_str()) != static_cast<int>(kNobody)) {
    env->nobody_why =
        "setpriv to uid 65534 failed: " + DescribeStatus(st) + ": " + out;
    return;
  }
  st = RunCommand(*env, true, {env->n_suid_worker, "--euid"}, &out);
  if (st != 0 || atoi(out.c_str()) != 0) {
    env->nobody_why =
        "a mode 4755 root-owned copy of the worker does not run as root "
        "(nosuid mount?): " +
        DescribeStatus(st) + ": " + out;
    return;
  }
  env->nobody = true;
}

TreeEnv* g_env = nullptr;

TreeEnv* NewEnv() {
  auto* env = new TreeEnv;
  // Orphans of the trials' jobs become our children: ECHILD means the whole
  // tree is gone.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  env->setpriv = FindSystemProgram("setpriv");
  env->sh = FindSystemProgram("sh");
  env->setsid = FindSystemProgram("setsid");
  env->cli = Runfile("src/cli/pidlock");
  env->child_only = Runfile("tests/race/subject_child_only");
  env->worker = Runfile("tests/race/tree_worker");
  const char* keep = getenv("PIDLOCK_RACE_KEEP");
  env->keep = keep != nullptr && *keep != '\0' && strcmp(keep, "0") != 0;
  const char* base = getenv("PIDLOCK_RACE_DIR");
  if (base == nullptr || *base == '\0') base = getenv("TEST_TMPDIR");
  if (base == nullptr || *base == '\0') base = "/tmp";
  std::string tmpl = std::string(base) + "/race_tree.XXXXXX";
  if (mkdtemp(&tmpl[0]) != nullptr) env->base = tmpl;
  SetUpNobody(env);
  if (!env->nobody) {
    printf(
        "RACE SKIPPED: race_tree: trials as uid 65534 and the setuid "
        "worker: %s\n",
        env->nobody_why.c_str());
  }
  atexit([] {
    if (g_env == nullptr || g_env->keep) return;
    RemoveTree(g_env->base);
    RemoveTree(g_env->nobody_base);
  });
  return env;
}

const TreeEnv& Env() {
  if (g_env == nullptr) g_env = NewEnv();
  return *g_env;
}

// Every process below this one (by /proc's parent links).
std::vector<pid_t> Descendants() {
  std::map<pid_t, std::vector<pid_t>> children;
  DIR* d = opendir("/proc");
  if (d == nullptr) return {};
  while (struct dirent* e = readdir(d)) {
    const pid_t pid = static_cast<pid_t>(atoi(e->d_name));
    if (pid <= 0) continue;
    const std::string stat =
        ReadFile("/proc/" + std::string(e->d_name) + "/stat");
    const size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (sscanf(stat.c_str() + close_paren + 1, " %c %d", &state, &ppid) != 2) {
      continue;
    }
    children[static_cast<pid_t>(ppid)].push_back(pid);
  }
  closedir(d);
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {getpid()};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p]) {
      out.push_back(c);
      todo.push_back(c);
    }
  }
  return out;
}

// Kills every descendant and reaps every child; true when none is left.
bool KillDescendants() {
  for (int round = 0; round < 100; ++round) {
    for (pid_t p : Descendants()) kill(p, SIGKILL);
    int status;
    pid_t r;
    while ((r = waitpid(-1, &status, WNOHANG)) > 0) {
    }
    if (r < 0 && errno == ECHILD) return true;
    SleepNs(10 * kMs);
  }
  return false;
}

// ----------------------------------------------------------------------------
// Trials.

enum class Subject { kPidlock, kChildOnly };
enum class Shape { kShell, kDaemon, kSetuid, kSetuidDaemon };
enum class Trigger { kWhileWorking, kAt };

const char* ShapeName(Shape s) {
  switch (s) {
    case Shape::kShell:
      return "shell";
    case Shape::kDaemon:
      return "daemon";
    case Shape::kSetuid:
      return "setuid";
    case Shape::kSetuidDaemon:
      return "setuid_daemon";
  }
  return "?";
}

bool IsSetuid(Shape s) {
  return s == Shape::kSetuid || s == Shape::kSetuidDaemon;
}

bool IsDaemon(Shape s) {
  return s == Shape::kDaemon || s == Shape::kSetuidDaemon;
}

struct KillPlan {
  // A wrapper; -1: the first one whose worker is seen in and still in
  // after the delay.
  int target = -1;
  int sig = SIGKILL;
  Trigger trigger = Trigger::kWhileWorking;
  int delay_ms = 0;  // after the worker is seen in, or after the start
};

struct Plan {
  bool nobody = false;  // every wrapper runs as uid 65534
  std::vector<Shape> shapes;
  std::vector<int> hold_ms;
  std::vector<int> skew_us;  // exec after the common start
  std::vector<KillPlan> kills;
  // Once a SIGKILLed wrapper is reaped while its worker still runs, ask
  // `pidlock status --json`: the job must still hold the lock (JobAlive).
  bool probe_job_alive = false;

  std::string ToString() const {
    std::ostringstream os;
    os << "trial uid=" << (nobody ? kNobody : 0) << " w=";
    for (size_t i = 0; i < shapes.size(); ++i) {
      os << (i ? "," : "") << ShapeName(shapes[i]) << "/" << hold_ms[i]
         << "ms/+" << skew_us[i] << "us";
    }
    os << " k=";
    if (kills.empty()) os << "-";
    for (size_t i = 0; i < kills.size(); ++i) {
      const KillPlan& k = kills[i];
      os << (i ? "," : "") << sigabbrev_np(k.sig) << "@";
      if (k.target < 0) {
        os << "first";
      } else {
        os << k.target;
      }
      os << (k.trigger == Trigger::kWhileWorking ? "+working+" : "+at+")
         << k.delay_ms << "ms";
    }
    return os.str();
  }
};

struct Wrapper {
  pid_t pid = -1;
  bool reaped = false;
  int status = 0;
  int64_t end_ns = 0;
  int sent = 0;  // the signal the test sent, 0 if none
  int64_t sent_ns = 0;
  bool sent_while_working = false;
  std::string log;
};

// What a trial counts, and a run adds up.
struct Counts {
  int wrappers = 0;
  int entries = 0;
  int double_runs = 0;
  int sigkills = 0;
  int sigterms = 0;
  int kills_while_working = 0;
  int orphans_reaped = 0;
  int setuid_runs = 0;
  int daemon_runs = 0;
  int job_alive_probes = 0;
  // Signals that came too late: the wrapper exited 0 after its worker had
  // left (not counted as kills).
  int late_kills = 0;

  void Add(const Counts& c) {
    wrappers += c.wrappers;
    entries += c.entries;
    double_runs += c.double_runs;
    sigkills += c.sigkills;
    sigterms += c.sigterms;
    kills_while_working += c.kills_while_working;
    orphans_reaped += c.orphans_reaped;
    setuid_runs += c.setuid_runs;
    daemon_runs += c.daemon_runs;
    job_alive_probes += c.job_alive_probes;
    late_kills += c.late_kills;
  }
};

struct TrialResult : Counts {
  int64_t elapsed_ms = 0;
  std::vector<std::string> problems;  // anything but a double run
  std::vector<std::string> doubles;   // how each double run happened
  std::string report;                 // the wrappers, on failure
};

bool Working(const Slot& s) {
  return s.entered.load() == 1 && s.left.load() == 0;
}

std::string Ms(int64_t ns) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

// Has `pid`, our child, exited (reaped or not)?
bool Exited(const Wrapper& w) {
  if (w.reaped) return true;
  siginfo_t info;
  memset(&info, 0, sizeof(info));
  if (waitid(P_PID, static_cast<id_t>(w.pid), &info,
             WEXITED | WNOHANG | WNOWAIT) != 0) {
    return true;
  }
  return info.si_pid == w.pid;
}

TrialResult RunTrial(Subject subject, const Plan& plan) {
  const TreeEnv& env = Env();
  TrialResult r;
  const int k = static_cast<int>(plan.shapes.size());
  r.wrappers = k;
  const bool nobody = plan.nobody;
  std::string tdir = (nobody ? env.nobody_base : env.base) + "/t.XXXXXX";
  if (mkdtemp(&tdir[0]) == nullptr) {
    r.problems.push_back("mkdtemp " + tdir + ": " + strerror(errno));
    return r;
  }
  const std::string locks = tdir + "/locks";
  const std::string region_path = tdir + "/region";
  const std::string witness_dir = tdir + "/witness";
  mkdir(locks.c_str(), 0700);
  Region* region = CreateRegion(region_path);
  if (region == nullptr) {
    r.problems.push_back("cannot create the witness region " + region_path);
    return r;
  }
  if (nobody) {
    for (const std::string& p : {tdir, locks, region_path}) {
      if (chown(p.c_str(), kNobody, kNobody) != 0) {
        r.problems.push_back("chown " + p + ": " + strerror(errno));
      }
    }
  }
  const std::string subject_path =
      subject == Subject::kPidlock
          ? (nobody ? env.n_cli : env.cli)
          : (nobody ? env.n_child_only : env.child_only);
  const std::string cli = nobody ? env.n_cli : env.cli;

  int barrier[2];
  if (pipe2(barrier, O_CLOEXEC) != 0) {
    r.problems.push_back(std::string("pipe: ") + strerror(errno));
    UnmapRegion(region);
    return r;
  }
  std::vector<Wrapper> w(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) {
    const Shape shape = plan.shapes[static_cast<size_t>(i)];
    const std::string worker = IsSetuid(shape)
                                   ? env.n_suid_worker
                                   : (nobody ? env.n_worker : env.worker);
    std::vector<std::string> argv;
    if (nobody) {
      argv = {env.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
              "--"};
    }
    argv.insert(argv.end(),
                {subject_path, "run", "--dir", locks, "--key", "job", "--wait",
                 "--timeout", "20", "--", env.sh, "-c"});
    if (IsDaemon(shape)) {
      argv.insert(argv.end(),
                  {"(\"$1\" \"$0\" &); exit 0", worker, env.setsid});
    } else {
      argv.insert(argv.end(), {"\"$0\"; exit $?", worker});
    }
    const std::string log = tdir + "/wrapper-" + std::to_string(i) + ".log";
    const pid_t pid = fork();
    if (pid == 0) {
      close(barrier[1]);
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      int null = open("/dev/null", O_RDONLY);
      if (null >= 0) dup2(null, 0);
      char c;
      while (read(barrier[0], &c, 1) != 0 && errno == EINTR) {
      }
      CloseFrom(3);
      setenv("RACE_WITNESS", region_path.c_str(), 1);
      setenv("RACE_WITNESS_DIR", witness_dir.c_str(), 1);
      setenv("RACE_INDEX", std::to_string(i).c_str(), 1);
      setenv("RACE_HOLD_MS",
             std::to_string(plan.hold_ms[static_cast<size_t>(i)]).c_str(), 1);
      SleepNs(static_cast<int64_t>(plan.skew_us[static_cast<size_t>(i)]) *
              1000);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(&a[0]);
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    w[static_cast<size_t>(i)].pid = pid;
    w[static_cast<size_t>(i)].log = log;
  }
  close(barrier[0]);
  const int64_t start = MonotonicNs();
  close(barrier[1]);  // go

  struct Pending {
    KillPlan plan;
    int target = -1;
    int64_t fire_at = -1;
    bool done = false;
  };
  std::vector<Pending> pending;
  for (const KillPlan& kp : plan.kills) {
    Pending p;
    p.plan = kp;
    p.target = kp.target;
    if (kp.trigger == Trigger::kAt) p.fire_at = start + kp.delay_ms * kMs;
    pending.push_back(p);
  }
  bool probed = false;
  bool deadline = false;
  for (;;) {
    // Reap.
    bool all_gone = false;
    for (;;) {
      int status = 0;
      const pid_t done = waitpid(-1, &status, WNOHANG);
      if (done < 0) {
        all_gone = errno == ECHILD;
        break;
      }
      if (done == 0) break;
      bool ours = false;
      for (Wrapper& x : w) {
        if (x.pid == done) {
          x.reaped = true;
          x.status = status;
          x.end_ns = MonotonicNs();
          ours = true;
        }
      }
      if (!ours) ++r.orphans_reaped;
    }
    if (all_gone) break;
    const int64_t now = MonotonicNs();
    if (now - start > kTrialDeadlineNs) {
      deadline = true;
      break;
    }
    // Kill.
    for (Pending& p : pending) {
      if (p.done) continue;
      if (p.fire_at < 0) {
        int seen = -1;
        if (p.target >= 0) {
          if (Working(region->slots[p.target])) seen = p.target;
        } else {
          for (int i = 0; i < k && seen < 0; ++i) {
            if (w[static_cast<size_t>(i)].sent == 0 &&
                Working(region->slots[i])) {
              seen = i;
            }
          }
        }
        if (seen >= 0) {
          p.target = seen;
          p.fire_at = now + p.plan.delay_ms * kMs;
        }
        continue;
      }
      if (now < p.fire_at) continue;
      Wrapper& x = w[static_cast<size_t>(p.target)];
      if (p.plan.target < 0 &&
          (x.sent != 0 || Exited(x) || !Working(region->slots[p.target]))) {
        // "The first one seen working" is done by now: the next one.
        p.target = -1;
        p.fire_at = -1;
        continue;
      }
      p.done = true;
      if (x.sent != 0 || Exited(x)) continue;  // nothing to kill
      const bool working = Working(region->slots[p.target]);
      if (kill(x.pid, p.plan.sig) != 0) continue;
      x.sent = p.plan.sig;
      x.sent_ns = MonotonicNs();
      x.sent_while_working = working;
      if (p.plan.sig == SIGKILL) {
        ++r.sigkills;
      } else {
        ++r.sigterms;
      }
      if (working) ++r.kills_while_working;
    }
    // Probe: a SIGKILLed wrapper's job still holds the lock.
    if (plan.probe_job_alive && !probed) {
      for (int i = 0; i < k && !probed; ++i) {
        const Wrapper& x = w[static_cast<size_t>(i)];
        if (x.sent != SIGKILL || !x.reaped || !Working(region->slots[i])) {
          continue;
        }
        probed = true;
        std::string out;
        const int st = RunCommand(
            env, nobody,
            {cli, "status", "--dir", locks, "--key", "job", "--json"}, &out);
        const bool still = Working(region->slots[i]);
        ++r.job_alive_probes;
        if (!still) {
          --r.job_alive_probes;  // the worker left meanwhile: no verdict
        } else if (st != 0 ||
                   out.find("\"pid\":" + std::to_string(x.pid) + ",") ==
                       std::string::npos ||
                   out.find("\"reason\":\"JobAlive\"") == std::string::npos) {
          r.problems.push_back(
              "wrapper " + std::to_string(i) +
              " was SIGKILLed while its worker runs: `pidlock status` should "
              "say held by it (exit 0), reason JobAlive; got " +
              DescribeStatus(st) + ": " + out);
        }
      }
    }
    SleepNs(kMs / 4);
  }
  if (deadline) {
    r.problems.push_back("trial deadline (" + Ms(kTrialDeadlineNs) +
                         ") passed: killed every process left");
    if (!KillDescendants()) r.problems.push_back("could not kill them all");
    for (Wrapper& x : w) {
      if (!x.reaped) {
        x.reaped = true;
        x.status = -1;
        x.end_ns = MonotonicNs();
      }
    }
  }
  r.elapsed_ms = (MonotonicNs() - start) / kMs;

  // The witness.
  r.entries = region->entries.load();
  for (int j = 0; j < k; ++j) {
    const Slot& s = region->slots[j];
    const Shape shape = plan.shapes[static_cast<size_t>(j)];
    if (s.entered.load() == 0) continue;
    if (IsSetuid(shape)) ++r.setuid_runs;
    if (IsDaemon(shape)) ++r.daemon_runs;
    if (s.holders_at_enter.load() <= 1 && s.collided.load() == 0) continue;
    ++r.double_runs;
    std::ostringstream os;
    const int64_t at = s.enter_ns.load();
    os << "worker " << j << " (" << ShapeName(shape) << ") entered at +"
       << Ms(at - start) << " with " << s.holders_at_enter.load()
       << " holder(s) in" << (s.collided.load() ? ", witness dir there" : "");
    const Wrapper& own = w[static_cast<size_t>(j)];
    if (own.reaped && own.end_ns <= at) {
      os << " (its own wrapper had ended: " << DescribeStatus(own.status)
         << " at +" << Ms(own.end_ns - start) << ")";
    }
    for (int i = 0; i < k; ++i) {
      const Slot& o = region->slots[i];
      if (i == j || o.entered.load() == 0 || o.enter_ns.load() > at) continue;
      if (o.left.load() == 1 && o.leave_ns.load() < at) continue;
      const Wrapper& x = w[static_cast<size_t>(i)];
      os << "; worker " << i << " ("
         << ShapeName(plan.shapes[static_cast<size_t>(i)]) << ") was in since +"
         << Ms(o.enter_ns.load() - start) << ", its wrapper ";
      if (x.sent != 0 && x.sent_ns <= at) {
        os << "got " << sigabbrev_np(x.sent) << " at +" << Ms(x.sent_ns - start)
           << (x.sent_while_working ? " (worker in)" : "") << " and ";
      }
      if (x.reaped && x.end_ns <= at) {
        os << "ended (" << DescribeStatus(x.status) << ") at +"
           << Ms(x.end_ns - start);
      } else {
        os << "was alive";
      }
    }
    r.doubles.push_back(os.str());
  }
  if (region->max_holders.load() > 1 && r.double_runs == 0) {
    r.double_runs = 1;
    r.doubles.push_back("max_holders=" +
                        std::to_string(region->max_holders.load()));
  }
  if (region->holders.load() != 0) {
    r.problems.push_back("the holder counter is " +
                         std::to_string(region->holders.load()) +
                         " after every process ended");
  }
  // The wrappers.
  std::ostringstream report;
  for (int i = 0; i < k; ++i) {
    Wrapper& x = w[static_cast<size_t>(i)];
    const Slot& s = region->slots[i];
    std::string problem;
    const bool st_ok = x.status != -1 && WIFEXITED(x.status);
    const int code = st_ok ? WEXITSTATUS(x.status) : -1;
    if (x.sent == 0) {
      if (!(st_ok && code == 0)) {
        problem = "not signalled, ended " + DescribeStatus(x.status);
      } else if (s.entered.load() == 0) {
        problem = "exited 0, but its worker never ran";
      }
    } else if (x.sent == SIGKILL) {
      if (st_ok && code == 0 && s.entered.load() == 1 &&
          s.leave_ns.load() <= x.sent_ns) {
        // Its job was over and it was already exiting, where a signal no
        // longer acts: not a kill.
        --r.sigkills;
        if (x.sent_while_working) --r.kills_while_working;
        ++r.late_kills;
      } else if (!(WIFSIGNALED(x.status) && WTERMSIG(x.status) == SIGKILL)) {
        problem = "SIGKILLed, ended " + DescribeStatus(x.status);
      }
    } else {
      const bool term = (WIFSIGNALED(x.status) &&
                         WTERMSIG(x.status) == SIGTERM && x.status != -1) ||
                        (st_ok && (code == 0 || code == 128 + SIGTERM));
      if (!term) {
        problem = "SIGTERMed, ended " + DescribeStatus(x.status);
      } else if (st_ok && code == 0 && s.entered.load() == 1 &&
                 s.leave_ns.load() <= x.sent_ns) {
        // Its worker had done its work: the signal came too late to count.
        --r.sigterms;
        if (x.sent_while_working) --r.kills_while_working;
        ++r.late_kills;
      }
    }
    report << "    wrapper " << i << " pid " << x.pid << " "
           << ShapeName(plan.shapes[static_cast<size_t>(i)]) << " hold "
           << plan.hold_ms[static_cast<size_t>(i)] << " ms: ";
    if (x.sent != 0) {
      report << sigabbrev_np(x.sent) << " at +" << Ms(x.sent_ns - start)
             << (x.sent_while_working ? " (worker in)" : "") << ", ";
    }
    report << DescribeStatus(x.status) << " at +" << Ms(x.end_ns - start);
    if (s.entered.load()) {
      report << "; worker pid " << s.pid.load() << " in +"
             << Ms(s.enter_ns.load() - start) << " .. out +"
             << Ms(s.leave_ns.load() - start);
    } else {
      report << "; worker never ran";
    }
    const std::string log = ReadFile(x.log, 600);
    if (!log.empty()) report << "\n      log: " << log;
    report << "\n";
    if (!problem.empty()) {
      r.problems.push_back("wrapper " + std::to_string(i) + " (" +
                           ShapeName(plan.shapes[static_cast<size_t>(i)]) +
                           "): " + problem);
    }
  }
  r.report = report.str();
  UnmapRegion(region);

  // Afterwards: free or stale, and the next run gets it.
  if (!deadline) {
    std::string out;
    int st = RunCommand(env, nobody,
                        {cli, "status", "--dir", locks, "--key", "job"}, &out);
    if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3)) {
      r.problems.push_back(
          "after the trial `pidlock status` should say free "
          "or stale (exit 3): " +
          DescribeStatus(st) + ": " + out);
    }
    st = RunCommand(env, nobody,
                    {cli, "run", "--dir", locks, "--key", "job", "--", "true"},
                    &out);
    if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
      r.problems.push_back(
          "after the trial `pidlock run -- true` should "
          "exit 0: " +
          DescribeStatus(st) + ": " + out);
    }
    KillDescendants();  // reaps, should there be anything
  }
  if (env.keep) {
    r.report += "    kept: " + tdir + "\n";
  } else {
    RemoveTree(tdir);
  }
  return r;
}

// ----------------------------------------------------------------------------
// Plans, totals, the summary line.

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(uint64_t seed) : gen(seed) {}
  int Range(int lo, int hi) {  // [lo, hi]
    return std::uniform_int_distribution<int>(lo, hi)(gen);
  }
  bool Chance(int percent) { return Range(0, 99) < percent; }
};

uint64_t SeedFromEnv() {
  static const uint64_t seed = []() -> uint64_t {
    const char* v = getenv("PIDLOCK_RACE_TREE_SEED");
    if (v != nullptr && *v != '\0') return strtoull(v, nullptr, 10);
    uint64_t s = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!read(fd, &s, sizeof(s));
      close(fd);
    }
    return s != 0 ? s : static_cast<uint64_t>(time(nullptr));
  }();
  return seed;
}

// The property's trials: K 3..6 wrappers; a third of the trials (as root) as
// uid 65534 with setuid workers among the shapes; 1-2 wrappers signalled,
// mostly while their worker runs.
Plan MixedPlan(Rng& rng, bool nobody_ok) {
  Plan p;
  const int k = rng.Range(3, 6);
  p.nobody = nobody_ok && rng.Chance(34);
  for (int i = 0; i < k; ++i) {
    Shape s;
    if (p.nobody) {
      s = static_cast<Shape>(rng.Range(0, 3));
    } else {
      s = rng.Chance(50) ? Shape::kShell : Shape::kDaemon;
    }
    p.shapes.push_back(s);
    p.hold_ms.push_back(rng.Range(5, 40));
    p.skew_us.push_back(rng.Range(0, 2000));
  }
  if (p.nobody && std::none_of(p.shapes.begin(), p.shapes.end(), IsSetuid)) {
    p.shapes[static_cast<size_t>(rng.Range(0, k - 1))] = Shape::kSetuid;
  }
  std::vector<int> targets(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) targets[static_cast<size_t>(i)] = i;
  std::shuffle(targets.begin(), targets.end(), rng.gen);
  const int kills = rng.Range(1, 2);
  for (int n = 0; n < kills; ++n) {
    KillPlan kp;
    kp.target = targets[static_cast<size_t>(n)];
    kp.sig = rng.Chance(50) ? SIGKILL : SIGTERM;
    const int hold = p.hold_ms[static_cast<size_t>(kp.target)];
    if (rng.Chance(65)) {
      kp.trigger = Trigger::kWhileWorking;
      kp.delay_ms = rng.Range(0, hold * 3 / 4);
    } else {
      kp.trigger = Trigger::kAt;
      kp.delay_ms = rng.Range(0, k * 30);
    }
    p.kills.push_back(kp);
  }
  return p;
}

struct Totals : Counts {
  int trials = 0;
  int problems = 0;
  int failed_trials = 0;
  int64_t elapsed_ms = 0;
  int64_t slowest_ms = 0;
  int64_t wall_start = MonotonicNs();

  void Add(const TrialResult& r) {
    ++trials;
    Counts::Add(r);
    problems += static_cast<int>(r.problems.size());
    if (!r.problems.empty() || r.double_runs > 0) ++failed_trials;
    elapsed_ms += r.elapsed_ms;
    slowest_ms = std::max(slowest_ms, r.elapsed_ms);
  }

  std::string Line(const std::string& name) const {
    std::ostringstream os;
    os << "RACE SUMMARY " << name << ": trials=" << trials
       << " wrappers=" << wrappers << " guarded_runs=" << entries
       << " kills=" << sigkills + sigterms << " sigkill=" << sigkills
       << " sigterm=" << sigterms
       << " kills_while_working=" << kills_while_working
       << " double_runs=" << double_runs << " daemon_runs=" << daemon_runs
       << " setuid_runs=" << setuid_runs
       << " job_alive_probes=" << job_alive_probes
       << " late_kills=" << late_kills << " orphans_reaped=" << orphans_reaped
       << " problems=" << problems << " failed_trials=" << failed_trials
       << "\n  time: " << static_cast<double>(elapsed_ms) / 1000.0
       << " s in trials, slowest " << slowest_ms << " ms, "
       << static_cast<double>((MonotonicNs() - wall_start) / kMs) / 1000.0
       << " s wall";
    return os.str();
  }
};

void PrintSummary(const Totals& t) {
  const testing::TestInfo* info =
      testing::UnitTest::GetInstance()->current_test_info();
  const std::string line =
      t.Line(std::string(info->test_suite_name()) + "." + info->name());
  printf("%s\n", line.c_str());
  fflush(stdout);
  if (const char* dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    const std::string path = std::string(dir) + "/race_summary.txt";
    if (FILE* f = fopen(path.c_str(), "a")) {
      fprintf(f, "%s\n", line.c_str());
      fclose(f);
    }
  }
}

std::string Describe(int n, const Plan& plan, const TrialResult& r) {
  std::ostringstream os;
  os << "trial " << n << ": " << plan.ToString() << "\n";
  for (const std::string& d : r.doubles) os << "  double run: " << d << "\n";
  for (const std::string& p : r.problems) os << "  problem: " << p << "\n";
  os << r.report;
  if (!Env().keep) {
    os << "    (PIDLOCK_RACE_KEEP=1 keeps the trial directories)\n";
  }
  return os.str();
}

void PrintSeed() {
  const char* target = getenv("TEST_TARGET");
  printf("race tree: seed=%" PRIu64
         "; rerun these plans with: bazel test %s "
         "--test_env=PIDLOCK_RACE_TREE_SEED=%" PRIu64 "\n",
         SeedFromEnv(),
         target != nullptr ? target : "//tests/race:race_tree_test",
         SeedFromEnv());
  fflush(stdout);
}

// Each test's own stream of plans, from the run's seed.
Rng TestRng(uint64_t salt) {
  return Rng(SeedFromEnv() ^ (salt * 0x9e3779b97f4a7c15ULL));
}

bool Prepared() {
  const TreeEnv& env = Env();
  if (env.base.empty()) {
    ADD_FAILURE() << "no directory for the trials";
    return false;
  }
  if (env.sh.empty() || env.setsid.empty()) {
    ADD_FAILURE() << "sh and setsid are needed";
    return false;
  }
  for (const std::string& p : {env.cli, env.child_only, env.worker}) {
    if (access(p.c_str(), X_OK) != 0) {
      ADD_FAILURE() << "missing program " << p;
      return false;
    }
  }
  return true;
}

// ----------------------------------------------------------------------------
// The property: pidlock run guards the whole job.

TEST(RaceTree, PidlockRunGuardsTheWholeJob) {
  PrintSeed();
  if (!Prepared()) return;
  const TreeEnv& env = Env();
  Rng rng = TestRng(1);
  Totals t;
  const char* soak = getenv("PIDLOCK_RACE_TREE_SECONDS");
  const int64_t soak_ns = (soak != nullptr ? atoll(soak) : 0) * 1000 * kMs;
  // Enough is: the property's floor (200 runs, 50 kills) with a margin; the
  // floor itself under ASan, where every process starts several times slower.
  const int runs = kSanitized ? 200 : 300;
  const int each_kill = kSanitized ? 25 : 30;
  auto enough = [&] {
    return t.trials >= 30 && t.entries >= runs && t.sigkills >= each_kill &&
           t.sigterms >= each_kill && (!env.nobody || t.setuid_runs >= 10) &&
           MonotonicNs() - t.wall_start >= soak_ns;
  };
  const int64_t give_up = 150000 * kMs + soak_ns;
  std::string failure;
  while (!enough() && t.trials < 400 + (soak_ns > 0 ? 1000000 : 0) &&
         MonotonicNs() - t.wall_start < give_up) {
    const Plan plan = MixedPlan(rng, env.nobody);
    const TrialResult r = RunTrial(Subject::kPidlock, plan);
    t.Add(r);
    if (!r.problems.empty() || r.double_runs > 0) {
      failure = Describe(t.trials, plan, r);
      break;
    }
  }
  PrintSummary(t);
  EXPECT_EQ(failure, "") << "the first failing trial";
  EXPECT_EQ(t.double_runs, 0);
  if (!failure.empty()) return;
  EXPECT_GE(t.entries, 200);
  EXPECT_GE(t.sigkills + t.sigterms, 50);
  EXPECT_GT(t.sigkills, 0);
  EXPECT_GT(t.sigterms, 0);
  if (env.nobody) {
    EXPECT_GT(t.setuid_runs, 0);
  }
}

// A SIGKILLed wrapper's job keeps the lock (status: held, JobAlive) until
// its last process exits; the waiting wrapper runs only then.
TEST(RaceTree, KilledWrappersJobKeepsTheLock) {
  if (!Prepared()) return;
  const TreeEnv& env = Env();
  std::vector<std::pair<Shape, bool>> cases = {{Shape::kShell, false},
                                               {Shape::kDaemon, false}};
  if (env.nobody) {
    cases.insert(cases.end(), {{Shape::kShell, true},
                               {Shape::kSetuid, true},
                               {Shape::kSetuidDaemon, true}});
  }
  Totals t;
  for (const auto& c : cases) {
    Plan plan;
    plan.nobody = c.second;
    plan.shapes = {c.first, c.first, Shape::kShell};
    if (c.second) plan.shapes[2] = Shape::kSetuid;
    plan.hold_ms = {400, 400, 10};
    plan.skew_us = {0, 0, 0};
    plan.kills = {{-1, SIGKILL, Trigger::kWhileWorking, 20}};
    plan.probe_job_alive = true;
    const TrialResult r = RunTrial(Subject::kPidlock, plan);
    t.Add(r);
    EXPECT_TRUE(r.problems.empty() && r.double_runs == 0)
        << Describe(t.trials, plan, r);
    EXPECT_EQ(r.sigkills, 1) << Describe(t.trials, plan, r);
  }
  PrintSummary(t);
  // A probe is skipped only if the worker left while `status` ran.
  EXPECT_GE(t.job_alive_probes, t.trials / 2);
}

// SIGTERM to a wrapper reaches the worker, wherever it is in the job: it
// leaves long before its hold is over.
TEST(RaceTree, TerminatedWrapperStopsTheWholeJob) {
  if (!Prepared()) return;
  const TreeEnv& env = Env();
  std::vector<std::pair<Shape, bool>> cases = {{Shape::kShell, false},
                                               {Shape::kDaemon, false}};
  if (env.nobody) {
    cases.insert(cases.end(),
                 {{Shape::kSetuid, true}, {Shape::kSetuidDaemon, true}});
  }
  Totals t;
  for (const auto& c : cases) {
    Plan plan;
    plan.nobody = c.second;
    plan.shapes = {c.first, Shape::kShell, Shape::kShell};
    plan.hold_ms = {3000, 5, 5};
    plan.skew_us = {0, 20000, 20000};  // worker 0 first
    plan.kills = {{0, SIGTERM, Trigger::kWhileWorking, 20}};
    const TrialResult r = RunTrial(Subject::kPidlock, plan);
    t.Add(r);
    EXPECT_TRUE(r.problems.empty() && r.double_runs == 0)
        << Describe(t.trials, plan, r);
    EXPECT_EQ(r.sigterms, 1) << Describe(t.trials, plan, r);
    EXPECT_LT(r.elapsed_ms, 2000) << "the worker did not get the SIGTERM\n"
                                  << Describe(t.trials, plan, r);
  }
  PrintSummary(t);
}

// ----------------------------------------------------------------------------
// The teeth: the command as it was, guarding its direct child only.

// Runs plans from `next` against subject_child_only until a double run;
// expects one within `budget` trials.
template <typename NextPlan>
void ExpectChildOnlyLoses(int budget, NextPlan next) {
  if (!Prepared()) return;
  Totals t;
  std::string found;
  while (t.trials < budget) {
    const Plan plan = next();
    const TrialResult r = RunTrial(Subject::kChildOnly, plan);
    t.Add(r);
    if (r.double_runs > 0) {
      found = Describe(t.trials, plan, r);
      break;
    }
  }
  PrintSummary(t);
  if (!found.empty()) {
    printf("RACE TEETH found a double run after %d trial(s): %s", t.trials,
           found.c_str());
    fflush(stdout);
  }
  EXPECT_GT(t.double_runs, 0) << "the child-only subject survived " << t.trials
                              << " trials: the scenario cannot lose";
}

TEST(RaceTreeTeeth, ChildOnlyLosesTheMixedTrials) {
  PrintSeed();
  Rng rng = TestRng(2);
  const bool nobody = Env().nobody;
  ExpectChildOnlyLoses(40, [&] { return MixedPlan(rng, nobody); });
}

TEST(RaceTreeTeeth, ChildOnlyLosesToADaemon) {
  ExpectChildOnlyLoses(10, [] {
    Plan plan;
    plan.shapes = {Shape::kDaemon, Shape::kDaemon, Shape::kDaemon};
    plan.hold_ms = {100, 100, 100};
    plan.skew_us = {0, 0, 0};
    return plan;
  });
}

TEST(RaceTreeTeeth, ChildOnlyLosesToASigkilledWrapper) {
  ExpectChildOnlyLoses(10, [] {
    Plan plan;
    plan.shapes = {Shape::kShell, Shape::kShell, Shape::kShell};
    plan.hold_ms = {100, 100, 100};
    plan.skew_us = {0, 0, 0};
    plan.kills = {{-1, SIGKILL, Trigger::kWhileWorking, 10}};
    return plan;
  });
}

TEST(RaceTreeTeeth, ChildOnlyLosesToASigtermedWrapper) {
  ExpectChildOnlyLoses(10, [] {
    Plan plan;
    plan.shapes = {Shape::kShell, Shape::kShell, Shape::kShell};
    plan.hold_ms = {100, 100, 100};
    plan.skew_us = {0, 0, 0};
    plan.kills = {{-1, SIGTERM, Trigger::kWhileWorking, 10}};
    return plan;
  });
}

}  // namespace
}  // namespace pidlock_race
