#!/usr/bin/env bash
# Every check of this repository, as CI runs it: installs what is missing,
# then the whole Bazel test suite (and again under ASan+UBSan), the model
# check of spec/, each fuzzer for $FUZZ_SECONDS (default 30), a smoke run of
# the benchmarks, warning-free builds with gcc and clang, clang-format and
# clang-tidy, and both consumer examples.
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

step "bazel test //..." bazel test //... --test_summary=terse \
  --test_env=PIDLOCK_RACE_REQUIRE_NODE=1
step "mutants: every protocol mutant killed" bash tools/mutants.sh
step "spec: model check" bash spec/check.sh
step "fuzz: each fuzzer for ${FUZZ_SECONDS:-30} s" bash fuzz/run_fuzzers.sh
step "bench: smoke run" env BAZEL=bazel bash bench/smoke.sh
step "warnings: gcc" bazel build --config=warnings //...
step "warnings: clang" bazel build --config=warnings --config=clang //...
step "bazel test --config=asan //... (ASan+UBSan)" \
  bazel test --config=asan //... --test_summary=terse
step "style: clang-format, clang-tidy" bash tools/check_style.sh
step "examples: Bazel consumer" bash examples/bazel_consumer/run.sh
step "examples: CMake consumer" bash examples/cmake_consumer/run.sh
step "dist: source tarball" bash tools/dist.sh

echo
echo "test_all: $steps passed, $failed failed"
[[ $failed -eq 0 ]]
