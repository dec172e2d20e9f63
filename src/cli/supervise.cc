// Copyright 2026 The pidlock Authors. MIT License.
//
// `pidlock run`'s side of the job: start COMMAND, forward signals, reap, and
// release only when the last process of the job has exited (job.h).

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include "src/cli/escape.h"
#include "src/cli/exit_codes.h"
#include "src/cli/job.h"

namespace pidlock_cli {
namespace {

using Clock = std::chrono::steady_clock;

// After the SIGKILL of --kill-after, how often to SIGKILL again what the job
// forked meanwhile, until it is over.
constexpr auto kKillRepeat = std::chrono::milliseconds(100);

// Signals the wrapper takes synchronously (sigtimedwait) and forwards: all
// but SIGKILL and SIGSTOP, which cannot be caught, and those the kernel
// raises for a fault of the wrapper's own, which must keep their default.
sigset_t HandledSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
                  SIGSYS, SIGABRT}) {
    sigdelset(&set, sig);
  }
  return set;
}

bool IsStopRequest(int sig) {
  return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

class Job {
 public:
  Job(const JobOptions& options, const sigset_t& handled)
      : options_(options), handled_(handled) {}

  // Forks COMMAND; false when fork failed (errno set).
  bool Start(pidlock::Lock& lock, const sigset_t& old_mask) {
    terminal_ = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
    fflush(nullptr);
    const pid_t child = fork();
    if (child < 0) return false;
    if (child == 0) Exec(old_mask);
    command_ = child;
    // Both sides set the group (as shells do), so that neither a signal
    // forwarded now nor the terminal handed over can miss it.
    setpgid(child, child);
    if (terminal_) tcsetpgrp(STDIN_FILENO, child);
    return true;
  }

  // Reaps and forwards until the job is over; returns COMMAND's wait status.
  int Wait() {
    for (;;) {
      if (ReapAll()) break;
      siginfo_t info;
      int sig;
      if (kill_at_) {
        const auto left = *kill_at_ - Clock::now();
        const auto ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        struct timespec timeout = {};
        if (ns > 0) {
          timeout.tv_sec = static_cast<time_t>(ns / 1000000000);
          timeout.tv_nsec =
              static_cast<decltype(timeout.tv_nsec)>(ns % 1000000000);
        }
        sig = sigtimedwait(&handled_, &info, &timeout);
      } else {
        sig = sigwaitinfo(&handled_, &info);
      }
      if (sig < 0) {
        if (errno == EAGAIN) {  // --kill-after ran out
          Signal(SIGKILL);
          kill_at_ = Clock::now() + kKillRepeat;
        }
        continue;
      }
      if (sig == SIGCHLD) continue;
      Signal(sig);
      if (IsStopRequest(sig)) ArmKillAfter();
    }
    if (terminal_) tcsetpgrp(STDIN_FILENO, getpgrp());
    return command_status_;
  }

 private:
  [[noreturn]] void Exec(const sigset_t& old_mask) {
    setpgid(0, 0);
    // SIGTTOU is still blocked here, so a background wrapper's child may
    // take the terminal.
    if (terminal_) tcsetpgrp(STDIN_FILENO, getpid());
    // The lock's descriptor (and so the witnesses) goes with COMMAND and
    // everything it starts: the library keeps it across exec.
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    execvp(options_.argv[0], options_.argv);
    const int e = errno;
    fprintf(stderr, "pidlock: %s: %s\n", options_.argv[0], strerror(e));
    _exit(e == ENOENT ? kExitNotFound : kExitNotExecutable);
  }

  // Reaps every exited child; returns true when none is left.
  bool ReapAll() {
    for (;;) {
      int status = 0;
      const pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED);
      if (pid < 0) {
        if (errno == EINTR) continue;
        return true;  // ECHILD: the job is over
      }
      if (pid == 0) return false;
      if (pid != command_ || command_exited_) continue;
      if (WIFSTOPPED(status)) {
        FollowStop();
        continue;
      }
      command_exited_ = true;
      command_status_ = status;
      if (options_.orphans == Orphans::kTerminate) {
        Signal(SIGTERM);
        ArmKillAfter();
      }
    }
  }

  // COMMAND stopped (the terminal's ^Z, or a stop signal forwarded). On a
  // terminal, stop too, so that the shell sees the job stopped and takes
  // the terminal back; when continued, give the job the terminal again and
  // continue it. Without a terminal, stay up to forward SIGCONT.
  void FollowStop() {
    if (!terminal_) return;
    tcsetpgrp(STDIN_FILENO, getpgrp());
    kill(getpid(), SIGSTOP);
    // Continued (fg or bg): the SIGCONT that woke us is pending; it is
    // forwarded here, once.
    sigset_t cont;
    sigemptyset(&cont);
    sigaddset(&cont, SIGCONT);
    struct timespec zero = {};
    while (sigtimedwait(&cont, nullptr, &zero) == SIGCONT) {
    }
    if (tcgetpgrp(STDIN_FILENO) == getpgrp()) {
      tcsetpgrp(STDIN_FILENO, command_);
    }
    Signal(SIGCONT);
  }

  void ArmKillAfter() {
    if (options_.kill_after_seconds < 0 || kill_at_) return;
    kill_at_ = Clock::now() +
               std::chrono::duration_cast<Clock::duration>(
                   std::chrono::duration<double>(options_.kill_after_seconds));
  }

  // Sends `sig` once to each process of the job: COMMAND's group, then every
  // descendant outside it (a daemon that left the group with setsid).
  // Once COMMAND is reaped and its group empty, its PID may name another
  // process's new group: killpg only while the group is the job's.
  void Signal(int sig) {
    const std::vector<ProcessEntry> job =
        Descendants(ReadProcessTable(), getpid());
    bool group = !command_exited_;
    for (const ProcessEntry& entry : job) group |= entry.pgrp == command_;
    if (group) killpg(command_, sig);
    for (const ProcessEntry& entry : job) {
      if (entry.pgrp != command_) kill(entry.pid, sig);
    }
  }

  const JobOptions& options_;
  const sigset_t& handled_;
  bool terminal_ = false;  // the wrapper had the terminal's foreground
  pid_t command_ = -1;     // COMMAND's PID, and its process group
  bool command_exited_ = false;
  int command_status_ = 0;
  std::optional<Clock::time_point> kill_at_;  // --kill-after's SIGKILL
};

}  // namespace

int Supervise(pidlock::Lock lock, const JobOptions& options) {
  const sigset_t handled = HandledSignals();
  sigset_t old_mask;
  sigprocmask(SIG_BLOCK, &handled, &old_mask);
  // Orphans of the job come back to the wrapper, not to init: it reaps them
  // and knows when the last one is gone.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  Job job(options, handled);
  if (!job.Start(lock, old_mask)) {
    fprintf(stderr, "pidlock: fork: %s\n", strerror(errno));
    return kExitSystem;
  }
  const int status = job.Wait();
  const int code =
      WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  if (std::error_code released = lock.Release()) {
    fprintf(stderr, "pidlock: %s: release: %s\n", OneLine(lock.path()).c_str(),
            released.message().c_str());
    // A job that succeeded, under a lock that could not be released as
    // ours (LockLost: someone removed or replaced it meanwhile), is not a
    // success to report: the guarantee did not hold to the end.
    if (code == 0) {
      return released.category() == pidlock::ErrorCategory() ? kExitRefused
                                                             : kExitSystem;
    }
  }
  return code;
}

}  // namespace pidlock_cli
