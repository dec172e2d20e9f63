// Copyright 2026 The pidlock Authors. MIT License.
//
// The pidlock command:
//   pidlock run --dir DIR --key KEY [--wait] [--timeout SECONDS]
//               [--identity key|cmdline] -- COMMAND [ARGS...]
//   pidlock status --dir DIR --key KEY [--json] [--identity key|cmdline]
//   pidlock --version | --help
// Exit codes are listed in kUsage and README.md.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "src/pidlock.h"

namespace {

// Exit codes (sysexits.h where one fits).
constexpr int kExitHeld = 75;       // EX_TEMPFAIL: a live instance holds it
constexpr int kExitUsage = 64;      // EX_USAGE
constexpr int kExitRefused = 76;    // EX_PROTOCOL: unsafe or unverifiable
constexpr int kExitSystem = 71;     // EX_OSERR: a system call failed
constexpr int kExitStatusFree = 3;  // status: free or stale (LSB "not running")
constexpr int kExitStatusUnknown = 4;  // status: cannot be told (LSB)
constexpr int kExitNotExecutable = 126;
constexpr int kExitNotFound = 127;

constexpr char kUsage[] =
    "usage: pidlock run [--dir DIR] --key KEY [--wait] [--timeout SECONDS]\n"
    "                   [--identity key|cmdline] -- COMMAND [ARGS...]\n"
    "       pidlock status [--dir DIR] --key KEY [--json] "
    "[--identity key|cmdline]\n"
    "       pidlock --version\n"
    "\n"
    "run: hold the lock DIR/KEY while COMMAND runs; exit with its status\n"
    "  (128+N when killed by signal N). SIGINT, SIGTERM and SIGHUP are\n"
    "  forwarded to COMMAND; COMMAND is killed if pidlock itself dies.\n"
    "  --wait waits for the holder to release or die (--timeout SECONDS\n"
    "  bounds the wait and implies --wait).\n"
    "status: print the live holder (exit 0), or say the lock is free or\n"
    "  stale (exit 3).\n"
    "--dir defaults to $XDG_RUNTIME_DIR, else /run/pidlock for root, else\n"
    "  /dev/shm/pidlock-UID (tmpfs), else /tmp/pidlock-UID.\n"
    "\n"
    "exit codes: 75 held by a live instance; 76 refused: the lock's state is\n"
    "  unsafe or cannot be verified (nobody takes over); 71 a system call\n"
    "  failed (e.g. DIR missing or not writable); 64 usage; 126/127 COMMAND\n"
    "  not executable / not found; status: 0 held, 3 free or stale, 4 cannot\n"
    "  be told.\n";

struct Args {
  std::string command;
  std::string dir;
  std::string key;
  bool wait = false;
  double timeout_seconds = -1;  // < 0: no bound
  bool json = false;
  pidlock::Options options;
  std::vector<char*> argv;  // COMMAND [ARGS...], null-terminated
};

int Usage(const char* problem) {
  fprintf(stderr, "pidlock: %s\n%s", problem, kUsage);
  return kExitUsage;
}

// Returns true when `path` is a directory this user can use for locks.
bool UsableDirectory(const std::string& path) {
  struct stat st;
  return !path.empty() && path[0] == '/' && stat(path.c_str(), &st) == 0 &&
         S_ISDIR(st.st_mode) && access(path.c_str(), W_OK | X_OK) == 0;
}

// The default lock directory: per user, on tmpfs where there is one (locks
// never need to outlive a boot). The fallbacks are created 0700; the
// library then refuses a key directory someone else owns or can write.
std::string DefaultDirectory() {
  const char* runtime = getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && UsableDirectory(runtime)) return runtime;
  const uid_t uid = geteuid();
  std::vector<std::string> candidates;
  if (uid == 0) candidates.push_back("/run/pidlock");
  candidates.push_back("/dev/shm/pidlock-" + std::to_string(uid));
  candidates.push_back("/tmp/pidlock-" + std::to_string(uid));
  for (const std::string& dir : candidates) {
    mkdir(dir.c_str(), 0700);
    struct stat st;
    if (lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == uid && (st.st_mode & 022) == 0) {
      return dir;
    }
  }
  return candidates.back();  // unsafe: the library will say why
}

int ParseArgs(int argc, char** argv, Args* args) {
  if (argc < 2) return Usage("no command");
  args->command = argv[1];
  if (args->command == "--version") return 0;
  if (args->command == "--help" || args->command == "-h") return 0;
  if (args->command != "run" && args->command != "status") {
    return Usage(("unknown command '" + args->command + "'").c_str());
  }
  int i = 2;
  // The value after the flag at argv[i], or nullptr when there is none.
  auto value = [&]() -> const char* {
    return i + 1 < argc ? argv[++i] : nullptr;
  };
  for (; i < argc; ++i) {
    std::string flag = argv[i];
    const char* v = nullptr;
    if (flag == "--") {
      ++i;
      break;
    }
    if (flag == "--dir") {
      if ((v = value()) == nullptr) return Usage("--dir needs a value");
      args->dir = v;
    } else if (flag == "--key") {
      if ((v = value()) == nullptr) return Usage("--key needs a value");
      args->key = v;
    } else if (flag == "--wait" && args->command == "run") {
      args->wait = true;
    } else if (flag == "--timeout" && args->command == "run") {
      if ((v = value()) == nullptr) {
        return Usage("--timeout needs a value");
      }
      char* end = nullptr;
      errno = 0;
      args->timeout_seconds = strtod(v, &end);
      if (errno != 0 || end == v || *end != '\0' ||
          !(args->timeout_seconds >= 0) || args->timeout_seconds > 1e9) {
        return Usage("--timeout takes a number of seconds");
      }
      args->wait = true;
    } else if (flag == "--identity") {
      if ((v = value()) == nullptr) {
        return Usage("--identity needs a value");
      }
      if (strcmp(v, "key") == 0) {
        args->options.identity = pidlock::Identity::kKey;
      } else if (strcmp(v, "cmdline") == 0) {
        args->options.identity = pidlock::Identity::kCmdline;
      } else {
        return Usage("--identity is 'key' or 'cmdline'");
      }
    } else if (flag == "--json" && args->command == "status") {
      args->json = true;
    } else {
      return Usage(("unknown option '" + flag + "'").c_str());
    }
  }
  if (args->key.empty()) return Usage("--key is required");
  if (args->command == "run") {
    if (i >= argc) return Usage("run needs -- COMMAND");
    for (; i < argc; ++i) args->argv.push_back(argv[i]);
    args->argv.push_back(nullptr);
  } else if (i < argc) {
    return Usage("status takes no command");
  }
  if (args->dir.empty()) args->dir = DefaultDirectory();
  return 0;
}

std::string FormatTime(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char text[32];
  strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// "pid 4242 (backup --full) since 2026-11-27T15:48:40Z"
std::string DescribeHolder(const pidlock::Holder& holder) {
  std::string text = "pid " + std::to_string(holder.pid);
  if (!holder.command_line.empty()) text += " (" + holder.command_line + ")";
  text += " since " + FormatTime(holder.acquired_at);
  if (holder.reason == pidlock::Reason::kWitnessHeld ||
      holder.reason == pidlock::Reason::kWitnessReleased) {
    text += ", in another PID namespace";
  }
  if (holder.legacy) text += ", a lock of the original npm pidlock";
  return text;
}

int ExitCodeFor(const std::error_code& code) {
  return code.category() == pidlock::ErrorCategory() ? kExitRefused
                                                     : kExitSystem;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char escape[8];
      snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += escape;
    } else {
      out += ch;  // UTF-8 passes through
    }
  }
  return out + "\"";
}

int Status(const Args& args) {
  pidlock::Inspection inspection =
      pidlock::Inspect(args.dir, args.key, args.options);
  const std::string lock_path = args.dir + "/" + args.key + "/lock";
  const pidlock::Holder& h = inspection.holder;
  const char* state = "";
  int exit_code = kExitStatusUnknown;
  switch (inspection.status) {
    case pidlock::Status::kFree:
      state = "free";
      exit_code = kExitStatusFree;
      break;
    case pidlock::Status::kHeld:
      state = "held";
      exit_code = 0;
      break;
    case pidlock::Status::kStale:
      state = "stale";
      exit_code = kExitStatusFree;
      break;
    case pidlock::Status::kError:
      state = "error";
      break;
  }
  if (args.json) {
    std::string json = "{\"state\":" + JsonString(state) +
                       ",\"lock\":" + JsonString(lock_path);
    if (inspection.status == pidlock::Status::kHeld ||
        inspection.status == pidlock::Status::kStale) {
      json += ",\"pid\":" + std::to_string(h.pid) +
              ",\"start_time\":" + std::to_string(h.start_time) +
              ",\"command_line\":" + JsonString(h.command_line) +
              ",\"acquired_at\":" + JsonString(FormatTime(h.acquired_at)) +
              ",\"host\":" + JsonString(h.host) +
              ",\"legacy\":" + (h.legacy ? "true" : "false") +
              ",\"reason\":" + JsonString(pidlock::ReasonName(h.reason));
    } else if (inspection.status == pidlock::Status::kError) {
      json +=
          ",\"error\":" + JsonString(inspection.error.Message()) +
          ",\"path\":" + JsonString(inspection.error.path) +
          ",\"protocol_state\":" +
          JsonString(std::string(pidlock::StateName(inspection.error.state)));
    }
    printf("%s}\n", json.c_str());
    return exit_code;
  }
  switch (inspection.status) {
    case pidlock::Status::kFree:
      printf("%s: free\n", lock_path.c_str());
      break;
    case pidlock::Status::kHeld:
      printf("%s: held by %s\n", lock_path.c_str(), DescribeHolder(h).c_str());
      break;
    case pidlock::Status::kStale:
      printf("%s: stale (%s), left by %s\n", lock_path.c_str(),
             pidlock::ReasonName(h.reason), DescribeHolder(h).c_str());
      break;
    case pidlock::Status::kError:
      fprintf(stderr, "%s\n", inspection.error.Message().c_str());
      break;
  }
  return exit_code;
}

// Runs COMMAND as a child while this process holds the lock. Signals are
// taken synchronously (sigwaitinfo), so there are no handlers to race with.
int RunHolding(const Args& args, pidlock::Lock lock) {
  sigset_t forwarded, old_mask;
  sigemptyset(&forwarded);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&forwarded, sig);
  sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
  const pid_t parent = getpid();
  fflush(nullptr);
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "pidlock: fork: %s\n", strerror(errno));
    return kExitSystem;
  }
  if (child == 0) {
    // If pidlock dies (even by SIGKILL), the kernel kills COMMAND: it never
    // runs unguarded. Check the parent after arming, in case it died first.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(kExitSystem);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    execvp(args.argv[0], args.argv.data());
    int e = errno;
    fprintf(stderr, "pidlock: %s: %s\n", args.argv[0], strerror(e));
    _exit(e == ENOENT ? kExitNotFound : kExitNotExecutable);
  }
  int status = 0;
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&forwarded, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) break;
  }
  std::error_code released = lock.Release();
  if (released) {
    fprintf(stderr, "pidlock: %s: release: %s\n", lock.path().c_str(),
            released.message().c_str());
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int Run(const Args& args) {
  pidlock::AcquireResult result;
  if (args.wait) {
    std::chrono::milliseconds timeout =
        args.timeout_seconds < 0
            ? std::chrono::milliseconds(std::chrono::hours(24 * 365 * 100))
            : std::chrono::milliseconds(
                  static_cast<int64_t>(args.timeout_seconds * 1000));
    result = pidlock::Acquire(args.dir, args.key, timeout, args.options);
  } else {
    result = pidlock::TryAcquire(args.dir, args.key, args.options);
  }
  switch (result.outcome) {
    case pidlock::Outcome::kAcquired:
      return RunHolding(args, std::move(result.lock));
    case pidlock::Outcome::kHeld:
      fprintf(stderr, "pidlock: %s/%s/lock: held by %s\n", args.dir.c_str(),
              args.key.c_str(), DescribeHolder(result.holder).c_str());
      return kExitHeld;
    case pidlock::Outcome::kError:
      fprintf(stderr, "%s\n", result.error.Message().c_str());
      return ExitCodeFor(result.error.code);
  }
  return kExitSystem;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  int parsed = ParseArgs(argc, argv, &args);
  if (parsed != 0) return parsed;
  if (args.command == "--version") {
    printf("pidlock %s\n", pidlock::kVersion);
    return 0;
  }
  if (args.command == "--help" || args.command == "-h") {
    fputs(kUsage, stdout);
    return 0;
  }
  return args.command == "run" ? Run(args) : Status(args);
}
