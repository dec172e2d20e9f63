#!/usr/bin/env bash
# Directories nobody else can subvert. In a mount namespace of its own with
# fresh tmpfs /tmp, /dev/shm and /run, real users play the parts: uid 65534
# runs jobs, uid 1000 is another local user who squats default directories,
# owns or opens DIR, and tries to rename a held key directory aside (which
# would let a second holder in). Needs root (for the namespace and the
# users): without it, every case is reported skipped, none passed.
#
#   cli_directory_test.sh PIDLOCK
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cli_checks.sh"

PIDLOCK="$1"
if [[ "${2:-}" != --inside ]]; then
  if [[ $(id -u) -ne 0 ]] || ! unshare -m --propagation private true 2>/dev/null ||
     ! command -v setpriv >/dev/null; then
    skip "every case" "needs root, unshare -m and setpriv"
    finish cli_directory_test
    exit
  fi
  exec unshare -m --propagation private bash "$0" "$PIDLOCK" --inside
fi

mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /tmp/bin && chmod 755 /tmp/bin
cp "$PIDLOCK" /tmp/bin/pidlock && chmod 755 /tmp/bin/pidlock
P=/tmp/bin/pidlock
unset PIDLOCK_DIR XDG_RUNTIME_DIR
trap 'kill $(jobs -p) 2>/dev/null' EXIT

as() {  # as UID COMMAND...
  local uid=$1
  shift
  setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
}

# 1. A squatted default directory: uid 1000 made uid 65534's default (and
#    the old fallback) first. A cron job of 65534 (no XDG_RUNTIME_DIR) is
#    refused with the squatter's uid, and nothing falls back elsewhere.
as 1000 mkdir -m 0755 /dev/shm/pidlock-65534
as 1000 mkdir -m 0777 /tmp/pidlock-65534
err=$(as 65534 "$P" run --key job -- true 2>&1); check "squatted default: refused" 76 $?
contains "squatted default: names it" "pidlock: /dev/shm/pidlock-65534:" "$err"
contains "squatted default: names the squatter" "owned by uid 1000, mode 0755" "$err"
contains "squatted default: stable name" "(PathComponentWrongOwner in OPENING_KEY_DIRECTORY)" "$err"
[[ -e /tmp/pidlock-65534/job || -e /dev/shm/pidlock-65534/job ]]
check "squatted default: nothing created" 1 $?
rmdir /dev/shm/pidlock-65534 /tmp/pidlock-65534
as 1000 ln -s /tmp /dev/shm/pidlock-65534
err=$(as 65534 "$P" run --key job -- true 2>&1); check "squatted by a symlink: refused" 76 $?
contains "squatted by a symlink: says so" "a symlink owned by uid 1000" "$err"
rm /dev/shm/pidlock-65534

# 2. One default per user, from the uid alone: a login shell's run (with
#    XDG_RUNTIME_DIR) and a cron job's (without) are the same lock.
mkdir -p /run/user/65534 && chown 65534:65534 /run/user/65534 && chmod 700 /run/user/65534
as 65534 env XDG_RUNTIME_DIR=/run/user/65534 "$P" run --key job -- sleep 30 &
holder=$!
wait_for test -L /dev/shm/pidlock-65534/job/lock
check "default: /dev/shm/pidlock-UID" 0 $?
check "default: created 0700 by its user" "700 65534" "$(stat -c '%a %u' /dev/shm/pidlock-65534)"
as 65534 "$P" run --key job -- true 2>/dev/null; check "default: same without XDG_RUNTIME_DIR" 75 $?
as 65534 env PIDLOCK_DIR=/run/user/65534 "$P" run --key job -- true
check "PIDLOCK_DIR overrides" 0 $?
kill "$holder"; wait "$holder" 2>/dev/null
"$P" run --key rootjob -- sh -c 'test -L /run/pidlock/rootjob/lock'; check "root: /run/pidlock" 0 $?

# 3. DIR owned by another user, root as the caller: that user could rename
#    the key directory away. Refused, naming DIR and its owner.
as 1000 mkdir -m 0755 /tmp/theirs
err=$("$P" run --dir /tmp/theirs --key job -- true 2>&1); check "DIR of another user: refused" 76 $?
contains "DIR of another user: names it" "pidlock: /tmp/theirs: owned by another user" "$err"
contains "DIR of another user: its owner" "owned by uid 1000, mode 0755" "$err"
as 1000 mkdir -m 0700 /tmp/theirs/deeper && chown 0:0 /tmp/theirs/deeper
err=$("$P" run --dir /tmp/theirs/deeper --key job -- true 2>&1); check "ancestor of another user: refused" 76 $?
contains "ancestor of another user: names the ancestor" "pidlock: /tmp/theirs: owned by another user" "$err"

# 4. A world-writable DIR without the sticky bit: anyone could rename.
mkdir -m 0777 /tmp/open && chmod 0777 /tmp/open
err=$("$P" run --dir /tmp/open --key job -- true 2>&1); check "open DIR: refused" 76 $?
contains "open DIR: names it" "pidlock: /tmp/open: writable by group or others and not sticky" "$err"
contains "open DIR: its mode" "mode 0777" "$err"
mkdir -m 0775 /tmp/group && chmod 0775 /tmp/group
"$P" run --dir /tmp/group --key job -- true 2>/dev/null; check "group-writable DIR: refused" 76 $?

# 5. A sticky shared DIR (/tmp itself): the key directory is the caller's,
#    and the sticky bit keeps the other user from renaming it, so a second
#    holder stays out.
as 65534 "$P" run --dir /tmp --key shared -- sleep 30 &
holder=$!
wait_for test -L /tmp/shared/lock
as 1000 mv /tmp/shared /tmp/shared.aside 2>/dev/null; check "sticky DIR: the rename is refused" 1 $?
as 65534 "$P" run --dir /tmp --key shared -- true 2>/dev/null; check "sticky DIR: second holder refused" 75 $?
kill "$holder"; wait "$holder" 2>/dev/null
as 1000 mkdir -m 0700 /tmp/squat
err=$(as 65534 "$P" run --dir /tmp --key squat -- true 2>&1); check "sticky DIR: a squatted key" 76 $?
contains "sticky DIR: the squatted key named" "/tmp/squat: the key directory is owned by another user" "$err"

finish cli_directory_test
