#!/usr/bin/env bash
# What pidlock says when something is wrong: the exact rule a usage error
# broke, the component of DIR at fault, the errno (EMFILE is not "/proc is
# not mounted"), a typo'd DIR, a release that failed after COMMAND
# succeeded, `--identity cmdline` (the app is KEY and COMMAND), and output
# that stays valid: JSON in UTF-8 whatever the bytes, one line per message.
#
#   cli_diagnostics_test.sh PIDLOCK
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

PIDLOCK="$1"
TMP=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli_diag.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT


D="$TMP/locks"
mkdir -p "$D"

# An invalid key is a usage error that says which rule it broke.
long=$(printf 'k%.0s' $(seq 256))
for case in "|--key is empty" ".|'.' and '..' are directories" \
            "..|'.' and '..' are directories" "a/b|contains '/'" \
            "$long|256 bytes long; at most 255"; do
  key=${case%%|*}
  rule=${case#*|}
  err=$("$PIDLOCK" run --dir "$D" --key "$key" -- true 2>&1)
  check "key '${key:0:12}': usage" 64 $?
  contains "key '${key:0:12}': the rule" "$rule" "$err"
  "$PIDLOCK" status --dir "$D" --key "$key" >/dev/null 2>&1
  check "status key '${key:0:12}': usage" 64 $?
done
err=$("$PIDLOCK" run --dir "" --key k -- true 2>&1); check "--dir ''" 64 $?
contains "--dir '' says so" "--dir is empty" "$err"

# DIR's own problems are reported as DIR's.
: > "$TMP/file"
err=$("$PIDLOCK" run --dir "$TMP/file" --key k -- true 2>&1); check "DIR a file" 76 $?
contains "DIR a file: names DIR" "pidlock: $TMP/file: not a directory" "$err"
contains "DIR a file: the error's name" "(PathComponentNotDirectory in OPENING_KEY_DIRECTORY)" "$err"
ln -s "$TMP/loop" "$TMP/loop"
err=$("$PIDLOCK" run --dir "$TMP/loop" --key k -- true 2>&1); check "DIR a symlink loop" 76 $?
contains "symlink loop: names DIR" "pidlock: $TMP/loop: not a directory" "$err"
contains "symlink loop: says why" "more than 40 symlinks" "$err"
err=$("$PIDLOCK" status --dir "$TMP/typo" --key k 2>&1); check "status, DIR missing" 4 $?
contains "status, DIR missing: says so" "pidlock: $TMP/typo: No such file or directory (ENOENT" "$err"
json=$("$PIDLOCK" status --dir "$TMP/typo" --key k --json)
contains "status --json error_code" '"error_code":"ENOENT"' "$json"
"$PIDLOCK" status --dir "$D" --key never-used >/dev/null; check "status, no key directory: free" 3 $?

# Out of descriptors: EMFILE, with the path, not a /proc problem.
err=$(ulimit -n 4; "$PIDLOCK" run --dir "$D" --key k -- true 2>&1); check "EMFILE: system error" 71 $?
contains "EMFILE: named" "EMFILE" "$err"

# A garbage target: refused where it is read, with a stable error name.
mkdir -p "$D/bad" && ln -s garbage "$D/bad/lock"
json=$("$PIDLOCK" status --dir "$D" --key bad --json)
contains "garbage: error_code" '"error_code":"LockTargetInvalid"' "$json"
contains "garbage: protocol state" '"protocol_state":"READING_LOCK"' "$json"

# A release that failed after COMMAND succeeded is not a success.
err=$("$PIDLOCK" run --dir "$D" --key gone -- sh -c "rm '$D/gone/lock'" 2>&1)
check "lock removed under the holder, COMMAND ok" 76 $?
contains "release failure names it" "release: the lock is no longer this holder's" "$err"
"$PIDLOCK" run --dir "$D" --key gone -- sh -c "rm '$D/gone/lock'; exit 3" 2>/dev/null
check "lock removed under the holder, COMMAND failed: its status" 3 $?

# --identity cmdline: the app is KEY and COMMAND ARGS, whatever the other
# options; status names the command to look for.
"$PIDLOCK" run --dir "$D" --key app --identity cmdline -- sleep 30 &
holder=$!
wait_for_lock "$D" app
"$PIDLOCK" run --dir "$D" --key app --identity cmdline --timeout 0.1 -- sleep 30 2>/dev/null
check "same app, other options: held" 75 $?
"$PIDLOCK" status --dir "$D" --key app --identity cmdline -- sleep 30 >/dev/null
check "status of the same app: held" 0 $?
out=$("$PIDLOCK" status --dir "$D" --key app --identity cmdline -- sleep 31)
check "status of another app: not held for it" 3 $?
contains "another app: why" "OtherCommandLine" "$out"
"$PIDLOCK" status --dir "$D" --key app --identity cmdline >/dev/null 2>&1
check "status --identity cmdline without COMMAND" 64 $?
"$PIDLOCK" status --dir "$D" --key app -- sleep 30 >/dev/null 2>&1
check "status -- COMMAND without --identity cmdline" 64 $?
"$PIDLOCK" run --dir "$D" --key app --identity cmdline -- true
check "another app takes it over (the original's rule)" 0 $?
kill "$holder"; wait "$holder" 2>/dev/null

# JSON is valid UTF-8 whatever the bytes; the bytes come back with
# Python's surrogateescape; text stays on one line.
odd=$'caf\xc3\xa9 \xff\xfe\nnext "q" \\ \x01'
"$PIDLOCK" run --dir "$D" --key odd -- sh -c 'sleep 30' "$odd" &
holder=$!
wait_for_lock "$D" odd
"$PIDLOCK" status --dir "$D" --key odd --json > "$TMP/odd.json"
check "odd bytes: status" 0 $?
python3 - "$TMP/odd.json" "$odd" <<'EOF'
import json, os, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")  # strict: valid UTF-8
doc = json.loads(raw)
want = os.fsencode(sys.argv[2])
got = doc["command_line"].encode("utf-8", "surrogateescape")
sys.exit(0 if got.endswith(want) else 1)
EOF
check "odd bytes: valid JSON that gives the bytes back" 0 $?
out=$("$PIDLOCK" status --dir "$D" --key odd)
check "odd bytes: text is one line" 1 "$(printf '%s\n' "$out" | wc -l)"
contains "odd bytes: newline escaped" 'caf'$'\xc3\xa9'' '$'\xff\xfe''\nnext "q" \\ \x01' "$out"
err=$("$PIDLOCK" run --dir "$D" --key odd -- true 2>&1)
check "odd bytes: held message is one line" 1 "$(printf '%s\n' "$err" | wc -l)"
kill "$holder"; wait "$holder" 2>/dev/null
key=$'k\xff'
"$PIDLOCK" status --dir "$D" --key "$key" --json | python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))'
check "odd key: valid JSON" 0 "${PIPESTATUS[1]}"

finish cli_diagnostics_test
