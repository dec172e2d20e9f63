// Copyright 2026 The pidlock Authors. MIT License.
//
// The job of a `pidlock run` lock: COMMAND and every process descended from
// it. The wrapper supervises it like an init (Supervise); `status` lists it
// (JobProcesses, process_table.h). spec/state_machine.md, "The holder of a
// lock: the job", says why the lock stays held while any of it runs.

#ifndef PIDLOCK_SRC_CLI_JOB_H_
#define PIDLOCK_SRC_CLI_JOB_H_

#include <sys/types.h>

#include "src/cli/process_table.h"
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

}  // namespace pidlock_cli

#endif  // PIDLOCK_SRC_CLI_JOB_H_
