#!/usr/bin/env bash
# The pidlock command: every exit code of README.md, its messages (path and
# reason), SIGTERM forwarding and the wrapper's death (tests/cli_job_test.sh:
# the job, every signal, the terminal, PID 1).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

PIDLOCK="$1"
TMP=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT


D="$TMP/locks"
mkdir -p "$D"

# Usage errors: 64.
"$PIDLOCK" >/dev/null 2>&1; check "no args" 64 $?
"$PIDLOCK" run --dir "$D" --key k >/dev/null 2>&1; check "run without command" 64 $?
"$PIDLOCK" run --dir "$D" --bogus -- true >/dev/null 2>&1; check "unknown option" 64 $?
"$PIDLOCK" run --dir "$D" -- true >/dev/null 2>&1; check "no key" 64 $?
"$PIDLOCK" run --dir "$D" --key k --timeout x -- true >/dev/null 2>&1; check "bad timeout" 64 $?
check "--version" "pidlock 0.1.0" "$("$PIDLOCK" --version)"

# COMMAND's status, and 128+N for a signal.
"$PIDLOCK" run --dir "$D" --key k -- sh -c 'exit 7'; check "exit status" 7 $?
"$PIDLOCK" run --dir "$D" --key k -- sh -c 'kill -TERM $$'; check "killed by SIGTERM" 143 $?
"$PIDLOCK" run --dir "$D" --key k -- /nonexistent/command 2>/dev/null; check "not found" 127 $?
[[ -L "$D/k/lock" ]]; check "released after COMMAND" 1 $?

# Held by a live instance: 75 at once, one line naming pid and since when.
"$PIDLOCK" run --dir "$D" --key k -- sleep 1000 &
holder=$!
wait_for_lock "$D" k
err=$("$PIDLOCK" run --dir "$D" --key k -- true 2>&1); check "held" 75 $?
contains "held message names the path" "$D/k/lock" "$err"
contains "held message names the pid" "held by pid $holder" "$err"
contains "held message says since when" " since 20" "$err"
check "held message is one line" 1 "$(printf '%s\n' "$err" | wc -l)"
out=$("$PIDLOCK" status --dir "$D" --key k); check "status held" 0 $?
contains "status names the pid" "pid $holder" "$out"
json=$("$PIDLOCK" status --dir "$D" --key k --json)
for field in '"state":"held"' "\"pid\":$holder" '"start_time":' '"command_line":"' \
             '"acquired_at":"20' '"host":"'; do
  contains "status --json has $field" "$field" "$json"
done
"$PIDLOCK" run --dir "$D" --key k --timeout 0.2 -- true 2>/dev/null; check "timeout runs out" 75 $?

# The wrapper forwards SIGTERM and exits with COMMAND's status.
kill -TERM "$holder"; wait "$holder"; check "SIGTERM forwarded" 143 $?
"$PIDLOCK" status --dir "$D" --key k >/dev/null; check "free after release" 3 $?

"$PIDLOCK" run --dir "$D" --key f -- sh -c 'trap "exit 42" TERM; while :; do sleep 0.05; done' &
holder=$!
wait_for_lock "$D" f
sleep 0.2
kill -TERM "$holder"; wait "$holder"; check "COMMAND's own TERM status" 42 $?

# --wait wakes when the holder releases.
"$PIDLOCK" run --dir "$D" --key w -- sleep 0.3 &
wait_for_lock "$D" w
out=$("$PIDLOCK" run --dir "$D" --key w --wait -- echo acquired); check "--wait" 0 $?
check "--wait ran COMMAND" acquired "$out"

# The wrapper SIGKILLed: its job (here COMMAND alone) keeps the lock until
# it exits; then the lock is stale. tests/cli_job_test.sh has the rest.
marker="pidlock-cli-test-$$"
"$PIDLOCK" run --dir "$D" --key kill -- bash -c "exec -a $marker sleep 1000" &
holder=$!
wait_for_lock "$D" kill
sleep 0.2
kill -KILL "$holder"; wait "$holder" 2>/dev/null
"$PIDLOCK" run --dir "$D" --key kill -- true 2>/dev/null; check "the job holds" 75 $?
pkill -KILL -f "$marker"
for _ in $(seq 500); do pgrep -f "$marker" >/dev/null || break; sleep 0.01; done
"$PIDLOCK" status --dir "$D" --key kill >/dev/null; check "stale status" 3 $?
out=$("$PIDLOCK" status --dir "$D" --key kill --json)
contains "stale json" '"state":"stale"' "$out"
"$PIDLOCK" run --dir "$D" --key kill -- true; check "stale lock taken over" 0 $?

# Refusals: 76, with the path and the reason; status says 4.
mkdir -p "$D/bad" && ln -s garbage "$D/bad/lock"
err=$("$PIDLOCK" run --dir "$D" --key bad -- true 2>&1); check "garbage target" 76 $?
contains "refusal names the path" "$D/bad/lock" "$err"
contains "refusal names the reason" "does not end in a PID" "$err"
contains "refusal names the state where it was read" "READING_LOCK" "$err"
contains "refusal names the error" "(LockTargetInvalid in" "$err"
check "garbage left alone" garbage "$(readlink "$D/bad/lock")"
"$PIDLOCK" status --dir "$D" --key bad >/dev/null 2>&1; check "status cannot tell" 4 $?
mkdir -p "$D/file" && : > "$D/file/lock"
err=$("$PIDLOCK" run --dir "$D" --key file -- true 2>&1); check "lock is a file" 76 $?
contains "not a symlink" "not a symlink" "$err"
mkdir -p "$D/open" && chmod 777 "$D/open"
err=$("$PIDLOCK" run --dir "$D" --key open -- true 2>&1); check "writable key dir" 76 $?
contains "unsafe mode" "writable by group or others" "$err"
mkdir -p "$D/host" && ln -s "v1:00000000:1:1:elsewhere/1" "$D/host/lock"
err=$("$PIDLOCK" run --dir "$D" --key host -- true 2>&1); check "other host" 76 $?
contains "other host reason" "another host" "$err"

# A system error: 71, with the path.
err=$("$PIDLOCK" run --dir "$TMP/missing" --key k -- true 2>&1); check "missing dir" 71 $?
contains "system error names the missing DIR" "pidlock: $TMP/missing: No such file" "$err"

# The original's lock naming our own (future) PID is an earlier process's.
# (The wrapper is the holder; a lock to a dead PID is stale either way.)
mkdir -p "$D/seed" && ln -s "/tmp/seed/999999" "$D/seed/lock"
"$PIDLOCK" run --dir "$D" --key seed -- true; check "original's stale lock" 0 $?

# --dir defaults to $PIDLOCK_DIR when set.
mkdir -p "$TMP/env" && chmod 700 "$TMP/env"
PIDLOCK_DIR="$TMP/env" "$PIDLOCK" run --key x -- sh -c "test -L '$TMP/env/x/lock'"
check "PIDLOCK_DIR" 0 $?

finish cli_test
