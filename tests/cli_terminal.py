#!/usr/bin/env python3
# Copyright 2026 The pidlock Authors. MIT License.
"""Drives `pidlock run` on a terminal, as a user at a shell would.

    cli_terminal.py PIDLOCK DIR LOG

Starts `PIDLOCK run --dir DIR --key tty -- sh -c ...` as the session leader
of a new pseudo-terminal (what a login shell's job sees), whose COMMAND logs
each SIGINT it gets to LOG. Then, through the terminal: ^Z must stop the job
and the wrapper (the wrapper reports itself stopped, as a shell's job does);
SIGCONT to the wrapper must continue both; ^C must reach COMMAND exactly
once (not once from the terminal and again forwarded); SIGTERM to the
wrapper ends it with COMMAND's status. Prints one line per
check, "ok ..." or "FAIL ...", and exits 1 if any failed.
"""

import os
import pty
import signal
import sys
import time

PIDLOCK, DIR, LOG = sys.argv[1:4]
failures = 0


def check(name, ok):
    global failures
    print(("ok " if ok else "FAIL ") + name)
    if not ok:
        failures += 1


def state(pid):
    """The state letter of /proc/PID/stat, or '' when gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def wait_until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def waitpid(pid, options):
    """os.waitpid, or (0, 0) after 5 s: a wrapper that never reports fails."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        got, status = os.waitpid(pid, options | os.WNOHANG)
        if got == pid:
            return got, status
        time.sleep(0.01)
    return 0, 0


def ints():
    try:
        with open(LOG) as f:
            return f.read().split().count("INT")
    except OSError:
        return 0


# COMMAND forks nothing (it blocks in bash's `read` on a FIFO it also holds
# open for writing): a shell stopped in the middle of a vfork would not report
# itself stopped, with or without pidlock.
fifo = os.path.join(DIR, "terminal.fifo")
os.mkfifo(fifo)
script = ('trap "echo INT >> %s" INT; trap "exit 3" TERM; exec 3<>%s; '
          'echo ready >> %s; while :; do read -r -u 3 line; done'
          % (LOG, fifo, LOG))
pid, master = pty.fork()
if pid == 0:
    os.execv(PIDLOCK, [PIDLOCK, "run", "--dir", DIR, "--key", "tty", "--",
                       "bash", "-c", script])

check("COMMAND started", wait_until(lambda: os.path.exists(LOG)))
# The job has the terminal's foreground, the wrapper does not.
fg = os.tcgetpgrp(master)
check("the job has the terminal", fg != pid and fg > 0)

os.write(master, b"\x1a")  # ^Z
got, status = waitpid(pid, os.WUNTRACED)
check("^Z stops the wrapper", got == pid and os.WIFSTOPPED(status))
check("^Z stops the job", wait_until(lambda: state(fg) == "T"))
os.kill(pid, signal.SIGCONT)  # what the shell's `fg` sends
check("SIGCONT continues the job", wait_until(lambda: state(fg) in "SR"))
check("the job has the terminal again",
      wait_until(lambda: os.tcgetpgrp(master) == fg))

os.write(master, b"\x03")  # ^C
# The first arrives within 5 s on a loaded machine; a second one, forwarded
# by a wrapper that also got the terminal's, would follow within ms.
wait_until(lambda: ints() > 0)
time.sleep(0.2)
check("^C reached COMMAND exactly once (got %d)" % ints(), ints() == 1)
os.kill(pid, signal.SIGTERM)
got, status = waitpid(pid, 0)
check("the wrapper exits with COMMAND's status",
      got == pid and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3)
if got != pid:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
sys.exit(1 if failures else 0)
