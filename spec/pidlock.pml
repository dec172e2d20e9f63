/*
 * pidlock.pml -- Promela model of the pidlock protocol of spec/state_machine.md.
 *
 * Modelled: try-acquire from S3 ATTEMPTING_TO_CREATE_A_SYMLINK to S11 OK, S12
 * OK_STALE_LOCK_REMOVED or S6 CONFIRMED_TO_NOT_START (with the takeover S7..S10
 * under flock(2)), the witness (an OFD read lock on byte 0 of the key directory,
 * taken just before each symlinkat and kept while holding), and release S13..S16.
 * S1 and S2 touch no shared state, so they are not steps here.
 *
 * One Promela step = one system call (symlinkat, readlinkat, fstatat, unlinkat,
 * flock, fcntl F_OFD_SETLK / F_OFD_GETLK, close); d_step/atomic make each step
 * indivisible, which is what the kernel guarantees for each call.  A /proc probe
 * (S5) is one step too: it reports what was true at one instant.
 *
 * Shared state:
 *   lock, lock_ver  the "lock" symlink: NONE or the identity its record names, and a
 *                   version standing for its (inode, mtime): every symlinkat makes a
 *                   new one (with -DVERSION_REUSE it may repeat the previous lock's:
 *                   an inode number reused within one timestamp tick).
 *   flk             flock(keyfd, LOCK_EX): NOBODY or the slot holding it.
 *   wit[p], nwit    the witness read locks held, per slot, and their count.
 * Processes: N pid slots, one process at a time each.  A process is an incarnation
 * of its slot; identity (pid, incarnation) stands for the record (boot, pidns,
 * start time, host, pid): a later process reusing the pid has another start time.
 * PID namespaces: slots 0..N-2 run in the host's namespace 0; slot N-1 is a
 * container restarted for every incarnation: incarnation i runs in namespace 1+i.
 * A judge facing a record from another namespace uses the witness (F_OFD_GETLK):
 * held by anyone else -> ALIVE (WitnessHeld), released -> DEAD (WitnessReleased).
 * Otherwise the judge is the /proc liveness function, modelled as an oracle:
 * identity (p, i) is ALIVE iff slot p currently runs incarnation i.
 *
 * Faults: any running process may be SIGKILLed before any of its steps (KILL):
 * the kernel drops its flock and its witness; its lock symlink stays, stale.  After
 * a kill or an exit the pid may be reused by a new incarnation.  Initially the lock
 * names identity (pid 0, incarnation 0), which is dead: slot 0 starts as exited and
 * its next process reuses pid 0 (PidReused for others, OwnPidEarlierProcess for
 * itself); slot N-1 judges it through the witness.
 *
 * Options:
 *   -DNO_WITNESS     the notes' first rule 3: another namespace -> UNKNOWN (refuse)
 *   -DNO_DOUBT       the probe never answers UNKNOWN (by default it may, at any probe)
 *   -DVERSION_REUSE  a new symlink may get the removed one's (inode, mtime)
 *   -DFIX_WITNESS_RECHECK  proposed fix: S8 re-tests the witness under the flock
 *   -DWITNESS_MAY_FAIL     F_OFD_SETLK of the witness may fail; acquiring goes on
 *   -DFIX_WITNESS_REQUIRED proposed fix: if the witness cannot be taken, refuse
 *   -DNO_VERSION_CHECK     S8/S14 compare the target only
 * Known results (spec/check.sh runs them):
 *   default                                  verifies (every symlinkat gets a new (inode, mtime))
 *   -DVERSION_REUSE                          FAILS (I2): WitnessReleased is not monotone
 *   -DVERSION_REUSE -DFIX_WITNESS_RECHECK    verifies
 *   -DNO_WITNESS -DVERSION_REUSE             verifies (DEAD is monotone without the witness)
 *   -DWITNESS_MAY_FAIL                       FAILS (I2)
 *   -DWITNESS_MAY_FAIL -DFIX_WITNESS_REQUIRED  verifies
 * Mutants (each must FAIL; they show the checks are not vacuous):
 *   -DMUTANT_NO_FLOCK    takeovers skip flock(2)
 *   -DMUTANT_NO_CONFIRM  S8 does not re-read the lock
 *   -DPROBE_MAY_ERR      S5 may call a live holder DEAD
 *   -DLEADER_EXIT -DNOTES_ZOMBIE_RULE  the notes' Zombie rule meets a live process
 *                        whose main thread exited (state Z, num_threads > 1)
 *
 * Properties (IDs of spec/state_machine.md):
 *   I1 mutual exclusion: assert(holder == NONE) when a symlinkat succeeds; the
 *      Monitor checks that at most one process is in the holding condition (states)
 *   I2 no live holder displaced: assert(!ALIVE(lock)) at S9; the Monitor checks that
 *      a live holder's lock stays on disk with its version, and that no LockLost occurs
 *   I3 release never removes another's lock: asserts at S15 and S9 that what is
 *      unlinked is what was confirmed
 *   I4 (bounded) a stale lock is taken over when someone tries: no invalid end state
 *      (no process ends blocked, e.g. on the flock), and no non-progress cycle
 *      (gcc -DNP, pan -l): every execution is finite, so every attempt ends
 *   I5 doubt never leads to takeover: assert(verdict == DEAD) at S9
 *
 * Run:  spin -a pidlock.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan
 * (spec/check.sh does this in a temporary directory).
 */

#ifndef N
#define N 3            /* pid slots (concurrent processes) */
#endif
#ifndef TRIES
#define TRIES 2        /* acquisition attempts per pid slot, over all its incarnations */
#endif
#ifndef NO_DOUBT
#define DOUBT 1
#endif
#ifndef NO_WITNESS
#define WITNESS 1
#endif

#define INCS     (TRIES + 1)                 /* incarnations per slot: 0..TRIES */
#define NONE     0                           /* no lock / no identity */
#define NOBODY   255                         /* nobody holds the flock */
#define ID(p, i) ((p) * INCS + (i) + 1)
#define PID_OF(id) (((id) - 1) / INCS)
#define INC_OF(id) (((id) - 1) % INCS)
#define ALIVE(id)  ((id) != NONE && running[PID_OF(id)] && inc[PID_OF(id)] == INC_OF(id))
#define NS(id)     (PID_OF(id) == N - 1 -> 1 + INC_OF(id) : 0)

/* Sub-step at which S3 and S10 start: taking the witness comes first. */
#ifdef WITNESS
#define S3_START 0
#define S10_START 0
#else
#define S3_START 1
#define S10_START 1
#endif

/* The protocol states, verbatim from spec/state_machine.md (S1..S16). */
mtype = {
  OPENING_KEY_DIRECTORY,           /* S1  (local: not a step here) */
  CREATING_NEW_DATA_FOR_THIS_PID,  /* S2  (local: not a step here) */
  ATTEMPTING_TO_CREATE_A_SYMLINK,  /* S3  */
  READING_LOCK,                    /* S4  */
  PROBING_HOLDER,                  /* S5  */
  CONFIRMED_TO_NOT_START,          /* S6  */
  LOCKING_FOR_TAKEOVER,            /* S7  */
  CONFIRMING_STALE_LOCK,           /* S8  */
  REMOVING_STALE_LOCK,             /* S9  */
  CREATING_NEW_SYMLINK,            /* S10 */
  OK,                              /* S11 */
  OK_STALE_LOCK_REMOVED,           /* S12 */
  LOCKING_FOR_RELEASE,             /* S13 */
  CONFIRMING_OWN_LOCK,             /* S14 */
  REMOVING_OWN_LOCK,               /* S15 */
  RELEASED                         /* S16 */
};
/* Model-only values (not protocol states). */
mtype = {
  REFUSED,   /* try-acquire returned an error (UNKNOWN holder, or the witness could not be taken) */
  KILLED,    /* the process was SIGKILLed */
  EXITED     /* the process exited (or the slot has not started yet) */
};
mtype = { DEAD, ALIVE_V, UNKNOWN };   /* S5 verdicts */

byte lock = ID(0, 0);   /* initial stale lock: names dead identity (pid 0, incarnation 0) */
byte lock_ver = 1;      /* (inode, mtime) of the current symlink */
byte vers = 1;          /* last version handed out */
byte flk = NOBODY;      /* flock(keyfd, LOCK_EX) holder */
bool wit[N];            /* slot holds the witness (OFD read lock, byte 0 of the key directory) */
byte nwit;              /* number of witnesses held */

byte inc[N];            /* current incarnation of each pid slot */
bool running[N];        /* the slot's current incarnation is alive */
mtype st[N];            /* protocol state of each slot */
byte sub[N];            /* sub-step within a state that takes several syscalls */

/* Ghost state for the properties. */
byte holder = NONE;     /* identity of the live process that believes it holds the lock */
byte holder_ver;        /* the version it created */
bool lock_lost;         /* some live holder found its lock changed at S14 (LockLost) */

/* -DLEADER_EXIT: a running process's main thread may call pthread_exit() while another
 * thread keeps running (and keeps the process, its fds and its lock).  /proc/<pid>/stat
 * then shows state Z with num_threads (field 20) > 1.  -DNOTES_ZOMBIE_RULE selects the
 * notes' rule ("state Z or X -> DEAD (Zombie)"), which takes over such a live holder; the
 * proposed rule ("Z or X and num_threads <= 1") leaves the probe exact. */
bool leader_gone[N];
#if defined(LEADER_EXIT) && defined(NOTES_ZOMBIE_RULE)
#define ZOMBIE_LOOKS_DEAD(id) ((id) != NONE && leader_gone[PID_OF(id)])
#else
#define ZOMBIE_LOOKS_DEAD(id) false
#endif

/* flock(keyfd, LOCK_UN).  (Conditional only so that MUTANT_NO_FLOCK does not drop a flock
 * held by another process; in the protocol the caller always holds it here.) */
#define UNFLOCK      flk = (flk == p -> NOBODY : flk)
/* fcntl(keyfd, F_OFD_SETLK, F_UNLCK byte 0), or the close(2) of keyfd. */
#define DROP_WITNESS if :: wit[p] -> wit[p] = false; nwit-- :: else fi
/* F_OFD_GETLK (F_WRLCK, byte 0) from the judge's own open file description: is a read lock
 * held by any other description? */
#define WITNESS_HELD_BY_OTHERS ((nwit - wit[p]) > 0)

/* symlinkat(record, keyfd, "lock") succeeded: the lock now names `me`. */
inline create(me) {
#ifdef VERSION_REUSE
  if
  :: vers++          /* a new (inode, mtime) */
  :: skip            /* the removed symlink's inode number, reused within one mtime tick */
  fi;
#else
  vers++;
#endif
  lock = me;
  lock_ver = vers;
  assert(holder == NONE);          /* I1: nobody else believes it holds the lock */
  holder = me;
  holder_ver = vers
}

/* fcntl(keyfd, F_OFD_SETLK, F_RDLCK byte 0) just before a symlinkat (S3 or S10).  On
 * success: go on to sub-step 1.  With -DWITNESS_MAY_FAIL it may fail: the code ignores
 * that and goes on without a witness; with -DFIX_WITNESS_REQUIRED it refuses instead. */
inline take_witness() {
  if
  :: wit[p] = true; nwit++; sub[p] = 1
#ifdef WITNESS_MAY_FAIL
  :: true ->
#ifdef FIX_WITNESS_REQUIRED
     UNFLOCK; st[p] = REFUSED; sub[p] = 0
#else
     sub[p] = 1
#endif
#endif
  fi
}

proctype Proc(byte p) {
  byte me;             /* this incarnation's identity: its record */
  byte tries;          /* attempts started by this slot */
  byte seen;           /* S4: target read by readlinkat */
  byte seen_ver;       /* S4: (inode, mtime) read by fstatat */
  byte my_ver;         /* (inode, mtime) of the symlink this process created */
  mtype verdict;       /* S5 outcome */

  d_step {
    if
    :: running[p] -> me = ID(p, inc[p]); tries = 1
    :: else
    fi
  };

  do
  /* ---------------- acquire ---------------- */
#ifdef WITNESS
  :: atomic { st[p] == ATTEMPTING_TO_CREATE_A_SYMLINK && sub[p] == 0 -> take_witness() }
  :: d_step { st[p] == ATTEMPTING_TO_CREATE_A_SYMLINK && sub[p] == 2 ->  /* witness: F_UNLCK */
       DROP_WITNESS; st[p] = READING_LOCK; sub[p] = 0 }
#endif
  :: atomic { st[p] == ATTEMPTING_TO_CREATE_A_SYMLINK && sub[p] == 1 ->  /* symlinkat */
       if
       :: lock == NONE -> create(me); st[p] = OK; sub[p] = 1     /* T3 symlink-created */
#ifdef WITNESS
       :: else -> sub[p] = 2                                     /* T4 symlink-exists (EEXIST) */
#else
       :: else -> st[p] = READING_LOCK; sub[p] = 0               /* T4 */
#endif
       fi }
  :: d_step { st[p] == READING_LOCK && sub[p] == 0 ->             /* readlinkat */
       if
       :: lock == NONE -> st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START  /* T6 lock-vanished */
       :: else -> seen = lock; sub[p] = 1
       fi }
  :: d_step { st[p] == READING_LOCK && sub[p] == 1 ->             /* fstatat(AT_SYMLINK_NOFOLLOW) */
       if
       :: lock == NONE -> st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; seen = NONE  /* T6 */
       :: else -> seen_ver = lock_ver; st[p] = PROBING_HOLDER; sub[p] = 0                       /* T5 lock-read */
       fi }
  :: atomic { st[p] == PROBING_HOLDER ->                 /* /proc + kill(2), or F_OFD_GETLK: one instant */
       if
       :: NS(seen) != NS(me) ->
#ifdef WITNESS
          if
          :: WITNESS_HELD_BY_OTHERS -> verdict = ALIVE_V      /* WitnessHeld */
          :: else -> verdict = DEAD                           /* WitnessReleased */
          fi
#else
          verdict = UNKNOWN                                   /* HolderOtherNamespace */
#endif
       :: else ->
          if
          :: ALIVE(seen) && !ZOMBIE_LOOKS_DEAD(seen) -> verdict = ALIVE_V
          :: !ALIVE(seen) || ZOMBIE_LOOKS_DEAD(seen) -> verdict = DEAD
#ifdef PROBE_MAY_ERR
          :: ALIVE(seen) -> verdict = DEAD                    /* a wrong liveness function */
#endif
          fi
       fi;
#ifdef DOUBT
       if
       :: skip
       :: verdict = UNKNOWN            /* hidepid, unreadable /proc, ...: doubt */
       fi;
#endif
       if
       :: verdict == ALIVE_V -> st[p] = CONFIRMED_TO_NOT_START   /* T8 holder-alive */
       :: verdict == UNKNOWN -> st[p] = REFUSED                  /* T9 holder-unknown */
       :: verdict == DEAD -> st[p] = LOCKING_FOR_TAKEOVER        /* T10 holder-dead */
       fi }
#ifndef MUTANT_NO_FLOCK
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER && flk == NOBODY ->  /* flock(LOCK_EX): blocks */
       flk = p; st[p] = CONFIRMING_STALE_LOCK; sub[p] = 0 }     /* T11 takeover-flock-taken */
#else
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER ->                    /* mutant: no flock */
       st[p] = CONFIRMING_STALE_LOCK; sub[p] = 0 }
#endif
  :: d_step { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 0 ->   /* readlinkat under the flock */
       if
#ifdef MUTANT_NO_CONFIRM
       :: true -> st[p] = REMOVING_STALE_LOCK                   /* mutant: no re-check */
#endif
       :: lock == seen -> sub[p] = 1
       :: else -> UNFLOCK; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START;  /* T13 lock-changed */
                  seen = NONE; seen_ver = 0; verdict = 0
       fi }
  :: d_step { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 1 ->   /* fstatat under the flock */
       if
#ifdef NO_VERSION_CHECK
       :: lock != NONE ->
#else
       :: lock != NONE && lock_ver == seen_ver ->
#endif
#ifdef FIX_WITNESS_RECHECK
          if
          :: NS(seen) != NS(me) -> sub[p] = 2                   /* re-test the witness next */
          :: else -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0    /* T12 stale-lock-confirmed */
          fi
#else
          st[p] = REMOVING_STALE_LOCK; sub[p] = 0               /* T12 stale-lock-confirmed */
#endif
       :: else -> UNFLOCK; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START;  /* T13 */
                  seen = NONE; seen_ver = 0; verdict = 0
       fi }
#ifdef FIX_WITNESS_RECHECK
  /* Proposed fix: a WitnessReleased verdict is not monotone (the holder may have released
   * and re-acquired with the same record), so re-test the witness after the re-read, under
   * the flock: a live holder of the lock just read cannot release it now (release needs the
   * flock), so it still holds its witness.  Held -> refuse as S5 would (WitnessHeld); going
   * back to S3 instead livelocks two such judges, each fooled by the other's witness taken
   * for its S3 symlinkat (found by the non-progress check). */
  :: d_step { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 2 ->   /* F_OFD_GETLK under the flock */
       if
       :: WITNESS_HELD_BY_OTHERS ->
          UNFLOCK; st[p] = CONFIRMED_TO_NOT_START; sub[p] = 0;  /* T21 witness-held-on-recheck */
          seen = NONE; seen_ver = 0; verdict = 0
       :: else -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0      /* T12 */
       fi }
#endif
  :: d_step { st[p] == REMOVING_STALE_LOCK ->                     /* unlinkat */
#ifndef MUTANT_NO_FLOCK
       assert(flk == p);
#endif
       assert(verdict == DEAD);                      /* I5 */
#if !defined(NO_VERSION_CHECK) && !defined(MUTANT_NO_CONFIRM)
       assert(lock == seen && lock_ver == seen_ver); /* I3: removes exactly what S8 confirmed */
#endif
       assert(!ALIVE(lock));                         /* I2: never a live holder's lock */
       lock = NONE;                                              /* T14 stale-lock-removed */
       st[p] = CREATING_NEW_SYMLINK; sub[p] = S10_START; seen = NONE; seen_ver = 0; verdict = 0 }
#ifdef WITNESS
  :: atomic { st[p] == CREATING_NEW_SYMLINK && sub[p] == 0 -> take_witness() }
#endif
  :: atomic { st[p] == CREATING_NEW_SYMLINK && sub[p] == 1 ->     /* symlinkat under the flock */
       if
       :: lock == NONE -> create(me); sub[p] = 2                 /* T15 takeover-symlink-created */
#ifdef WITNESS
       :: else -> sub[p] = 3                                     /* T16 takeover-lost-race (EEXIST) */
#else
       :: else -> sub[p] = 4                                     /* T16 */
#endif
       fi }
  :: d_step { st[p] == CREATING_NEW_SYMLINK && sub[p] == 2 ->     /* flock(LOCK_UN) */
       UNFLOCK; st[p] = OK_STALE_LOCK_REMOVED; sub[p] = 1 }     /* T15; fstatat next */
  :: d_step { st[p] == CREATING_NEW_SYMLINK && sub[p] == 3 ->     /* witness: F_UNLCK */
       DROP_WITNESS; sub[p] = 4 }
  :: d_step { st[p] == CREATING_NEW_SYMLINK && sub[p] == 4 ->     /* flock(LOCK_UN) */
       UNFLOCK; st[p] = READING_LOCK; sub[p] = 0 }               /* T16 */
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 1 ->
       /* fstatat: learn the (inode, mtime) of the symlink just created.  Only its live
        * creator removes a live holder's lock, so this is still ours. */
       assert(lock == me); my_ver = lock_ver; sub[p] = 0 }

  /* ---------------- holding: the application runs, then releases ---------------- */
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 ->
       st[p] = LOCKING_FOR_RELEASE }

  /* ---------------- release ---------------- */
  :: d_step { st[p] == LOCKING_FOR_RELEASE && flk == NOBODY ->   /* flock(LOCK_EX): blocks */
       flk = p; st[p] = CONFIRMING_OWN_LOCK; sub[p] = 0 }       /* T17 release-flock-taken */
  :: d_step { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 0 ->     /* readlinkat */
       if
       :: lock == me -> sub[p] = 1
       :: else -> lock_lost = true; UNFLOCK; DROP_WITNESS; st[p] = RELEASED  /* T19 lock-lost */
       fi }
  :: d_step { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 1 ->     /* fstatat */
       if
#ifdef NO_VERSION_CHECK
       :: lock == me ->
#else
       :: lock == me && lock_ver == my_ver ->
#endif
          st[p] = REMOVING_OWN_LOCK; sub[p] = 0                          /* T18 own-lock-confirmed */
       :: else -> lock_lost = true; UNFLOCK; DROP_WITNESS; st[p] = RELEASED; sub[p] = 0  /* T19 */
       fi }
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 0 ->       /* unlinkat */
       assert(flk == p);
       assert(lock == me && lock_ver == my_ver);     /* I3: removes only its own lock */
       lock = NONE; holder = NONE; sub[p] = 1 }                  /* T20 own-lock-removed */
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 1 ->       /* close(keyfd): flock and witness go */
       UNFLOCK; DROP_WITNESS; st[p] = RELEASED; sub[p] = 0; my_ver = 0 }  /* T20 */

  /* ---------------- end of an attempt; retry, exit, PID reuse ---------------- */
  :: d_step { running[p] && tries < TRIES &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       tries++; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START;  /* the same process again */
       seen = NONE; seen_ver = 0; verdict = 0; my_ver = 0 }
  :: d_step { running[p] &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       running[p] = false; st[p] = EXITED; leader_gone[p] = false;          /* the process exits */
       seen = NONE; seen_ver = 0; verdict = 0; my_ver = 0 }
  :: d_step { !running[p] && tries < TRIES ->                     /* a new process reuses pid p */
       inc[p]++; me = ID(p, inc[p]); running[p] = true; tries++;
       st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START }
  :: !running[p] -> break                                         /* pid p is not reused (any more) */

#ifdef LEADER_EXIT
  :: d_step { running[p] && !leader_gone[p] -> leader_gone[p] = true }  /* main thread exits */
#endif

  /* ---------------- fault: SIGKILL before any step ---------------- */
  :: d_step { running[p] ->
       UNFLOCK; DROP_WITNESS;                       /* the kernel drops flock and witness */
       if :: holder == me -> holder = NONE :: else fi; /* its lock (if any) stays, now stale */
       running[p] = false; st[p] = KILLED; sub[p] = 0; leader_gone[p] = false;
       seen = NONE; seen_ver = 0; verdict = 0; my_ver = 0 }
  od
}

/* The "holding" condition of I1, from the protocol states alone: from the successful
 * symlinkat (S3 -> S11, or S10 before it drops the flock) through S11/S12, S13, S14 and S15
 * up to the unlinkat. */
#define HOLDING(q) (st[q] == OK || st[q] == OK_STALE_LOCK_REMOVED || \
                    st[q] == LOCKING_FOR_RELEASE || st[q] == CONFIRMING_OWN_LOCK || \
                    (st[q] == REMOVING_OWN_LOCK && sub[q] == 0) || \
                    (st[q] == CREATING_NEW_SYMLINK && sub[q] == 2))
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

/* Monitor: blocks (a valid end state) unless a state violates
 *   I1: two processes in the holding condition, or
 *   I2: a live process believes it holds the lock but the lock no longer names it with the
 *       version it created, or a holder met LockLost at S14. */
active proctype Monitor() {
end:
  atomic {
    (NHOLDING > 1 ||
     lock_lost || (holder != NONE && (lock != holder || lock_ver != holder_ver))) ->
    assert(NHOLDING <= 1);            /* I1 */
    assert(!lock_lost);               /* I2 */
    assert(holder == NONE || (lock == holder && lock_ver == holder_ver))  /* I2 */
  }
}

init {
  byte i;
  d_step {                       /* slot 0: the dead holder of the initial lock; others: running */
    i = 0;
    do
    :: i < N -> inc[i] = 0; running[i] = (i != 0); sub[i] = S3_START;
                st[i] = (i == 0 -> EXITED : ATTEMPTING_TO_CREATE_A_SYMLINK); i++
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
