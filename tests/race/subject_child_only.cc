// Copyright 2026 The pidlock Authors. MIT License.
//
// race_tree_test's teeth: a `pidlock run` that guards its direct child only,
// as the command did before it guarded the whole job (a frozen copy of that
// behaviour, so the teeth outlive the change):
//
//   subject_child_only run --dir DIR --key KEY [--wait] [--timeout SECONDS]
//                      -- COMMAND [ARGS...]
//
// Acquire (TryAcquire without --wait), fork, and in the child
// prctl(PR_SET_PDEATHSIG, SIGKILL) and exec COMMAND; forward SIGINT, SIGTERM
// and SIGHUP to that child only, wait for that child only, then release. The
// child closes its copy of the key-directory descriptor before the exec (a
// fork child's Release), so nothing COMMAND starts holds the lock's witness.
// So it loses when COMMAND's work outlives COMMAND:
//  - a COMMAND that daemonizes its worker exits at once, and the lock is
//    released while the worker runs;
//  - SIGKILL of this process kills COMMAND (the death signal) but not
//    COMMAND's children: the lock is stale while a grandchild still works;
//  - SIGTERM reaches COMMAND only: a shell dies, its worker runs on, and the
//    lock is released.
// Exit codes as the CLI's: COMMAND's status (128+N when killed by signal N),
// 75 held, 76 refused, 71 a system call failed, 64 usage, 126/127.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/pidlock.h"

namespace {

int Usage(const char* problem) {
  fprintf(stderr,
          "subject_child_only: %s\nusage: subject_child_only run --dir DIR "
          "--key KEY [--wait] [--timeout SECONDS] -- COMMAND [ARGS...]\n",
          problem);
  return 64;
}

int RunHolding(char** command, pidlock::Lock& lock) {
  sigset_t forwarded, old_mask;
  sigemptyset(&forwarded);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&forwarded, sig);
  sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
  const pid_t parent = getpid();
  fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "subject_child_only: fork: %s\n", strerror(errno));
    return 71;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(71);
    if (lock.Release() != pidlock::Errc::kNotOwner) _exit(71);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    execvp(command[0], command);
    const int e = errno;
    fprintf(stderr, "subject_child_only: %s: %s\n", command[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  int status = 0;
  for (;;) {
    siginfo_t info;
    const int sig = sigwaitinfo(&forwarded, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      kill(child, sig);  // the child only
      continue;
    }
    if (waitpid(child, &status, WNOHANG) == child) break;
  }
  const std::error_code released = lock.Release();
  if (released) {
    fprintf(stderr, "subject_child_only: %s: release: %s\n",
            lock.path().c_str(), released.message().c_str());
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || strcmp(argv[1], "run") != 0) return Usage("no 'run'");
  std::string dir, key;
  bool wait = false;
  double timeout_seconds = -1;
  int i = 2;
  for (; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--") {
      ++i;
      break;
    }
    if (flag == "--wait") {
      wait = true;
    } else if ((flag == "--dir" || flag == "--key" || flag == "--timeout") &&
               i + 1 < argc) {
      const char* v = argv[++i];
      if (flag == "--dir") dir = v;
      if (flag == "--key") key = v;
      if (flag == "--timeout") {
        timeout_seconds = atof(v);
        wait = true;
      }
    } else {
      return Usage(("unknown option '" + flag + "'").c_str());
    }
  }
  if (dir.empty() || key.empty()) return Usage("--dir and --key are required");
  if (i >= argc) return Usage("run needs -- COMMAND");
  std::vector<char*> command(argv + i, argv + argc);
  command.push_back(nullptr);

  pidlock::AcquireResult result;
  if (wait) {
    const auto timeout =
        timeout_seconds < 0
            ? std::chrono::milliseconds(std::chrono::hours(24 * 365))
            : std::chrono::milliseconds(
                  static_cast<int64_t>(timeout_seconds * 1000));
    result = pidlock::Acquire(dir, key, timeout);
  } else {
    result = pidlock::TryAcquire(dir, key);
  }
  switch (result.outcome) {
    case pidlock::Outcome::kAcquired:
      return RunHolding(command.data(), result.lock);
    case pidlock::Outcome::kHeld:
      fprintf(stderr, "subject_child_only: %s/%s/lock: held by pid %d\n",
              dir.c_str(), key.c_str(), static_cast<int>(result.holder.pid));
      return 75;
    case pidlock::Outcome::kError:
      fprintf(stderr, "%s\n", result.error.Message().c_str());
      return result.error.code.category() == pidlock::ErrorCategory() ? 76 : 71;
  }
  return 71;
}
