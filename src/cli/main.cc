// Copyright 2026 The pidlock Authors. MIT License.
//
// The pidlock command:
//   pidlock run --dir DIR --key KEY [--wait] [--timeout SECONDS]
//               [--kill-after SECONDS] [--orphans wait|terminate]
//               [--identity key|cmdline] -- COMMAND [ARGS...]
//   pidlock status --dir DIR --key KEY [--json] [--identity key|cmdline]
//   pidlock --version | --help
// Exit codes are listed in kUsage and README.md.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "src/cli/exit_codes.h"
#include "src/cli/job.h"
#include "src/pidlock.h"

namespace {

using pidlock_cli::kExitHeld;
using pidlock_cli::kExitRefused;
using pidlock_cli::kExitStatusFree;
using pidlock_cli::kExitStatusUnknown;
using pidlock_cli::kExitSystem;
using pidlock_cli::kExitUsage;

constexpr char kUsage[] =
    "usage: pidlock run [--dir DIR] --key KEY [--wait] [--timeout SECONDS]\n"
    "                   [--kill-after SECONDS] [--orphans wait|terminate]\n"
    "                   [--identity key|cmdline] -- COMMAND [ARGS...]\n"
    "       pidlock status [--dir DIR] --key KEY [--json] "
    "[--identity key|cmdline]\n"
    "       pidlock --version\n"
    "\n"
    "run: hold the lock DIR/KEY while the job runs: COMMAND and every process\n"
    "  it starts. Released when the job's last process has exited; if pidlock\n"
    "  itself is killed, the job keeps the lock until then. Exits with\n"
    "  COMMAND's status (128+N when killed by signal N). Every catchable\n"
    "  signal pidlock receives is forwarded to the job, once.\n"
    "  --wait waits for the holder to release or die (--timeout SECONDS\n"
    "  bounds the wait and implies --wait).\n"
    "  --kill-after SECONDS: SIGKILL the whole job that long after a SIGTERM,\n"
    "  SIGINT, SIGHUP or SIGQUIT if it has not exited.\n"
    "  --orphans terminate: when COMMAND exits, SIGTERM the rest of the job\n"
    "  instead of waiting for it (the default, --orphans wait).\n"
    "status: print the live holder and its job's processes (exit 0), or say\n"
    "  the lock is free or stale (exit 3).\n"
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
  pidlock_cli::JobOptions job;
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

// A number of seconds, 0 to 1e9, into *seconds; false if `text` is not one.
bool ParseSeconds(const char* text, double* seconds) {
  char* end = nullptr;
  errno = 0;
  *seconds = strtod(text, &end);
  return errno == 0 && end != text && *end == '\0' && *seconds >= 0 &&
         *seconds <= 1e9;
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
      if (!ParseSeconds(v, &args->timeout_seconds)) {
        return Usage("--timeout takes a number of seconds");
      }
      args->wait = true;
    } else if (flag == "--kill-after" && args->command == "run") {
      if ((v = value()) == nullptr ||
          !ParseSeconds(v, &args->job.kill_after_seconds)) {
        return Usage("--kill-after takes a number of seconds");
      }
    } else if (flag == "--orphans" && args->command == "run") {
      if ((v = value()) == nullptr) return Usage("--orphans needs a value");
      if (strcmp(v, "wait") == 0) {
        args->job.orphans = pidlock_cli::Orphans::kWait;
      } else if (strcmp(v, "terminate") == 0) {
        args->job.orphans = pidlock_cli::Orphans::kTerminate;
      } else {
        return Usage("--orphans is 'wait' or 'terminate'");
      }
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
    args->job.argv = args->argv.data();
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
  if (holder.reason == pidlock::Reason::kJobAlive) {
    text += ", which has exited; its job still runs";
  }
  if (holder.legacy) text += ", a lock of the original npm pidlock";
  return text;
}

// "3 processes: 4242 4243 4250"
std::string DescribeJob(const std::vector<pid_t>& job) {
  std::string text = std::to_string(job.size()) +
                     (job.size() == 1 ? " process" : " processes");
  for (size_t i = 0; i < job.size(); ++i) {
    text += (i == 0 ? ": " : " ") + std::to_string(job[i]);
  }
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
  std::vector<pid_t> job;
  if (inspection.status == pidlock::Status::kHeld) {
    // The PID names the holder here only when it was judged by it: a
    // holder in another PID namespace or a job whose recorded process is
    // gone are found by their descriptors alone.
    const bool by_pid = h.reason == pidlock::Reason::kAlive ||
                        h.reason == pidlock::Reason::kThisProcess;
    job = pidlock_cli::JobProcesses(by_pid ? h.pid : 0,
                                    args.dir + "/" + args.key);
  }
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
      if (inspection.status == pidlock::Status::kHeld) {
        json += ",\"job\":[";
        for (size_t i = 0; i < job.size(); ++i) {
          json += std::string(i == 0 ? "" : ",") +
                  "{\"pid\":" + std::to_string(job[i]) + ",\"command_line\":" +
                  JsonString(pidlock_cli::CommandLine(job[i])) + "}";
        }
        json += "]";
      }
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
      printf("%s: held by %s; job: %s\n", lock_path.c_str(),
             DescribeHolder(h).c_str(), DescribeJob(job).c_str());
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
      return pidlock_cli::Supervise(std::move(result.lock), args.job);
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
