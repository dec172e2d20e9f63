#!/usr/bin/env bash
# Copyright 2026 The pidlock Authors. MIT License.
#
# Writes the seed corpora of the parser fuzzers from REAL processes of this
# machine: /proc/<pid>/stat and cmdline of kernel threads, a zombie,
# processes whose names hold spaces, parentheses and newlines, a long argv and
# empty arguments; the boot id; lock targets that FormatLockTarget makes from
# real processes' records, legacy targets, and garbage.
#
# Usage: fuzz/collect_seeds.sh   (from the repository root; Linux, g++)
# It adds or overwrites files in fuzz/corpus/{stat,cmdline,boot_id,
# lock_target}/ and leaves regression-* inputs alone. The corpora of the
# structured fuzzers (lock_record_roundtrip, liveness) are not byte-level
# records of anything real: README.md says how they were made.

set -euo pipefail

cd "$(dirname "$0")/.."
corpus=fuzz/corpus
mkdir -p "$corpus"/{stat,cmdline,boot_id,lock_target}
work=$(mktemp -d)
children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# save NAME PID: copies /proc/PID/{stat,cmdline} as corpus/{stat,cmdline}/NAME.
save() {
  cat "/proc/$2/stat" > "$corpus/stat/$1"
  cat "/proc/$2/cmdline" > "$corpus/cmdline/$1"
}

# --- Odd processes, started here and killed on exit. ---
# start LABEL COMMAND...: runs COMMAND in the background as seed LABEL.
labels=()
start() {
  local label=$1
  shift
  "$@" &
  children+=($!)
  labels+=("$label")
}
# A command name with spaces and parentheses: comm is "a b) (c".
cp /bin/sleep "$work/a b) (c"
start comm-spaces-parens "$work/a b) (c" 300
# A newline in the command name.
cp /bin/sleep "$work/nl
name"
start comm-newline "$work/nl
name" 300
# comm written by the process itself: ")(" and one that looks like the
# fields that follow comm.
start comm-close-open bash -c 'printf ")(" > /proc/$$/comm; sleep 300; :'
start comm-fake-fields bash -c 'printf ") R 1 2 3 (" > /proc/$$/comm; sleep 300; :'
# Empty arguments, spaces and a newline inside arguments.
start args-empty-spaces-newline bash -c 'sleep 300; :' "" "two words" \
  "$(printf 'line\nbreak')" ""
# A long argv: 3000 arguments (sleep adds them up).
# shellcheck disable=SC2046
start argv-long sleep 300 $(printf '0 %.0s' $(seq 1 3000))
# A zombie: the child exits, its parent (exec'd into sleep) never waits.
start zombie-parent bash -c 'sleep 0 & exec sleep 300'
sleep 1

for i in "${!children[@]}"; do
  save "${labels[$i]}" "${children[$i]}"
done
zombie=$(ps -eo pid=,ppid=,stat= |
  awk -v parent="${children[-1]}" '$2 == parent && $3 ~ /^Z/ {print $1}')
save zombie "$zombie"
save kthreadd 2
kworker=$(ps -eo pid=,comm= | awk '$2 ~ /^kworker/ {print $1; exit}')
save kthread-kworker "$kworker"
save self "$$"
# A stat cut off inside the fields (as a size-capped read would leave it).
head -c 60 /proc/2/stat > "$corpus/stat/kthreadd-cut"

# --- Boot ids. ---
boot_id=$(cat /proc/sys/kernel/random/boot_id)
cat /proc/sys/kernel/random/boot_id > "$corpus/boot_id/boot_id"
printf '%s' "$boot_id" > "$corpus/boot_id/no-newline"
printf '%s\n' "${boot_id^^}" > "$corpus/boot_id/upper-case"
printf '%s\n' "${boot_id//-/}" > "$corpus/boot_id/no-dashes"
printf '%s\n\n' "$boot_id" > "$corpus/boot_id/two-newlines"
printf '' > "$corpus/boot_id/empty"

# --- Lock targets. ---
cat > "$work/format.cc" <<'CC'
// format PID BOOT8 PIDNS START HOST: prints FormatLockTarget's record.
#include <cstdio>
#include <cstdlib>
#include "src/parse.h"
int main(int argc, char** argv) {
  if (argc != 6) return 2;
  pidlock::internal::LockTarget t;
  t.kind = pidlock::internal::LockTarget::Kind::kRecord;
  t.pid = std::atoi(argv[1]);
  t.boot8 = argv[2];
  t.pid_ns = std::strtoull(argv[3], nullptr, 10);
  t.start_time = std::strtoull(argv[4], nullptr, 10);
  t.host = argv[5];
  std::fputs(pidlock::internal::FormatLockTarget(t).c_str(), stdout);
}
CC
g++ -std=c++17 -I. "$work/format.cc" src/parse.cc -o "$work/format"
boot8=${boot_id:0:8}
pidns=$(stat -L -c %i /proc/self/ns/pid)
start_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
host=$(uname -n)
t=$corpus/lock_target
"$work/format" 2 "$boot8" "$pidns" "$(start_of 2)" "$host" > "$t/record-kthreadd"
"$work/format" "${children[0]}" "$boot8" "$pidns" "$(start_of "${children[0]}")" \
  "$host" > "$t/record-live"
"$work/format" 4194304 "$boot8" 4026531836 18446744073709551615 \
  "host name:/with%escapes" > "$t/record-escaped-host"
"$work/format" 4242 00000000 0 0 h > "$t/record-zeros"
printf '/tmp/key/1234' > "$t/legacy"
printf '/run/user/1000/%s/%s' backup "${children[0]}" > "$t/legacy-live"
printf '' > "$t/empty"
printf '/' > "$t/slash"
printf 'x/0042' > "$t/leading-zeros"
printf 'x/-1' > "$t/negative"
printf 'x/99999999999' > "$t/overflow"
printf 'x/4194305' > "$t/above-pid-max"
printf '/tmp/key/' > "$t/ends-in-slash"
printf 'v1:3f2a9c1b:4026531836:1234567/4242' > "$t/record-missing-host"
printf 'v1:3F2A9C1B:4026531836:1234567:myhost/4242' > "$t/record-upper-boot8"
printf 'v1:3f2a9c1b:4026531836:1234567:my%%2fhost/4242' > "$t/record-lower-escape"
printf 'v1:3f2a9c1b:4026531836:1234567:my%%41host/4242' > "$t/record-needless-escape"
{ printf '/'; head -c 4094 /dev/zero | tr '\0' 'a'; printf '/1'; } > "$t/too-long"
echo "seeds written to $corpus"
