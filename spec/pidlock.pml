/*
 * pidlock.pml -- Promela model of the pidlock protocol as implemented (src/acquire.cc,
 * src/liveness.cc, src/proc.cc) and specified in spec/state_machine.md.
 *
 * Modelled: try-acquire from S3 ATTEMPTING_TO_CREATE_A_SYMLINK to S11 OK, S12
 * OK_STALE_LOCK_REMOVED or S6 CONFIRMED_TO_NOT_START (the takeover S7..S10 under flock(2),
 * with T21: the witness re-tested under the flock), the witness (an OFD read lock on byte 0
 * of the key directory, taken just before each symlinkat and kept while holding), release
 * S13..S16, the bounded flock wait (KeyDirectoryBusy) and exec with KeepAcrossExec.
 * S1 and S2 touch no shared state, so they are not steps here.
 *
 * One Promela step = one system call (symlinkat, readlinkat, fstatat, unlinkat, flock,
 * fcntl F_OFD_SETLK / F_OFD_GETLK, close); d_step/atomic make each step indivisible, which
 * is what the kernel guarantees for each call.  A /proc probe (S5) is one step too: it
 * reports what was true at one instant.
 *
 * Shared state:
 *   lock            the "lock" symlink: NONE or the identity its record names.
 *   vseen[p]        does the (inode, mtime) slot p's fstatat read at S4 equal that of the
 *                   newest symlink?  vmine[p]: likewise for the symlink p created.  Every
 *                   comparison in the code is "equal to the lock's (inode, mtime) now", the
 *                   lock is always the newest symlink, and a new symlink gets either a new
 *                   (inode, mtime) (all bits cleared) or the removed one's (bits kept); so
 *                   these bits are exact, where a counter of versions would only tell apart
 *                   states that behave the same.
 *   flk             flock(keyfd, LOCK_EX): NOBODY or the slot holding it.
 *   wit[p], nwit    the witness read locks held, per slot, and their count.
 * Processes: N pid slots, one process at a time each.  A process is an incarnation of its
 * slot; identity (pid, incarnation) stands for the record (boot, pidns, start time, host,
 * pid): a later process reusing the pid has another start time.  PID namespaces: slots
 * 0..N-2 run in the host's namespace 0; slot N-1 is a container restarted for every
 * incarnation: incarnation i runs in namespace 1+i.  Time namespaces: slot 1 runs in a
 * time namespace with a boot-time offset, the others in the initial one.
 * A judge facing a record from another PID namespace tests the witness (F_OFD_GETLK).
 * Otherwise the judge reads /proc, modelled as an oracle: identity (p, i) exists iff slot p
 * currently runs incarnation i; the Zombie rule (L13) and the start-time rule (L14) are
 * applied to what /proc shows, below.
 *
 * The environment (all on by default):
 *   - SIGKILL of any running process before any of its steps: the kernel drops its flock
 *     and its witness; its lock symlink stays, stale.  The pid may then be reused.
 *     (Not while waiting in S7 or S13: waiting holds nothing, so that kill is the same as
 *     the kill just before the local step into S7 or S13.)
 *   - The initial lock names identity (pid 0, incarnation 0), which is dead: slot 0 starts
 *     as exited and its next process reuses pid 0; slot N-1 judges it by the witness.
 *   - A new symlink may get the removed one's (inode, mtime): an inode number reused
 *     within one timestamp tick.
 *   - F_OFD_SETLK of the witness may fail (ENOLCK; EINTR is retried by the code).
 *   - A live process's main thread may have exited (pthread_exit) while other threads
 *     run: /proc shows state Z with num_threads > 1.  Chosen afresh at every probe, which
 *     is more than reality (it cannot come back) and costs no state.
 *   - A process holding the flock may be stopped (SIGSTOP, a debugger) for ever.
 *   - A holder may exec; it calls KeepAcrossExec first, so the witness stays.
 *   - The probe may be in doubt at any look (hidepid, unreadable /proc, fcntl error).
 *
 * Switches that remove a fix of the code (each must FAIL; spec/check.sh runs them):
 *   -DWITHOUT_T21                  W1: S8 does not re-test the witness -> I2
 *   -DT21_BACK_TO_S3               W1: the re-test starts over at S3 instead of S6: two
 *                                  judges fooled by each other's S3 witness livelock
 *                                  -> non-progress cycle
 *   -DWITHOUT_WITNESS_REQUIRED     W2: a witness that cannot be taken is ignored -> I2
 *   -DNOTES_ZOMBIE_RULE            Z1: Z or X is a zombie whatever num_threads -> I2
 *   -DWITHOUT_TIMENS_NORMALISATION N1: records carry start times as the writer's /proc
 *                                  shows them (with its time-namespace offset) -> I2
 *   -DWITHOUT_FLOCK_TIMEOUT        F1: flock(LOCK_EX) waits for ever -> invalid end state
 *   -DWITHOUT_KEEP_ACROSS_EXEC     X1: the exec'd holder's witness is closed -> I2
 * Other options:
 *   -DN=.. -DTRIES=..   pid slots (2..5) and attempts per slot (default 3 and 2)
 *   -DNO_WITNESS        another PID namespace -> UNKNOWN (refuse), no witness at all
 *   -DNO_DOUBT          the probe never answers UNKNOWN
 * Mutants (spec/check.sh --mutants; each must FAIL):
 *   -DMUTANT_NO_FLOCK    takeovers skip flock(2)
 *   -DMUTANT_NO_CONFIRM  S8 does not re-read the lock
 *   -DPROBE_MAY_ERR      S5 may call a live holder DEAD
 *
 * Properties (IDs of spec/state_machine.md):
 *   I1 mutual exclusion: assert(holder == NONE) when a symlinkat succeeds; the Monitor
 *      checks that at most one process is in the holding condition (states)
 *   I2 no holder displaced: assert(lock != holder) at S9; the Monitor checks that a
 *      holder's lock stays on disk, and that no LockLost occurs
 *   I3 release never removes another's lock: asserts at S15 and S9 that what is unlinked
 *      is what was confirmed
 *   I4 (bounded) a stale lock is taken over when someone tries: no invalid end state (no
 *      process ends blocked, e.g. on the flock of a stopped process), and no non-progress
 *      cycle (gcc -DNP, pan -l): every execution is finite, so every attempt ends
 *   I5 doubt never leads to takeover: assert(verdict == DEAD) at S9
 *
 * Run:  spin -a pidlock.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m10000
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

/* Time namespaces (N1).  TOFF(p): the boot-time offset of slot p's time namespace.  /proc
 * shows a start time shifted by the READER's offset.  The code records start times without
 * the writer's offset (record = /proc/self start - own offset) and compares a record with
 * (/proc/<pid> start - own offset).  Start times below are relative to the process's true
 * start, so the judge sees "the same process" iff the two values are equal. */
#define TOFF(p) ((p) == 1 -> 1 : 0)
#ifdef WITHOUT_TIMENS_NORMALISATION
#define RECORDED_START(id)       (TOFF(PID_OF(id)))   /* writer's /proc/self, offset kept */
#define COMPARED_START(id, judge) (TOFF(judge))       /* judge's /proc/<pid>, offset kept */
#else
#define RECORDED_START(id)       (TOFF(PID_OF(id)) - TOFF(PID_OF(id)))
#define COMPARED_START(id, judge) (TOFF(judge) - TOFF(judge))
#endif

/* L13 (Z1): /proc/<pid>/stat state Z (or X) counts as a zombie only with one thread. */
#ifdef NOTES_ZOMBIE_RULE
#define ZOMBIE(shows_z, threads) (shows_z)
#else
#define ZOMBIE(shows_z, threads) ((shows_z) && (threads) <= 1)
#endif

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
  REFUSED,   /* try-acquire returned an error (UNKNOWN holder, WitnessUnavailable, KeyDirectoryBusy) */
  EXECED,    /* the holder exec'd: the new program holds the lock until the process ends */
  ENDED      /* the process exited or was killed (or the slot has not started yet) */
};
mtype = { DEAD, ALIVE_V, UNKNOWN };   /* S5 verdicts */

byte lock = ID(0, 0);   /* initial stale lock: names dead identity (pid 0, incarnation 0) */
bool vseen[N];          /* S4's fstatat saw the newest symlink's (inode, mtime) */
bool vmine[N];          /* the symlink this slot created is the newest one */
byte flk = NOBODY;      /* flock(keyfd, LOCK_EX) holder */
bool wit[N];            /* slot holds the witness (OFD read lock, byte 0 of the key directory) */
byte nwit;              /* number of witnesses held */

byte inc[N];            /* current incarnation of each pid slot */
bool running[N];        /* the slot's current incarnation exists (runs, or is stopped) */
mtype st[N];            /* protocol state of each slot */
byte sub[N];            /* sub-step within a state that takes several syscalls */

/* Ghost state for the properties. */
byte holder = NONE;     /* identity of the live process that holds the lock (its symlink is
                         * the newest: every symlinkat asserts holder == NONE) */
bool lock_lost;         /* some live holder found its lock changed at S14 (LockLost) */

/* flock(keyfd, LOCK_UN).  (Conditional only so that MUTANT_NO_FLOCK does not drop a flock
 * held by another process; in the protocol the caller always holds it here.) */
#define UNFLOCK      flk = (flk == p -> NOBODY : flk)
/* fcntl(keyfd, F_OFD_SETLK, F_UNLCK byte 0), or the close(2) of keyfd. */
#define DROP_WITNESS if :: wit[p] -> wit[p] = false; nwit-- :: else fi
/* F_OFD_GETLK (F_WRLCK, byte 0) from the judge's own open file description: is a read lock
 * held by any other description? */
#define WITNESS_HELD_BY_OTHERS ((nwit - wit[p]) > 0)
/* Forget what the attempt read. */
#define FORGET       seen = NONE; vseen[p] = false; verdict = 0
/* A symlink with a new (inode, mtime): no earlier fstatat saw it. */
#if N == 2
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vmine[0] = false; vmine[1] = false
#elif N == 3
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vseen[2] = false; \
                     vmine[0] = false; vmine[1] = false; vmine[2] = false
#elif N == 4
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vseen[2] = false; vseen[3] = false; \
                     vmine[0] = false; vmine[1] = false; vmine[2] = false; vmine[3] = false
#elif N == 5
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vseen[2] = false; vseen[3] = false; vseen[4] = false; \
                     vmine[0] = false; vmine[1] = false; vmine[2] = false; vmine[3] = false; vmine[4] = false
#endif

/* symlinkat(record, keyfd, "lock") succeeded: the lock now names `me`. */
inline create(me) {
  if
  :: NEW_VERSION     /* a new (inode, mtime) */
  :: skip            /* the removed symlink's inode number, reused within one mtime tick */
  fi;
  lock = me;
  assert(holder == NONE);          /* I1: nobody else holds the lock */
  holder = me
}

/* fcntl(keyfd, F_OFD_SETLK, F_RDLCK byte 0) just before a symlinkat (S3 or S10): on
 * success go on to sub-step 1 (symlinkat).  It may fail: the code refuses with
 * WitnessUnavailable (and at S10 releases the flock); nothing is created. */
inline take_witness() {
  if
  :: wit[p] = true; nwit++; sub[p] = 1
  :: true ->
#ifdef WITHOUT_WITNESS_REQUIRED
     sub[p] = 1                                  /* W2 unfixed: acquire without a witness */
#else
     UNFLOCK; st[p] = REFUSED; sub[p] = 0        /* WitnessUnavailable */
#endif
  fi
}

proctype Proc(byte p) {
  byte me;             /* this incarnation's identity: its record */
  byte tries;          /* attempts started by this slot */
  byte seen;           /* S4: target read by readlinkat */
  mtype verdict;       /* S5 outcome */
  bool shows_z;        /* S5 scratch: /proc shows state Z (reset within the step) */

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
       :: else -> vseen[p] = true; st[p] = PROBING_HOLDER; sub[p] = 0                          /* T5 lock-read */
       fi }
  :: atomic { st[p] == PROBING_HOLDER ->                 /* /proc + kill(2), or F_OFD_GETLK: one instant */
       if
       :: NS(seen) != NS(me) ->
#ifdef WITNESS
          if
          :: WITNESS_HELD_BY_OTHERS -> verdict = ALIVE_V      /* L3 WitnessHeld */
          :: else -> verdict = DEAD                           /* L4 WitnessReleased */
          fi
#else
          verdict = UNKNOWN                                   /* L5 HolderOtherNamespace */
#endif
       :: else ->
          if
          :: !ALIVE(seen) -> verdict = DEAD    /* L7 OwnPidEarlierProcess, L9 NoSuchProcess, L13 Zombie
                                                * (a dead process has one thread), L14 PidReused */
          :: seen == me -> verdict = ALIVE_V   /* L6 ThisProcess (decided without /proc) */
          :: ALIVE(seen) && seen != me ->      /* /proc/<pid>/stat */
             if                                /* Z1: has its main thread exited? */
             :: shows_z = false
             :: shows_z = true                 /* state Z, and another thread runs */
             fi;
             if
             :: ZOMBIE(shows_z, 2) -> verdict = DEAD                        /* L13 Zombie */
             :: !ZOMBIE(shows_z, 2) &&
                RECORDED_START(seen) != COMPARED_START(seen, p) -> verdict = DEAD  /* L14 PidReused */
             :: !ZOMBIE(shows_z, 2) &&
                RECORDED_START(seen) == COMPARED_START(seen, p) -> verdict = ALIVE_V  /* L17 Alive */
             fi;
             shows_z = false
#ifdef PROBE_MAY_ERR
          :: ALIVE(seen) -> verdict = DEAD                    /* a wrong liveness function */
#endif
          fi
       fi;
#ifdef DOUBT
       if
       :: skip
       :: verdict = UNKNOWN            /* hidepid, unreadable /proc, fcntl error: doubt */
       fi;
#endif
       if
       :: verdict == ALIVE_V -> st[p] = CONFIRMED_TO_NOT_START   /* T8 holder-alive */
       :: verdict == UNKNOWN -> st[p] = REFUSED                  /* T9 holder-unknown */
       :: verdict == DEAD -> st[p] = LOCKING_FOR_TAKEOVER        /* T10 holder-dead */
       fi }
#ifndef MUTANT_NO_FLOCK
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER && flk == NOBODY ->  /* flock(LOCK_EX|LOCK_NB) */
       flk = p; st[p] = CONFIRMING_STALE_LOCK; sub[p] = 0 }     /* T11 takeover-flock-taken */
#else
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER ->                    /* mutant: no flock */
       st[p] = CONFIRMING_STALE_LOCK; sub[p] = 0 }
#endif
#ifndef WITHOUT_FLOCK_TIMEOUT
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER && flk != NOBODY ->  /* busy for 10 s: KeyDirectoryBusy */
       st[p] = REFUSED; FORGET }
#endif
  :: d_step { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 0 ->   /* readlinkat under the flock */
       if
#ifdef MUTANT_NO_CONFIRM
       :: true -> st[p] = REMOVING_STALE_LOCK                   /* mutant: no re-check */
#endif
       :: lock == seen -> sub[p] = 1
       :: else -> UNFLOCK; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; FORGET  /* T13 lock-changed */
       fi }
  :: d_step { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 1 ->   /* fstatat under the flock */
       if
       :: lock != NONE && vseen[p] ->                         /* same (inode, mtime) */
#ifndef WITHOUT_T21
          if
          :: NS(seen) != NS(me) -> sub[p] = 2                   /* WitnessReleased: re-test it */
          :: else -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0    /* T12 stale-lock-confirmed */
          fi
#else
          st[p] = REMOVING_STALE_LOCK; sub[p] = 0               /* T12 stale-lock-confirmed */
#endif
       :: else -> UNFLOCK; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; FORGET  /* T13 */
       fi }
#ifndef WITHOUT_T21
  /* W1: a WitnessReleased verdict is not monotone (the holder may have released and
   * acquired again with the same record, inode and mtime).  A live holder of the lock just
   * confirmed cannot release it while we hold the flock, so it holds its witness now. */
  :: atomic { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 2 ->   /* F_OFD_GETLK under the flock */
       if
       :: WITNESS_HELD_BY_OTHERS ->
#ifndef T21_BACK_TO_S3
          UNFLOCK; st[p] = CONFIRMED_TO_NOT_START; sub[p] = 0; FORGET  /* T21 witness-held-on-recheck */
#else
          UNFLOCK; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; FORGET  /* start over */
#endif
       :: !WITNESS_HELD_BY_OTHERS -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0  /* T12 */
#ifdef DOUBT
       :: true -> UNFLOCK; st[p] = REFUSED; sub[p] = 0; FORGET  /* fcntl fails: HolderOtherNamespace */
#endif
       fi }
#endif
  :: d_step { st[p] == REMOVING_STALE_LOCK ->                     /* unlinkat */
#ifndef MUTANT_NO_FLOCK
       assert(flk == p);
#endif
       assert(verdict == DEAD);                      /* I5 */
#ifndef MUTANT_NO_CONFIRM
       assert(lock == seen && vseen[p]);             /* I3: removes exactly what S8 confirmed */
#endif
       assert(lock == NONE || lock != holder);       /* I2: never a holder's lock */
       lock = NONE;                                              /* T14 stale-lock-removed */
       st[p] = CREATING_NEW_SYMLINK; sub[p] = S10_START; FORGET }
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
        * creator removes a holder's lock, so this is still ours. */
       assert(lock == me); vmine[p] = true; sub[p] = 0 }

  /* ---------------- holding: the application runs, then releases or execs ---------------- */
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 ->
       st[p] = LOCKING_FOR_RELEASE }
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 ->
#ifdef WITHOUT_KEEP_ACROSS_EXEC
       DROP_WITNESS;                   /* X1: the key directory's descriptor is O_CLOEXEC */
#endif
       st[p] = EXECED }                /* exec after KeepAcrossExec: holds until it ends (KILL) */

  /* ---------------- release ---------------- */
  :: d_step { st[p] == LOCKING_FOR_RELEASE && flk == NOBODY ->   /* flock(LOCK_EX|LOCK_NB) */
       flk = p; st[p] = CONFIRMING_OWN_LOCK; sub[p] = 0 }       /* T17 release-flock-taken */
#ifndef WITHOUT_FLOCK_TIMEOUT
  :: d_step { st[p] == LOCKING_FOR_RELEASE && flk != NOBODY ->   /* busy for 10 s: KeyDirectoryBusy */
       DROP_WITNESS;                   /* close(keyfd); the lock stays, stale once we end */
       if :: holder == me -> holder = NONE :: else fi;
       st[p] = RELEASED; vmine[p] = false }
#endif
  :: d_step { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 0 ->     /* readlinkat */
       if
       :: lock == me -> sub[p] = 1
       :: else -> lock_lost = true; UNFLOCK; DROP_WITNESS; st[p] = RELEASED; vmine[p] = false  /* T19 lock-lost */
       fi }
  :: d_step { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 1 ->     /* fstatat */
       /* The code compares the target and the inode; the model compares the target only
        * (weaker), and I3 at S15 checks that this suffices. */
       if
       :: lock == me -> st[p] = REMOVING_OWN_LOCK; sub[p] = 0    /* T18 own-lock-confirmed */
       :: else -> lock_lost = true; UNFLOCK; DROP_WITNESS; st[p] = RELEASED; sub[p] = 0; vmine[p] = false  /* T19 */
       fi }
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 0 ->       /* unlinkat */
       assert(flk == p);
       assert(lock == me && vmine[p]);               /* I3: removes only its own lock */
       lock = NONE; holder = NONE; sub[p] = 1 }                  /* T20 own-lock-removed */
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 1 ->       /* close(keyfd): flock and witness go */
       UNFLOCK; DROP_WITNESS; st[p] = RELEASED; sub[p] = 0; vmine[p] = false }  /* T20 */

  /* ---------------- end of an attempt; retry, exit, PID reuse ---------------- */
  :: d_step { running[p] && tries < TRIES &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       tries++; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START;  /* the same process again */
       FORGET; vmine[p] = false }
  :: d_step { running[p] &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       running[p] = false; st[p] = ENDED; FORGET; vmine[p] = false }  /* the process exits */
  :: d_step { !running[p] && tries < TRIES ->                     /* a new process reuses pid p */
       inc[p]++; me = ID(p, inc[p]); running[p] = true; tries++;
       st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START }
  :: !running[p] -> break                                         /* pid p is not reused (any more) */

  /* ---------------- faults ---------------- */
  :: d_step { running[p] && st[p] != LOCKING_FOR_TAKEOVER && st[p] != LOCKING_FOR_RELEASE ->
       /* SIGKILL (or the end of an exec'd program) */
       UNFLOCK; DROP_WITNESS;                       /* the kernel drops flock and witness */
       if :: holder == me -> holder = NONE :: else fi; /* its lock (if any) stays, now stale */
       running[p] = false; st[p] = ENDED; sub[p] = 0; FORGET; vmine[p] = false }
  :: flk == p -> break          /* SIGSTOP while holding the flock: never runs again (F1) */
  od
}

/* The "holding" condition of I1, from the states alone: from the successful symlinkat
 * (S3 -> S11, or S10 before it drops the flock) through S11/S12, S13, S14 and S15 up to the
 * unlinkat; and after an exec. */
#define HOLDING(q) (st[q] == OK || st[q] == OK_STALE_LOCK_REMOVED || st[q] == EXECED || \
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
 *   I2: a holder's lock no longer names it (a symlink with its record but another (inode,
 *       mtime) would have to be created by a second symlinkat, which asserts holder == NONE),
 *       or a holder met LockLost at S14. */
active proctype Monitor() {
end:
  atomic {
    (NHOLDING > 1 || lock_lost || (holder != NONE && lock != holder)) ->
    assert(NHOLDING <= 1);                     /* I1 */
    assert(!lock_lost);                        /* I2 */
    assert(holder == NONE || lock == holder)   /* I2 */
  }
}

init {
  byte i;
  d_step {                       /* slot 0: the dead holder of the initial lock; others: running */
    i = 0;
    do
    :: i < N -> inc[i] = 0; running[i] = (i != 0); sub[i] = S3_START;
                st[i] = (i == 0 -> ENDED : ATTEMPTING_TO_CREATE_A_SYMLINK); i++
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
