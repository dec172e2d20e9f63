// Copyright 2026 The pidlock Authors. MIT License.
//
// The pidlock command:
//   pidlock run --dir DIR --key KEY [--wait] [--timeout SECONDS]
//               [--kill-after SECONDS] [--orphans wait|terminate]
//               [--identity key|cmdline] -- COMMAND [ARGS...]
//   pidlock status --dir DIR --key KEY [--json]
//                  [--identity cmdline -- COMMAND [ARGS...]]
//   pidlock --version | --help
// Exit codes are listed in kUsage and README.md.

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "src/cli/escape.h"
#include "src/cli/exit_codes.h"
#include "src/cli/job.h"
#include "src/cli/process_table.h"
#include "src/pidlock.h"

namespace {

using pidlock_cli::JsonString;
using pidlock_cli::kExitHeld;
using pidlock_cli::kExitRefused;
using pidlock_cli::kExitStatusFree;
using pidlock_cli::kExitStatusUnknown;
using pidlock_cli::kExitSystem;
using pidlock_cli::kExitUsage;
using pidlock_cli::OneLine;

constexpr char kUsage[] =
    "usage: pidlock run [--dir DIR] --key KEY [--wait] [--timeout SECONDS]\n"
    "                   [--kill-after SECONDS] [--orphans wait|terminate]\n"
    "                   [--identity key|cmdline] -- COMMAND [ARGS...]\n"
    "       pidlock status [--dir DIR] --key KEY [--json]\n"
    "                      [--identity cmdline -- COMMAND [ARGS...]]\n"
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
    "  the lock is free or stale (exit 3). With --identity cmdline, name the\n"
    "  app after --: held means held by KEY with this COMMAND.\n"
    "--identity cmdline: the original's rule: a live holder with another\n"
    "  COMMAND is another app, and its lock is taken over.\n"
    "--dir defaults to $PIDLOCK_DIR, else /run/pidlock for root, else\n"
    "  /dev/shm/pidlock-UID, the same in a login shell, cron and systemd.\n"
    "  Every directory on the way must be root's or yours, and writable by\n"
    "  no one else unless sticky; else 76, naming the directory.\n"
    "\n"
    "exit codes: 75 held by a live instance; 76 refused: the lock's state or\n"
    "  its directory is unsafe or cannot be verified (nobody takes over); 71 "
    "a\n"
    "  system call failed (e.g. DIR missing); 64 usage; 126/127 COMMAND not\n"
    "  executable / not found; run: 76 or 71 also when COMMAND exited 0 but\n"
    "  the lock could not be released as ours; status: 0 held, 3 free or\n"
    "  stale, 4 cannot be told.\n";

struct Args {
  std::string command;
  std::string dir;
  std::string key;
  bool wait = false;
  double timeout_seconds = -1;  // < 0: no bound
  bool json = false;
  pidlock::Options options;
  std::vector<std::string> command_words;  // COMMAND [ARGS...]
  std::vector<char*> argv;  // command_words' strings, null-terminated
  pidlock_cli::JobOptions job;
};

int Usage(const std::string& problem) {
  fprintf(stderr, "pidlock: %s\n%s", OneLine(problem).c_str(), kUsage);
  return kExitUsage;
}

// What is wrong with `key` as a key (one path component), or "".
std::string KeyProblem(const std::string& key) {
  if (key.empty()) return "--key is empty";
  if (key == "." || key == "..") {
    return "--key '" + key + "' is not a name: '.' and '..' are directories";
  }
  if (key.find('/') != std::string::npos) {
    return "--key '" + key + "' contains '/': a key is one path component";
  }
  if (key.size() > NAME_MAX) {
    return "--key is " + std::to_string(key.size()) + " bytes long; at most " +
           std::to_string(NAME_MAX) + " (NAME_MAX)";
  }
  return "";
}

// With --identity cmdline, the app is KEY and COMMAND ARGS, whatever else
// the command line says (--dir, --wait, ...): pidlock rewrites its own
// command line (/proc/self/cmdline, what the judge of a lock compares) to
// "pidlock --key KEY -- COMMAND ARGS", within the space the kernel gave it,
// which is always enough (the original has "run", "--identity" and
// "cmdline" besides). The rest of the space is NUL-filled, which the judge
// ignores.
void BecomeIdentity(int argc, char** argv, const Args& args) {
  std::string canonical = std::string("pidlock") + '\0' + "--key" + '\0' +
                          args.key + '\0' + "--" + '\0';
  for (const std::string& word : args.command_words) canonical += word + '\0';
  char* start = argv[0];
  char* end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != argv[i - 1] + strlen(argv[i - 1]) + 1) return;
  }
  const size_t space = static_cast<size_t>(end - start);
  if (canonical.size() > space) return;
  // Each word is NUL-terminated in `canonical`; the rest of the space too.
  canonical.resize(space, '\0');
  std::copy(canonical.begin(), canonical.end(), start);
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
    return Usage("unknown command '" + args->command + "'");
  }
  int i = 2;
  bool key_given = false;
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
      if (*v == '\0') return Usage("--dir is empty");
      args->dir = v;
    } else if (flag == "--key") {
      if ((v = value()) == nullptr) return Usage("--key needs a value");
      args->key = v;
      key_given = true;
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
      return Usage("unknown option '" + flag + "'");
    }
  }
  if (!key_given) return Usage("--key is required");
  if (std::string problem = KeyProblem(args->key); !problem.empty()) {
    return Usage(problem);
  }
  for (; i < argc; ++i) args->command_words.emplace_back(argv[i]);
  const bool cmdline = args->options.identity == pidlock::Identity::kCmdline;
  if (args->command == "run" && args->command_words.empty()) {
    return Usage("run needs -- COMMAND");
  }
  if (args->command == "status" && cmdline != !args->command_words.empty()) {
    return Usage(cmdline ? "status --identity cmdline needs -- COMMAND: the "
                           "command whose holder to look for"
                         : "status takes -- COMMAND only with --identity "
                           "cmdline");
  }
  for (std::string& word : args->command_words) {
    args->argv.push_back(&word[0]);
  }
  args->argv.push_back(nullptr);
  args->job.argv = args->argv.data();
  if (args->dir.empty()) args->dir = pidlock::DefaultDirectory();
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
  if (!holder.command_line.empty()) {
    text += " (" + OneLine(holder.command_line) + ")";
  }
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

// ErrcName, or the errno's name ("ENOENT").
std::string ErrorName(const std::error_code& code) {
  if (code.category() == pidlock::ErrorCategory()) {
    return pidlock::ErrcName(static_cast<pidlock::Errc>(code.value()));
  }
  const char* name = strerrorname_np(code.value());
  return name != nullptr ? name : "errno " + std::to_string(code.value());
}

int ExitCodeFor(const std::error_code& code) {
  return code.category() == pidlock::ErrorCategory() ? kExitRefused
                                                     : kExitSystem;
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
      const std::error_code& code = inspection.error.code;
      json +=
          ",\"error\":" + JsonString(inspection.error.Message()) +
          ",\"error_code\":" + JsonString(ErrorName(code)) +
          ",\"path\":" + JsonString(inspection.error.path) +
          ",\"protocol_state\":" +
          JsonString(std::string(pidlock::StateName(inspection.error.state)));
    }
    printf("%s}\n", json.c_str());
    return exit_code;
  }
  switch (inspection.status) {
    case pidlock::Status::kFree:
      printf("%s: free\n", OneLine(lock_path).c_str());
      break;
    case pidlock::Status::kHeld:
      printf("%s: held by %s; job: %s\n", OneLine(lock_path).c_str(),
             DescribeHolder(h).c_str(), DescribeJob(job).c_str());
      break;
    case pidlock::Status::kStale:
      printf("%s: stale (%s), left by %s\n", OneLine(lock_path).c_str(),
             pidlock::ReasonName(h.reason), DescribeHolder(h).c_str());
      break;
    case pidlock::Status::kError:
      fprintf(stderr, "%s\n", OneLine(inspection.error.Message()).c_str());
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
      fprintf(stderr, "pidlock: %s: held by %s\n",
              OneLine(args.dir + "/" + args.key + "/lock").c_str(),
              DescribeHolder(result.holder).c_str());
      return kExitHeld;
    case pidlock::Outcome::kError:
      fprintf(stderr, "%s\n", OneLine(result.error.Message()).c_str());
      return ExitCodeFor(result.error.code);
  }
  return kExitSystem;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  int parsed = ParseArgs(argc, argv, &args);
  if (parsed != 0) return parsed;
  if (args.options.identity == pidlock::Identity::kCmdline) {
    BecomeIdentity(argc, argv, args);
  }
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
