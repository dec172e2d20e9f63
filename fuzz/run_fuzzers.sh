#!/usr/bin/env bash
# Copyright 2026 The pidlock Authors. MIT License.
#
# Builds every fuzzer with `bazel build --config=fuzz` and runs each for
# $FUZZ_SECONDS seconds on a COPY of its checked-in corpus (CI must not grow
# fuzz/corpus/), with its dictionary when there is one. Exits 1 if any fuzzer
# crashes (a failed check, a sanitizer report, a timeout or out-of-memory) and
# keeps the crashing inputs in $FUZZ_ARTIFACTS.
#
# Usage (from anywhere in the repository):
#   fuzz/run_fuzzers.sh [FUZZER...]      e.g. fuzz/run_fuzzers.sh stat liveness
# Environment:
#   BAZEL              bazel command with startup options (default: bazel),
#                      e.g. "bazel --output_base=/tmp/bazel_fuzz"
#   BAZEL_BUILD_FLAGS  extra flags for `bazel build` and `bazel info`
#   FUZZ_SECONDS       seconds per fuzzer (default: 30)
#   FUZZ_ARTIFACTS     where crash inputs go (default: a new /tmp directory)
# Prints one summary line per fuzzer: runs, execs/s, new units, the corpus
# at the end (libFuzzer's "corp: units/bytes", and files in the copy), RSS.

set -euo pipefail

cd "$(dirname "$0")/.."
read -r -a bazel <<< "${BAZEL:-bazel}"
read -r -a build_flags <<< "${BAZEL_BUILD_FLAGS:-}"
seconds=${FUZZ_SECONDS:-30}
artifacts=${FUZZ_ARTIFACTS:-}
if [[ -z "$artifacts" ]]; then
  artifacts=$(mktemp -d /tmp/pidlock-fuzz-artifacts.XXXXXX)
  own_artifacts=1
fi

if (($# > 0)); then
  targets=()
  for name in "$@"; do targets+=("//fuzz:${name%_fuzzer}_fuzzer"); done
else
  # Every cc_binary tagged "fuzzer" (they are "manual": //fuzz:all skips them).
  mapfile -t targets < <("${bazel[@]}" query --noshow_progress \
    'attr(tags, "\bfuzzer\b", kind(cc_binary, //fuzz:all))' | sort)
fi
"${bazel[@]}" build "${build_flags[@]}" --config=fuzz "${targets[@]}"
bin=$("${bazel[@]}" info "${build_flags[@]}" --config=fuzz bazel-bin)

work=$(mktemp -d /tmp/pidlock-fuzz-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
  fuzzer=${target#//fuzz:}
  name=${fuzzer%_fuzzer}
  corpus=$work/corpus/$name
  mkdir -p "$corpus" "$artifacts/$name"
  if [[ -d fuzz/corpus/$name ]]; then cp -R "fuzz/corpus/$name/." "$corpus/"; fi
  flags=(-max_total_time="$seconds" -print_final_stats=1
         -artifact_prefix="$artifacts/$name/")
  if [[ -f fuzz/$name.dict ]]; then flags+=(-dict="fuzz/$name.dict"); fi
  log=$work/$name.log
  echo "== $fuzzer: ${seconds}s on a copy of fuzz/corpus/$name"
  if "$bin/fuzz/$fuzzer" "${flags[@]}" "$corpus" > "$log" 2>&1; then
    final_stat() { awk -v key="stat::$1:" '$1 == key {print $2}' "$log"; }
    corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1)
    echo "   ok: $(final_stat number_of_executed_units) runs," \
      "$(final_stat average_exec_per_sec) execs/s," \
      "$(final_stat new_units_added) new units, ${corp:-corp: ?}" \
      "($(find "$corpus" -type f | wc -l) files), peak RSS" \
      "$(final_stat peak_rss_mb) MB"
  else
    status=$?
    failed+=("$fuzzer")
    echo "   FAILED (exit $status): last lines of its log:"
    tail -n 40 "$log" | sed 's/^/   | /'
    echo "   crash inputs: $artifacts/$name/"
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzzers that failed: ${failed[*]} (inputs in $artifacts)"
  exit 1
fi
if [[ -n "${own_artifacts:-}" ]]; then rm -rf "$artifacts"; fi
echo "all ${#targets[@]} fuzzers ran ${seconds}s without a crash"
