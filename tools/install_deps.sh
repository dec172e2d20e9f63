#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever of the build and test
# dependencies is missing. Safe to run again: it installs nothing twice.
# The library itself needs none of them at run time.
set -euo pipefail

packages=(
  bazel-bootstrap        # Bazel 4.2.3, the build
  g++ clang-14 libclang-rt-14-dev   # compilers; libFuzzer and sanitizers
  libgtest-dev libgmock-dev librapidcheck-dev   # tests
  libbenchmark-dev       # benchmarks
  spin                   # model checking of spec/
  libproc2-dev           # differential test of the /proc parsers
  libbsd-dev liblockfile-dev qtbase5-dev   # peers in the benchmarks
  nodejs npm             # the original npm package, in race tests and benchmarks
  cmake pkg-config       # the CMake build and its consumer example
  strace python3 git ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
# node may come from another packaging of the same name; accept any.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install_deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install_deps: all dependencies present"
