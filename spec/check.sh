#!/usr/bin/env bash
# Model-checks the pidlock protocol with SPIN (see spec/state_machine.md, section 10).
#
#   spec/pidlock.pml  the protocol of spec/state_machine.md: must verify exhaustively
#                     ("errors: 0": no assertion violation, no invalid end state), and have no
#                     non-progress cycle (checked at N=2 TRIES=3).
#   spec/seed.pml     the original npm pidlock 0.1.0 algorithm: must FAIL with the
#                     mutual-exclusion (I1) violation; its shortest counterexample (BFS)
#                     must equal the committed spec/seed.pml.trail, which
#                     spec/seed_counterexample.md explains step by step.
#   known flaws       the open issues W1, W2, Z1 of state_machine.md section 11 compiled in
#                     with -D options: each must FAIL, and the proposed fixes must verify.
#
# Usage: spec/check.sh [--mutants] [--extended] [--update-trail]
#   --mutants       also check that broken variants of pidlock.pml fail (the checks are not vacuous)
#   --extended      also verify other sizes, the fixes at N=3 and the non-progress check at N=3
#   --update-trail  copy the shortest seed trail found now to spec/seed.pml.trail
# Runs from any directory; all SPIN/gcc output goes to a temporary directory that is removed.
# Exit status 0 only when every required verdict holds.
set -euo pipefail

SPEC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MUTANTS=0
EXTENDED=0
UPDATE_TRAIL=0
for arg in "$@"; do
  case "$arg" in
    --mutants) MUTANTS=1 ;;
    --extended) EXTENDED=1 ;;
    --update-trail) UPDATE_TRAIL=1 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "check.sh: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

for tool in spin gcc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "check.sh: FAIL: '$tool' not found in PATH" >&2
    exit 2
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pidlock-spec.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
FAILED=0

fail() {
  echo "check.sh: FAIL: $*" >&2
  FAILED=1
}

# run_model NAME MODEL "SPIN_FLAGS" "CC_FLAGS" "PAN_FLAGS"
# Generates, compiles and runs a verifier in a directory of $WORK.  Sets: DIR, OUT (pan output), ERRORS,
# STORED, TRANSITIONS, DEPTH, MEMORY, SECS, COMPLETE (1 unless pan reports a truncated search).
run_model() {
  local name="$1" model="$2" spin_flags="$3" cc_flags="$4" pan_flags="$5"
  local dir
  dir="$WORK/$(printf '%s' "$name" | tr -c 'A-Za-z0-9._=-' '_')"
  DIR="$dir"
  mkdir -p "$dir"
  cp "$SPEC_DIR/$model" "$dir/"
  OUT="$dir/pan.out"
  local start end
  start="$(date +%s.%N)"
  # shellcheck disable=SC2086  # flag strings are word lists
  if ! (cd "$dir" && spin -a $spin_flags "$model" >spin.log 2>&1); then
    cat "$dir/spin.log" >&2
    fail "$name: spin -a $spin_flags $model failed"
    return 1
  fi
  # shellcheck disable=SC2086
  if ! (cd "$dir" && gcc -O2 $cc_flags -o pan pan.c >gcc.log 2>&1); then
    cat "$dir/gcc.log" >&2
    fail "$name: gcc $cc_flags pan.c failed"
    return 1
  fi
  # pan's exit status does not tell verified from violated; its report does.
  # shellcheck disable=SC2086
  (cd "$dir" && ./pan $pan_flags >"$OUT" 2>&1) || true
  end="$(date +%s.%N)"
  SECS="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
  ERRORS="$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$OUT" | tail -n1)"
  STORED="$(awk '/states, stored/ { print $1; exit }' "$OUT")"
  TRANSITIONS="$(awk '/ transitions \(= / { print $1; exit }' "$OUT")"
  DEPTH="$(sed -n 's/.*depth reached \([0-9][0-9]*\).*/\1/p' "$OUT" | tail -n1)"
  MEMORY="$(awk '/total actual memory usage/ { print $1; exit }' "$OUT")"
  COMPLETE=1
  if grep -qE 'max search depth too small|Search not completed|out of memory|reached -DMEMLIM' "$OUT"; then
    COMPLETE=0
  fi
  if [[ -z "$ERRORS" || -z "$STORED" ]]; then
    cat "$OUT" >&2
    fail "$name: could not read pan's report"
    return 1
  fi
  printf '  %-34s states stored %s, transitions %s, depth %s, errors %s, memory %s MB, %s s\n' \
    "$name" "$STORED" "$TRANSITIONS" "$DEPTH" "$ERRORS" "${MEMORY:-?}" "$SECS"
  return 0
}

# Exhaustive safety verification that must report errors: 0.
expect_verified() {
  local name="$1"
  shift
  if run_model "$name" "$@"; then
    if [[ "$ERRORS" != 0 ]]; then
      grep -E 'pan:|assertion violated|invalid end state' "$OUT" | head -n5 >&2 || true
      fail "$name: expected errors: 0, got errors: $ERRORS"
      return 1
    elif [[ "$COMPLETE" != 1 ]]; then
      fail "$name: search was not exhaustive (depth or memory bound); see pan output"
      return 1
    fi
  else
    return 1
  fi
}

# A run that must find an error.
expect_violation() {
  local name="$1"
  shift
  if run_model "$name" "$@"; then
    if [[ "$ERRORS" == 0 ]]; then
      fail "$name: expected a violation, pan reports errors: 0"
      return 1
    fi
    local what
    what="$(grep -m1 -oE '(assertion violated|invalid end state|non-progress cycle).*' "$OUT" | cut -c1-100)"
    echo "    found: ${what:-?}"
  else
    return 1
  fi
}

SAFETY_CC="-DSAFETY -DMEMLIM=4096 -w"
NP_CC="-DNP -DMEMLIM=4096 -w"

echo "== pidlock.pml (the protocol; must verify)"
MAIN_OK=1
expect_verified "pidlock.pml" pidlock.pml "" "$SAFETY_CC" "-m10000" || MAIN_OK=0
expect_verified "pidlock.pml non-progress N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3" "$NP_CC" "-l -m100000" || MAIN_OK=0
if [[ "$MAIN_OK" == 1 ]]; then
  echo "VERDICT pidlock.pml: PASS - errors: 0, exhaustive (I1 I2 I3 I5 assertions, no invalid end state, no non-progress cycle)"
else
  echo "VERDICT pidlock.pml: FAIL - see messages above"
fi

echo "== seed.pml (npm pidlock 0.1.0; must violate I1)"
SEED_OK=1
if expect_violation "seed.pml" seed.pml "" "$SAFETY_CC" "-m10000"; then
  if ! grep -qE 'assertion violated \(\(?holder==0\)?\)|<=1\)' "$OUT"; then
    grep 'assertion violated' "$OUT" >&2 || true
    fail "seed.pml: the violation found is not the mutual-exclusion (I1) assertion"
    SEED_OK=0
  fi
else
  SEED_OK=0
fi
# Shortest counterexample: breadth-first search without partial-order reduction.
if expect_violation "seed.pml (BFS shortest trail)" seed.pml "" "$SAFETY_CC -DBFS -DNOREDUCE" "-m10000"; then
  TRAIL="$DIR/seed.pml.trail"
  if [[ ! -f "$TRAIL" ]]; then
    fail "seed.pml: BFS run wrote no trail"
    SEED_OK=0
  else
    REPLAY="$(cd "$DIR" && { spin -t seed.pml 2>&1 || true; })"
    if ! grep -q 'assertion violated' <<<"$REPLAY"; then
      fail "seed.pml: the trail does not replay to an assertion violation"
      SEED_OK=0
    fi
    STEPS="$(($(wc -l <"$TRAIL") - 1))"
    echo "  shortest counterexample: $STEPS steps (depth, including the harness's init steps)"
    if [[ "$UPDATE_TRAIL" == 1 ]]; then
      cp "$TRAIL" "$SPEC_DIR/seed.pml.trail"
      echo "  wrote spec/seed.pml.trail"
    elif [[ ! -f "$SPEC_DIR/seed.pml.trail" ]]; then
      fail "spec/seed.pml.trail is missing; run: spec/check.sh --update-trail"
      SEED_OK=0
    elif ! cmp -s "$TRAIL" "$SPEC_DIR/seed.pml.trail"; then
      fail "spec/seed.pml.trail is out of date with spec/seed.pml; run spec/check.sh --update-trail and update spec/seed_counterexample.md"
      SEED_OK=0
    else
      echo "  equals the committed spec/seed.pml.trail (explained in spec/seed_counterexample.md)"
    fi
  fi
else
  SEED_OK=0
fi
if [[ "$SEED_OK" == 1 ]]; then
  echo "VERDICT seed.pml: PASS - mutual-exclusion (I1) violation found, as expected of the original"
else
  echo "VERDICT seed.pml: FAIL - see messages above"
fi

echo "== known flaws of the design notes (each must fail) and their proposed fixes (each must verify)"
FLAWS_OK=1
expect_violation "W1 -DVERSION_REUSE" pidlock.pml "-DVERSION_REUSE" "$SAFETY_CC" "-m10000" || FLAWS_OK=0
expect_verified "W1 fix N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3 -DVERSION_REUSE -DFIX_WITNESS_RECHECK" "$SAFETY_CC" "-m10000" || FLAWS_OK=0
expect_verified "W1 fix non-progress N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3 -DVERSION_REUSE -DFIX_WITNESS_RECHECK" "$NP_CC" "-l -m100000" || FLAWS_OK=0
expect_violation "W2 -DWITNESS_MAY_FAIL" pidlock.pml "-DWITNESS_MAY_FAIL" "$SAFETY_CC" "-m10000" || FLAWS_OK=0
expect_verified "W2 fix N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3 -DWITNESS_MAY_FAIL -DFIX_WITNESS_REQUIRED" "$SAFETY_CC" "-m10000" || FLAWS_OK=0
expect_violation "Z1 -DLEADER_EXIT -DNOTES_ZOMBIE_RULE" pidlock.pml "-DLEADER_EXIT -DNOTES_ZOMBIE_RULE" "$SAFETY_CC" "-m10000" || FLAWS_OK=0
if [[ "$FLAWS_OK" == 1 ]]; then
  echo "VERDICT known flaws: REPRODUCED - W1 W2 Z1 violate I2 as the notes stand; the proposed fixes verify"
else
  echo "VERDICT known flaws: FAIL - see messages above"
fi

if [[ "$EXTENDED" == 1 ]]; then
  echo "== pidlock.pml, other sizes and the fixes at N=3 (must verify)"
  expect_verified "pidlock.pml N=2 TRIES=4" pidlock.pml "-DN=2 -DTRIES=4" "$SAFETY_CC" "-m10000" || true
  expect_verified "pidlock.pml N=4 TRIES=1" pidlock.pml "-DN=4 -DTRIES=1" "$SAFETY_CC" "-m10000" || true
  expect_verified "pidlock.pml -DNO_WITNESS -DVERSION_REUSE" pidlock.pml "-DNO_WITNESS -DVERSION_REUSE" "$SAFETY_CC" "-m10000" || true
  expect_verified "W1 fix N=3" pidlock.pml "-DVERSION_REUSE -DFIX_WITNESS_RECHECK" "$SAFETY_CC" "-m10000" || true
  expect_verified "W2 fix N=3" pidlock.pml "-DWITNESS_MAY_FAIL -DFIX_WITNESS_REQUIRED" "$SAFETY_CC" "-m10000" || true
  expect_verified "pidlock.pml non-progress N=3" pidlock.pml "" "-DNP -DMEMLIM=8192 -w" "-l -m100000" || true
fi

if [[ "$MUTANTS" == 1 ]]; then
  echo "== pidlock.pml mutants (each must fail)"
  for m in "-DMUTANT_NO_FLOCK" "-DMUTANT_NO_CONFIRM" "-DPROBE_MAY_ERR"; do
    expect_violation "pidlock.pml $m" pidlock.pml "$m" "$SAFETY_CC" "-m10000" || true
  done
  echo "== seed.pml, other properties (each must fail)"
  expect_violation "seed.pml -DCHECK_I3" seed.pml "-DCHECK_I3" "$SAFETY_CC" "-m10000" || true
  expect_violation "seed.pml -DCHECK_I2" seed.pml "-DCHECK_I2" "$SAFETY_CC" "-m10000" || true
fi

if [[ "$FAILED" != 0 ]]; then
  echo "check.sh: FAILED" >&2
  exit 1
fi
echo "check.sh: OK"
