#!/usr/bin/env bash
# Model-checks the pidlock protocol with SPIN (see spec/state_machine.md, section 10: each
# run's name below is the "checked by" of the claims there).
#
#   spec/pidlock.pml  the protocol as implemented (T21, the witness required, the Zombie and
#                     start-time rules, the bounded flock wait, the round bound, the holder
#                     as a job: the job witness (byte 1) taken after the symlinkat, JobAlive,
#                     JobUnverifiable, R1's re-test of the job witness under the flock (T22),
#                     release dropping both witnesses; the process model: identity (pid
#                     number, namespace, token), the fork child as a process whose Release is
#                     a close (I7), exec keeping the descriptor, a virtualised boot id judged
#                     by the witness; Acquire's wait) in the hostile environment (SIGKILL
#                     anywhere, PID reuse, inode+mtime reuse, witness failures, main-thread
#                     exit, SIGSTOP holding the flock, another PID namespace, boot id and time
#                     namespace, a job member outliving its recording process, a hand removal
#                     of the lock at any instant, the cmdline identity).  Must verify
#                     exhaustively ("errors: 0": no assertion violation, no invalid end
#                     state): safety at N=3 TRIES=2 without hand removal, and with it at N=3
#                     TRIES=1 and N=2 TRIES=3 (and N=3 TRIES=1 with the cmdline identity); no
#                     non-progress cycle (N=2 TRIES=3; N=3 TRIES=1 with hand removal); the
#                     LTL property `takeover` under weak fairness (-DLIVENESS: a TryAcquire
#                     loop at N=3 TRIES=2, and the Acquire waiter with hand removal at N=3
#                     TRIES=1: I4, I6), and with two persistent acquirers `someone`
#                     (-DTWO_TRIERS: C2 is resolved).
#   spec/seed.pml     the original npm pidlock 0.1.0 algorithm: must FAIL with the
#                     mutual-exclusion (I1) violation; its shortest counterexample (BFS)
#                     must equal the committed spec/seed.pml.trail, which
#                     spec/seed_counterexample.md explains step by step.
#   each fix needed   pidlock.pml with one fix of section 11 removed (W1 W2 Z1 N1 F1 X1, the
#                     job's J1 J2 J3 J4 J5, C2's job witness, R1's re-test, the process
#                     identity K1, S14 (K2, by a hand removal and by the cmdline identity),
#                     the virtualised boot id B1, Acquire's retry after arming A1 and its
#                     inotify watch A2, and takeover at all), and with T21 going back to S3
#                     instead of S6: each must FAIL, with the expected kind of violation (J4,
#                     C2, A1, A2 and the never-take-over mutant: a liveness property; R1: only
#                     with a wrong /proc and the job witness taken with the symlink,
#                     -DJOB_WITNESS_AT_SYMLINK).  A run restricted to fewer behaviours (e.g.
#                     -DHANDS=0) that fails is a failure of the whole model too.
#   limitations       F1 D1 D2: `takeover` without one part of its premise must FAIL (a member
#                     keeps the flock of a holder killed in its release; a job displaced by a
#                     hand removal keeps its witnesses; a live process keeps the lock its
#                     release left); D3: two Locks of one process on one key must FAIL I3.
#
# Usage: spec/check.sh [--mutants] [--extended] [--update-trail]
#   --mutants       also check that broken variants of pidlock.pml fail (the checks are not vacuous)
#   --extended      also verify the expensive sizes: safety at N=3 TRIES=2 with hand removal
#                   (38 million states, over 4 GB), the non-progress check at N=3 TRIES=2,
#                   the Acquire waiter at N=3 TRIES=2 (38 million states), the cmdline
#                   identity and the second Lock (without hand removal) at N=3 TRIES=2, other
#                   sizes without hand removal (N=2 TRIES=5; N=4 TRIES=1, also
#                   non-progress; with it N=4 TRIES=1 is 40 million states), -DNO_WITNESS,
#                   -DNO_JOB, -DNO_FORK_STEPS, -DJOB_ANY_SLOT, the liveness property at N=2
#                   TRIES=3 and of the TryAcquire loop with hand removal at N=3 TRIES=1, two
#                   persistent acquirers under the old job-less rule (-DJUDGE_IGNORES_JOB),
#                   and the hypothetical -DJOB_WITNESS_AT_SYMLINK alone and with the Zombie
#                   rule, the normalisation or the probe broken (R1 then catches every wrong
#                   DEAD).  Hours of CPU at most; needs 8 GB.
#   --update-trail  copy the shortest seed trail found now to spec/seed.pml.trail
# Runs from any directory; all SPIN/gcc output goes to a temporary directory that is removed.
# The liveness runs and the hand-removal runs run in the background, one after the other, in
# parallel with the rest (two CPU-bound processes at most).
# Exit status 0 only when every required verdict holds (the "VERDICT" lines).
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
    -h|--help) sed -n '2,62p' "${BASH_SOURCE[0]}"; exit 0 ;;
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
BG2_PID=""
cleanup() {
  local pid file
  for pid in $BG2_PID; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true  # its process group
    wait "$pid" 2>/dev/null || true
  done
  for file in "$WORK"/*/pid; do           # a verifier still running (interrupted)
    [[ -f "$file" ]] && kill "$(cat "$file")" 2>/dev/null || true
  done
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
  # pan's exit status does not tell verified from violated; its report does.  Its PID is
  # kept in $dir/pid, so that cleanup can end it if check.sh is interrupted.
  # shellcheck disable=SC2086
  (cd "$dir" && exec ./pan $pan_flags >pan.out 2>&1) &
  echo "$!" >"$dir/pid"
  wait "$!" || true
  rm -f "$dir/pid"
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
  what="$(grep -m1 -oE '(assertion violated|invalid end state|non-progress cycle|acceptance cycle).*' "$OUT" | cut -c1-100)"
  echo "    found: ${what:-?}"
  if [[ -n "$want" ]] && ! grep -qE "$want" <<<"$what"; then
    fail "$name: the violation found is not the expected one ($want)"
    return 1
  fi
}

SAFETY_CC="-DSAFETY -DMEMLIM=4096 -w"
NP_CC="-DNP -DMEMLIM=4096 -w"
# LTL with weak fairness (pan -a -f): one never claim, NFAIR counts the processes.
LIVE_CC="-DNFAIR=3 -DMEMLIM=4096 -w"
LIVE_PAN="-a -f -m100000"
# I1 and I2: the symlinkat assertion (holder==0), the S9 assertion (taint||cmdv), the
# displaced-only assertions at S14 and S11/S12 (lost[p]), the Monitor's two.
I1_I2='assertion violated (\(taint\[p\]\|\|cmdv\)|\(\(?holder==0\)|lost\[p\]|\(\(\(\()'
# I3: the S15 assertion (what its releaser created), the fork child's S15 (it created
# nothing), the S9 assertion (what S8 confirmed).
I3='assertion violated (\(taint\[p\]\|\|\(+lock==(me|seen)\)|\(lock==0\))'
# Runs that must fail stop at the first error, within a second: compiling pan.c with -O2
# would take longer than the search (gcc takes the last -O).
QUICK="-O0"
# I5: the S9 assertion that only a DEAD verdict is taken over.
I5='assertion violated \(verdict=='
# Without hand removal (the default model has one, at any instant: HANDS=1).
NOHAND="-DHANDS=0"

# Required runs that must verify, in the background, one after the other, while the others
# run (in a process group of their own, which cleanup kills with them); reported at the end.
BG_RUNS=(
  "pidlock.pml liveness N=3 TRIES=2 TryAcquire loop (LTL takeover)"
  "pidlock.pml liveness N=3 TRIES=1 Acquire waiter, hand removal (LTL takeover)"
  "pidlock.pml safety N=3 TRIES=1 hand removal"
  "pidlock.pml safety N=2 TRIES=3 hand removal"
  "pidlock.pml safety N=3 TRIES=1 cmdline, hand removal"
  "pidlock.pml non-progress N=3 TRIES=1 hand removal"
)
set -m
(
  execute "${BG_RUNS[0]}" pidlock.pml "-DLIVENESS -DTRY_LOOP $NOHAND" "$LIVE_CC" "$LIVE_PAN"
  execute "${BG_RUNS[1]}" pidlock.pml "-DLIVENESS -DN=3 -DTRIES=1" "$LIVE_CC" "$LIVE_PAN"
  execute "${BG_RUNS[2]}" pidlock.pml "-DN=3 -DTRIES=1" "$SAFETY_CC" "-m10000"
  execute "${BG_RUNS[3]}" pidlock.pml "-DN=2 -DTRIES=3" "$SAFETY_CC" "-m10000"
  execute "${BG_RUNS[4]}" pidlock.pml "-DN=3 -DTRIES=1 -DCMDLINE" "$SAFETY_CC" "-m10000"
  execute "${BG_RUNS[5]}" pidlock.pml "-DN=3 -DTRIES=1" "$NP_CC" "-l -m100000"
) &
BG2_PID=$!
set +m

echo "== pidlock.pml: the implementation in the hostile environment (must verify)"
MAIN_OK=1
expect_verified "pidlock.pml safety N=3 TRIES=2" pidlock.pml "$NOHAND" "$SAFETY_CC" "-m10000" || MAIN_OK=0
expect_verified "pidlock.pml non-progress N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3 $NOHAND" "$NP_CC" "-l -m100000" || MAIN_OK=0
expect_verified "pidlock.pml liveness -DTWO_TRIERS (LTL someone)" pidlock.pml "-DLIVENESS -DTWO_TRIERS $NOHAND" "$LIVE_CC" "$LIVE_PAN" || MAIN_OK=0
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
expect_violation "W1 -DWITHOUT_T21" pidlock.pml "-DWITHOUT_T21 $NOHAND" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "W1 -DT21_BACK_TO_S3 non-progress N=2 TRIES=3" pidlock.pml "-DN=2 -DTRIES=3 -DT21_BACK_TO_S3" "$NP_CC $QUICK" "-l -m100000" "non-progress cycle" || FIXES_OK=0
expect_violation "W2 -DWITHOUT_WITNESS_REQUIRED" pidlock.pml "-DWITHOUT_WITNESS_REQUIRED $NOHAND" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "Z1 -DNOTES_ZOMBIE_RULE" pidlock.pml "-DNOTES_ZOMBIE_RULE" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "N1 -DWITHOUT_TIMENS_NORMALISATION" pidlock.pml "-DWITHOUT_TIMENS_NORMALISATION" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "F1 -DWITHOUT_FLOCK_TIMEOUT" pidlock.pml "-DWITHOUT_FLOCK_TIMEOUT" "$SAFETY_CC $QUICK" "-m10000" "invalid end state" || FIXES_OK=0
expect_violation "X1 -DEXEC_CLOSES_DESCRIPTOR" pidlock.pml "-DEXEC_CLOSES_DESCRIPTOR" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "J1 -DJUDGE_IGNORES_JOB" pidlock.pml "-DJUDGE_IGNORES_JOB" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "J2 -DJOB_ERROR_IS_DEAD" pidlock.pml "-DJOB_ERROR_IS_DEAD" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2|$I5" || FIXES_OK=0
expect_violation "J3 -DWITHOUT_JOB_DESCRIPTOR" pidlock.pml "-DWITHOUT_JOB_DESCRIPTOR" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "J4 -DRELEASE_ONLY_CLOSES liveness" pidlock.pml "-DLIVENESS -DRELEASE_ONLY_CLOSES" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || FIXES_OK=0
expect_violation "J5 -DWITHOUT_JOB_WITNESS_REQUIRED" pidlock.pml "-DWITHOUT_JOB_WITNESS_REQUIRED" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "C2 -DJOB_WITNESS_IS_BYTE0 -DTWO_TRIERS liveness" pidlock.pml "-DLIVENESS -DTWO_TRIERS -DJOB_WITNESS_IS_BYTE0" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || FIXES_OK=0
expect_violation "R1 -DWITHOUT_JOB_RETEST (Z1 broken, job witness at symlink)" pidlock.pml "-DWITHOUT_JOB_RETEST -DNOTES_ZOMBIE_RULE -DJOB_WITNESS_AT_SYMLINK" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "K1 -DIDENTITY_BY_PID_NUMBER" pidlock.pml "-DIDENTITY_BY_PID_NUMBER" "$SAFETY_CC $QUICK" "-m10000" "$I3" || FIXES_OK=0
expect_violation "K2 -DWITHOUT_S14 (hand removal)" pidlock.pml "-DWITHOUT_S14" "$SAFETY_CC $QUICK" "-m10000" "$I3" || FIXES_OK=0
expect_violation "K2 -DWITHOUT_S14 -DCMDLINE (no hand removal)" pidlock.pml "-DWITHOUT_S14 -DCMDLINE $NOHAND" "$SAFETY_CC $QUICK" "-m10000" "$I3" || FIXES_OK=0
expect_violation "B1 -DVIRTUAL_BOOT_ID_IS_PREVIOUS_BOOT" pidlock.pml "-DVIRTUAL_BOOT_ID_IS_PREVIOUS_BOOT $NOHAND" "$SAFETY_CC $QUICK" "-m10000" "$I1_I2" || FIXES_OK=0
expect_violation "A1 -DWAIT_ARM_AFTER_TRY liveness N=3 TRIES=1" pidlock.pml "-DLIVENESS -DN=3 -DTRIES=1 -DWAIT_ARM_AFTER_TRY" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || FIXES_OK=0
expect_violation "A2 -DWAIT_NO_WATCH liveness N=3 TRIES=1" pidlock.pml "-DLIVENESS -DN=3 -DTRIES=1 -DWAIT_NO_WATCH" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || FIXES_OK=0
expect_violation "-DMUTANT_NEVER_TAKE_OVER liveness" pidlock.pml "-DLIVENESS -DMUTANT_NEVER_TAKE_OVER" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || FIXES_OK=0
if [[ "$FIXES_OK" == 1 ]]; then
  echo "VERDICT each fix needed: PASS - without T21 (or with T21 back to S3), the required witness, the thread-count Zombie rule, start-time normalisation, the flock timeout, the descriptor kept across exec, the job rule, JobUnverifiable, the inherited descriptor, the F_UNLCK at release, the required job witness, the job witness on a byte of its own (C2), R1's re-test (with a wrong /proc), the fork token, S14, the witness for another boot id, Acquire's retry after arming or its inotify watch, or any takeover at all, the model fails"
else
  echo "VERDICT each fix needed: FAIL - see messages above"
fi

echo "== documented limitations (sections 9 and 11; each must fail as described)"
LIMITS_OK=1
expect_violation "F1 -DCALM_IGNORES_FLOCK liveness" pidlock.pml "-DLIVENESS -DCALM_IGNORES_FLOCK $NOHAND" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || LIMITS_OK=0
expect_violation "D1 -DCALM_IGNORES_DISPLACED liveness" pidlock.pml "-DLIVENESS -DTRY_LOOP -DCALM_IGNORES_DISPLACED" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || LIMITS_OK=0
expect_violation "D2 -DCALM_IGNORES_LEFTOVER liveness" pidlock.pml "-DLIVENESS -DCALM_IGNORES_LEFTOVER $NOHAND" "$LIVE_CC $QUICK" "$LIVE_PAN" "acceptance cycle" || LIMITS_OK=0
expect_violation "D3 -DSECOND_LOCK" pidlock.pml "-DSECOND_LOCK" "$SAFETY_CC $QUICK" "-m10000" "$I3" || LIMITS_OK=0
if [[ "$LIMITS_OK" == 1 ]]; then
  echo "VERDICT limitations: PASS - F1: a job member that keeps the flock of a holder killed in its release blocks takeovers for as long as it runs; D1: so does a job displaced by a hand removal, with its witnesses; D2: a live process keeps the lock its release left (KeyDirectoryBusy); D3: a second Lock of one process on one key can have its symlink removed by the first one's release"
else
  echo "VERDICT limitations: FAIL - see messages above"
fi

if [[ "$EXTENDED" == 1 ]]; then
  echo "== pidlock.pml, other sizes (must verify; not required)"
  BIG_CC="-DSAFETY -DMEMLIM=8192 -w"
  expect_verified "pidlock.pml safety N=3 TRIES=2 hand removal" pidlock.pml "" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml non-progress N=3 TRIES=2" pidlock.pml "$NOHAND" "-DNP -DMEMLIM=8192 -w" "-l -m100000" || true
  expect_verified "pidlock.pml liveness N=3 TRIES=2 Acquire waiter" pidlock.pml "-DLIVENESS $NOHAND" "-DNFAIR=3 -DMEMLIM=8192 -w" "$LIVE_PAN" || true
  expect_verified "pidlock.pml safety N=3 TRIES=2 cmdline" pidlock.pml "-DCMDLINE $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml safety N=3 TRIES=2 -DSECOND_LOCK" pidlock.pml "-DSECOND_LOCK $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml N=2 TRIES=5" pidlock.pml "-DN=2 -DTRIES=5 $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml N=4 TRIES=1" pidlock.pml "-DN=4 -DTRIES=1 $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml non-progress N=4 TRIES=1" pidlock.pml "-DN=4 -DTRIES=1 $NOHAND" "-DNP -DMEMLIM=8192 -w" "-l -m100000" || true
  expect_verified "pidlock.pml -DNO_WITNESS" pidlock.pml "-DNO_WITNESS $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml -DNO_JOB" pidlock.pml "-DNO_JOB $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml -DNO_FORK_STEPS" pidlock.pml "-DNO_FORK_STEPS $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml -DJOB_ANY_SLOT" pidlock.pml "-DJOB_ANY_SLOT $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml liveness N=2 TRIES=3 Acquire waiter, hand removal" pidlock.pml "-DLIVENESS -DN=2 -DTRIES=3" "$LIVE_CC" "$LIVE_PAN" || true
  expect_verified "pidlock.pml liveness N=3 TRIES=1 TryAcquire loop, hand removal" pidlock.pml "-DLIVENESS -DTRY_LOOP -DN=3 -DTRIES=1" "$LIVE_CC" "$LIVE_PAN" || true
  expect_verified "pidlock.pml liveness -DTWO_TRIERS -DJUDGE_IGNORES_JOB" pidlock.pml "-DLIVENESS -DTWO_TRIERS -DJUDGE_IGNORES_JOB" "$LIVE_CC" "$LIVE_PAN" || true
  # R1 (section 11): with the job witness taken in the same step as the symlinkat (no
  # window), the re-test under the flock catches every wrong DEAD from /proc, so the model
  # verifies even with the Zombie rule, the normalisation or the probe broken.  (With the
  # code's window it does not: Z1, N1 and PROBE_MAY_ERR fail.)
  expect_verified "pidlock.pml -DJOB_WITNESS_AT_SYMLINK" pidlock.pml "-DJOB_WITNESS_AT_SYMLINK $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml -DJOB_WITNESS_AT_SYMLINK -DNOTES_ZOMBIE_RULE" pidlock.pml "-DJOB_WITNESS_AT_SYMLINK -DNOTES_ZOMBIE_RULE $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml -DJOB_WITNESS_AT_SYMLINK -DPROBE_MAY_ERR" pidlock.pml "-DJOB_WITNESS_AT_SYMLINK -DPROBE_MAY_ERR $NOHAND" "$BIG_CC" "-m10000" || true
  expect_verified "pidlock.pml -DJOB_WITNESS_AT_SYMLINK -DWITHOUT_TIMENS_NORMALISATION" pidlock.pml "-DJOB_WITNESS_AT_SYMLINK -DWITHOUT_TIMENS_NORMALISATION $NOHAND" "$BIG_CC" "-m10000" || true
fi

if [[ "$MUTANTS" == 1 ]]; then
  echo "== pidlock.pml mutants (each must fail; not required)"
  for m in "-DMUTANT_NO_FLOCK" "-DMUTANT_NO_CONFIRM" "-DPROBE_MAY_ERR"; do
    expect_violation "pidlock.pml $m" pidlock.pml "$m" "$SAFETY_CC $QUICK" "-m10000" || true
  done
  echo "== seed.pml, other properties (each must fail)"
  expect_violation "seed.pml -DCHECK_I3" seed.pml "-DCHECK_I3" "$SAFETY_CC" "-m10000" || true
  expect_violation "seed.pml -DCHECK_I2" seed.pml "-DCHECK_I2" "$SAFETY_CC" "-m10000" || true
fi

echo "== pidlock.pml: the runs in the background (must verify)"
wait "$BG2_PID" || true
BG2_PID=""
for name in "${BG_RUNS[@]}"; do
  check_verified "$name" || MAIN_OK=0
done
if [[ "$MAIN_OK" == 1 ]]; then
  echo "VERDICT pidlock.pml: PASS - errors: 0, exhaustive: safety (I1 I2 I3 I5 I7 assertions, no invalid end state) at N=3 TRIES=2, with hand removal at N=3 TRIES=1 and N=2 TRIES=3, with the cmdline identity at N=3 TRIES=1; no non-progress cycle at N=2 TRIES=3 and (with hand removal) N=3 TRIES=1; LTL takeover under weak fairness (a TryAcquire loop at N=3 TRIES=2, the Acquire waiter with hand removal at N=3 TRIES=1), and someone with two persistent acquirers"
else
  echo "VERDICT pidlock.pml: FAIL - see messages above"
fi

TOTAL="$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')"
if [[ "$FAILED" != 0 ]]; then
  echo "check.sh: FAILED (${TOTAL} s)" >&2
  exit 1
fi
echo "check.sh: OK (${TOTAL} s)"
