#!/usr/bin/env bash
# BUILD and CMakeLists.txt list the same library sources and public headers.
set -euo pipefail
build=$1
cmake=$2

bazel_list() {  # the quoted entries of the list assigned to $1 in BUILD
  awk -v name="$1" '$0 ~ "^"name" = \\[" {on=1; next} on && /^\]/ {on=0} on' "$build" |
    tr -d ' ",' | sort
}
cmake_list() {  # the entries of set($1 ...) in CMakeLists.txt
  awk -v name="$1" '$0 ~ "^set\\("name"$" {on=1; next} on && /^\)/ {on=0} on' "$cmake" |
    tr -d ' ' | sort
}
status=0
for list in PIDLOCK_SRCS PIDLOCK_HDRS; do
  if diff <(bazel_list "$list") <(cmake_list "$list"); then
    echo "$list: $(bazel_list "$list" | wc -l) files, the same in BUILD and CMakeLists.txt"
  else
    echo "FAIL: $list differs between BUILD (<) and CMakeLists.txt (>)"
    status=1
  fi
  [[ $(bazel_list "$list" | wc -l) -gt 0 ]] || { echo "FAIL: $list is empty"; status=1; }
done
exit $status
