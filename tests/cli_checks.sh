# Sourced by the command's shell tests: counted checks and their summary.
#   check NAME EXPECTED ACTUAL     passes when ACTUAL is EXPECTED
#   contains NAME NEEDLE HAYSTACK  passes when HAYSTACK contains NEEDLE
#   skip NAME WHY                  counted as skipped, never as passed
#   wait_for COMMAND...            until COMMAND succeeds (5 s); its status
#   wait_for_lock DIR KEY          until DIR/KEY/lock exists (5 s)
#   finish NAME                    prints "NAME: N passed, N failed[, N
#                                  skipped]"; its status is 0 when none failed
passed=0
failures=0
skipped=0

check() {
  if [[ "$2" == "$3" ]]; then
    passed=$((passed + 1))
  else
    echo "FAIL: $1: expected '$2', got '$3'"
    failures=$((failures + 1))
  fi
}
contains() {
  if [[ "$3" == *"$2"* ]]; then
    passed=$((passed + 1))
  else
    echo "FAIL: $1: '$2' not in: $3"
    failures=$((failures + 1))
  fi
}
skip() {
  echo "SKIPPED: $1: $2"
  skipped=$((skipped + 1))
}
wait_for() {
  for _ in $(seq 500); do "$@" && return 0; sleep 0.01; done
  return 1
}
wait_for_lock() { wait_for test -L "$1/$2/lock"; }
finish() {
  if [[ $skipped -gt 0 ]]; then
    echo "$1: $passed passed, $failures failed, $skipped skipped"
  else
    echo "$1: $passed passed, $failures failed"
  fi
  [[ $failures -eq 0 ]]
}
