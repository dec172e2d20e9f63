/*
 * seed.pml -- Promela model of the ORIGINAL algorithm, npm pidlock 0.1.0
 * (lib/pidlock.js, function guard()), in the harness of pidlock.pml.
 *
 * The original, step by step (one Promela step = one system call):
 *   WIPING_OLD_RUN_WITH_THIS_PID     rmdir(<dir>/<key>/<pid>)         (own directory; no shared effect)
 *   CREATING_NEW_DATA_FOR_THIS_PID   mkdir -p <dir>/<key>/<pid>       (own directory; no shared effect)
 *   ATTEMPTING_TO_CREATE_A_SYMLINK   symlink(me_dir, lock): ok -> OK; EEXIST -> GET_OTHER_CMD
 *   GET_OTHER_CMD                    readlink(lock) -> other pid (throws if gone: refuse);
 *                                    then read /proc/<other>/cmdline: readable and equal to
 *                                    ours -> CONFIRMED_TO_NOT_START, else REMOVING_STALE_LOCK
 *   REMOVING_STALE_LOCK              unlink(lock), errors ignored (then rmdir(lock), which
 *                                    cannot remove a symlink: no effect, folded in)
 *   CREATING_NEW_SYMLINK             symlink(me_dir, lock): ok -> OK_STALE_LOCK_REMOVED;
 *                                    EEXIST throws -> refuse
 *   release (exit hook; the original names no states for it; the names of
 *   pidlock's release are borrowed):  readlink(lock) == me_dir  (CONFIRMING_OWN_LOCK),
 *                                    then unlink(lock)            (REMOVING_OWN_LOCK)
 * No flock; the lock names a pid only (its target is <dir>/<key>/<pid>).
 *
 * Harness (identical to pidlock.pml): N pid slots, incarnations (pid reuse), SIGKILL before
 * any step, bounded attempts, initial stale lock naming pid 0 whose process is dead.
 * The original's liveness test: /proc/<pid>/cmdline is readable and equals ours, i.e. SOME
 * process of this application currently has that pid (any incarnation: it cannot tell a
 * reused pid from the holder).
 *
 * Property checked by default: I1 mutual exclusion (assert(holder == NONE) when a symlink
 * succeeds).  spin finds it violated (see spec/seed_counterexample.md).
 * -DCHECK_I3 also asserts that every unlink removes what was confirmed (I3 for the
 * takeover and for release); -DCHECK_I2 adds the "live holder's lock stays" monitor.
 * They are off by default so that the shortest trail is the mutual-exclusion one.
 */

#ifndef N
#define N 3
#endif
#ifndef TRIES
#define TRIES 2
#endif

#define INCS     (TRIES + 1)
#define NONE     0
#define ID(p, i) ((p) * INCS + (i) + 1)
#define PIDLINK(p) ((p) + 1)                 /* lock target <dir>/<key>/<pid> */
#define PID_OF_LINK(l) ((l) - 1)

mtype = {
  WIPING_OLD_RUN_WITH_THIS_PID,
  CREATING_NEW_DATA_FOR_THIS_PID,
  ATTEMPTING_TO_CREATE_A_SYMLINK,
  GET_OTHER_CMD,
  CONFIRMED_TO_NOT_START,
  REMOVING_STALE_LOCK,
  CREATING_NEW_SYMLINK,
  OK,
  OK_STALE_LOCK_REMOVED,
  CONFIRMING_OWN_LOCK,     /* borrowed: the exit hook's readlink */
  REMOVING_OWN_LOCK,       /* borrowed: the exit hook's unlink   */
  RELEASED                 /* borrowed: the exit hook has run    */
};
mtype = { REFUSED, KILLED, EXITED };      /* model-only values */

byte lock = PIDLINK(0);  /* initial stale lock: names pid 0, whose process is dead */
byte lock_ver = 1;       /* inode of the current symlink (only used by CHECK_I3/CHECK_I2) */
byte vers = 1;

byte inc[N];
bool running[N];
mtype st[N];
byte sub[N];

byte holder = NONE;      /* ghost: identity of the live process that believes it holds the lock */
byte holder_ver;

inline create(p, me) {
  vers++;
  lock = PIDLINK(p);
  lock_ver = vers;
  assert(holder == NONE);          /* I1: nobody else believes it holds the lock */
  holder = me;
  holder_ver = vers
}

proctype Proc(byte p) {
  byte me;          /* identity (pid, incarnation) */
  byte tries;
  byte other;       /* GET_OTHER_CMD: link read by readlink */
  byte other_ver;   /* ghost: inode of the link readlink read */
  byte my_ver;      /* ghost: inode of the link this process created */

  d_step {
    if
    :: running[p] -> me = ID(p, inc[p]); tries = 1
    :: else
    fi
  };

  do
  :: d_step { st[p] == WIPING_OLD_RUN_WITH_THIS_PID -> st[p] = CREATING_NEW_DATA_FOR_THIS_PID }
  :: d_step { st[p] == CREATING_NEW_DATA_FOR_THIS_PID -> st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK }
  :: d_step { st[p] == ATTEMPTING_TO_CREATE_A_SYMLINK ->            /* symlink */
       if
       :: lock == NONE -> create(p, me); my_ver = lock_ver; st[p] = OK
       :: else -> st[p] = GET_OTHER_CMD; sub[p] = 0
       fi }
  :: d_step { st[p] == GET_OTHER_CMD && sub[p] == 0 ->                 /* readlink */
       if
       :: lock == NONE -> st[p] = REFUSED                           /* throws */
       :: else -> other = lock; other_ver = lock_ver; sub[p] = 1
       fi }
  :: d_step { st[p] == GET_OTHER_CMD && sub[p] == 1 ->                 /* read /proc/<other>/cmdline */
       if
       :: running[PID_OF_LINK(other)] -> st[p] = CONFIRMED_TO_NOT_START
       :: else -> st[p] = REMOVING_STALE_LOCK
       fi;
       sub[p] = 0 }
  :: d_step { st[p] == REMOVING_STALE_LOCK ->                       /* unlink, errors ignored */
#ifdef CHECK_I3
       assert(lock == NONE || (lock == other && lock_ver == other_ver));
#endif
       lock = NONE; st[p] = CREATING_NEW_SYMLINK; other = NONE; other_ver = 0 }
  :: d_step { st[p] == CREATING_NEW_SYMLINK ->                      /* symlink */
       if
       :: lock == NONE -> create(p, me); my_ver = lock_ver; st[p] = OK_STALE_LOCK_REMOVED
       :: else -> st[p] = REFUSED                                   /* throws */
       fi }
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) -> st[p] = CONFIRMING_OWN_LOCK }
  :: d_step { st[p] == CONFIRMING_OWN_LOCK ->                       /* readlink == me_dir ? */
       if
       :: lock == PIDLINK(p) -> st[p] = REMOVING_OWN_LOCK
       :: else -> if :: holder == me -> holder = NONE :: else fi; st[p] = RELEASED
       fi }
  :: d_step { st[p] == REMOVING_OWN_LOCK ->                         /* unlink */
#ifdef CHECK_I3
       assert(lock == NONE || (lock == PIDLINK(p) && lock_ver == my_ver));
#endif
       lock = NONE;
       if :: holder == me -> holder = NONE :: else fi;
       st[p] = RELEASED; my_ver = 0 }

  :: d_step { running[p] && tries < TRIES &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       tries++; st[p] = WIPING_OLD_RUN_WITH_THIS_PID; other = NONE; other_ver = 0; sub[p] = 0 }
  :: d_step { running[p] &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       running[p] = false; st[p] = EXITED; other = NONE; other_ver = 0; sub[p] = 0 }
  :: d_step { !running[p] && tries < TRIES ->                     /* a new process reuses pid p */
       inc[p]++; me = ID(p, inc[p]); running[p] = true; tries++;
       st[p] = WIPING_OLD_RUN_WITH_THIS_PID }
  :: !running[p] -> break

  :: d_step { running[p] ->                                       /* SIGKILL */
       if :: holder == me -> holder = NONE :: else fi;
       running[p] = false; st[p] = KILLED; sub[p] = 0;
       other = NONE; other_ver = 0; my_ver = 0 }
  od
}

/* The "holding" condition of I1, from the original's states: OK / OK_STALE_LOCK_REMOVED up to
 * the exit hook's unlink. */
#define HOLDING(q) (st[q] == OK || st[q] == OK_STALE_LOCK_REMOVED || \
                    st[q] == CONFIRMING_OWN_LOCK || st[q] == REMOVING_OWN_LOCK)
#if N == 2
#define NHOLDING (HOLDING(0) + HOLDING(1))
#elif N == 3
#define NHOLDING (HOLDING(0) + HOLDING(1) + HOLDING(2))
#elif N == 4
#define NHOLDING (HOLDING(0) + HOLDING(1) + HOLDING(2) + HOLDING(3))
#elif N == 5
#define NHOLDING (HOLDING(0) + HOLDING(1) + HOLDING(2) + HOLDING(3) + HOLDING(4))
#else
#error "NHOLDING: N must be 2..5"
#endif

#define PID_OF_HOLDER ((holder - 1) / INCS)

/* Monitor: I1 from the states (as in pidlock.pml); with -DCHECK_I2 also "a live holder's lock
 * stays on disk". */
active proctype Monitor() {
end:
  atomic {
    (NHOLDING > 1
#ifdef CHECK_I2
     || (holder != NONE && (lock != PIDLINK(PID_OF_HOLDER) || lock_ver != holder_ver))
#endif
    ) ->
    assert(NHOLDING <= 1)             /* I1 */
#ifdef CHECK_I2
    ; assert(holder == NONE || (lock == PIDLINK(PID_OF_HOLDER) && lock_ver == holder_ver))  /* I2 */
#endif
  }
}

init {
  byte i;
  d_step {
    i = 0;
    do
    :: i < N -> inc[i] = 0; running[i] = (i != 0);
                st[i] = (i == 0 -> EXITED : WIPING_OLD_RUN_WITH_THIS_PID); i++
    :: else -> break
    od;
    i = 0
  }
  atomic {
    do
    :: i < N -> run Proc(i); i++
    :: else -> break
    od
  }
}
