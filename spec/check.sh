#!/usr/bin/env bash
# Model-checks the pidlock protocol with SPIN (see spec/state_machine.md, section 10).
#
#   spec/pidlock.pml  the protocol as implemented (T21, the witness required, the Zombie and
#                     start-time rules, the bounded flock wait, exec with KeepAcrossExec) in
#                     the hostile environment (SIGKILL anywhere, PID reuse, inode+mtime
#                     reuse, witness failures, main-thread exit, SIGSTOP holding the flock,
#                     another PID namespace and another time namespace).  Must verify
#                     exhaustively at N=3 TRIES=2 ("errors: 0": no assertion violation, no
#                     invalid end state) and have no non-progress cycle (N=3 TRIES=2 and
#                     N=2 TRIES=3).
#   spec/seed.pml     the original npm pidlock 0.1.0 algorithm: must FAIL with the
#                     mutual-exclusion (I1) violation; its shortest counterexample (BFS)
#                     must equal the committed spec/seed.pml.trail, which
#                     spec/seed_counterexample.md explains step by step.
#   each fix needed   pidlock.pml with one fix of section 11 removed (W1 W2 Z1 N1 F1 X1), and
#                     with T21 going back to S3 instead of S6: each must FAIL, with the
#                     expected kind of violation.
#
# Usage: spec/check.sh [--mutants] [--extended] [--update-trail]
#   --mutants       also check that broken variants of pidlock.pml fail (the checks are not vacuous)
#   --extended      also verify other sizes (N=2 TRIES=5; N=4 TRIES=1, also non-progress) and
#                   -DNO_WITNESS (N=3 TRIES=3 is out of reach: over 50 million states)
#   --update-trail  copy the shortest seed trail found now to spec/seed.pml.trail
# Runs from any directory; all SPIN/gcc output goes to a temporary directory that is removed.
# The non-progress run at N=3 runs in the background, in parallel with the others.
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
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}"; exit 0 ;;
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
BG_PID=""
cleanup() {
  if [[ -n "$BG_PID" ]]; then kill "$BG_PID" 2>/dev/null || true; wait "$BG_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILED=0
T0="$(date +%s.%N)"

fail() {
  echo "check.sh: FAIL: $*" >&2
  FAILED=1
}

dir_of() { printf '%s/%s' "$WORK" "$(printf '%s' "$1" | tr -c 'A-Za-z0-9._=-' '_')"; }

# execute NAME MODEL "SPIN_FLAGS" "CC_FLAGS" "PAN_FLAGS"
# Generates, compiles and runs a verifier in $(dir_of NAME); writes pan.out, secs and, when
# spin or gcc fails, error.  Touches no shell variable, so it can run in the background.
execute() {
  local name="$1" model="$2" spin_flags="$3" cc_flags="$4" pan_flags="$5"
  local dir start end
  dir="$(dir_of "$name")"
  mkdir -p "$dir"
  cp "$SPEC_DIR/$model" "$dir/"
  start="$(date +%s.%N)"
  # shellcheck disable=SC2086  # flag strings are word lists
  if ! (cd "$dir" && spin -a $spin_flags "$model" >spin.log 2>&1); then
    echo "spin -a $spin_flags $model failed: $(cat "$dir/spin.log")" >"$dir/error"
    return 0
  fi
  # shellcheck disable=SC2086
  if ! (cd "$dir" && gcc -O2 $cc_flags -o pan pan.c >gcc.log 2>&1); then
    echo "gcc $cc_flags pan.c failed: $(cat "$dir/gcc.log")" >"$dir/error"
    return 0
  fi
  # pan's exit status does not tell verified from violated; its report does.
  # shellcheck disable=SC2086
  (cd "$dir" && ./pan $pan_flags >pan.out 2>&1) || true
  end="$(date +%s.%N)"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }' >"$dir/secs"
}

# report NAME: reads what execute left.  Sets DIR, OUT, ERRORS, STORED, TRANSITIONS, DEPTH,
# MEMORY, SECS, COMPLETE (1 unless pan reports a truncated search); prints one line.
report() {
  local name="$1"
  DIR="$(dir_of "$name")"
  OUT="$DIR/pan.out"
  if [[ -f "$DIR/error" ]]; then
    cat "$DIR/error" >&2
    fail "$name: could not build the verifier"
    return 1
  fi
  SECS="$(cat "$DIR/secs" 2>/dev/null || echo '?')"
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
  printf '  %-40s states stored %s, transitions %s, depth %s, errors %s, memory %s MB, %s s\n' \
    "$name" "$STORED" "$TRANSITIONS" "$DEPTH" "$ERRORS" "${MEMORY:-?}" "$SECS"
  return 0
}

run_model() { execute "$@"; report "$1"; }

# check_verified NAME: the run reported errors: 0 over an exhaustive search.
check_verified() {
  local name="$1"
  report "$name" || return 1
  if [[ "$ERRORS" != 0 ]]; then
    grep -E 'pan:|assertion violated|invalid end state|cycle' "$OUT" | head -n5 >&2 || true
    fail "$name: expected errors: 0, got errors: $ERRORS"
    return 1
  elif [[ "$COMPLETE" != 1 ]]; then
    fail "$name: search was not exhaustive (depth or memory bound); see pan output"
    return 1
  fi
}
expect_verified() { execute "$@"; check_verified "$1"; }

# expect_violation NAME MODEL SPIN CC PAN [ERE]: the run must find an error (matching ERE).
expect_violation() {
  local name="$1" want="${6:-}"
  execute "$1" "$2" "$3" "$4" "$5"
  report "$name" || return 1
  if [[ "$ERRORS" == 0 ]]; then
    fail "$name: expected a violation, pan reports errors: 0"
    return 1
  fi
  local what
  what="$(grep -m1 -oE '(assertion violated|invalid end state|non-progress cycle).*' "$OUT" | cut -c1-100)"
  echo "    found: ${what:-?}"
  if [[ -n "$want" ]] && ! grep -qE "$want" <<<"$what"; then
    fail "$name: the violation found is not the expected one ($want)"
    return 1
  fi
}

SAFETY_CC="-DSAFETY -DMEMLIM=4096 -w"
NP_CC="-DNP -DMEMLIM=4096 -w"
# The properties I1 and I2: the S9 assertion, the symlinkat assertion, the Monitor's three.
I1_I2='assertion violated (\(\(lock==0\)\|\|\(lock!=holder\)\)|\(\(holder==0\)|\(!\(lock_lost\)\)|\(\(\(\()'

# The largest run, in the background while the others run.
execute "pidlock.pml non-progress N=3 TRIES=2" pidlock.pml "" "$NP_CC" "-l -m100000" &
BG_PID=$!

echo "== pidlock.pml: the implementation in the hostile environment (must verify)"
MAIN_OK=1
expect_verified "pidlock.pml safety N=3 TRIES=2" pidlock.pml "" "$SAFETY_CC" "-m10000" || MAIN_OK=0
expect_verified "pidlock.pml non-progress N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3" "$NP_CC" "-l -m100000" || MAIN_OK=0

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

echo "== each fix is needed: pidlock.pml with one fix removed (each must fail)"
FIXES_OK=1
expect_violation "W1 -DWITHOUT_T21" pidlock.pml "-DWITHOUT_T21" "$SAFETY_CC" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "W1 -DT21_BACK_TO_S3 non-progress N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3 -DT21_BACK_TO_S3" "$NP_CC" "-l -m100000" "non-progress cycle" || FIXES_OK=0
expect_violation "W2 -DWITHOUT_WITNESS_REQUIRED" pidlock.pml "-DWITHOUT_WITNESS_REQUIRED" "$SAFETY_CC" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "Z1 -DNOTES_ZOMBIE_RULE" pidlock.pml "-DNOTES_ZOMBIE_RULE" "$SAFETY_CC" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "N1 -DWITHOUT_TIMENS_NORMALISATION" pidlock.pml "-DWITHOUT_TIMENS_NORMALISATION" "$SAFETY_CC" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "F1 -DWITHOUT_FLOCK_TIMEOUT" pidlock.pml "-DWITHOUT_FLOCK_TIMEOUT" "$SAFETY_CC" "-m10000" "invalid end state" || FIXES_OK=0
expect_violation "X1 -DWITHOUT_KEEP_ACROSS_EXEC" pidlock.pml "-DWITHOUT_KEEP_ACROSS_EXEC" "$SAFETY_CC" "-m10000" "$I1_I2" || FIXES_OK=0
if [[ "$FIXES_OK" == 1 ]]; then
  echo "VERDICT each fix needed: PASS - without T21 (or with T21 back to S3), the required witness, the thread-count Zombie rule, start-time normalisation, the flock timeout or KeepAcrossExec the model fails"
else
  echo "VERDICT each fix needed: FAIL - see messages above"
fi

if [[ "$EXTENDED" == 1 ]]; then
  echo "== pidlock.pml, other sizes (must verify)"
  expect_verified "pidlock.pml N=2 TRIES=5" pidlock.pml "-DN=2 -DTRIES=5" "$SAFETY_CC" "-m10000" || true
  expect_verified "pidlock.pml N=4 TRIES=1" pidlock.pml "-DN=4 -DTRIES=1" "$SAFETY_CC" "-m10000" || true
  expect_verified "pidlock.pml non-progress N=4 TRIES=1" pidlock.pml "-DN=4 -DTRIES=1" "$NP_CC" "-l -m100000" || true
  expect_verified "pidlock.pml -DNO_WITNESS" pidlock.pml "-DNO_WITNESS" "$SAFETY_CC" "-m10000" || true
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

echo "== pidlock.pml: the non-progress run at N=3 (background)"
wait "$BG_PID" || true
BG_PID=""
check_verified "pidlock.pml non-progress N=3 TRIES=2" || MAIN_OK=0
if [[ "$MAIN_OK" == 1 ]]; then
  echo "VERDICT pidlock.pml: PASS - errors: 0, exhaustive at N=3 TRIES=2 (I1 I2 I3 I5 assertions, no invalid end state, no non-progress cycle)"
else
  echo "VERDICT pidlock.pml: FAIL - see messages above"
fi

TOTAL="$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')"
if [[ "$FAILED" != 0 ]]; then
  echo "check.sh: FAILED (${TOTAL} s)" >&2
  exit 1
fi
echo "check.sh: OK (${TOTAL} s)"
