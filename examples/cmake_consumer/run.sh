#!/usr/bin/env bash
# Builds the consumer against pidlock with add_subdirectory, then against an
# installed pidlock with find_package and pkg-config, and runs each build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check() {  # check BINARY: one instance runs, a second is refused with 75
  local dir="$work/locks"
  mkdir -p "$dir"
  "$1" "$dir" demo 2 & local first=$!
  sleep 0.5
  set +e
  "$1" "$dir" demo; local second=$?
  set -e
  wait "$first"
  [[ $second -eq 75 ]] || { echo "expected 75 from the second instance, got $second"; exit 1; }
}

echo "== add_subdirectory"
cmake -S "$here" -B "$work/sub" -DPIDLOCK_SOURCE_DIR="$root" >/dev/null
cmake --build "$work/sub" -j2 >/dev/null
check "$work/sub/consumer"

echo "== install, then find_package"
cmake -S "$root" -B "$work/lib" -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
cmake --build "$work/lib" -j2 >/dev/null
cmake --install "$work/lib" >/dev/null
cmake -S "$here" -B "$work/pkg" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/pkg" -j2 >/dev/null
check "$work/pkg/consumer"
"$work/prefix/bin/pidlock" --version

echo "== pkg-config"
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs pidlock
c++ $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags pidlock) \
  "$root/examples/bazel_consumer/main.cc" -o "$work/consumer_pc" \
  $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --libs pidlock)
check "$work/consumer_pc"
echo "cmake_consumer: ok"
