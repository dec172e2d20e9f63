#!/usr/bin/env bash
# Makes the source tarball a vendoring user pins: dist/pidlock-VERSION.tar.gz
# of the committed tree (git archive of HEAD), and its SHA-256 beside it.
# VERSION is kVersion of src/pidlock.h; CMakeLists.txt must agree.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^inline constexpr char kVersion\[\] = "\(.*\)";/\1/p' src/pidlock.h)
cmake_version=$(sed -n 's/^project(pidlock VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
if [[ -z $version || $version != "$cmake_version" ]]; then
  echo "dist: version mismatch: src/pidlock.h '$version', CMakeLists.txt '$cmake_version'"
  exit 1
fi
grep -q "^## $version" CHANGELOG.md || { echo "dist: CHANGELOG.md has no '## $version'"; exit 1; }
mkdir -p dist
tarball="dist/pidlock-$version.tar.gz"
git archive --format=tar.gz --prefix="pidlock-$version/" -o "$tarball" HEAD
(cd dist && sha256sum "pidlock-$version.tar.gz" > "pidlock-$version.tar.gz.sha256")
# What is packed is exactly what is committed.
diff <(tar tzf "$tarball" | grep -v '/$' | sed "s|^pidlock-$version/||" | sort) \
     <(git ls-files | sort) >/dev/null
cat "dist/pidlock-$version.tar.gz.sha256"
