#!/usr/bin/env bash
# Copyright 2026 The pidlock Authors. MIT License.
#
# The benchmarks' smoke run, for .ci/run: builds //bench:all, runs every
# row a few steps (a few seconds in all), checks that the contention
# witness catches violations without a lock and sees none with one, and
# renders a report from the output into a temporary directory. No timing
# assertions: it fails only when something does not build, run or parse.
#
#   bench/smoke.sh            # $BAZEL: the bazel command, default
#                             # "bazel --output_base=/tmp/bazel_bench"

set -euo pipefail
cd "$(dirname "$0")/.."

BAZEL="${BAZEL:-bazel --output_base=/tmp/bazel_bench}"
bazel_flags=(--experimental_convenience_symlinks=ignore)
$BAZEL build "${bazel_flags[@]}" //bench:all
bin="$($BAZEL info "${bazel_flags[@]}" bazel-bin)/bench"

dir="${XDG_RUNTIME_DIR:-/dev/shm}"
[[ -d "$dir" && -w "$dir" ]] || dir="${TMPDIR:-/tmp}"
out="$(mktemp -d "${TMPDIR:-/tmp}/pidlock_bench_smoke.XXXXXX")"
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/results/tmpfs"

"$bin/cycle_benchmark" --dir="$dir" --cycles=20 \
  --benchmark_out="$out/results/tmpfs/cycle.json" --benchmark_out_format=json
"$bin/wakeup_benchmark" --dir="$dir" --wakeup_samples=3 \
  --slow_wakeup_samples=1 \
  --benchmark_out="$out/results/tmpfs/wakeup.json" --benchmark_out_format=json
"$bin/contention_benchmark" --dir="$dir" --witness_selftest
"$bin/contention_benchmark" --dir="$dir" --contention_seconds=0.02 \
  --benchmark_out="$out/results/tmpfs/contention.json" \
  --benchmark_out_format=json
"$bin/cycle_benchmark" --dir="$dir" --strace_steps=cycle/pidlock:3

if command -v node > /dev/null; then
  node_status=0
  node bench/seed_node_bench.js --dir "$dir" --cycles 20 \
    --out "$out/results/tmpfs/seed_node.json" || node_status=$?
  if [[ $node_status == 77 ]]; then
    echo "smoke: npm pidlock 0.1.0 not installable (offline?): node skipped"
  elif [[ $node_status != 0 ]]; then
    exit "$node_status"
  fi
fi

python3 bench/report machine --out "$out/results/machine.json" \
  --dir "tmpfs=$dir" --phase start
python3 bench/report render --results "$out/results" \
  --md "$out/RESULTS.md" --svg "$out/results.svg"
echo "smoke: OK"
