// Copyright 2026 The pidlock Authors. MIT License.
//
// The job of a `pidlock run` lock: COMMAND and every process descended from
// it. The wrapper supervises it like an init (Supervise); `status` lists it
// (JobProcesses). spec/state_machine.md, "The holder of a lock: the job",
// says why the lock stays held while any of it runs.

#ifndef PIDLOCK_SRC_CLI_JOB_H_
#define PIDLOCK_SRC_CLI_JOB_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "src/pidlock.h"

namespace pidlock_cli {

// What happens when COMMAND exits while other processes of its job run.
enum class Orphans {
  kWait,       // default: the lock stays held until the last one exits
  kTerminate,  // they get SIGTERM (and SIGKILL after --kill-after); the lock
               // is released when the last one has exited
};

struct JobOptions {
  char** argv = nullptr;           // COMMAND [ARGS...], null-terminated
  double kill_after_seconds = -1;  // < 0: never SIGKILL the job
  Orphans orphans = Orphans::kWait;
};

// Runs COMMAND while `lock` is held, as an init runs its children:
//  - the wrapper is a child subreaper (PR_SET_CHILD_SUBREAPER), so every
//    orphan of the job, a double-forked daemon too, is reparented to it and
//    reaped; the job is over when the wrapper has no child left. As PID 1 it
//    reaps every orphan of its PID namespace the same way;
//  - COMMAND inherits the lock's key-directory descriptor (and with it the
//    witness), and so does every process it starts: if the wrapper dies,
//    even by SIGKILL, the lock stays held until the last of them exits
//    (JobAlive), as flock(1)'s inherited lock does;
//  - COMMAND runs in a process group of its own, given the terminal's
//    foreground when the wrapper had it, so a terminal's signals reach the
//    job once and never the wrapper. Every catchable signal sent to the
//    wrapper is forwarded once to the job: the group, and each descendant
//    outside it (a daemon in its own session). SIGTSTP, SIGTTIN and SIGTTOU
//    stop the job; on a terminal the wrapper then stops too, so the shell
//    sees the job stopped, and forwards SIGCONT when continued;
//  - after SIGTERM, SIGINT, SIGHUP or SIGQUIT, and with kill_after >= 0,
//    the whole job is SIGKILLed if it has not exited kill_after seconds later.
// Releases the lock when the job is over and returns the exit code: COMMAND's
// status, 128+N when a signal N killed it, 126/127 when it could not be
// executed, 71 when fork failed.
int Supervise(pidlock::Lock lock, const JobOptions& options);

// One line of the process table: /proc/<pid>/stat fields 1, 4 and 5.
struct ProcessEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
};

// Every process /proc shows now (a snapshot: processes come and go).
std::vector<ProcessEntry> ReadProcessTable();

// The descendants of `root` in `table` (children, their children, ...),
// without `root` itself.
std::vector<ProcessEntry> Descendants(const std::vector<ProcessEntry>& table,
                                      pid_t root);

// The live processes of the job that holds the lock in `key_dir`: `holder`
// and its descendants (when `holder` is not 0: a PID known to name the
// holder here), and every process with a descriptor of `key_dir` open (the
// job of a holder that has died, or lives in another PID namespace). Sorted,
// without the caller. Processes this user cannot inspect are missing.
std::vector<pid_t> JobProcesses(pid_t holder, const std::string& key_dir);

// The arguments of `pid` joined by spaces (at most 4 KiB of them), for
// display; "" when it cannot be read.
std::string CommandLine(pid_t pid);

}  // namespace pidlock_cli

#endif  // PIDLOCK_SRC_CLI_JOB_H_
