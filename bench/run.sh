#!/usr/bin/env bash
# Copyright 2026 The pidlock Authors. MIT License.
#
# The full benchmark run behind bench/RESULTS.md and bench/results.svg:
# builds the benchmarks optimized (-c opt), runs every binary and the node
# script on a tmpfs directory and on a disk-backed one, counts system calls
# per step with strace, and calls bench/report. Takes a few minutes; the
# rows of one file system all come from this one run.
#
#   bench/run.sh [--tmpfs DIR] [--disk DIR] [--results DIR] [--nice N]
#                [--no-report]
#
# Defaults: --tmpfs $XDG_RUNTIME_DIR or /dev/shm, --disk /var/tmp,
# --results bench/results, --nice 0. --nice -20 (root) runs the benchmarks
# ahead of other work on a busy machine (RESULTS.md says so). $BAZEL is the bazel command (default: bazel with
# its own output base, /tmp/bazel_bench, so as not to block other builds).
# Extra flags for the binaries: $BENCH_FLAGS (e.g. --cycles=2000).

set -euo pipefail
cd "$(dirname "$0")/.."

tmpfs_dir="${XDG_RUNTIME_DIR:-/dev/shm}"
disk_dir=/var/tmp
results=bench/results
report=1
nice_level=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tmpfs) tmpfs_dir="$2"; shift 2 ;;
    --disk) disk_dir="$2"; shift 2 ;;
    --results) results="$2"; shift 2 ;;
    --nice) nice_level="$2"; shift 2 ;;
    --no-report) report=0; shift ;;
    *) echo "usage: $0 [--tmpfs DIR] [--disk DIR] [--results DIR]" \
            "[--nice N] [--no-report]" >&2
       exit 2 ;;
  esac
done

BAZEL="${BAZEL:-bazel --output_base=/tmp/bazel_bench}"
read -r -a bench_flags <<< "${BENCH_FLAGS:-}"
# The workspace's bazel-* symlinks belong to whoever builds by default.
bazel_flags=(-c opt --experimental_convenience_symlinks=ignore)

$BAZEL build "${bazel_flags[@]}" //bench:all
bin="$($BAZEL info "${bazel_flags[@]}" bazel-bin)/bench"

# The last line is the mount on top (mounts can be stacked).
fstype() { findmnt -no FSTYPE -T "$1" | tail -n 1; }
if [[ "$(fstype "$tmpfs_dir")" != tmpfs ]]; then
  echo "run.sh: $tmpfs_dir is $(fstype "$tmpfs_dir"), not tmpfs" >&2
  exit 2
fi
case "$(fstype "$disk_dir")" in
  tmpfs|ramfs) echo "run.sh: $disk_dir is not disk-backed" >&2; exit 2 ;;
esac

rm -rf "$results"
mkdir -p "$results/tmpfs" "$results/disk" "$results/strace"
python3 bench/report machine --out "$results/machine.json" \
  --dir "tmpfs=$tmpfs_dir" --dir "disk=$disk_dir" --phase start \
  --nice "$nice_level"
run=(nice -n "$nice_level")

status=0
for label in tmpfs disk; do
  if [[ $label == tmpfs ]]; then dir="$tmpfs_dir"; else dir="$disk_dir"; fi
  echo "=== $label: $dir ($(fstype "$dir"))"
  for b in cycle wakeup contention; do
    "${run[@]}" "$bin/${b}_benchmark" --dir="$dir" "${bench_flags[@]}" \
      --benchmark_out="$results/$label/$b.json" \
      --benchmark_out_format=json || status=1
  done
  node_status=0
  "${run[@]}" node bench/seed_node_bench.js --dir "$dir" \
    --out "$results/$label/seed_node.json" || node_status=$?
  if [[ $node_status == 77 ]]; then
    echo "run.sh: npm pidlock 0.1.0 unavailable: no node rows" >&2
  elif [[ $node_status != 0 ]]; then
    status=1
  fi
done

# System calls per step: strace -c -f of N steps minus a run of 0 steps
# (which has the same set-up and warm-up), on tmpfs.
n=500
echo "=== strace, $n steps per row"
for family in cycle refused takeover; do
  for m in flock_open_close flock_kept ofd_open_close ofd_kept bsd_pidfile \
           liblockfile qlockfile seed_cpp pidlock; do
    for k in 0 $n; do
      strace -f -c -o "$results/strace/${family}_${m}_$k.txt" \
        "$bin/cycle_benchmark" --dir="$tmpfs_dir" \
        --strace_steps="$family/$m:$k" || status=1
    done
  done
  if command -v node > /dev/null; then
    for k in 0 $n; do
      strace -f -c -o "$results/strace/${family}_seed_node_$k.txt" \
        node bench/seed_node_bench.js --dir "$tmpfs_dir" --cycles "$k" \
        --only "$family" > /dev/null || true
    done
  fi
done
echo "$n" > "$results/strace/steps"

python3 bench/report machine --out "$results/machine.json" --phase end
if [[ $report == 1 ]]; then
  python3 bench/report render --results "$results" \
    --md bench/RESULTS.md --svg bench/results.svg
fi
exit $status
