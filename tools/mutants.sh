#!/usr/bin/env bash
# Mutation testing of the protocol code: each mutant of tools/mutants/ (a
# small change to src/ that breaks one rule of spec/state_machine.md) is
# applied in a scratch copy of the tree, built and tested; a mutant that no
# test kills is a missing test. Reports a table (mutant, rule, killed by,
# seconds) and fails if any mutant survives or does not build. The format
# of a .mutant file is described in tools/mutants/mutant.py.
#
#   bash tools/mutants.sh                 # CI: the expected killer of each
#                                         # mutant, then `bazel test //...`
#                                         # for any it does not kill
#   bash tools/mutants.sh --all           # weekly: `bazel test //...` for
#                                         # every mutant (~2 min each)
#   bash tools/mutants.sh --only NAME     # one mutant (repeatable)
#   bash tools/mutants.sh --baseline      # only: the unmutated tree passes
#                                         # every expected killer (with
#                                         # --all: all of `bazel test //...`)
#   bash tools/mutants.sh --check         # only: every snippet still occurs
#                                         # exactly once in src/ (no build)
#
# Options: --scratch DIR keeps the scratch copy, its Bazel output base and
# disk cache in DIR, for the next run to reuse (default: a fresh directory,
# removed at the end); --working-tree copies the working tree (uncommitted
# changes and untracked files included) instead of HEAD.
#
# The scratch copy is never under /tmp: tests mount a tmpfs over /tmp, which
# would hide the output base from them. Mutants are never applied to this
# checkout. Each bazel command runs alone (one Bazel server, sequentially).
set -euo pipefail
cd "$(dirname "$0")/.."
readonly repo=$PWD

mode=fast
baseline_only=false
scratch=""
working_tree=false
only=()
while (($#)); do
  case $1 in
    --all) mode=all ;;
    --baseline) baseline_only=true ;;
    --check) mode=check ;;
    --only)
      [[ $# -ge 2 ]] || { echo "mutants.sh: --only needs a NAME" >&2; exit 64; }
      only+=("$2")
      shift
      ;;
    --scratch)
      [[ $# -ge 2 ]] || { echo "mutants.sh: --scratch needs a DIR" >&2; exit 64; }
      scratch=$2
      shift
      ;;
    --working-tree) working_tree=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "mutants.sh: unknown argument '$1' (see --help)" >&2
      exit 64
      ;;
  esac
  shift
done

readonly list=tools/mutants
mutant_py() { python3 "$repo/$list/mutant.py" "$@"; }

if [[ $mode == check ]]; then
  mutant_py check "$list" .
  exit
fi

# The scratch directory: tree/ (the copy), output_base/, disk_cache/, logs/.
keep_scratch=true
if [[ -z $scratch ]]; then
  scratch=$(mktemp -d /var/tmp/pidlock-mutants.XXXXXX)
  keep_scratch=false
fi
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
case $scratch/ in
  /tmp/*) echo "mutants.sh: $scratch: not under /tmp (tests mount over it)" >&2; exit 64 ;;
esac
readonly tree=$scratch/tree output_base=$scratch/output_base
readonly logs=$scratch/logs
bazel_in_tree() {
  (cd "$tree" && bazel --output_base="$output_base" "$@" \
    --disk_cache="$scratch/disk_cache")
}
cleanup() {
  if [[ -d $tree ]]; then mutant_py restore "$tree" || true; fi
  if [[ $keep_scratch == false ]]; then
    (cd "$tree" 2>/dev/null && bazel --output_base="$output_base" shutdown) \
      >/dev/null 2>&1 || true
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT

start_all=$SECONDS
rm -rf "$tree" "$logs"
mkdir -p "$tree" "$logs"
if [[ $working_tree == true ]]; then
  # Tracked files as they are now (a deleted one is skipped), and untracked
  # ones that are not ignored.
  git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -x -C "$tree"
  echo "mutants.sh: scratch copy of the working tree in $tree"
else
  git archive HEAD | tar -x -C "$tree"
  echo "mutants.sh: scratch copy of HEAD ($(git rev-parse --short HEAD)) in $tree"
fi

# The list of the copied tree (for HEAD: the committed list), checked
# against the copied src/ before anything is built.
if [[ ! -d $tree/$list ]]; then
  echo "mutants.sh: the copied tree has no $list/ (commit it, or use --working-tree)" >&2
  exit 2
fi
if ! mutant_py check "$tree/$list" "$tree"; then
  echo "mutants.sh: FAILED: fix the snippets above (the code they mutate changed)" >&2
  exit 2
fi
names=()
declare -A rule killer filter
while IFS=$'\t' read -r name r k f; do
  names+=("$name")
  rule[$name]=$r
  killer[$name]=$k
  filter[$name]=$f
done < <(mutant_py list "$tree/$list")
if ((${#only[@]})); then
  for name in "${only[@]}"; do
    [[ -n ${killer[$name]+set} ]] || { echo "mutants.sh: no mutant '$name'" >&2; exit 64; }
  done
  names=("${only[@]}")
fi

# Failed test targets of the bazel output in file $1, each with its first
# failed test case: "//tests:x (Suite.Case +2)".
failures() {
  local log=$1 target path cases first more
  { grep -oE '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log" || true; } |
    awk '{print $1}' | sort -u | while read -r target; do
      path=${target#//}
      cases=$({ grep -hoE '^\[  FAILED  \] [A-Za-z0-9_/]+\.[A-Za-z0-9_/.]+' \
        "$testlogs/${path/://}/test.log" 2>/dev/null || true; } |
        awk '{print $4}' | sort -u)
      first=$(head -n1 <<<"$cases")
      more=$(($(grep -c . <<<"$cases" || true) - 1))
      if [[ -z $first ]]; then
        if grep -qE "^$target +TIMEOUT" "$log"; then
          echo "$target (timeout)"
        else
          echo "$target"
        fi
      elif ((more > 0)); then
        echo "$target ($first +$more)"
      else
        echo "$target ($first)"
      fi
    done | paste -sd' ' -
}

# bazel test ARGS..., output in log file $1; prints "pass", "fail" or
# "broken" (bazel's exit code: 0, 3, or 1 for a build that failed).
run_tests() {
  local log=$1 rc=0
  shift
  bazel_in_tree test "$@" --test_summary=terse >"$log" 2>&1 || rc=$?
  case $rc in
    0) echo pass ;;
    3) echo fail ;;
    1) echo broken ;;
    *)
      echo "mutants.sh: bazel test $* exited $rc (see $log)" >&2
      tail -n 20 "$log" >&2
      exit 1
      ;;
  esac
}

# The unmutated tree must pass what the mutants are judged by: a "kill" is
# then never a failure that was there already.
baseline_targets=()
if [[ $mode == all ]]; then
  baseline_targets=(//...)
else
  mapfile -t baseline_targets < <(for n in "${names[@]}"; do echo "${killer[$n]}"; done | sort -u)
fi
echo "mutants.sh: the unmutated tree: bazel test ${baseline_targets[*]}"
t0=$SECONDS
result=$(run_tests "$logs/baseline.log" "${baseline_targets[@]}")
if [[ $result != pass ]]; then
  testlogs=$(bazel_in_tree info bazel-testlogs 2>/dev/null)
  echo "mutants.sh: FAILED: the unmutated tree does not pass: $(failures "$logs/baseline.log")" >&2
  tail -n 30 "$logs/baseline.log" >&2
  exit 1
fi
echo "mutants.sh: the unmutated tree passes ($((SECONDS - t0)) s)"
testlogs=$(bazel_in_tree info bazel-testlogs 2>/dev/null)
# A filter that matches no test case would pass every mutant: each must
# name at least one case of its killer (gtest binaries list them).
bin=$(bazel_in_tree info bazel-bin 2>/dev/null)
for name in "${names[@]}"; do
  [[ -n ${filter[$name]} ]] || continue
  path=${killer[$name]#//}
  binary=$bin/${path/://}
  listed=""
  if [[ -x $binary ]]; then
    listed=$("$binary" --gtest_list_tests --gtest_filter="${filter[$name]}" || true)
  fi
  if ! grep -q '^  ' <<<"$listed"; then
    echo "mutants.sh: FAILED: $name: 'filter: ${filter[$name]}' names no test of ${killer[$name]}" >&2
    exit 2
  fi
done
[[ $baseline_only == true ]] && exit 0

rows=()
elsewhere=()  # killed, but not by the expected killer (fix its .mutant)
survived=0
broken=0
for name in "${names[@]}"; do
  t0=$SECONDS
  mutant_py apply "$tree/$list" "$name" "$tree"
  log=$logs/$name.log
  args=("${killer[$name]}")
  [[ -n ${filter[$name]} ]] && args+=("--test_filter=${filter[$name]}")
  if [[ $mode == all ]]; then
    result=$(run_tests "$log" //... --keep_going)
  else
    result=$(run_tests "$log" "${args[@]}")
    if [[ $result == pass ]]; then
      # Not killed where expected: does any test kill it?
      mv "$log" "$logs/$name.fast.log"
      result=$(run_tests "$log" //... --keep_going)
      [[ $result == fail ]] && elsewhere+=("$name")
    fi
  fi
  mutant_py restore "$tree" >/dev/null
  case $result in
    fail) by=$(failures "$log") ;;
    pass)
      by="SURVIVED"
      survived=$((survived + 1))
      ;;
    broken)
      by="BROKEN (does not build)"
      broken=$((broken + 1))
      grep -E 'error:|ERROR:' "$log" | head -n 5 >&2 || true
      ;;
  esac
  row=$(printf '%-34s %-15s %5d  %s' "$name" "${rule[$name]}" $((SECONDS - t0)) "$by")
  echo "$row"
  rows+=("$row")
done

echo
printf '%-34s %-15s %5s  %s\n' mutant rule secs "killed by"
printf '%s\n' "${rows[@]}"
echo
echo "mutants.sh: ${#names[@]} mutants, $((${#names[@]} - survived - broken)) killed," \
  "$survived survived, $broken broken; $((SECONDS - start_all)) s in all" \
  "(mode: $mode)"
if ((${#elsewhere[@]})); then
  echo "mutants.sh: not killed by their expected killer (fix the 'killer:' line):" \
    "${elsewhere[*]}"
fi
[[ $keep_scratch == true ]] && echo "mutants.sh: bazel output of each mutant: $logs/NAME.log"
((survived == 0 && broken == 0))
