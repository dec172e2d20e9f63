#!/usr/bin/env bash
# `pidlock run` guards the whole job: COMMAND and every process it starts
# (spec/state_machine.md, "The holder of a lock: the job"). Each case is one
# a user meets: a shell whose worker is a grandchild, the wrapper SIGKILLed
# or SIGTERMed, a daemonizing command, a setuid command, every signal, the
# terminal (tests/cli_terminal.py), --kill-after, --orphans, PID 1.
#
#   cli_job_test.sh PIDLOCK CLI_TERMINAL_PY
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

PIDLOCK="$1"
TERMINAL="$2"
TMP=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli_job.XXXXXX")
chmod 755 "$TMP"
MARK="pidlock-job-test-$$"
cleanup() {
  pkill -KILL -f "^$TMP/" 2>/dev/null
  kill $(jobs -p) 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# A worker the test can find and end: a copy of `sleep` under a name of its
# own, found by the start of its command line (its wrapper's names it too).
mkdir -p "$TMP/bin"
worker() {  # worker NAME SECONDS: the shell words that run worker NAME
  [[ -e "$TMP/bin/$MARK-$1" ]] || cp "$(command -v sleep)" "$TMP/bin/$MARK-$1"
  echo "$TMP/bin/$MARK-$1 $2"
}
wpid() { pgrep -f "^$TMP/bin/$MARK-$1"; }  # wpid NAME: its PID(s)
running() { wpid "$1" >/dev/null; }
gone() { ! running "$1"; }

D="$TMP/locks"
mkdir -p "$D"

# 1. The worker is a grandchild and the wrapper is SIGKILLed: the worker
#    keeps the lock (it inherited the witness) until it exits.
"$PIDLOCK" run --dir "$D" --key tree -- sh -c "sh -c '$(worker tree 1000)'; :" &
holder=$!
wait_for running tree
kill -KILL "$holder"; wait "$holder" 2>/dev/null
err=$("$PIDLOCK" run --dir "$D" --key tree -- true 2>&1); check "grandchild holds after SIGKILL" 75 $?
contains "held message says the job runs" "its job still runs" "$err"
out=$("$PIDLOCK" status --dir "$D" --key tree); check "status: held by the job" 0 $?
contains "status counts the job: sh, sh, worker" "job: 3 processes" "$out"
json=$("$PIDLOCK" status --dir "$D" --key tree --json)
contains "status --json reason" '"reason":"JobAlive"' "$json"
contains "status --json job" "\"job\":[{\"pid\":" "$json"
contains "status --json names the worker" "$MARK-tree 1000" "$json"
pkill -KILL -f "^$TMP/bin/$MARK-tree"; wait_for gone tree
wait_for "$PIDLOCK" run --dir "$D" --key tree -- true 2>/dev/null
check "taken over once the job is over" 0 $?

# 2. SIGTERM to the wrapper reaches the shell and its worker (the job's
#    process group), and the wrapper exits with the shell's status.
"$PIDLOCK" run --dir "$D" --key term -- bash -c "$(worker term 1000); echo survived" &
holder=$!
wait_for running term
kill -TERM "$holder"; wait "$holder"; check "SIGTERM: the shell's status" 143 $?
gone term; check "SIGTERM reached the worker" 0 $?
"$PIDLOCK" status --dir "$D" --key term >/dev/null; check "released after the job" 3 $?

# 3. A worker that ignores SIGTERM: the wrapper holds until it exits, and
#    --kill-after ends it.
"$PIDLOCK" run --dir "$D" --key stubborn -- sh -c "trap '' TERM; $(worker stubborn 1000)" &
holder=$!
wait_for running stubborn
kill -TERM "$holder"; sleep 0.3
"$PIDLOCK" run --dir "$D" --key stubborn -- true 2>/dev/null; check "held while the worker ignores TERM" 75 $?
kill -KILL "$(wpid stubborn)"; wait "$holder"; check "its status" 137 $?
"$PIDLOCK" run --dir "$D" --key stubborn --kill-after 0.3 -- sh -c "trap '' TERM; $(worker stubborn 1000)" &
holder=$!
wait_for running stubborn
kill -TERM "$holder"; wait "$holder"; check "--kill-after: SIGKILLed" 137 $?
gone stubborn; check "--kill-after killed the worker" 0 $?
"$PIDLOCK" run --dir "$D" --key usage --kill-after x -- true 2>/dev/null; check "--kill-after x" 64 $?

# 4. A command that daemonizes (new session, double fork): COMMAND exits at
#    once, the daemon keeps the lock, and the wrapper waits for it.
"$PIDLOCK" run --dir "$D" --key daemon -- sh -c "(setsid sh -c '$(worker daemon 1000)' &); exit 5" &
holder=$!
wait_for running daemon
sleep 0.2
out=$("$PIDLOCK" status --dir "$D" --key daemon); check "daemon: held" 0 $?
contains "daemon: the wrapper, sh and the daemon" "job: 3 processes" "$out"
"$PIDLOCK" run --dir "$D" --key daemon -- true 2>/dev/null; check "daemon: another run refused" 75 $?
kill -TERM "$holder"; sleep 0.2
gone daemon; check "SIGTERM reached the daemon outside the group" 0 $?
wait "$holder"; check "daemon: COMMAND's status" 5 $?
"$PIDLOCK" status --dir "$D" --key daemon >/dev/null; check "daemon: released" 3 $?

# 5. --orphans terminate: when COMMAND exits, the rest of the job is ended.
start=$SECONDS
"$PIDLOCK" run --dir "$D" --key orphans --orphans terminate -- sh -c "(setsid sh -c '$(worker orphan 1000)' &); sleep 0.2; exit 4"
check "--orphans terminate: COMMAND's status" 4 $?
gone orphan; check "--orphans terminate: the daemon was ended" 0 $?
"$PIDLOCK" run --dir "$D" --key usage --orphans x -- true 2>/dev/null; check "--orphans x" 64 $?

# 6. Every catchable signal sent to the wrapper reaches COMMAND once; the
#    wrapper is started with default dispositions (a shell's background job
#    would ignore SIGINT and SIGQUIT). SIGTSTP stops the job, SIGCONT
#    continues it; the wrapper, with no terminal, keeps running.
cat > "$TMP/signals.sh" <<EOF
#!/bin/bash
for s in HUP INT QUIT USR1 USR2 ALRM WINCH URG PIPE CONT TSTP TTIN TTOU; do
  trap "echo \$s >> $TMP/signals.log" \$s
done
trap 'echo TERM >> $TMP/signals.log; exit 0' TERM
echo ready >> $TMP/signals.log
while :; do sleep 0.02; done
EOF
chmod +x "$TMP/signals.sh"
env --default-signal "$PIDLOCK" run --dir "$D" --key signals -- "$TMP/signals.sh" &
holder=$!
wait_for test -s "$TMP/signals.log"
for sig in HUP INT QUIT USR1 USR2 ALRM WINCH URG PIPE CONT TERM; do
  kill -"$sig" "$holder"
  wait_for grep -qx "$sig" "$TMP/signals.log" || echo "no $sig"
  sleep 0.05
done
wait "$holder"; check "signals: COMMAND's status" 0 $?
for sig in HUP INT QUIT USR1 USR2 ALRM WINCH URG PIPE CONT TERM; do
  check "SIG$sig forwarded once" 1 "$(grep -cx "$sig" "$TMP/signals.log")"
done
"$PIDLOCK" run --dir "$D" --key stop -- sh -c "$(worker stop 1000)" &
holder=$!
wait_for running stop
worker_pid=$(wpid stop)
state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
kill -TSTP "$holder"
wait_for test "$(state "$worker_pid")" = T; check "SIGTSTP stops the job" T "$(state "$worker_pid")"
check "the wrapper keeps running" S "$(state "$holder")"
kill -CONT "$holder"
wait_for test "$(state "$worker_pid")" = S; check "SIGCONT continues the job" S "$(state "$worker_pid")"
kill -TERM "$holder"; wait "$holder"

# 7. On a terminal: ^Z, fg and ^C as a shell user sees them.
out=$(timeout 60 python3 "$TERMINAL" "$PIDLOCK" "$D" "$TMP/terminal.log" 2>&1)
check "terminal (cli_terminal.py)" 0 $?
grep '^FAIL' <<<"$out"
passed=$((passed + $(grep -c '^ok' <<<"$out")))

# 8. As PID 1 of a PID namespace (a container's entry point), the wrapper
#    reaps every orphan: no zombie is left behind.
if unshare -p -f --mount-proc true 2>/dev/null; then
  out=$(unshare -p -f --mount-proc "$PIDLOCK" run --dir "$D" --key init -- sh -c \
    'for i in 1 2 3; do sh -c "sleep 0.1 &"; done; sleep 0.5
     grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')
  check "PID 1: no zombies" 0 "$out"
else
  skip "PID 1" "unshare -p needs root"
fi

# 9. What escapes the job: a process that closes every inherited descriptor
#    (here a daemon started with close_fds) once the wrapper is SIGKILLed.
#    The recipe for that case: the wrapper as PID 1 of its own PID namespace,
#    whose death makes the kernel kill every process in it.
closer() {  # closer NAME: COMMAND words that start worker NAME without fds
  echo "python3 -c 'import subprocess; subprocess.Popen([\"$TMP/bin/$MARK-$1\", \"1000\"], close_fds=True, start_new_session=True)'"
}
worker closer 1000 >/dev/null
if unshare -p -f --mount-proc true 2>/dev/null; then
  eval "unshare -p -f --mount-proc --kill-child \"\$PIDLOCK\" run --dir \"\$D\" --key ns -- $(closer closer)" 2>/dev/null &
  outer=$!
  wait_for running closer
  out=$("$PIDLOCK" status --dir "$D" --key ns); check "namespace: held" 0 $?
  contains "namespace: seen by its witness" "in another PID namespace" "$out"
  kill -KILL "$(pgrep -P "$outer")"  # the wrapper, PID 1 inside
  wait_for gone closer; check "namespace: its death ends the whole job" 0 $?
  wait "$outer" 2>/dev/null
  "$PIDLOCK" run --dir "$D" --key ns -- true; check "namespace: taken over after" 0 $?
else
  skip "PID namespace recipe" "unshare -p needs root"
fi

# 10. A setuid command run by an unprivileged user: the kernel drops the
#    parent-death signal at the credential change; the witness is a
#    descriptor and survives it, so the lock stays held.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  # Under /tmp: the test's own directory may sit where uid 65534 cannot go.
  S=$(mktemp -d /tmp/pidlock-suid.XXXXXX) && chmod 755 "$S"
  U="$S/locks"
  mkdir -p "$U" && chown 65534:65534 "$U" && chmod 700 "$U"
  cp "$(command -v sleep)" "$S/suid-$MARK" && chmod 4755 "$S/suid-$MARK"
  cp "$PIDLOCK" "$S/pidlock" && chmod 755 "$S/pidlock"
  as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  as_user "$S/pidlock" run --dir "$U" --key suid -- "$S/suid-$MARK" 1000 &
  holder=$!
  suid() { pgrep -f "^$S/suid-$MARK"; }
  wait_for suid >/dev/null
  check "setuid: running as root" 0 "$(awk '/^Uid:/ {print $3}' "/proc/$(suid)/status")"
  kill -KILL "$holder"; wait "$holder" 2>/dev/null
  as_user "$S/pidlock" run --dir "$U" --key suid -- true 2>/dev/null
  check "setuid: held after the wrapper's SIGKILL" 75 $?
  pkill -KILL -f "^$S/suid-$MARK"; wait_for test -z "$(suid)"
  as_user "$S/pidlock" run --dir "$U" --key suid -- true; check "setuid: taken over after" 0 $?
  rm -rf "$S"
else
  skip "setuid" "needs root and setpriv"
fi

finish cli_job_test
