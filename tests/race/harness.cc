// Copyright 2026 The pidlock Authors. MIT License.

#include "tests/race/harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "src/pidlock.h"
#include "tests/race/witness.h"

extern char** environ;

namespace pidlock_race {
namespace {

// ----------------------------------------------------------------------------
// Small utilities.

constexpr int kReadyFd = 100;    // RACE_READY_FD in a subject
constexpr int kBarrierFd = 101;  // RACE_BARRIER_FD in a subject
constexpr char kKey[] = "k";
constexpr int64_t kMs = 1000000;
// A waiter with at least this timeout must get the lock in every acquirable
// scenario: the holders' hold times add up to far less.
constexpr int kLongWaitMs = 10000;
// A scenario that runs longer than this has hung.
constexpr int64_t kScenarioDeadlineNs = 60000 * kMs;
// A PID namespace inode no real namespace has (dynamic proc inodes start at
// 0xF0000000).
constexpr uint64_t kForeignPidNs = 1234567;

int64_t NowNs() { return MonotonicNs(); }

// Nanoseconds as milliseconds, for reports.
double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

void SleepMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

bool ReadFile(const std::string& path, std::string* text) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  text->clear();
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

bool WriteFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

std::string Readlink(const std::string& path) {
  char buffer[8192];
  ssize_t n = readlink(path.c_str(), buffer, sizeof(buffer));
  if (n < 0) return "";
  return std::string(buffer, static_cast<size_t>(n));
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

void RemoveTree(const std::string& path) {
  // Undo what the doubt states did, so that nftw can walk and remove.
  chmod(path.c_str(), 0700);
  nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path.c_str()), closedir);
  if (!dir) return names;
  while (struct dirent* e = readdir(dir.get())) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string FindExecutable(const std::string& name) {
  const char* path = getenv("PATH");
  std::string dirs =
      std::string(path ? path : "") + ":/usr/local/bin:/usr/bin:/bin";
  std::stringstream ss(dirs);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string Describe(int status) {
  char text[64];
  if (WIFEXITED(status)) {
    snprintf(text, sizeof(text), "exit %d", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    snprintf(text, sizeof(text), "killed by %s", strsignal(WTERMSIG(status)));
  } else {
    snprintf(text, sizeof(text), "status 0x%x", status);
  }
  return text;
}

// ----------------------------------------------------------------------------
// Spawning racers and helpers.

// Descriptors only the harness may hold (the barrier's write end, the ready
// pipe's read end): every child closes them at once, or the barrier would
// never see EOF.
std::vector<int>& HarnessOnlyFds() {
  static std::vector<int> fds;
  return fds;
}

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;      // the complete environment
  std::string log_path;              // stdout and stderr; "" for /dev/null
  int ready_w = -1;                  // the ready pipe's write end, or -1
  int barrier_r = -1;                // the barrier pipe's read end, or -1
  bool barrier_before_exec = false;  // the subject cannot wait itself (CLI)
  int skew_us = 0;                   // with barrier_before_exec
  NsRacer ns = NsRacer::kNone;
  pid_t want_pid = 0;  // fork with this PID (ns_last_pid)
};

// The child's side, between fork and exec: async-signal-safe calls only.
[[noreturn]] void ChildExec(const SpawnSpec& s, char* const* argv,
                            char* const* envp, const char* log,
                            pid_t want_pid) {
  if (want_pid > 0 && getpid() != want_pid) _exit(99);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int fd : HarnessOnlyFds()) close(fd);
  if (s.ns == NsRacer::kWithProc) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0) {
      _exit(98);
    }
  }
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log_fd >= 0) {
    dup2(log_fd, 1);
    dup2(log_fd, 2);
  }
  if (s.ready_w >= 0) {
    if (s.barrier_before_exec) {
      (void)!write(s.ready_w, "r", 1);
      close(s.ready_w);
      char c;
      for (;;) {
        ssize_t n = read(s.barrier_r, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
      }
      close(s.barrier_r);
      SpinOrSleepUs(s.skew_us);
    } else {
      // dup2 clears close-on-exec on the copy.
      dup2(s.ready_w, kReadyFd);
      dup2(s.barrier_r, kBarrierFd);
    }
  }
  execve(argv[0], argv, envp);
  _exit(127);
}

// Writes ns_last_pid so that the next fork gets `want`. Returns false
// (errno set) when not permitted here.
bool SetLastPid(int fd, pid_t want) {
  std::string text = std::to_string(want - 1);
  return pwrite(fd, text.data(), text.size(), 0) ==
         static_cast<ssize_t>(text.size());
}

// Forks and execs; returns the PID (or -1). With want_pid, tries to make
// the child get that PID and sets *got_wanted_pid.
pid_t Spawn(const SpawnSpec& s, bool* got_wanted_pid) {
  std::vector<char*> argv, envp;
  for (const std::string& a : s.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : s.env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* log = s.log_path.empty() ? "/dev/null" : s.log_path.c_str();
  if (got_wanted_pid != nullptr) *got_wanted_pid = false;

  if (s.ns != NsRacer::kNone) {
    unsigned long flags = CLONE_NEWPID | SIGCHLD;
    if (s.ns == NsRacer::kWithProc) flags |= CLONE_NEWNS;
    // A raw clone without a new stack behaves like fork(2).
    long pid = syscall(SYS_clone, flags, nullptr, nullptr, nullptr, 0);
    if (pid == 0) ChildExec(s, argv.data(), envp.data(), log, 0);
    return static_cast<pid_t>(pid);
  }

  if (s.want_pid > 0) {
    int fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
    for (int attempt = 0; fd >= 0 && attempt < 20; ++attempt) {
      // CRIU's convention: whoever sets ns_last_pid holds this flock.
      flock(fd, LOCK_EX);
      if (!SetLastPid(fd, s.want_pid)) {
        flock(fd, LOCK_UN);
        break;
      }
      pid_t pid = fork();
      if (pid == 0) ChildExec(s, argv.data(), envp.data(), log, s.want_pid);
      flock(fd, LOCK_UN);
      if (pid == s.want_pid) {
        close(fd);
        if (got_wanted_pid != nullptr) *got_wanted_pid = true;
        return pid;
      }
      if (pid > 0) waitpid(pid, nullptr, 0);  // it exits 99 at once
      // Someone else took the PID in between: it is busy now, give up.
      if (kill(s.want_pid, 0) == 0 || errno != ESRCH) break;
    }
    if (fd >= 0) close(fd);
  }
  pid_t pid = fork();
  if (pid == 0) ChildExec(s, argv.data(), envp.data(), log, 0);
  return pid;
}

// The environment of this process without the variables the harness sets.
std::vector<std::string> BaseEnv() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string v = *e;
    if (v.rfind("RACE_", 0) == 0 || v.rfind("PIDLOCK_TEST_STOP_AT=", 0) == 0) {
      continue;
    }
    env.push_back(v);
  }
  return env;
}

// ----------------------------------------------------------------------------
// Records and PIDs.

std::string Boot8() {
  std::string text;
  ReadFile("/proc/sys/kernel/random/boot_id", &text);
  std::string hex;
  for (char c : text) {
    if (isxdigit(static_cast<unsigned char>(c))) {
      hex += static_cast<char>(tolower(static_cast<unsigned char>(c)));
    }
    if (hex.size() == 8) break;
  }
  return hex;
}

uint64_t OwnPidNs() {
  struct stat st;
  return stat("/proc/self/ns/pid", &st) == 0 ? st.st_ino : 0;
}

std::string EncodedHost(const std::string& host) {
  std::string out;
  for (char ch : host) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (isalnum(c) || c == '.' || c == '_' || c == '-') {
      out += ch;
    } else {
      char hex[4];
      snprintf(hex, sizeof(hex), "%%%02X", static_cast<unsigned>(c));
      out += hex;
    }
  }
  return out;
}

std::string OwnHost() {
  struct utsname u;
  uname(&u);
  std::string host = u.nodename;
  return host.empty() ? "(none)" : host;
}

std::string Record(const std::string& boot8, uint64_t pid_ns, uint64_t start,
                   const std::string& host, pid_t pid) {
  return "v1:" + boot8 + ":" + std::to_string(pid_ns) + ":" +
         std::to_string(start) + ":" + EncodedHost(host) + "/" +
         std::to_string(pid);
}

// A PID that was just used by a process that is gone now; its start time.
pid_t DeadPid(uint64_t* start_time) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    (void)!read(p[0], &c, 1);
    _exit(0);
  }
  close(p[0]);
  if (start_time != nullptr) *start_time = StartTimeOf(pid);
  close(p[1]);
  waitpid(pid, nullptr, 0);
  return pid;
}

// Waits two clock ticks (/proc/<pid>/stat start times count ticks): a
// process forked after this has another start time than one forked before,
// even with the same PID. Without it, a PID reused within one tick is the
// very same (pid, start time) identity, and the library rightly cannot tell
// the two apart (it then errs on the safe side: "held").
void WaitTwoTicks() {
  long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) ticks = 100;
  SleepMs(static_cast<int>(2000 / ticks + 1));
}

// Sets a symlink's mtime `seconds_ago` in the past (the original's locks
// carry no start time; the library compares the holder's start with it).
void AgeSymlink(const std::string& path, int seconds_ago) {
  struct timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds_ago;
  times[1] = times[0];
  utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

// ----------------------------------------------------------------------------
// Names.

struct InitialInfo {
  InitialLock initial;
  const char* name;
};
constexpr InitialInfo kInitials[] = {
    {InitialLock::kFree, "free"},
    {InitialLock::kStaleDeadPid, "stale_dead_pid"},
    {InitialLock::kOwnFuturePid, "own_future_pid"},
    {InitialLock::kReusedPid, "reused_pid"},
    {InitialLock::kDeadNodeHolder, "dead_node_holder"},
    {InitialLock::kDangling, "dangling"},
    {InitialLock::kPreviousBoot, "previous_boot"},
    {InitialLock::kOtherNamespace, "other_namespace"},
    {InitialLock::kLiveHolder, "live_holder"},
    {InitialLock::kLiveHolderOtherNamespace, "live_holder_other_namespace"},
    {InitialLock::kLiveHolderLeaderExited, "live_holder_leader_exited"},
    {InitialLock::kRegularFile, "regular_file"},
    {InitialLock::kDirectory, "directory"},
    {InitialLock::kGarbageTarget, "garbage_target"},
    {InitialLock::kWrongOwner, "wrong_owner"},
    {InitialLock::kUnsafeMode, "unsafe_mode"},
    {InitialLock::kKeySymlink, "key_symlink"},
    {InitialLock::kOtherHost, "other_host"},
    {InitialLock::kAttackerOwnedDir, "attacker_owned_dir"},
    {InitialLock::kAttackerOpenDir, "attacker_open_dir"},
    {InitialLock::kAttackerParent, "attacker_parent"},
};
static_assert(sizeof(kInitials) / sizeof(kInitials[0]) == kInitialLockCount,
              "every initial state has a name");

// Targets the library must refuse as garbage (LockTargetInvalid).
const std::vector<std::string>& GarbageTargets() {
  static const std::vector<std::string> targets = {
      "garbage",     "/tmp/x/",
      "/tmp/x/0123", "/tmp/x/99999999999999999999",
      "/tmp/x/0",    "/tmp/x/4194305",
      "/tmp/x/12a",  "/tmp/x/-5",
      "v1:zz",       "/tmp/x/ 42",
  };
  return targets;
}

constexpr mode_t kUnsafeModes[] = {0777, 0770, 0707, 0720, 0702};

pidlock::Errc ExpectedRefusal(InitialLock initial) {
  switch (initial) {
    case InitialLock::kRegularFile:
    case InitialLock::kDirectory:
      return pidlock::Errc::kLockNotSymlink;
    case InitialLock::kGarbageTarget:
      return pidlock::Errc::kLockTargetInvalid;
    case InitialLock::kWrongOwner:
      return pidlock::Errc::kKeyDirectoryWrongOwner;
    case InitialLock::kUnsafeMode:
      return pidlock::Errc::kKeyDirectoryUnsafeMode;
    case InitialLock::kKeySymlink:
      return pidlock::Errc::kKeyDirectoryNotDirectory;
    case InitialLock::kOtherHost:
      return pidlock::Errc::kHolderOtherHost;
    case InitialLock::kAttackerOwnedDir:
    case InitialLock::kAttackerParent:
      return pidlock::Errc::kPathComponentWrongOwner;
    case InitialLock::kAttackerOpenDir:
      return pidlock::Errc::kPathComponentUnsafeMode;
    default:
      return pidlock::Errc::kOk;
  }
}

// Refused while opening the key directory, before /proc is looked at.
bool IsKeyDirectoryDoubt(InitialLock initial) {
  return initial == InitialLock::kWrongOwner ||
         initial == InitialLock::kUnsafeMode ||
         initial == InitialLock::kKeySymlink || IsAttacked(initial);
}

std::string ErrcName(int value) {
  return pidlock::make_error_code(static_cast<pidlock::Errc>(value)).message();
}

// The Errc the CLI's refusal names, or -1. Every error message ends with
// the stable token "(<ErrcName> in <STATE>)" (pidlock::ErrcName), so the
// English text may change freely; the last token in the log wins.
int ErrcFromMessage(const std::string& log) {
  int best = -1;
  size_t best_at = 0;
  for (int e = 1; e < 64; ++e) {
    const std::string name = pidlock::ErrcName(static_cast<pidlock::Errc>(e));
    if (name == "Unknown") continue;
    const size_t at = log.rfind("(" + name + " in ");
    if (at != std::string::npos && (best < 0 || at > best_at)) {
      best = e;
      best_at = at;
    }
  }
  return best;
}

// ----------------------------------------------------------------------------
// The attacker: another user who controls a directory on the path to the
// lock and renames what is in it (mv DIR/KEY DIR/KEY.aside and back) while
// the racers run. Without the path checks, a racer that comes while the key
// directory is aside makes a fresh one and acquires while the first holder
// still holds.

constexpr uid_t kAttackerUid = 65534;  // nobody
constexpr gid_t kAttackerGid = 65534;
// It stops by itself after this long, whatever happens to the harness.
constexpr int64_t kAttackerDeadlineNs = 120000 * kMs;

// Shared with the attacker process (MAP_SHARED | MAP_ANONYMOUS).
struct AttackerShared {
  std::atomic<int32_t> stop{0};
  std::atomic<int64_t> renames{0};   // renames that succeeded
  std::atomic<int64_t> failures{0};  // renames that failed
  std::atomic<int32_t> last_errno{0};
  std::atomic<int32_t> parked{0};    // times a fresh <name> was found
  std::atomic<int32_t> restored{0};  // 1: nothing of ours left aside at exit
};

// "<aside>.<n>" into out (async-signal-safe: no snprintf).
void FreshName(const char* aside, uint64_t n, char* out, size_t size) {
  size_t len = 0;
  for (; aside[len] != '\0' && len + 24 < size; ++len) out[len] = aside[len];
  out[len++] = '.';
  char digits[24];
  int d = 0;
  do {
    digits[d++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  while (d > 0) out[len++] = digits[--d];
  out[len] = '\0';
}

// Between two renames: short enough that even a race of a few hundred
// microseconds mostly sees some, long enough to leave the racers the CPU.
void AttackerNap() {
  struct timespec ts = {0, 20000};  // 20 us (the timer slack is 1 us)
  nanosleep(&ts, nullptr);
}

// The attacker process, after fork: async-signal-safe calls only. In the
// directory `dfd`, renames `name` to `aside` and back until told to stop;
// if `name` was made afresh meanwhile (nothing checked the path), parks its
// own copy under a fresh name and goes on with the new one.
[[noreturn]] void AttackerLoop(int dfd, const char* name, const char* aside,
                               AttackerShared* st, bool drop, pid_t parent) {
  if (drop) {
    // Become the other user. Its authority over the directory comes with
    // the descriptor (renameat checks the directory itself, not the path
    // above it, which uid 65534 may be unable to traverse).
    if (setgroups(0, nullptr) != 0 ||
        setresgid(kAttackerGid, kAttackerGid, kAttackerGid) != 0 ||
        setresuid(kAttackerUid, kAttackerUid, kAttackerUid) != 0) {
      _exit(3);
    }
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // after the credential change clears it
  prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 us, not 50 us: the naps stay short
  if (getppid() != parent) _exit(4);
  const int64_t deadline = MonotonicNs() + kAttackerDeadlineNs;
  bool away = false;  // our copy is at `aside`
  uint64_t fresh = 0;
  while (st->stop.load() == 0 && MonotonicNs() < deadline) {
    if (renameat(dfd, name, dfd, aside) == 0) {
      st->renames.fetch_add(1);
      away = true;
    } else {
      st->failures.fetch_add(1);
      st->last_errno.store(errno);
    }
    AttackerNap();
    if (away) {
      if (renameat(dfd, aside, dfd, name) == 0) {
        st->renames.fetch_add(1);
        away = false;
      } else {
        st->failures.fetch_add(1);
        st->last_errno.store(errno);
        char park[512];
        FreshName(aside, fresh++, park, sizeof(park));
        if (renameat(dfd, aside, dfd, park) == 0) {
          st->renames.fetch_add(1);
          st->parked.fetch_add(1);
          away = false;
        }
      }
    }
    AttackerNap();
  }
  if (away && renameat(dfd, aside, dfd, name) == 0) away = false;
  st->restored.store(away ? 0 : 1);
  _exit(0);
}

}  // namespace

// ----------------------------------------------------------------------------
// Public names and scenario text.

const char* SubjectName(Subject subject) {
  switch (subject) {
    case Subject::kLibrary:
      return "lib";
    case Subject::kCli:
      return "cli";
    case Subject::kSeed:
      return "seed";
    case Subject::kNode:
      return "node";
  }
  return "?";
}

const char* InitialLockName(InitialLock initial) {
  for (const InitialInfo& info : kInitials) {
    if (info.initial == initial) return info.name;
  }
  return "?";
}

const char* NsRacerName(NsRacer ns) {
  switch (ns) {
    case NsRacer::kNone:
      return "none";
    case NsRacer::kWithProc:
      return "with_proc";
    case NsRacer::kWithoutProc:
      return "without_proc";
  }
  return "?";
}

bool IsDoubt(InitialLock initial) {
  return ExpectedRefusal(initial) != pidlock::Errc::kOk;
}

bool IsAttacked(InitialLock initial) {
  return initial == InitialLock::kAttackerOwnedDir ||
         initial == InitialLock::kAttackerOpenDir ||
         initial == InitialLock::kAttackerParent;
}

bool IsLive(InitialLock initial) {
  return initial == InitialLock::kLiveHolder ||
         initial == InitialLock::kLiveHolderOtherNamespace ||
         initial == InitialLock::kLiveHolderLeaderExited;
}

bool IsAcquirable(InitialLock initial) {
  return !IsDoubt(initial) && !IsLive(initial);
}

const std::vector<std::string>& StatesOf(Subject subject) {
  static const std::vector<std::string> library = {
      "OPENING_KEY_DIRECTORY",
      "CREATING_NEW_DATA_FOR_THIS_PID",
      "ATTEMPTING_TO_CREATE_A_SYMLINK",
      "READING_LOCK",
      "PROBING_HOLDER",
      "CONFIRMED_TO_NOT_START",
      "LOCKING_FOR_TAKEOVER",
      "CONFIRMING_STALE_LOCK",
      "REMOVING_STALE_LOCK",
      "CREATING_NEW_SYMLINK",
      "OK",
      "OK_STALE_LOCK_REMOVED",
      "LOCKING_FOR_RELEASE",
      "CONFIRMING_OWN_LOCK",
      "REMOVING_OWN_LOCK",
      "RELEASED",
  };
  static const std::vector<std::string> seed = {
      "WIPING_OLD_RUN_WITH_THIS_PID",
      "CREATING_NEW_DATA_FOR_THIS_PID",
      "ATTEMPTING_TO_CREATE_A_SYMLINK",
      "OK",
      "GET_OTHER_CMD",
      "CONFIRMED_TO_NOT_START",
      "REMOVING_STALE_LOCK",
      "CREATING_NEW_SYMLINK",
      "OK_STALE_LOCK_REMOVED",
  };
  static const std::vector<std::string> none;
  switch (subject) {
    case Subject::kLibrary:
    case Subject::kCli:
      return library;
    case Subject::kSeed:
      return seed;
    case Subject::kNode:
      return none;  // the real package has no hook
  }
  return none;
}

const std::vector<std::string>& TakeoverStatesOf(Subject subject) {
  static const std::vector<std::string> library = {
      "READING_LOCK",          "PROBING_HOLDER",      "LOCKING_FOR_TAKEOVER",
      "CONFIRMING_STALE_LOCK", "REMOVING_STALE_LOCK", "CREATING_NEW_SYMLINK",
  };
  static const std::vector<std::string> seed = {
      "GET_OTHER_CMD",
      "REMOVING_STALE_LOCK",
      "CREATING_NEW_SYMLINK",
  };
  static const std::vector<std::string> none;
  switch (subject) {
    case Subject::kLibrary:
    case Subject::kCli:
      return library;
    case Subject::kSeed:
      return seed;
    case Subject::kNode:
      return none;
  }
  return none;
}

std::string ScenarioToString(const Scenario& s) {
  std::ostringstream os;
  os << SubjectName(s.subject) << " " << InitialLockName(s.initial)
     << " ns=" << NsRacerName(s.ns) << " legacy=" << (s.legacy_form ? 1 : 0)
     << " v=" << s.variant << " r=";
  for (size_t i = 0; i < s.racers.size(); ++i) {
    const RacerPlan& r = s.racers[i];
    if (i > 0) os << ",";
    os << r.skew_us << "/" << r.hold_ms << "/" << r.wait_ms << "/"
       << (r.crash ? 1 : 0);
  }
  os << " f=";
  if (s.faults.empty()) os << "-";
  for (size_t i = 0; i < s.faults.size(); ++i) {
    const Fault& f = s.faults[i];
    if (i > 0) os << ",";
    os << f.racer << "@" << f.state << ":";
    if (f.action == Fault::Action::kKill) {
      os << "kill";
    } else {
      os << "pause" << f.pause_ms;
    }
  }
  return os.str();
}

bool ParseScenario(const std::string& text, Scenario* out, std::string* error) {
  Scenario s;
  std::stringstream ss(text);
  std::string word;
  std::vector<std::string> words;
  while (ss >> word) words.push_back(word);
  if (words.size() != 7) {
    *error = "expected 7 fields: SUBJECT INITIAL ns= legacy= v= r= f=";
    return false;
  }
  bool found = false;
  for (Subject subject :
       {Subject::kLibrary, Subject::kCli, Subject::kSeed, Subject::kNode}) {
    if (words[0] == SubjectName(subject)) {
      s.subject = subject;
      found = true;
    }
  }
  if (!found) {
    *error = "unknown subject " + words[0];
    return false;
  }
  found = false;
  for (const InitialInfo& info : kInitials) {
    if (words[1] == info.name) {
      s.initial = info.initial;
      found = true;
    }
  }
  if (!found) {
    *error = "unknown initial state " + words[1];
    return false;
  }
  auto value = [&](const std::string& w, const char* key) -> std::string {
    std::string prefix = std::string(key) + "=";
    return w.rfind(prefix, 0) == 0 ? w.substr(prefix.size()) : "\x01";
  };
  std::string ns = value(words[2], "ns");
  found = false;
  for (NsRacer n :
       {NsRacer::kNone, NsRacer::kWithProc, NsRacer::kWithoutProc}) {
    if (ns == NsRacerName(n)) {
      s.ns = n;
      found = true;
    }
  }
  if (!found) {
    *error = "bad ns= field";
    return false;
  }
  s.legacy_form = value(words[3], "legacy") == "1";
  s.variant = atoi(value(words[4], "v").c_str());
  std::string racers = value(words[5], "r");
  std::stringstream rs(racers);
  std::string item;
  while (std::getline(rs, item, ',')) {
    RacerPlan r;
    int crash = 0;
    if (sscanf(item.c_str(), "%d/%d/%d/%d", &r.skew_us, &r.hold_ms, &r.wait_ms,
               &crash) != 4) {
      *error = "bad racer " + item;
      return false;
    }
    r.crash = crash != 0;
    s.racers.push_back(r);
  }
  if (s.racers.empty() || s.racers.size() > 16) {
    *error = "1..16 racers";
    return false;
  }
  std::string faults = value(words[6], "f");
  if (faults != "-") {
    std::stringstream fs(faults);
    while (std::getline(fs, item, ',')) {
      Fault f;
      size_t at = item.find('@'), colon = item.find(':');
      if (at == std::string::npos || colon == std::string::npos || colon < at) {
        *error = "bad fault " + item;
        return false;
      }
      f.racer = atoi(item.substr(0, at).c_str());
      f.state = item.substr(at + 1, colon - at - 1);
      std::string action = item.substr(colon + 1);
      if (action == "kill") {
        f.action = Fault::Action::kKill;
      } else if (action.rfind("pause", 0) == 0) {
        f.action = Fault::Action::kPause;
        f.pause_ms = atoi(action.c_str() + 5);
      } else {
        *error = "bad fault action " + action;
        return false;
      }
      if (f.racer < 0 || f.racer >= static_cast<int>(s.racers.size())) {
        *error = "fault names no racer: " + item;
        return false;
      }
      s.faults.push_back(f);
    }
  }
  *out = s;
  return true;
}

std::ostream& operator<<(std::ostream& os, const Scenario& s) {
  os << SubjectName(s.subject) << ": " << s.racers.size()
     << " racers, initial lock " << InitialLockName(s.initial);
  if (s.legacy_form) os << " (the original's target form)";
  if (s.initial == InitialLock::kGarbageTarget) {
    os << " '"
       << GarbageTargets()[static_cast<size_t>(s.variant) %
                           GarbageTargets().size()]
       << "'";
  }
  if (s.ns != NsRacer::kNone) {
    os << ", racer " << s.racers.size() - 1 << " in another PID namespace ("
       << NsRacerName(s.ns) << ")";
  }
  os << "\n";
  for (size_t i = 0; i < s.racers.size(); ++i) {
    const RacerPlan& r = s.racers[i];
    os << "  racer " << i << ": start +" << r.skew_us << "us, hold "
       << r.hold_ms << "ms, "
       << (r.wait_ms < 0 ? std::string("try once")
                         : "wait up to " + std::to_string(r.wait_ms) + "ms")
       << (r.crash ? ", dies holding the lock" : "") << "\n";
  }
  for (const Fault& f : s.faults) {
    os << "  fault: racer " << f.racer << " stops at " << f.state << ", then "
       << (f.action == Fault::Action::kKill
               ? std::string("SIGKILL")
               : "SIGCONT after " + std::to_string(f.pause_ms) + "ms")
       << "\n";
  }
  os << "  replay: bazel run //tests/race:race_replay -- --times 20 '"
     << ScenarioToString(s) << "'";
  return os;
}

// ----------------------------------------------------------------------------
// Tools.

namespace {

std::string Runfile(const std::string& relative) {
  std::vector<std::string> roots;
  if (const char* d = getenv("TEST_SRCDIR")) roots.push_back(d);
  if (const char* d = getenv("RUNFILES_DIR")) roots.push_back(d);
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0)
    roots.push_back(std::string(exe, static_cast<size_t>(n)) + ".runfiles");
  for (const std::string& root : roots) {
    for (const char* ws : {"pidlock", "__main__"}) {
      std::string path = root + "/" + ws + "/" + relative;
      if (access(path.c_str(), R_OK) == 0) return path;
    }
  }
  return relative;  // relative to the working directory (bazel run)
}

}  // namespace

const Tools& GetTools() {
  static const Tools tools = [] {
    Tools t;
    t.subject_pidlock = Runfile("tests/race/subject_pidlock");
    t.subject_seed = Runfile("tests/race/subject_seed");
    t.cli = Runfile("src/cli/pidlock_testing");
    t.witness = Runfile("tests/race/race_witness");
    t.node_script = Runfile("tests/race/subject_node.js");
    t.node = FindExecutable("node");
    const char* base = getenv("PIDLOCK_RACE_DIR");
    if (base == nullptr || *base == '\0') base = getenv("TEST_TMPDIR");
    if (base == nullptr || *base == '\0') base = "/tmp";
    t.base_dir = base;
    return t;
  }();
  return tools;
}

bool CanChoosePidsUncached(std::string* why);

std::string EnsureNodePackage() {
  static std::mutex mu;
  static std::string result = "unset";
  std::lock_guard<std::mutex> lock(mu);
  if (result != "unset") return result;
  Tools& tools = const_cast<Tools&>(GetTools());
  if (tools.node.empty()) return result = kNodeAbsent;
  const std::string npm = FindExecutable("npm");
  if (npm.empty()) return result = "node is installed but npm is not";
  const char* preset = getenv("PIDLOCK_RACE_NPM_PREFIX");
  std::string prefix = preset != nullptr && *preset != '\0'
                           ? preset
                           : tools.base_dir + "/npm-pidlock-0.1.0";
  mkdir(prefix.c_str(), 0700);
  if (!Exists(prefix + "/node_modules/pidlock/lib/pidlock.js")) {
    std::vector<std::string> env = {
        "npm_config_cache=" + tools.base_dir + "/npm-cache",
        "npm_config_update_notifier=false", "npm_config_fetch_retries=1"};
    // Bazel runs tests without the caller's environment. Node trusts only
    // its own CA list; behind a TLS-intercepting proxy npm then fails with
    // SELF_SIGNED_CERT_IN_CHAIN. Trusting the system's CA bundle as well
    // adds nothing the system does not already trust.
    const char* system_cas = "/etc/ssl/certs/ca-certificates.crt";
    if (getenv("NODE_EXTRA_CA_CERTS") == nullptr && Exists(system_cas)) {
      env.push_back(std::string("NODE_EXTRA_CA_CERTS=") + system_cas);
    }
    ProcessResult r =
        RunProcess({npm, "install", "--no-audit", "--no-fund", "--no-save",
                    "--no-package-lock", "--prefix", prefix, "pidlock@0.1.0"},
                   env, 180000);
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
      return result = "npm install pidlock@0.1.0 failed (" +
                      Describe(r.status) + "): " + r.output;
    }
  }
  std::string package;
  ReadFile(prefix + "/node_modules/pidlock/package.json", &package);
  if (package.find("\"version\": \"0.1.0\"") == std::string::npos &&
      package.find("\"version\":\"0.1.0\"") == std::string::npos) {
    return result = "npm installed something other than pidlock 0.1.0";
  }
  tools.node_prefix = prefix;
  return result = "";
}

bool CanChoosePids(std::string* why) {
  static std::string cached_why = "unknown";
  static bool cached = false;
  if (cached_why != "unknown") {
    *why = cached_why;
    return cached;
  }
  cached = CanChoosePidsUncached(&cached_why);
  *why = cached_why;
  return cached;
}

bool CanChoosePidsUncached(std::string* why) {
  why->clear();
  int fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("cannot open /proc/sys/kernel/ns_last_pid: ") +
           strerror(errno);
    return false;
  }
  std::string text(32, '\0');
  ssize_t n = pread(fd, &text[0], text.size(), 0);
  bool ok = n > 0 && pwrite(fd, text.data(), static_cast<size_t>(n), 0) == n;
  if (!ok) {
    *why = std::string("cannot write /proc/sys/kernel/ns_last_pid: ") +
           strerror(errno);
  }
  close(fd);
  return ok;
}

bool CanUnsharePidNamespaceUncached(std::string* why);

bool CanUnsharePidNamespace(std::string* why) {
  static std::string cached_why;
  static const bool cached = CanUnsharePidNamespaceUncached(&cached_why);
  *why = cached_why;
  return cached;
}

bool CanUnsharePidNamespaceUncached(std::string* why) {
  long pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, nullptr,
                     nullptr, nullptr, 0);
  if (pid == 0) _exit(getpid() == 1 ? 0 : 1);
  if (pid < 0) {
    *why = std::string("clone(CLONE_NEWPID): ") + strerror(errno);
    return false;
  }
  int status = 0;
  waitpid(static_cast<pid_t>(pid), &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = "clone(CLONE_NEWPID) child was not PID 1";
    return false;
  }
  return true;
}

uint64_t StartTimeOf(pid_t pid) {
  std::string text;
  if (!ReadFile("/proc/" + std::to_string(pid) + "/stat", &text)) return 0;
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::stringstream ss(text.substr(paren + 2));
  std::string field;
  // Fields 3.. follow the command name; start time is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(ss >> field)) return 0;
  }
  return strtoull(field.c_str(), nullptr, 10);
}

std::string FormatRecord(pid_t pid, uint64_t start_time) {
  return Record(Boot8(), OwnPidNs(), start_time, OwnHost(), pid);
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env,
                         int timeout_ms) {
  ProcessResult result;
  const Tools& tools = GetTools();
  std::string log = tools.base_dir + "/run." + std::to_string(getpid()) + "." +
                    std::to_string(NowNs()) + ".log";
  SpawnSpec spec;
  spec.argv = argv;
  spec.env = BaseEnv();
  for (const std::string& e : extra_env) spec.env.push_back(e);
  spec.log_path = log;
  pid_t pid = Spawn(spec, nullptr);
  if (pid < 0) {
    result.status = 127 << 8;
    result.output = std::string("fork: ") + strerror(errno);
    return result;
  }
  const int64_t deadline = NowNs() + static_cast<int64_t>(timeout_ms) * kMs;
  for (;;) {
    pid_t done = waitpid(pid, &result.status, WNOHANG);
    if (done == pid) break;
    if (NowNs() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &result.status, 0);
      break;
    }
    SleepMs(2);
  }
  ReadFile(log, &result.output);
  unlink(log.c_str());
  return result;
}

// ----------------------------------------------------------------------------
// Totals.

void Totals::Add(const ScenarioResult& r, InitialLock init) {
  if (r.skipped) {
    ++skipped;
    return;
  }
  ++scenarios;
  racers += r.racers;
  kills += r.kills;
  pauses += r.pauses;
  crashes += r.crashes;
  acquisitions += r.acquisitions;
  takeovers += r.takeovers;
  held += r.held;
  refused += r.refused;
  pid_reuse_real += r.pid_reuse_real;
  pid_reuse_fallback += r.pid_reuse_fallback;
  ns_racers += r.ns_racers;
  attacker_renames += r.attacker_renames_in_race;
  violations += static_cast<int64_t>(r.violations.size());
  if (!r.violations.empty()) ++failed_scenarios;
  elapsed_ms += r.elapsed_ms;
  slowest_ms = std::max(slowest_ms, r.elapsed_ms);
  if (IsAttacked(init) && r.attacker_renames_in_race == 0) {
    ++attacker_idle;  // not a test of the attacker: not counted as its state
  } else {
    ++initial[static_cast<int>(init)];
  }
}

std::string Totals::Line(const std::string& name) const {
  std::ostringstream os;
  os << "RACE SUMMARY " << name << ": scenarios=" << scenarios
     << " racers=" << racers << " kills=" << kills << " pauses=" << pauses
     << " crashes=" << crashes << " acquisitions=" << acquisitions
     << " takeovers=" << takeovers << " held=" << held << " refused=" << refused
     << " pid_reuse_real=" << pid_reuse_real
     << " pid_reuse_simulated=" << pid_reuse_fallback
     << " ns_racers=" << ns_racers << " violations=" << violations
     << " failed_scenarios=" << failed_scenarios;
  if (attacker_renames > 0) os << " attacker_renames=" << attacker_renames;
  if (attacker_idle > 0) os << " attacker_idle=" << attacker_idle;
  if (skipped > 0) os << " skipped=" << skipped;
  os << "\n  time: " << static_cast<double>(elapsed_ms) / 1000.0
     << " s in scenarios, slowest " << slowest_ms << " ms; initial states:";
  for (const InitialInfo& info : kInitials) {
    int64_t n = initial[static_cast<int>(info.initial)];
    if (n > 0) os << " " << info.name << "=" << n;
  }
  return os.str();
}

Totals& GlobalTotals() {
  static Totals totals;
  return totals;
}

// ----------------------------------------------------------------------------
// One scenario.

namespace {

struct Proc {
  pid_t pid = -1;
  int index = -1;  // witness slot
  bool exited = false;
  int status = 0;
  const Fault* fault = nullptr;
  bool fault_done = false;
  bool paused = false;
  int64_t resume_at = 0;
  bool killed_by_plan = false;
  std::string log_path;
};

// What lstat and readlink say about the key directory and the lock, to tell
// whether a refused lock was left exactly as it was.
struct LockSnapshot {
  bool key_exists = false;
  mode_t key_mode = 0;
  uid_t key_uid = 0;
  ino_t key_ino = 0;
  bool lock_exists = false;
  mode_t lock_mode = 0;
  ino_t lock_ino = 0;
  std::string target;
  bool operator==(const LockSnapshot& o) const {
    return key_exists == o.key_exists && key_mode == o.key_mode &&
           key_uid == o.key_uid && key_ino == o.key_ino &&
           lock_exists == o.lock_exists && lock_mode == o.lock_mode &&
           lock_ino == o.lock_ino && target == o.target;
  }
  std::string Show() const {
    std::ostringstream os;
    os << "key " << (key_exists ? "" : "missing ") << std::oct << key_mode
       << std::dec << " uid " << key_uid << ", lock "
       << (lock_exists ? "" : "missing ") << std::oct << lock_mode << std::dec
       << " ino " << lock_ino << " -> '" << target << "'";
    return os.str();
  }
};

LockSnapshot Snapshot(const std::string& key_dir) {
  LockSnapshot s;
  struct stat st;
  if (lstat(key_dir.c_str(), &st) == 0) {
    s.key_exists = true;
    s.key_mode = st.st_mode;
    s.key_uid = st.st_uid;
    s.key_ino = st.st_ino;
  }
  std::string lock = key_dir + "/lock";
  if (lstat(lock.c_str(), &st) == 0) {
    s.lock_exists = true;
    s.lock_mode = st.st_mode;
    s.lock_ino = st.st_ino;
    s.target = Readlink(lock);
  }
  return s;
}

class Runner {
 public:
  explicit Runner(const Scenario& s) : s_(s), tools_(GetTools()) {}
  ~Runner() { Cleanup(); }

  ScenarioResult Run() {
    result_.racers = static_cast<int>(s_.racers.size());
    if (!Prepare()) return std::move(result_);
    if (!SetUpInitial()) {
      result_.skipped = result_.violations.empty();
      return std::move(result_);
    }
    before_ = Snapshot(key_dir_);
    entries_before_ = ListDir(key_dir_);
    if (getenv("PIDLOCK_RACE_DEBUG") != nullptr) {
      fprintf(stderr, "race: %s: before the race: %s\n",
              ScenarioToString(s_).c_str(), before_.Show().c_str());
    }
    if (IsAttacked(s_.initial) && !StartAttacker()) return std::move(result_);
    if (!SpawnRacers()) return std::move(result_);
    RunUntilDone();
    StopAttacker();
    CheckOutcomes();
    Aftermath();
    if (!result_.violations.empty()) result_.report = Report();
    return std::move(result_);
  }

 private:
  void Violation(const std::string& text) {
    result_.violations.push_back(text);
  }

  bool Prepare() {
    static int counter = 0;
    dir_ = tools_.base_dir + "/race." + std::to_string(getpid()) + "." +
           std::to_string(++counter);
    RemoveTree(dir_);
    if (mkdir(dir_.c_str(), 0700) != 0) {
      Violation("harness: mkdir " + dir_ + ": " + strerror(errno));
      return false;
    }
    SetLockDir(dir_);
    witness_dir_ = dir_ + "/witness.d";
    region_path_ = dir_ + "/witness.region";
    region_ = CreateRegion(region_path_);
    if (region_ == nullptr) {
      Violation("harness: cannot create the witness region");
      return false;
    }
    return true;
  }

  // The directory the racers pass as --dir (the scenario's directory, or
  // one inside it for the attacker states).
  void SetLockDir(const std::string& dir) {
    lock_dir_ = dir;
    key_dir_ = lock_dir_ + "/" + kKey;
    lock_path_ = key_dir_ + "/lock";
  }

  void Cleanup() {
    if (attacker_pid_ > 0) {
      kill(attacker_pid_, SIGKILL);
      waitpid(attacker_pid_, nullptr, 0);
      attacker_pid_ = -1;
    }
    if (attacker_ != nullptr) {
      munmap(attacker_, sizeof(AttackerShared));
      attacker_ = nullptr;
    }
    for (Proc& p : helpers_) {
      if (!p.exited && p.pid > 0) {
        kill(p.pid, SIGKILL);
        waitpid(p.pid, &p.status, 0);
        p.exited = true;
      }
    }
    for (Proc& p : racers_) {
      if (!p.exited && p.pid > 0) {
        kill(p.pid, SIGKILL);
        waitpid(p.pid, &p.status, 0);
        p.exited = true;
      }
    }
    UnmapRegion(region_);
    region_ = nullptr;
    if (!dir_.empty() && getenv("PIDLOCK_RACE_KEEP") == nullptr) {
      RemoveTree(dir_);
    }
  }

  // The environment and argv of a racer of `subject` in `slot`.
  SpawnSpec SubjectSpec(Subject subject, int slot, const RacerPlan& plan) {
    SpawnSpec spec;
    spec.env = BaseEnv();
    spec.env.push_back("RACE_WITNESS=" + region_path_);
    spec.env.push_back("RACE_WITNESS_DIR=" + witness_dir_);
    spec.env.push_back("RACE_INDEX=" + std::to_string(slot));
    spec.env.push_back("RACE_HOLD_MS=" + std::to_string(plan.hold_ms));
    spec.env.push_back(std::string("RACE_CRASH=") + (plan.crash ? "1" : "0"));
    spec.log_path = dir_ + "/racer." + std::to_string(slot) + ".log";
    switch (subject) {
      case Subject::kLibrary:
        spec.argv = {tools_.subject_pidlock, "--dir", lock_dir_, "--key", kKey};
        if (plan.wait_ms >= 0) {
          spec.argv.push_back("--wait-ms");
          spec.argv.push_back(std::to_string(plan.wait_ms));
        }
        break;
      case Subject::kCli: {
        spec.argv = {tools_.cli, "run", "--dir", lock_dir_, "--key", kKey};
        if (plan.wait_ms >= 0) {
          char seconds[32];
          snprintf(seconds, sizeof(seconds), "%.3f", plan.wait_ms / 1000.0);
          spec.argv.push_back("--timeout");
          spec.argv.push_back(seconds);
        }
        spec.argv.push_back("--");
        spec.argv.push_back(tools_.witness);
        spec.barrier_before_exec = true;
        break;
      }
      case Subject::kSeed:
        spec.argv = {tools_.subject_seed, "--dir", lock_dir_, "--key", kKey};
        break;
      case Subject::kNode:
        spec.argv = {tools_.node, tools_.node_script, lock_dir_, kKey};
        spec.env.push_back("RACE_NODE_PREFIX=" + tools_.node_prefix);
        spec.env.push_back("RACE_WITNESS_BIN=" + tools_.witness);
        break;
    }
    if (!spec.barrier_before_exec) {
      spec.env.push_back("RACE_SKEW_US=" + std::to_string(plan.skew_us));
    }
    return spec;
  }

  // Starts a helper holder of the scenario's subject in `slot`, without a
  // barrier, and waits until it holds. With crash, waits until it died.
  bool StartHolder(Subject subject, int slot, bool crash, Proc* out,
                   NsRacer ns = NsRacer::kNone, bool leader_exits = false) {
    RacerPlan plan;
    plan.hold_ms = crash ? 0 : -1;
    plan.crash = crash;
    SpawnSpec spec = SubjectSpec(subject, slot, plan);
    spec.ns = ns;
    if (leader_exits) spec.argv.push_back("--leader-exits");
    Proc p;
    p.index = slot;
    p.log_path = spec.log_path;
    p.pid = Spawn(spec, nullptr);
    if (p.pid < 0) {
      Violation(std::string("harness: fork: ") + strerror(errno));
      return false;
    }
    const int64_t deadline = NowNs() + 20000 * kMs;
    Slot& sl = region_->slots[slot];
    for (;;) {
      if (!crash && sl.entered.load() == 1) break;
      pid_t done = waitpid(p.pid, &p.status, WNOHANG);
      if (done == p.pid) {
        p.exited = true;
        break;
      }
      if (NowNs() > deadline) break;
      SleepMs(1);
    }
    const bool ok =
        crash ? (p.exited && sl.left.load() == 1 && WIFSIGNALED(p.status) &&
                 WTERMSIG(p.status) == SIGKILL)
              : (!p.exited && sl.entered.load() == 1);
    if (getenv("PIDLOCK_RACE_DEBUG") != nullptr) {
      fprintf(stderr, "race: holder %d in slot %d: %s; lock -> '%s'\n", p.pid,
              slot, p.exited ? Describe(p.status).c_str() : "running",
              Readlink(lock_path_).c_str());
    }
    if (!ok) {
      std::string log;
      ReadFile(p.log_path, &log);
      Violation(std::string("setup: the ") + (crash ? "dying" : "live") +
                " holder did not " +
                (crash ? "take the lock and die" : "take the lock") + " (" +
                (p.exited ? Describe(p.status) : "still running") +
                "): " + log);
      if (!p.exited) {
        kill(p.pid, SIGKILL);
        waitpid(p.pid, &p.status, 0);
        p.exited = true;
      }
      return false;
    }
    *out = p;
    return true;
  }

  // A sleeper, possibly with a chosen PID; true if it got that PID.
  bool StartSleeper(pid_t want, pid_t* pid) {
    SpawnSpec spec;
    static const std::string sleep_bin = FindExecutable("sleep");
    spec.argv = {sleep_bin, "3600"};
    spec.env = BaseEnv();
    spec.want_pid = want;
    bool got = false;
    Proc p;
    p.pid = Spawn(spec, &got);
    *pid = p.pid;
    helpers_.push_back(p);
    // Wait until it has exec'ed (its start time is then final) and runs.
    for (int i = 0; i < 200; ++i) {
      std::string cmd;
      ReadFile("/proc/" + std::to_string(p.pid) + "/cmdline", &cmd);
      if (cmd.rfind(sleep_bin, 0) == 0 || cmd.rfind("sleep", 0) == 0) break;
      SleepMs(1);
    }
    return got;
  }

  bool MakeKeyDir(mode_t mode = 0700) {
    if (mkdir(key_dir_.c_str(), mode) != 0 && errno != EEXIST) return false;
    return chmod(key_dir_.c_str(), mode) == 0;
  }

  // The original's lock for `pid`: <dir>/<key>/<pid>, aged.
  void MakeLegacyLock(pid_t pid, bool with_dir, int age_seconds) {
    MakeKeyDir(0755);  // the original's mkpath gives 0777 & ~umask
    std::string me_dir = key_dir_ + "/" + std::to_string(pid);
    if (with_dir) mkdir(me_dir.c_str(), 0755);
    symlink(me_dir.c_str(), lock_path_.c_str());
    if (age_seconds > 0) AgeSymlink(lock_path_, age_seconds);
  }

  bool SetUpInitial() {
    const bool original =
        s_.subject == Subject::kSeed || s_.subject == Subject::kNode;
    switch (s_.initial) {
      case InitialLock::kFree:
        return true;
      case InitialLock::kStaleDeadPid: {
        Proc p;
        if (!StartHolder(s_.subject, kSetupSlot, /*crash=*/true, &p))
          return false;
        stale_target_ = Readlink(lock_path_);
        if (stale_target_.empty()) {
          Violation("setup: the dying holder left no lock");
          return false;
        }
        if (!original) CheckRecordFormat(p.pid);
        return true;
      }
      case InitialLock::kOwnFuturePid: {
        uint64_t start = 0;
        own_future_pid_ = DeadPid(&start);
        WaitTwoTicks();
        if (s_.legacy_form || original) {
          MakeLegacyLock(own_future_pid_, true, 60);
        } else {
          MakeKeyDir();
          symlink(FormatRecord(own_future_pid_, start).c_str(),
                  lock_path_.c_str());
        }
        return true;
      }
      case InitialLock::kReusedPid: {
        pid_t dead = 0;
        if (s_.legacy_form || original) {
          dead = DeadPid(nullptr);
          MakeLegacyLock(dead, true, 60);
        } else {
          Proc p;
          if (!StartHolder(s_.subject, kSetupSlot, /*crash=*/true, &p))
            return false;
          dead = p.pid;
          if (!original) CheckRecordFormat(p.pid);
        }
        pid_t sleeper = 0;
        std::string why;
        WaitTwoTicks();
        if (CanChoosePids(&why) && StartSleeper(dead, &sleeper)) {
          ++result_.pid_reuse_real;
          return true;
        }
        // Simulate: a live process whose start time is not the record's.
        ++result_.pid_reuse_fallback;
        if (sleeper <= 0) StartSleeper(0, &sleeper);
        unlink(lock_path_.c_str());
        if (s_.legacy_form || original) {
          MakeLegacyLock(sleeper, false, 60);
        } else {
          symlink(FormatRecord(sleeper, StartTimeOf(sleeper) + 1000).c_str(),
                  lock_path_.c_str());
        }
        return true;
      }
      case InitialLock::kDeadNodeHolder: {
        // A real node process running the real package, killed while it
        // held the lock, where node is installed; else the same layout made
        // by hand.
        Proc p;
        if (EnsureNodePackage().empty()) {
          if (!StartHolder(Subject::kNode, kSetupSlot, /*crash=*/true, &p)) {
            return false;
          }
          stale_target_ = Readlink(lock_path_);
          return true;
        }
        MakeLegacyLock(DeadPid(nullptr), true, 60);
        return true;
      }
      case InitialLock::kDangling: {
        MakeKeyDir(0755);
        std::string target = dir_ + "/gone/" + std::to_string(DeadPid(nullptr));
        symlink(target.c_str(), lock_path_.c_str());
        AgeSymlink(lock_path_, 60);
        return true;
      }
      case InitialLock::kPreviousBoot: {
        std::string boot8 = Boot8();
        boot8[0] = boot8[0] == '0' ? '1' : '0';
        MakeKeyDir();
        uint64_t start = 0;
        pid_t pid = DeadPid(&start);
        symlink(Record(boot8, OwnPidNs(), start, OwnHost(), pid).c_str(),
                lock_path_.c_str());
        return true;
      }
      case InitialLock::kLiveHolder: {
        if (s_.legacy_form && !original) {
          // The original's lock of a live process (a sleeper started before
          // the lock was made): alive to this library.
          pid_t sleeper = 0;
          StartSleeper(0, &sleeper);
          MakeLegacyLock(sleeper, true, 0);
        } else {
          if (!StartHolder(s_.subject, kHolderSlot, /*crash=*/false, &holder_))
            return false;
          have_holder_ = true;
        }
        holder_target_ = Readlink(lock_path_);
        return true;
      }
      case InitialLock::kRegularFile:
        MakeKeyDir();
        WriteFile(lock_path_, "12345\n");
        return true;
      case InitialLock::kDirectory:
        MakeKeyDir();
        mkdir(lock_path_.c_str(), 0700);
        return true;
      case InitialLock::kGarbageTarget: {
        MakeKeyDir();
        const std::vector<std::string>& g = GarbageTargets();
        symlink(g[static_cast<size_t>(s_.variant) % g.size()].c_str(),
                lock_path_.c_str());
        return true;
      }
      case InitialLock::kWrongOwner:
        if (geteuid() != 0) {
          result_.report = "wrong_owner needs root to chown";
          return false;
        }
        MakeKeyDir();
        return chown(key_dir_.c_str(), 65534, 65534) == 0;
      case InitialLock::kUnsafeMode:
        return MakeKeyDir(kUnsafeModes[s_.variant % 5]);
      case InitialLock::kKeySymlink: {
        std::string real = dir_ + "/real-key";
        mkdir(real.c_str(), 0700);
        return symlink(real.c_str(), key_dir_.c_str()) == 0;
      }
      case InitialLock::kOtherNamespace:
        // PID 1 of a PID namespace that is gone, as a restarted container
        // finds it: no witness is held.
        MakeKeyDir();
        return symlink(
                   Record(Boot8(), kForeignPidNs, 12345, OwnHost(), 1).c_str(),
                   lock_path_.c_str()) == 0;
      case InitialLock::kLiveHolderLeaderExited: {
        if (s_.subject != Subject::kLibrary) {
          result_.report = "leader_exited needs the library subject";
          return false;
        }
        if (!StartHolder(s_.subject, kHolderSlot, /*crash=*/false, &holder_,
                         NsRacer::kNone, /*leader_exits=*/true)) {
          return false;
        }
        have_holder_ = true;
        holder_target_ = Readlink(lock_path_);
        // The holder is alive, its leader thread a zombie ('Z' in
        // /proc/<pid>/stat) once pthread_exit has run.
        for (int i = 0; i < 1000; ++i) {
          std::string stat;
          ReadFile("/proc/" + std::to_string(holder_.pid) + "/stat", &stat);
          size_t paren = stat.rfind(')');
          if (paren != std::string::npos && paren + 2 < stat.size() &&
              stat[paren + 2] == 'Z') {
            break;
          }
          SleepMs(1);
        }
        return true;
      }
      case InitialLock::kLiveHolderOtherNamespace: {
        std::string why;
        if (!CanUnsharePidNamespace(&why)) {
          result_.report = "no PID namespaces here: " + why;
          return false;
        }
        if (!StartHolder(s_.subject, kHolderSlot, /*crash=*/false, &holder_,
                         NsRacer::kWithProc)) {
          return false;
        }
        have_holder_ = true;
        holder_target_ = Readlink(lock_path_);
        return true;
      }
      case InitialLock::kAttackerOwnedDir:
      case InitialLock::kAttackerOpenDir:
      case InitialLock::kAttackerParent:
        return SetUpAttacked();
      case InitialLock::kOtherHost:
        MakeKeyDir();
        return symlink(Record(Boot8(), OwnPidNs(), StartTimeOf(getpid()),
                              "other-host.example", getpid())
                           .c_str(),
                       lock_path_.c_str()) == 0;
    }
    return false;
  }

  // The attacker states: a directory the attacker controls on the path, the
  // key directory (root's, 0700, no lock: free) in place. The attacker
  // starts later (StartAttacker), once the lock's state was recorded.
  bool SetUpAttacked() {
    const bool root = geteuid() == 0;
    if (!root && s_.initial != InitialLock::kAttackerOpenDir) {
      result_.report = std::string(InitialLockName(s_.initial)) +
                       " needs root to chown a directory to uid 65534";
      return false;
    }
    auto make = [this](const std::string& path, mode_t mode) {
      if (mkdir(path.c_str(), mode) != 0 || chmod(path.c_str(), mode) != 0) {
        Violation("setup: mkdir " + path + ": " + strerror(errno));
        return false;
      }
      return true;
    };
    switch (s_.initial) {
      case InitialLock::kAttackerOwnedDir:
        // DIR is the attacker's; it renames DIR/<key>.
        SetLockDir(dir_ + "/attacker");
        if (!make(lock_dir_, 0755) || !MakeKeyDir()) return false;
        attack_dir_ = lock_dir_;
        attack_name_ = kKey;
        unsafe_component_ = lock_dir_;
        break;
      case InitialLock::kAttackerOpenDir:
        // DIR is root's (the caller's), 0777, not sticky: anyone may rename
        // DIR/<key>.
        SetLockDir(dir_ + "/open");
        if (!make(lock_dir_, 0777) || !MakeKeyDir()) return false;
        attack_dir_ = lock_dir_;
        attack_name_ = kKey;
        unsafe_component_ = lock_dir_;
        break;
      case InitialLock::kAttackerParent:
        // DIR = <the attacker's directory>/locks, root's, 0700; the attacker
        // renames DIR itself.
        attack_dir_ = dir_ + "/attacker";
        SetLockDir(attack_dir_ + "/locks");
        if (!make(attack_dir_, 0755) || !make(lock_dir_, 0700) ||
            !MakeKeyDir()) {
          return false;
        }
        attack_name_ = "locks";
        unsafe_component_ = attack_dir_;
        break;
      default:
        return false;
    }
    if (s_.initial != InitialLock::kAttackerOpenDir &&
        chown(attack_dir_.c_str(), kAttackerUid, kAttackerGid) != 0) {
      Violation("setup: chown " + attack_dir_ + ": " + strerror(errno));
      return false;
    }
    // What the refusal must name: the component (as the walk from "/"
    // resolves it) and its owner and mode.
    char resolved[PATH_MAX];
    if (realpath(unsafe_component_.c_str(), resolved) != nullptr) {
      unsafe_component_ = resolved;
    }
    struct stat st;
    if (stat(unsafe_component_.c_str(), &st) != 0) {
      Violation("setup: stat " + unsafe_component_ + ": " + strerror(errno));
      return false;
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "owned by uid %u, mode %04o",
             static_cast<unsigned>(st.st_uid),
             static_cast<unsigned>(st.st_mode & 07777));
    unsafe_detail_ = detail;
    return true;
  }

  // Forks the attacker (uid 65534 when the harness is root) and waits until
  // it has renamed aside and back at least once.
  bool StartAttacker() {
    void* mem = mmap(nullptr, sizeof(AttackerShared), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      Violation(std::string("harness: mmap: ") + strerror(errno));
      return false;
    }
    attacker_ = new (mem) AttackerShared();
    const int dfd =
        open(attack_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      Violation("harness: open " + attack_dir_ + ": " + strerror(errno));
      return false;
    }
    const std::string aside = attack_name_ + ".aside";
    const bool drop = geteuid() == 0;
    const pid_t parent = getpid();
    attacker_pid_ = fork();
    if (attacker_pid_ == 0) {
      AttackerLoop(dfd, attack_name_.c_str(), aside.c_str(), attacker_, drop,
                   parent);
    }
    close(dfd);
    if (attacker_pid_ < 0) {
      Violation(std::string("harness: fork: ") + strerror(errno));
      return false;
    }
    const int64_t deadline = NowNs() + 5000 * kMs;
    while (attacker_->renames.load() < 2) {
      int status = 0;
      if (waitpid(attacker_pid_, &status, WNOHANG) == attacker_pid_) {
        attacker_pid_ = -1;
        Violation("setup: the attacker exited before renaming (" +
                  Describe(status) + ", errno " +
                  std::to_string(attacker_->last_errno.load()) + ")");
        return false;
      }
      if (NowNs() > deadline) {
        Violation("setup: the attacker did not rename " + attack_dir_ + "/" +
                  attack_name_ + " within 5 s (errno " +
                  std::to_string(attacker_->last_errno.load()) + ")");
        return false;
      }
      SleepMs(0);
      sched_yield();
    }
    return true;
  }

  // Stops the attacker (it puts back what it moved) and checks that it did
  // its part: renames while the racers ran, none refused, all put back.
  void StopAttacker() {
    if (attacker_ == nullptr || attacker_pid_ <= 0) return;
    result_.attacker_renames_in_race =
        attacker_->renames.load() - renames_at_barrier_;
    attacker_->stop.store(1);
    int status = 0;
    const int64_t deadline = NowNs() + 5000 * kMs;
    while (waitpid(attacker_pid_, &status, WNOHANG) != attacker_pid_) {
      if (NowNs() > deadline) {
        kill(attacker_pid_, SIGKILL);
        waitpid(attacker_pid_, &status, 0);
        Violation("the attacker did not stop when asked");
        break;
      }
      SleepMs(1);
    }
    attacker_pid_ = -1;
    result_.attacker_renames = attacker_->renames.load();
    if (getenv("PIDLOCK_RACE_DEBUG") != nullptr) {
      fprintf(stderr,
              "race: attacker (uid %d) renamed %s/%s %lld times, %lld while "
              "the racers ran; %lld failed renames, %d fresh names parked\n",
              geteuid() == 0 ? static_cast<int>(kAttackerUid)
                             : static_cast<int>(geteuid()),
              attack_dir_.c_str(), attack_name_.c_str(),
              static_cast<long long>(result_.attacker_renames),
              static_cast<long long>(result_.attacker_renames_in_race),
              static_cast<long long>(attacker_->failures.load()),
              attacker_->parked.load());
    }
    // A scenario in which the attacker did not rename while the racers ran
    // (they can all be refused within a few hundred microseconds) tests
    // nothing about it: Totals does not count it as one of its state.
    if (result_.attacker_renames == 0) {
      Violation("the attacker did no rename at all");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      Violation("the attacker failed: " + Describe(status));
    }
    const bool promises =
        s_.subject == Subject::kLibrary || s_.subject == Subject::kCli;
    if (!promises) return;  // the original makes fresh key directories
    if (attacker_->failures.load() > 0) {
      Violation(std::to_string(attacker_->failures.load()) +
                " of the attacker's renames failed (last errno " +
                std::to_string(attacker_->last_errno.load()) +
                "): something else changed " + attack_dir_);
    }
    if (attacker_->restored.load() != 1) {
      Violation("the attacker could not put back " + attack_dir_ + "/" +
                attack_name_);
    }
  }

  // The record a real holder wrote must be protocol.md's, byte for byte.
  void CheckRecordFormat(pid_t holder_pid) {
    std::string target = Readlink(lock_path_);
    // The holder is gone; its start time is in the record. Rebuild the
    // record with that start time and compare everything else.
    size_t colon = target.rfind(':');
    size_t start_colon = colon == std::string::npos
                             ? std::string::npos
                             : target.rfind(':', colon - 1);
    uint64_t start = 0;
    if (start_colon != std::string::npos) {
      start = strtoull(target.c_str() + start_colon + 1, nullptr, 10);
    }
    std::string expected = FormatRecord(holder_pid, start);
    if (target != expected) {
      Violation("the lock's owner record is not protocol.md's: '" + target +
                "', expected '" + expected + "'");
    }
  }

  bool SpawnRacers() {
    int ready[2], barrier[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(barrier, O_CLOEXEC) != 0) {
      Violation(std::string("harness: pipe: ") + strerror(errno));
      return false;
    }
    HarnessOnlyFds() = {ready[0], barrier[1]};
    const int n = static_cast<int>(s_.racers.size());
    std::string ns_why;
    NsRacer ns = s_.ns;
    if (ns != NsRacer::kNone && !CanUnsharePidNamespace(&ns_why)) {
      fprintf(stderr, "race: no PID namespace racer here: %s\n",
              ns_why.c_str());
      ns = NsRacer::kNone;
    }
    ns_effective_ = ns;
    racers_.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const RacerPlan& plan = s_.racers[static_cast<size_t>(i)];
      SpawnSpec spec = SubjectSpec(s_.subject, i, plan);
      spec.ready_w = ready[1];
      spec.barrier_r = barrier[0];
      if (!spec.barrier_before_exec) {
        spec.env.push_back("RACE_READY_FD=" + std::to_string(kReadyFd));
        spec.env.push_back("RACE_BARRIER_FD=" + std::to_string(kBarrierFd));
      }
      spec.skew_us = plan.skew_us;
      Proc& p = racers_[static_cast<size_t>(i)];
      p.index = i;
      p.log_path = spec.log_path;
      for (const Fault& f : s_.faults) {
        if (f.racer == i) {
          p.fault = &f;
          spec.env.push_back("PIDLOCK_TEST_STOP_AT=" + f.state);
          break;
        }
      }
      if (i == n - 1 && ns != NsRacer::kNone) {
        spec.ns = ns;
        ++result_.ns_racers;
      }
      if (i == 0 && own_future_pid_ > 0) spec.want_pid = own_future_pid_;
      bool got = false;
      p.pid = Spawn(spec, &got);
      if (p.pid < 0) {
        Violation(std::string("harness: fork: ") + strerror(errno));
        break;
      }
      if (i == 0 && own_future_pid_ > 0) {
        if (got) {
          ++result_.pid_reuse_real;
        } else {
          ++result_.pid_reuse_fallback;  // then it is a plain stale lock
        }
      }
    }
    close(ready[1]);
    close(barrier[0]);
    // Wait until every racer is at the barrier.
    int ready_count = 0;
    const int64_t deadline = NowNs() + 30000 * kMs;
    bool early_exit = false;
    while (ready_count < n && NowNs() < deadline && !early_exit) {
      struct pollfd pfd = {ready[0], POLLIN, 0};
      if (poll(&pfd, 1, 50) > 0) {
        char buffer[64];
        ssize_t got = read(ready[0], buffer, sizeof(buffer));
        if (got > 0) ready_count += static_cast<int>(got);
        if (got == 0) break;  // all write ends closed
      }
      for (Proc& p : racers_) {
        if (p.pid > 0 && !p.exited &&
            waitpid(p.pid, &p.status, WNOHANG) == p.pid) {
          p.exited = true;
          early_exit = true;
        }
      }
    }
    start_ns_ = NowNs();
    if (attacker_ != nullptr) renames_at_barrier_ = attacker_->renames.load();
    close(barrier[1]);  // go
    close(ready[0]);
    HarnessOnlyFds().clear();
    if (ready_count < n) {
      std::string who;
      for (Proc& p : racers_) {
        if (p.exited) {
          std::string log;
          ReadFile(p.log_path, &log);
          who += " racer " + std::to_string(p.index) + " " +
                 Describe(p.status) + ": " + log;
        }
      }
      Violation("harness: only " + std::to_string(ready_count) + " of " +
                std::to_string(n) + " racers reached the barrier;" + who);
      return false;
    }
    return true;
  }

  void RunUntilDone() {
    const int64_t deadline = start_ns_ + kScenarioDeadlineNs;
    for (;;) {
      bool all_done = true;
      const int64_t now = NowNs();
      for (Proc& p : racers_) {
        if (p.exited || p.pid <= 0) continue;
        int status = 0;
        pid_t r = waitpid(p.pid, &status, WNOHANG | WUNTRACED);
        if (r == p.pid && WIFSTOPPED(status)) {
          if (p.fault != nullptr && !p.fault_done) {
            p.fault_done = true;
            if (p.fault->action == Fault::Action::kKill) {
              kill(p.pid, SIGKILL);
              p.killed_by_plan = true;
              ++result_.kills;
            } else {
              p.paused = true;
              p.resume_at = now + p.fault->pause_ms * kMs;
            }
          } else {
            kill(p.pid, SIGCONT);  // not ours to stop
          }
        } else if (r == p.pid) {
          p.exited = true;
          p.status = status;
        }
        if (p.paused && NowNs() >= p.resume_at) {
          p.paused = false;
          kill(p.pid, SIGCONT);
          ++result_.pauses;
        }
        if (!p.exited) all_done = false;
      }
      if (all_done) break;
      if (NowNs() > deadline) {
        std::string stuck;
        for (Proc& p : racers_) {
          if (p.exited) continue;
          std::string stat, wchan;
          ReadFile("/proc/" + std::to_string(p.pid) + "/stat", &stat);
          ReadFile("/proc/" + std::to_string(p.pid) + "/wchan", &wchan);
          stuck += " racer " + std::to_string(p.index) + " (" +
                   stat.substr(0, 40) + ", wchan " + wchan + ")";
          kill(p.pid, SIGKILL);
          waitpid(p.pid, &p.status, 0);
          p.exited = true;
          p.killed_by_plan = true;  // reported as a hang, not a crash
        }
        Violation("hang: racers still running after 60 s:" + stuck);
        break;
      }
      SleepMs(1);
    }
  }

  // What each racer's attempt ended in.
  struct View {
    RacerOutcome outcome = RacerOutcome::kPending;
    int errc = -1;
    bool took_over = false;
    bool displaced = false;
    bool ns = false;
  };

  View ViewOf(const Proc& p) {
    View v;
    const Slot& sl = region_->slots[p.index];
    v.ns = ns_effective_ != NsRacer::kNone &&
           p.index == static_cast<int>(racers_.size()) - 1;
    v.took_over = sl.took_over.load() != 0;
    v.displaced = sl.displaced.load() != 0;
    const bool exited = WIFEXITED(p.status);
    const int code = exited ? WEXITSTATUS(p.status) : -1;
    switch (s_.subject) {
      case Subject::kLibrary:
      case Subject::kSeed:
        v.outcome = static_cast<RacerOutcome>(sl.outcome.load());
        v.errc = sl.error_code.load();
        break;
      case Subject::kCli:
      case Subject::kNode:
        if (sl.outcome.load() ==
            static_cast<int32_t>(RacerOutcome::kAcquired)) {
          v.outcome = RacerOutcome::kAcquired;
        } else if (code == 75) {
          v.outcome = RacerOutcome::kHeld;
        } else if (code == 76) {
          v.outcome = RacerOutcome::kRefused;
          std::string log;
          ReadFile(p.log_path, &log);
          v.errc = ErrcFromMessage(log);
        } else if (code == 71) {
          v.outcome = RacerOutcome::kSystem;
        }
        if (code == 77) v.displaced = true;
        if (s_.subject == Subject::kCli) {
          std::string log;
          ReadFile(p.log_path, &log);
          if (log.find(": release: ") != std::string::npos) v.displaced = true;
        }
        break;
    }
    return v;
  }

  void CheckOutcomes() {
    const bool promises =
        s_.subject == Subject::kLibrary || s_.subject == Subject::kCli;
    // Safety, from the witness alone.
    if (region_->max_holders.load() > 1) {
      Violation("witness: " + std::to_string(region_->max_holders.load()) +
                " holders at the same instant");
    }
    struct Interval {
      int64_t enter, leave;
      int index;
    };
    std::vector<Interval> intervals;
    for (int i = 0; i < kMaxSlots; ++i) {
      const Slot& sl = region_->slots[i];
      if (sl.collided.load() != 0) {
        Violation("witness: racer " + std::to_string(i) +
                  " found the witness directory taken when it entered");
      }
      if (sl.entered.load() == 0) continue;
      int64_t leave = sl.left.load() != 0 ? sl.leave_ns.load() : INT64_MAX;
      if (i == kHolderSlot && sl.left.load() == 0) leave = INT64_MAX;
      intervals.push_back({sl.enter_ns.load(), leave, i});
    }
    std::sort(
        intervals.begin(), intervals.end(),
        [](const Interval& a, const Interval& b) { return a.enter < b.enter; });
    for (size_t i = 1; i < intervals.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (intervals[i].enter < intervals[j].leave) {
          char text[200];
          snprintf(
              text, sizeof(text),
              "witness: holders %d and %d overlap: %d entered at "
              "+%.3fms, before %d left (%s)",
              intervals[j].index, intervals[i].index, intervals[i].index,
              Ms(intervals[i].enter - start_ns_), intervals[j].index,
              intervals[j].leave == INT64_MAX
                  ? "it never left"
                  : ("at +" +
                     std::to_string(Ms(intervals[j].leave - start_ns_)) + "ms")
                        .c_str());
          Violation(text);
        }
      }
    }

    int acquired = 0, held = 0, refused = 0;
    bool kills = result_.kills > 0;
    for (const Proc& p : racers_) {
      View v = ViewOf(p);
      const RacerPlan& plan = s_.racers[static_cast<size_t>(p.index)];
      const std::string who = "racer " + std::to_string(p.index);
      if (v.displaced) {
        Violation(who +
                  " was displaced: when it released, the lock was no "
                  "longer its own");
      }
      // Deaths: only the plan's SIGKILLs.
      const bool sigkill =
          WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGKILL;
      const bool crashed =
          plan.crash && sigkill && v.outcome == RacerOutcome::kAcquired;
      if (crashed) ++result_.crashes;
      if (WIFSIGNALED(p.status) &&
          !(sigkill && (p.killed_by_plan || crashed))) {
        Violation(who + " died unexpectedly: " + Describe(p.status));
      }
      if (WIFEXITED(p.status)) {
        int code = WEXITSTATUS(p.status);
        bool expected = code == 0 || code == 75 || code == 76 || code == 77;
        if (!promises) expected = expected || code == 71;
        if (!expected) {
          std::string log;
          ReadFile(p.log_path, &log);
          Violation(who + " failed: " + Describe(p.status) + ": " + log);
        }
      }
      switch (v.outcome) {
        case RacerOutcome::kAcquired:
          ++acquired;
          if (v.took_over) ++result_.takeovers;
          break;
        case RacerOutcome::kHeld:
          ++held;
          break;
        case RacerOutcome::kRefused:
        case RacerOutcome::kSystem:
          ++refused;
          break;
        case RacerOutcome::kPending:
          break;
      }
    }
    result_.acquisitions = acquired;
    result_.held = held;
    result_.refused = refused;

    // A live holder keeps its lock.
    if (IsLive(s_.initial)) {
      std::string now = Readlink(lock_path_);
      if (now != holder_target_) {
        Violation("the live holder was displaced: its lock '" + holder_target_ +
                  "' is now '" + now + "'");
      }
    }
    if (!promises) return;

    for (const Proc& p : racers_) {
      View v = ViewOf(p);
      const RacerPlan& plan = s_.racers[static_cast<size_t>(p.index)];
      const std::string who = "racer " + std::to_string(p.index);
      if (p.killed_by_plan && v.outcome == RacerOutcome::kPending) continue;
      const std::string got = std::string(RacerOutcomeName(v.outcome)) +
                              (v.errc > 0 && v.outcome == RacerOutcome::kRefused
                                   ? " (" + ErrcName(v.errc) + ")"
                               : v.outcome == RacerOutcome::kSystem
                                   ? " (errno " + std::to_string(v.errc) + ")"
                                   : "");
      if (v.outcome == RacerOutcome::kSystem) {
        Violation(who + " got a system error: " + got);
        continue;
      }
      // The racer in another PID namespace.
      if (v.ns) {
        // The path is walked before /proc is looked at: refused alike.
        if (IsAttacked(s_.initial)) {
          CheckRefusal(p, v, who, got);
          continue;
        }
        if (ns_effective_ == NsRacer::kWithoutProc &&
            !IsKeyDirectoryDoubt(s_.initial)) {
          if (v.outcome != RacerOutcome::kRefused ||
              (v.errc >= 0 &&
               v.errc !=
                   static_cast<int>(pidlock::Errc::kProcOtherNamespace))) {
            Violation(who +
                      " (another PID namespace, the parent's /proc) must "
                      "be refused with ProcOtherNamespace, got " +
                      got);
          }
          continue;
        }
        // With its own /proc it judges the others' records by their
        // witness: it must see a live holder as held, and may take over a
        // dead one's lock (a restarted container). The original's lock
        // names no PID namespace: a PID it cannot see is refused
        // (LegacyHolderNotVisible), never taken over.
        const bool legacy_refusal =
            s_.legacy_form && v.outcome == RacerOutcome::kRefused &&
            v.errc == static_cast<int>(pidlock::Errc::kLegacyHolderNotVisible);
        if (IsLive(s_.initial) && v.outcome != RacerOutcome::kHeld &&
            !legacy_refusal) {
          Violation(who +
                    " (another PID namespace) must see the live holder "
                    "(held), got " +
                    got);
        }
        if (IsDoubt(s_.initial) && v.outcome == RacerOutcome::kAcquired) {
          Violation(who + " (another PID namespace) acquired a lock that was " +
                    InitialLockName(s_.initial));
        }
        continue;
      }
      if (IsDoubt(s_.initial)) {
        CheckRefusal(p, v, who, got);
        continue;
      }
      if (IsLive(s_.initial)) {
        if (v.outcome != RacerOutcome::kHeld) {
          Violation(who + " must see the live holder (held), got " + got);
        }
        continue;
      }
      // Acquirable: a racer gets it or sees it held, never a refusal.
      if (v.outcome == RacerOutcome::kRefused) {
        Violation(who + " was refused a free or stale lock: " + got);
      }
      if (plan.wait_ms >= kLongWaitMs && v.outcome != RacerOutcome::kAcquired) {
        Violation(
            who + " waited up to " + std::to_string(plan.wait_ms) +
            "ms and did not get a lock that others held only briefly: " + got);
      }
    }
    if (IsAcquirable(s_.initial) && !kills && acquired == 0) {
      Violation(std::string("nobody acquired a lock that was ") +
                InitialLockName(s_.initial));
    }
    if (IsDoubt(s_.initial)) {
      if (acquired > 0) {
        Violation(std::to_string(acquired) +
                  " racer(s) acquired a lock that "
                  "was " +
                  InitialLockName(s_.initial));
      }
      LockSnapshot after = Snapshot(key_dir_);
      if (!(after == before_)) {
        Violation("a refused lock was changed: before " + before_.Show() +
                  "; after " + after.Show());
      }
    }
  }

  // A racer facing a doubt state must be refused with the documented Errc;
  // under attack, its message must name the component and its owner and
  // mode: "pidlock: <component>: ... (owned by uid U, mode 0MMM) (...)".
  void CheckRefusal(const Proc& p, const View& v, const std::string& who,
                    const std::string& got) {
    const int want = static_cast<int>(ExpectedRefusal(s_.initial));
    if (v.outcome != RacerOutcome::kRefused || v.errc != want) {
      Violation(who + " must be refused with '" + ErrcName(want) +
                "' (the lock is " + InitialLockName(s_.initial) + "), got " +
                got);
      return;
    }
    if (!IsAttacked(s_.initial)) return;
    std::string log;
    ReadFile(p.log_path, &log);
    const std::string token =
        std::string("(") + pidlock::ErrcName(static_cast<pidlock::Errc>(want)) +
        " in ";
    if (log.find("pidlock: " + unsafe_component_ + ": ") == std::string::npos ||
        log.find("(" + unsafe_detail_ + ")") == std::string::npos ||
        log.find(token) == std::string::npos) {
      Violation(who + "'s refusal must name " + unsafe_component_ + " (" +
                unsafe_detail_ + ") and " + token + "...): " + log);
    }
  }

  // Cleans a corrupt state, lets a live holder go, then checks that the
  // next acquire succeeds and that nothing was left behind.
  void Aftermath() {
    const bool promises =
        s_.subject == Subject::kLibrary || s_.subject == Subject::kCli;
    switch (s_.initial) {
      case InitialLock::kRegularFile:
      case InitialLock::kGarbageTarget:
      case InitialLock::kOtherHost:
        unlink(lock_path_.c_str());
        break;
      case InitialLock::kDirectory:
        rmdir(lock_path_.c_str());
        break;
      case InitialLock::kWrongOwner:
        chown(key_dir_.c_str(), geteuid(), getegid());
        break;
      case InitialLock::kUnsafeMode:
        chmod(key_dir_.c_str(), 0700);
        break;
      case InitialLock::kKeySymlink:
        unlink(key_dir_.c_str());
        break;
      case InitialLock::kAttackerOwnedDir:
      case InitialLock::kAttackerOpenDir:
      case InitialLock::kAttackerParent:
        // The directory is the caller's again, and no one else's to write.
        chown(attack_dir_.c_str(), geteuid(), getegid());
        chmod(attack_dir_.c_str(), 0700);
        break;
      default:
        break;
    }
    if (have_holder_) {
      region_->slots[kHolderSlot].leave_request.store(1);
      const int64_t deadline = NowNs() + 10000 * kMs;
      while (waitpid(holder_.pid, &holder_.status, WNOHANG) != holder_.pid) {
        if (NowNs() > deadline) {
          kill(holder_.pid, SIGKILL);
          waitpid(holder_.pid, &holder_.status, 0);
          Violation("the live holder did not release when asked");
          break;
        }
        SleepMs(1);
      }
      holder_.exited = true;
      if (!WIFEXITED(holder_.status) || WEXITSTATUS(holder_.status) != 0) {
        std::string log;
        ReadFile(holder_.log_path, &log);
        Violation("the live holder's release failed (" +
                  Describe(holder_.status) + "): " + log);
      }
    }
    for (Proc& h : helpers_) {
      if (!h.exited && h.pid > 0) {
        kill(h.pid, SIGKILL);
        waitpid(h.pid, &h.status, 0);
        h.exited = true;
      }
    }
    if (!promises) return;
    // The next acquire succeeds.
    RacerPlan plan;
    SpawnSpec spec = SubjectSpec(Subject::kLibrary, kProbeSlot, plan);
    Proc probe;
    probe.pid = Spawn(spec, nullptr);
    if (probe.pid > 0) {
      const int64_t deadline = NowNs() + 20000 * kMs;
      while (waitpid(probe.pid, &probe.status, WNOHANG) != probe.pid) {
        if (NowNs() > deadline) {
          kill(probe.pid, SIGKILL);
          waitpid(probe.pid, &probe.status, 0);
          break;
        }
        SleepMs(1);
      }
      const Slot& sl = region_->slots[kProbeSlot];
      if (!WIFEXITED(probe.status) || WEXITSTATUS(probe.status) != 0 ||
          sl.outcome.load() != static_cast<int32_t>(RacerOutcome::kAcquired)) {
        std::string log;
        ReadFile(spec.log_path, &log);
        Violation("the next acquire after the race failed (" +
                  Describe(probe.status) + "): " + log);
      }
    }
    // No litter: only what was there before the race, and no lock.
    std::set<std::string> before(entries_before_.begin(),
                                 entries_before_.end());
    for (const std::string& name : ListDir(key_dir_)) {
      if (name == "lock") {
        Violation("litter: a lock is left after every holder released");
      } else if (before.count(name) == 0) {
        Violation("litter: '" + name + "' left in the key directory");
      }
    }
    if (Exists(witness_dir_))
      Violation("litter: the witness directory is left");
  }

  std::string Report() {
    std::ostringstream os;
    os << "lock dir " << lock_dir_ << ", initial "
       << InitialLockName(s_.initial);
    if (IsAttacked(s_.initial)) {
      os << " (attacker renamed " << attack_dir_ << "/" << attack_name_ << " "
         << result_.attacker_renames << " times, "
         << result_.attacker_renames_in_race << " while the racers ran)";
    }
    if (!stale_target_.empty()) os << " ('" << stale_target_ << "')";
    if (!holder_target_.empty()) os << " (holder '" << holder_target_ << "')";
    os << "; before the race: " << before_.Show() << "; max holders "
       << region_->max_holders.load() << "\n";
    for (const Proc& p : racers_) {
      const Slot& sl = region_->slots[p.index];
      View v = ViewOf(p);
      os << "    racer " << p.index << " pid " << p.pid << ": "
         << Describe(p.status) << ", " << RacerOutcomeName(v.outcome);
      if (v.errc > 0 && v.outcome == RacerOutcome::kRefused) {
        os << " (" << ErrcName(v.errc) << ")";
      }
      if (v.took_over) os << ", took over";
      if (p.fault != nullptr) {
        os << ", fault " << p.fault->state
           << (p.fault_done ? (p.killed_by_plan ? " -> killed" : " -> paused")
                            : " (not reached)");
      }
      if (sl.entered.load()) {
        os << ", held +" << Ms(sl.enter_ns.load() - start_ns_) << "ms";
        if (sl.left.load()) {
          os << " .. +" << Ms(sl.leave_ns.load() - start_ns_) << "ms";
        }
      }
      std::string log;
      ReadFile(p.log_path, &log);
      if (!log.empty()) {
        if (log.size() > 300) log = log.substr(0, 300) + "...";
        while (!log.empty() && log.back() == '\n') log.pop_back();
        os << " [" << log << "]";
      }
      os << "\n";
    }
    return os.str();
  }

  const Scenario& s_;
  const Tools& tools_;
  ScenarioResult result_;
  std::string dir_, lock_dir_, key_dir_, lock_path_, witness_dir_, region_path_;
  // The attacker states: where the attacker renames what, and what the
  // racers' refusal must name.
  std::string attack_dir_, attack_name_, unsafe_component_, unsafe_detail_;
  AttackerShared* attacker_ = nullptr;
  pid_t attacker_pid_ = -1;
  int64_t renames_at_barrier_ = 0;
  Region* region_ = nullptr;
  std::vector<Proc> racers_;
  std::vector<Proc> helpers_;
  Proc holder_;
  bool have_holder_ = false;
  pid_t own_future_pid_ = 0;
  std::string stale_target_, holder_target_;
  LockSnapshot before_;
  std::vector<std::string> entries_before_;
  NsRacer ns_effective_ = NsRacer::kNone;
  int64_t start_ns_ = 0;
};

}  // namespace

ScenarioResult RunScenario(const Scenario& scenario) {
  const int64_t start = NowNs();
  ScenarioResult result = Runner(scenario).Run();
  result.elapsed_ms = (NowNs() - start) / kMs;
  return result;
}

}  // namespace pidlock_race
