#!/usr/bin/env bash
# clang-format (.clang-format) over every C++ file, and clang-tidy
# (.clang-tidy) over the library and the command. Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^third_party/')
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files formatted"
mapfile -t tidy < <(git ls-files 'src/*.cc')
clang-tidy --quiet "${tidy[@]}" -- -std=c++17 -I. -DPIDLOCK_TEST_HOOKS 2>/dev/null
clang-tidy --quiet src/acquire.cc -- -std=c++17 -I. 2>/dev/null
echo "clang-tidy: ${#tidy[@]} files clean"
