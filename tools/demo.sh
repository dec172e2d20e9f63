#!/usr/bin/env bash
# The guard at work, in one minute: builds the pidlock command and shows a
# second instance refused, a crashed holder taken over, and a waiter woken.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build //src/cli:pidlock 2>&1 | tail -n 1
PIDLOCK="$PWD/bazel-bin/src/cli/pidlock"
DIR=$(mktemp -d /dev/shm/pidlock-demo.XXXXXX 2>/dev/null || mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DIR"' EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
lock_appears() { for _ in $(seq 500); do [[ -L "$DIR/nightly/lock" ]] && return; sleep 0.01; done; }

say "pidlock run --dir $DIR --key nightly -- sleep 30 &    # the first instance"
"$PIDLOCK" run --dir "$DIR" --key nightly -- sleep 30 &
first=$!
lock_appears
ls -l "$DIR/nightly/lock" | sed 's/^/  /'

say "pidlock run --dir $DIR --key nightly -- sleep 30      # a second one is refused"
"$PIDLOCK" run --dir "$DIR" --key nightly -- sleep 30 || echo "  exit $? (75: held by a live instance)"

say "pidlock status --dir $DIR --key nightly --json"
"$PIDLOCK" status --dir "$DIR" --key nightly --json

say "kill -9 $first                                         # the holder crashes"
kill -9 "$first"; wait "$first" 2>/dev/null || true
"$PIDLOCK" status --dir "$DIR" --key nightly || echo "  exit $? (3: free or stale)"

say "pidlock run --dir $DIR --key nightly -- sleep 0.5 &   # the next one takes over"
"$PIDLOCK" run --dir "$DIR" --key nightly -- sleep 0.5 &
lock_appears
say "pidlock run --dir $DIR --key nightly --wait -- echo ran  # a waiter wakes on release"
start=$EPOCHREALTIME
"$PIDLOCK" run --dir "$DIR" --key nightly --wait -- echo "  ran"
printf '  (the waiter slept %.2f s, until the holder released)\n' "$(python3 -c "print($EPOCHREALTIME - $start)")"
wait
echo
echo "demo: done"
