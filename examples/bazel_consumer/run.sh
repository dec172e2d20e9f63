#!/usr/bin/env bash
# Builds the consumer workspace against pidlock as a local_repository and
# runs it: one instance runs, a second is refused with 75.
set -euo pipefail
cd "$(dirname "$0")"
bazel build //:consumer 2>&1 | tail -n 1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
./bazel-bin/consumer "$dir" demo 2 & first=$!
sleep 0.5
set +e
./bazel-bin/consumer "$dir" demo; second=$?
set -e
wait "$first"
[[ $second -eq 75 ]] || { echo "expected 75 from the second instance, got $second"; exit 1; }
echo "bazel_consumer: ok"
