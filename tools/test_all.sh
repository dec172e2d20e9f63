#!/usr/bin/env bash
# Every check of this repository, as CI runs it: installs what is missing,
# then the whole Bazel test suite, the model check of spec/, each fuzzer for
# $FUZZ_SECONDS (default 30), and a smoke run of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh

steps=0
failed=0
step() {  # step NAME COMMAND...
  local name=$1
  shift
  echo
  echo "=== $name"
  local start=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - start)) s)"
    steps=$((steps + 1))
  else
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
    failed=$((failed + 1))
  fi
}

step "bazel test //..." bazel test //... --test_summary=terse
step "spec: model check" bash spec/check.sh
step "fuzz: each fuzzer for ${FUZZ_SECONDS:-30} s" bash fuzz/run_fuzzers.sh
step "bench: smoke run" bash bench/smoke.sh

echo
echo "test_all: $steps passed, $failed failed"
[[ $failed -eq 0 ]]
