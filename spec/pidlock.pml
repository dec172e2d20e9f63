/*
 * pidlock.pml -- Promela model of the pidlock protocol as implemented (src/acquire.cc,
 * src/liveness.cc, src/proc.cc) and specified in spec/state_machine.md.
 *
 * Modelled: try-acquire from S3 ATTEMPTING_TO_CREATE_A_SYMLINK to S11 OK, S12
 * OK_STALE_LOCK_REMOVED or S6 CONFIRMED_TO_NOT_START (the takeover S7..S10 under flock(2),
 * with T21: the witness re-tested under the flock, and T22: the job witness re-tested under
 * the flock, R1), two OFD read locks on the key directory's open file description: "the
 * witness" (byte 0, taken just before each symlinkat, dropped when it fails, kept while
 * holding) and "the job witness" (byte 1, taken only by a holder, after its symlinkat
 * succeeded and before try-acquire returns; if it cannot be taken, the fresh lock is
 * released and the outcome is WitnessUnavailable), release S13..S16 (both witnesses
 * dropped with one F_UNLCK for the whole open file description, then the flock), the
 * bounded flock wait (KeyDirectoryBusy), exec with KeepAcrossExec, and the holder as a JOB:
 * the recording process plus a member (a fork child, or `pidlock run`'s COMMAND) sharing
 * its open file description, so both witnesses; the member may outlive the recording
 * process, and a record of this PID namespace whose process is dead is dead only when the
 * job witness is released (L22 JobAlive, L23, L24 JobUnverifiable).
 * S1 and S2 touch no shared state, so they are not steps here.
 *
 * One Promela step = one system call (symlinkat, readlinkat, fstatat, unlinkat, flock,
 * fcntl F_OFD_SETLK / F_OFD_GETLK, close); d_step/atomic make each step indivisible, which
 * is what the kernel guarantees for each call.  A /proc probe (S5) is one step too: it
 * reports what was true at one instant; the job witness (F_OFD_GETLK, byte 1) is read in a
 * later step, and only after /proc said DEAD (the lazy read of the code).
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
 *   flk             flock(keyfd, LOCK_EX): NOBODY, the slot holding it, or ORPH (the
 *                   description of a dead recording process, kept open by its job member).
 *   wit[p], nwit    the witness (byte 0) held, per slot's current description, and the
 *                   count over all descriptions (the orphaned one's, owit, included).
 *   jwit[p], njwit  the job witness (byte 1) likewise (the orphaned one's: ojwit).
 *   orph, owit, ojwit  the orphaned description: a recording process has closed its
 *                   descriptor (died; with -DRELEASE_ONLY_CLOSES also released) while a
 *                   job member kept one; owit, ojwit: it still holds the witness, the job
 *                   witness (counted in nwit, njwit); flk == ORPH: it still holds the
 *                   flock.  ohold: its job holds the lock (the recording process died
 *                   holding it; the ghost `holder` still names it).  At most one at a time:
 *                   a bound of the model.
 * Processes: N pid slots, one process at a time each.  A process is an incarnation of its
 * slot; identity (pid, incarnation) stands for the record (boot, pidns, start time, host,
 * pid): a later process reusing the pid has another start time.  PID namespaces: slots
 * 0..N-2 run in the host's namespace 0; slot N-1 is a container restarted for every
 * incarnation: incarnation i runs in namespace 1+i.
 * Time namespaces: slot 1 runs in a time namespace with a boot-time offset, the others in
 * the initial one.  Job members are not steps while their recording process keeps its
 * descriptor (sharing it, they change nothing another process sees); when it closes it
 * (SIGKILL), whether a member survives is chosen; the process Member then ends the
 * orphaned job at any time.  Only slot JOB_SLOT's holders have members (the state space).
 * A judge facing a record from another PID namespace tests the witness (byte 0,
 * F_OFD_GETLK).  Otherwise the judge reads /proc, modelled as an oracle: identity (p, i)
 * exists iff slot p currently runs incarnation i; the Zombie rule (L13) and the start-time
 * rule (L14) are applied to what /proc shows, below; a DEAD verdict (L7, L9, L13, L14) is
 * then final only if F_OFD_GETLK finds no other description's job witness (byte 1: the job
 * rule), and S8 tests the job witness again under the flock (R1, T22).
 *
 * The environment (all on by default):
 *   - SIGKILL of any running process before any of its steps: the kernel closes its
 *     descriptors; its flock and its witnesses go unless its job member keeps the
 *     description open; its lock symlink stays, stale once its job is over.  The pid may
 *     then be reused.  (Not while waiting in S7 or S13: waiting holds nothing, so that kill
 *     is the same as the kill just before the local step into S7 or S13.)  In particular
 *     between a successful symlinkat and the job witness: a holder without a job.
 *   - A holder's job member (a fork child, COMMAND's tree) may outlive it: at the SIGKILL
 *     of a holder of slot JOB_SLOT in S11/S12 (after try-acquire returned), S13..S15 or
 *     after exec, a member may keep the description open, with its witnesses and its flock;
 *     it exits at any time later.
 *   - The initial lock names identity (pid 0, incarnation 0), which is dead: slot 0 starts
 *     as exited and its next process reuses pid 0; slot N-1 judges it by the witness.
 *   - A new symlink may get the removed one's (inode, mtime): an inode number reused
 *     within one timestamp tick.
 *   - F_OFD_SETLK of either witness may fail (ENOLCK; EINTR is retried by the code).
 *   - A live process's main thread may have exited (pthread_exit) while other threads
 *     run: /proc shows state Z with num_threads > 1.  Chosen afresh at every probe, which
 *     is more than reality (it cannot come back) and costs no state.
 *   - A process holding the flock may be stopped (SIGSTOP, a debugger) for ever.
 *   - A holder may exec; it calls KeepAcrossExec first, so the witnesses (and the job)
 *     stay.
 *   - The probe may be in doubt at any look (hidepid, unreadable /proc, fcntl error).
 *
 * Switches that remove a fix of the code (each must FAIL; spec/check.sh runs them):
 *   -DWITHOUT_T21                  W1: S8 does not re-test the witness -> I2
 *   -DT21_BACK_TO_S3               W1: the re-test starts over at S3 instead of S6: two
 *                                  judges fooled by each other's S3 witness livelock
 *                                  -> non-progress cycle
 *   -DWITHOUT_WITNESS_REQUIRED     W2: a witness that cannot be taken is ignored -> I2
 *   -DNOTES_ZOMBIE_RULE            Z1: Z or X is a zombie whatever num_threads -> I2 (R1's
 *                                  re-test does not save the live holder: it may be
 *                                  between its symlinkat and its job witness, or undoing
 *                                  an acquisition whose job witness it could not take)
 *   -DWITHOUT_TIMENS_NORMALISATION N1: records carry start times as the writer's /proc
 *                                  shows them (with its time-namespace offset) -> I2
 *   -DWITHOUT_FLOCK_TIMEOUT        F1: flock(LOCK_EX) waits for ever -> invalid end state
 *   -DWITHOUT_KEEP_ACROSS_EXEC     X1: the exec'd holder's witnesses are closed -> I2
 *   -DJUDGE_IGNORES_JOB            J1: a DEAD verdict from /proc is final (the old rule):
 *                                  a dead holder's running job is displaced -> I1/I2
 *   -DJOB_ERROR_IS_DEAD            J2: F_OFD_GETLK of the job witness failing (after a DEAD
 *                                  /proc verdict, or in R1's re-test) is taken as released
 *                                  instead of JobUnverifiable -> I5/I1
 *   -DWITHOUT_JOB_DESCRIPTOR       J3: the member does not inherit the description (`pidlock
 *                                  run` leaves close-on-exec set in COMMAND) -> I1/I2
 *   -DRELEASE_ONLY_CLOSES          J4: release does not F_UNLCK the witnesses, it only
 *                                  closes: a member that outlives the release keeps the
 *                                  job witness, and a later stale lock looks JobAlive for as
 *                                  long as it runs -> the liveness property fails
 *                                  (-DLIVENESS)
 *   -DWITHOUT_JOB_WITNESS_REQUIRED J5: a job witness that cannot be taken is ignored: the
 *                                  holder keeps the lock without it, and its job, once it
 *                                  is dead, looks over -> I1/I2
 *   -DJOB_WITNESS_IS_BYTE0         C2: the job rule (and R1) test byte 0, the witness every
 *                                  contender holds around its S3 symlinkat (the design
 *                                  before the job witness) -> with -DLIVENESS -DTWO_TRIERS
 *                                  the property `someone` fails
 *   -DWITHOUT_JOB_RETEST           R1: S8 does not test the job witness again; fails only
 *                                  with a wrong DEAD from /proc about a holder that holds
 *                                  its job witness, e.g. -DJOB_WITNESS_AT_SYMLINK
 *                                  -DNOTES_ZOMBIE_RULE -> I2 (W1's pattern)
 * Other options:
 *   -DN=.. -DTRIES=..   pid slots (2..5) and attempts per slot (default 3 and 2)
 *   -DNO_WITNESS        another PID namespace -> UNKNOWN (refuse), no witnesses at all (and
 *                       no job member: nothing could tell its job)
 *   -DNO_DOUBT          the probe never answers UNKNOWN
 *   -DNO_JOB            no job member (the model before jobs; the job rule stays)
 *   -DJOB_SLOT=s        the slot whose holders may leave a job member behind (default 0;
 *                       1 with -DLIVENESS, 2 with -DTWO_TRIERS); -DJOB_ANY_SLOT: every slot
 *                       (--extended)
 *   -DJOB_WITNESS_AT_SYMLINK  hypothetical, not the code: the job witness is taken in the
 *                       same step as a successful symlinkat (no window without it, and it
 *                       cannot fail apart from it): then R1 catches every wrong DEAD from
 *                       /proc, and -DNOTES_ZOMBIE_RULE, -DWITHOUT_TIMENS_NORMALISATION and
 *                       -DPROBE_MAY_ERR verify (--extended)
 *   -DCALM_IGNORES_FLOCK  with -DLIVENESS: the premise of `takeover` no longer excuses an
 *                       orphaned job that keeps the flock: FAILS (F1, section 9)
 *   -DLIVENESS          the liveness model: slot TSLOT (default 0) is a persistent
 *                       acquirer that retries for ever and meets no fault (no SIGKILL, no
 *                       doubt, no witness failure, no flock timeout, no exec); no process
 *                       is stopped; a job member may run for ever; the LTL property
 *                       `takeover` below is checked with weak fairness (pan -a -f; gcc
 *                       -DNFAIR=3)
 *   -DTWO_TRIERS        with -DLIVENESS: slot 1 is a second persistent acquirer, slot 2's
 *                       holders have job members; the property `someone`: on a stale lock
 *                       of namespace 0, one of the two acquires again and again (C2 is
 *                       resolved by the job witness; -DJOB_WITNESS_IS_BYTE0 brings it back)
 * Mutants (spec/check.sh --mutants; each must FAIL):
 *   -DMUTANT_NO_FLOCK    takeovers skip flock(2)
 *   -DMUTANT_NO_CONFIRM  S8 does not re-read the lock
 *   -DPROBE_MAY_ERR      S5 may call a live holder DEAD
 *   -DMUTANT_NEVER_TAKE_OVER  (with -DLIVENESS) every DEAD verdict refuses: nobody ever
 *                        takes a stale lock over, so `takeover` must fail (it is not vacuous)
 *
 * Properties (IDs of spec/state_machine.md):
 *   I1 mutual exclusion, of jobs: assert(holder == NONE) when a symlinkat succeeds (holder
 *      names the holding job, also while only its member runs); the Monitor checks that at
 *      most one job is in the holding condition (states; an orphaned job that holds counts)
 *   I2 no holder displaced: assert(lock != holder) at S9; the Monitor checks that a
 *      holder's lock stays on disk, and that no LockLost occurs
 *   I3 release never removes another's lock: asserts at S15 and S9 that what is unlinked
 *      is what was confirmed
 *   I4 (bounded) a stale lock is taken over when someone tries: no invalid end state (no
 *      process ends blocked, e.g. on the flock of a stopped process), and no non-progress
 *      cycle (gcc -DNP, pan -l): every execution is finite, so every attempt ends
 *   I5 doubt never leads to takeover: assert(verdict == DEAD) at S9
 *   L (with -DLIVENESS, weak fairness): `takeover`: if eventually no orphaned job holds
 *      the lock or the flock for ever, the persistent acquirer acquires infinitely often,
 *      so no stale lock stays untaken; the job rules cannot make one permanently untakeable.
 *      With -DTWO_TRIERS, `someone`: two persistent acquirers do not refuse each other for
 *      ever on a stale lock of namespace 0 (C2)
 *
 * Run:  spin -a pidlock.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m10000
 * Liveness: spin -a -DLIVENESS pidlock.pml && gcc -O2 -DNFAIR=3 -o pan pan.c &&
 *       ./pan -a -f -m100000
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
#if !defined(NO_JOB) && !defined(NO_WITNESS)
#define JOB 1          /* (without a witness nothing could tell a job: NO_WITNESS has none) */
#endif

#define INCS     (TRIES + 1)                 /* incarnations per slot: 0..TRIES */
#define NONE     0                           /* no lock / no identity */
#define NOBODY   255                         /* nobody holds the flock; no job member */
#define ORPH     254                         /* the description of a dead recording process,
                                              * kept open by its job member */
#define ID(p, i) ((p) * INCS + (i) + 1)
#define PID_OF(id) (((id) - 1) / INCS)
#define INC_OF(id) (((id) - 1) % INCS)
#define ALIVE(id)  ((id) != NONE && running[PID_OF(id)] && inc[PID_OF(id)] == INC_OF(id))
#define NS(id)     (PID_OF(id) == N - 1 -> 1 + INC_OF(id) : 0)

/* The liveness model (-DLIVENESS): slot TSLOT (and, with -DTWO_TRIERS, slot 1) is a
 * persistent acquirer that meets no fault; FAULTY(p) guards every fault and every
 * give-up of the environment. */
#ifdef LIVENESS
#ifndef TSLOT
#define TSLOT 0
#endif
#ifdef TWO_TRIERS
#define PERSISTENT(p) ((p) == TSLOT || (p) == 1)
#else
#define PERSISTENT(p) ((p) == TSLOT)
#endif
#define FAULTY(p) (!PERSISTENT(p))
#else
#define FAULTY(p) true
#endif

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

/* The job rule (L22..L24): after a DEAD verdict from /proc on a record of this PID
 * namespace, PROBING_HOLDER goes on to sub-step 1, the F_OFD_GETLK of the job witness.
 * J1 (-DJUDGE_IGNORES_JOB): the /proc verdict is final. */
#if defined(JUDGE_IGNORES_JOB) || !defined(WITNESS)
#define ASK_JOB skip
#else
#define ASK_JOB sub[p] = 1
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
byte flk = NOBODY;      /* flock(keyfd, LOCK_EX) holder: a slot, ORPH or NOBODY */
bool wit[N];            /* slot's description holds the witness (OFD read lock, byte 0) */
byte nwit;              /* number of witnesses held, over all descriptions */
bool jwit[N];           /* slot's description holds the job witness (OFD read lock, byte 1) */
byte njwit;             /* number of job witnesses held, over all descriptions */

/* The orphaned job: a description whose recording process has closed its descriptor (died,
 * or -DRELEASE_ONLY_CLOSES released) while a job member kept one (at most one at a time). */
bool orph;              /* it exists: its member runs */
bool owit;              /* it holds a witness (counted in nwit) */
bool ojwit;             /* it holds a job witness (counted in njwit) */
bool ohold;             /* its job holds the lock: the recording process died holding it, and
                         * the ghost `holder` still names it */

byte inc[N];            /* current incarnation of each pid slot */
bool running[N];        /* the slot's current incarnation exists (runs, or is stopped) */
mtype st[N];            /* protocol state of each slot */
byte sub[N];            /* sub-step within a state that takes several syscalls */

/* Ghost state for the properties. */
byte holder = NONE;     /* identity of the recording process of the job that holds the lock
                         * (its symlink is the newest: every symlinkat asserts holder ==
                         * NONE); it stays while only the job's member runs */
bool lock_lost;         /* some live holder found its lock changed at S14 (LockLost) */

/* flock(keyfd, LOCK_UN).  (Conditional only so that MUTANT_NO_FLOCK does not drop a flock
 * held by another process; in the protocol the caller always holds it here.) */
#define UNFLOCK      flk = (flk == p -> NOBODY : flk)
/* fcntl(keyfd, F_OFD_SETLK, F_UNLCK byte 0): drops the witness of the description, for
 * every process sharing it (the job member too): after a failed symlinkat (T4, T16). */
#define DROP_WITNESS if :: wit[p] -> wit[p] = false; nwit-- :: else fi
/* fcntl(keyfd, F_OFD_SETLK, F_UNLCK bytes 0-1): drops the witness and the job witness of the
 * description, for every process sharing it (release, S16); also the close(2) of its last
 * descriptor (SIGKILL, X1). */
#define DROP_WITNESSES DROP_WITNESS; if :: jwit[p] -> jwit[p] = false; njwit-- :: else fi
/* F_OFD_GETLK (F_WRLCK, byte 0) from the judge's own open file description: is a read lock
 * held by any other description? */
#define WITNESS_HELD_BY_OTHERS ((nwit - wit[p]) > 0)
/* The job rule's F_OFD_GETLK (L22..L24, and R1's re-test in S8): byte 1, the job witness,
 * which only holders take, after their symlinkat.  -DJOB_WITNESS_IS_BYTE0: byte 0, the
 * design before the job witness (C2: a contender's passing S3 witness looks like a job). */
#ifndef JOB_WITNESS_IS_BYTE0
#define JOB_WITNESS_HELD_BY_OTHERS ((njwit - jwit[p]) > 0)
#else
#define JOB_WITNESS_HELD_BY_OTHERS WITNESS_HELD_BY_OTHERS
#endif
/* Forget what the attempt read. */
#define FORGET       seen = NONE; vseen[p] = false; verdict = 0; jobv = false
/* May a job member survive slot p's process closing its descriptor now?  Only while it
 * holds its description with a job: the application runs (S11/S12, after try-acquire
 * returned: nothing is forked before), after an exec that kept the descriptor
 * (KeepAcrossExec: the witnesses are still there), or in its release (S13..S15) if it had
 * acquired (it holds the job witness; not when it undoes an acquisition whose job witness
 * could not be taken), and between the F_UNLCK and the flock(LOCK_UN) of such a release
 * (sub-step 2, entered only when a member may survive).  At most one orphaned description
 * at a time (a bound of the model). */
#ifdef JOB
#ifdef JOB_ANY_SLOT
#define JOB_SLOT_OK  true
#else
#ifndef JOB_SLOT
#if !defined(LIVENESS)
#define JOB_SLOT 0                      /* the slot whose holders may have a job member */
#elif !defined(TWO_TRIERS)
#define JOB_SLOT 1                      /* (slot 0 is the persistent acquirer: never killed) */
#else
#define JOB_SLOT 2                      /* (slots 0 and 1 are persistent: never killed) */
#endif
#endif
#define JOB_SLOT_OK  (p == JOB_SLOT)
#endif
#define MAY_ORPHAN   (!orph && JOB_SLOT_OK && \
                      (((st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0) || \
                       (st[p] == EXECED && wit[p]) || \
                       ((st[p] == LOCKING_FOR_RELEASE || st[p] == CONFIRMING_OWN_LOCK || \
                         (st[p] == REMOVING_OWN_LOCK && sub[p] < 2)) && jwit[p]) || \
                       (st[p] == REMOVING_OWN_LOCK && sub[p] == 2)))
#else
#define MAY_ORPHAN   false
#endif
/* The end of a release (S16, also after T19 LockLost and S13's KeyDirectoryBusy):
 * fcntl(F_UNLCK) of both witnesses, flock(LOCK_UN), close(keyfd).  A job member keeps a
 * descriptor of a description that now holds nothing: it is no longer part of the job.
 * J4 (-DRELEASE_ONLY_CLOSES): no F_UNLCK; a member may keep the description, and its
 * witnesses, after the close. */
#ifndef RELEASE_ONLY_CLOSES
#define RELEASE_END  DROP_WITNESSES; UNFLOCK
#define RELEASE_STEP d_step
#else
#define RELEASE_STEP atomic              /* RELEASE_END chooses */
#define RELEASE_END  UNFLOCK; \
                     if \
                     :: MAY_ORPHAN -> orph = true; owit = wit[p]; wit[p] = false; \
                                      ojwit = jwit[p]; jwit[p] = false; ohold = false \
                     :: true -> DROP_WITNESSES \
                     fi
#endif
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
  assert(holder == NONE);          /* I1: no other job holds the lock */
  holder = me;
#ifdef JOB_WITNESS_AT_SYMLINK
  jwit[p] = true; njwit++          /* (hypothetical) the job witness comes with the lock */
#endif
}

/* fcntl(keyfd, F_OFD_SETLK, F_RDLCK byte 0) just before a symlinkat (S3 or S10): on
 * success go on to sub-step 1 (symlinkat).  It may fail: the code refuses with
 * WitnessUnavailable (and at S10 releases the flock); nothing is created. */
inline take_witness() {
  if
  :: wit[p] = true; nwit++; sub[p] = 1
  :: FAULTY(p) ->
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
  bool jobv;           /* the DEAD verdict came through the job rule (L23): R1 re-tests it */

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
  :: atomic { st[p] == PROBING_HOLDER && sub[p] == 0 ->  /* /proc + kill(2), or F_OFD_GETLK: one instant */
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
          :: !ALIVE(seen) -> verdict = DEAD; ASK_JOB   /* L7 OwnPidEarlierProcess, L9 NoSuchProcess,
                                                        * L13 Zombie (a dead process has one thread),
                                                        * L14 PidReused; then the job (L22..L24) */
          :: seen == me -> verdict = ALIVE_V   /* L6 ThisProcess (decided without /proc) */
          :: ALIVE(seen) && seen != me ->      /* /proc/<pid>/stat */
             if                                /* Z1: has its main thread exited? */
             :: shows_z = false
             :: shows_z = true                 /* state Z, and another thread runs */
             fi;
             if
             :: ZOMBIE(shows_z, 2) -> verdict = DEAD; ASK_JOB                         /* L13 Zombie */
             :: !ZOMBIE(shows_z, 2) &&
                RECORDED_START(seen) != COMPARED_START(seen, p) -> verdict = DEAD; ASK_JOB  /* L14 PidReused */
             :: !ZOMBIE(shows_z, 2) &&
                RECORDED_START(seen) == COMPARED_START(seen, p) -> verdict = ALIVE_V  /* L17 Alive */
             fi;
             shows_z = false
#ifdef PROBE_MAY_ERR
          :: ALIVE(seen) -> verdict = DEAD; ASK_JOB           /* a wrong liveness function */
#endif
          fi
       fi;
#ifdef DOUBT
       if
       :: skip
       :: FAULTY(p) -> verdict = UNKNOWN; sub[p] = 0  /* hidepid, unreadable /proc, fcntl error: doubt */
       fi;
#endif
       if
       :: verdict == ALIVE_V -> st[p] = CONFIRMED_TO_NOT_START   /* T8 holder-alive */
       :: verdict == UNKNOWN -> st[p] = REFUSED                  /* T9 holder-unknown */
#ifndef MUTANT_NEVER_TAKE_OVER
       :: verdict == DEAD && sub[p] == 0 -> st[p] = LOCKING_FOR_TAKEOVER  /* T10 holder-dead */
#else
       :: verdict == DEAD && sub[p] == 0 -> st[p] = CONFIRMED_TO_NOT_START  /* mutant */
#endif
       :: verdict == DEAD && sub[p] == 1 -> skip     /* the recorded process is dead: its job? */
       fi }
#if defined(WITNESS) && !defined(JUDGE_IGNORES_JOB)
  /* The job rule: the recorded process is dead (L7, L9, L13, L14); does a process of its job
   * still hold the job witness (byte 1)?  Read lazily, after /proc said DEAD.  A contender
   * never holds byte 1 (it takes only byte 0, around its symlinkat), so its passing witness
   * does not count (C2).  The processes holding a dead process's description can only
   * decrease, so a released job witness stays released for that job; R1 re-tests it in S8
   * all the same, against a wrong DEAD from /proc (a job witness of another description only
   * errs toward ALIVE). */
  :: atomic { st[p] == PROBING_HOLDER && sub[p] == 1 ->   /* F_OFD_GETLK, byte 1 */
       if
       :: JOB_WITNESS_HELD_BY_OTHERS -> verdict = ALIVE_V; st[p] = CONFIRMED_TO_NOT_START  /* L22 JobAlive */
#ifndef MUTANT_NEVER_TAKE_OVER
#ifndef WITHOUT_JOB_RETEST
       :: !JOB_WITNESS_HELD_BY_OTHERS -> st[p] = LOCKING_FOR_TAKEOVER; jobv = true  /* L23 DEAD: T10 */
#else
       :: !JOB_WITNESS_HELD_BY_OTHERS -> st[p] = LOCKING_FOR_TAKEOVER   /* L23 DEAD: T10 holder-dead */
#endif
#else
       :: !JOB_WITNESS_HELD_BY_OTHERS -> st[p] = CONFIRMED_TO_NOT_START  /* mutant */
#endif
#ifdef DOUBT
       :: FAULTY(p) ->                                             /* fcntl fails */
#ifndef JOB_ERROR_IS_DEAD
          verdict = UNKNOWN; st[p] = REFUSED                       /* L24 JobUnverifiable: T9 */
#else
          verdict = UNKNOWN; st[p] = LOCKING_FOR_TAKEOVER          /* J2 unfixed: as if released */
#ifndef WITHOUT_JOB_RETEST
          ; jobv = true
#endif
#endif
#endif
       fi;
       sub[p] = 0 }
#endif
#ifndef MUTANT_NO_FLOCK
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER && flk == NOBODY ->  /* flock(LOCK_EX|LOCK_NB) */
       flk = p; st[p] = CONFIRMING_STALE_LOCK; sub[p] = 0 }     /* T11 takeover-flock-taken */
#else
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER ->                    /* mutant: no flock */
       st[p] = CONFIRMING_STALE_LOCK; sub[p] = 0 }
#endif
#ifndef WITHOUT_FLOCK_TIMEOUT
  :: d_step { st[p] == LOCKING_FOR_TAKEOVER && flk != NOBODY && FAULTY(p) ->  /* busy for 10 s: KeyDirectoryBusy */
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
          if
#ifndef WITHOUT_T21
          :: NS(seen) != NS(me) -> sub[p] = 2                   /* WitnessReleased: re-test it */
#else
          :: NS(seen) != NS(me) -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0  /* W1 unfixed: T12 */
#endif
          :: NS(seen) == NS(me) && jobv -> sub[p] = 3           /* R1: re-test the job witness */
          :: NS(seen) == NS(me) && !jobv -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0  /* T12 stale-lock-confirmed */
          fi
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
       :: FAULTY(p) -> UNFLOCK; st[p] = REFUSED; sub[p] = 0; FORGET  /* fcntl fails: HolderOtherNamespace */
#endif
       fi }
#endif
  /* R1: a DEAD of /proc that the job rule confirmed (L23) is monotone when /proc is right
   * (section 12), so this re-test never finds the job witness held then; it catches a wrong
   * DEAD about a live holder that holds its job witness: that holder cannot release while we
   * hold the flock.  Only reached with jobv, which -DWITHOUT_JOB_RETEST never sets. */
  :: atomic { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 3 ->   /* F_OFD_GETLK, byte 1, under the flock */
       if
       :: JOB_WITNESS_HELD_BY_OTHERS ->
          UNFLOCK; st[p] = CONFIRMED_TO_NOT_START; sub[p] = 0; FORGET  /* T22 job-witness-held-on-recheck */
       :: !JOB_WITNESS_HELD_BY_OTHERS -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0  /* T12 */
#ifdef DOUBT
#ifndef JOB_ERROR_IS_DEAD
       :: FAULTY(p) -> UNFLOCK; st[p] = REFUSED; sub[p] = 0; FORGET  /* fcntl fails: JobUnverifiable */
#else
       :: FAULTY(p) -> verdict = UNKNOWN; st[p] = REMOVING_STALE_LOCK; sub[p] = 0  /* J2 unfixed */
#endif
#endif
       fi }
  :: d_step { st[p] == REMOVING_STALE_LOCK ->                     /* unlinkat */
#ifndef MUTANT_NO_FLOCK
       assert(flk == p);
#endif
       assert(verdict == DEAD);                      /* I5 */
#ifndef MUTANT_NO_CONFIRM
       assert(lock == seen && vseen[p]);             /* I3: removes exactly what S8 confirmed */
#endif
       assert(lock == NONE || lock != holder);       /* I2: never a holding job's lock */
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
  /* S11/S12's entry, before try-acquire returns (so before any fork): fstatat, to learn the
   * (inode, mtime) of the symlink just created (only its live creator removes a holder's
   * lock, so this is still ours), and F_OFD_SETLK of byte 1, the job witness.  One step: the
   * state between the two differs from the one before only in what this process knows of
   * its own symlink.  A SIGKILL may come before it (a holder without a job witness, and
   * without a job: nothing was forked).  If byte 1 cannot be taken (ENOLCK), the fresh lock
   * is released through S13..S16 (no job exists, none may survive) and the outcome is
   * WitnessUnavailable. */
  :: atomic { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 1 ->
       assert(lock == me); vmine[p] = true;
#if defined(WITNESS) && !defined(JOB_WITNESS_AT_SYMLINK)
       if
       :: jwit[p] = true; njwit++; sub[p] = 0
       :: FAULTY(p) ->
#ifndef WITHOUT_JOB_WITNESS_REQUIRED
          st[p] = LOCKING_FOR_RELEASE; sub[p] = 0                /* undo: then WitnessUnavailable */
#else
          sub[p] = 0                                             /* J5 unfixed: hold without it */
#endif
       fi
#else
       sub[p] = 0
#endif
       }

  /* ---------------- holding: the application runs, then releases or execs ----------------
   * It may fork job members (or, under `pidlock run`, COMMAND and its tree) that share its
   * open file description; they are not steps here: while the recording process keeps its
   * descriptor, they change nothing another process can observe.  Whether one survives is
   * chosen when the recording process closes its descriptor: SIGKILL below, or J4. */
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 ->
       st[p] = LOCKING_FOR_RELEASE }
#ifdef LIVENESS
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 && FAULTY(p) ->
#else
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 ->
#endif
#ifdef WITHOUT_KEEP_ACROSS_EXEC
       DROP_WITNESSES;                 /* X1: the key directory's descriptor is O_CLOEXEC */
#endif
       st[p] = EXECED }                /* exec after KeepAcrossExec: holds until it ends (KILL) */

  /* ---------------- release ---------------- */
  :: d_step { st[p] == LOCKING_FOR_RELEASE && flk == NOBODY ->   /* flock(LOCK_EX|LOCK_NB) */
       flk = p; st[p] = CONFIRMING_OWN_LOCK; sub[p] = 0 }       /* T17 release-flock-taken */
#ifndef WITHOUT_FLOCK_TIMEOUT
  :: RELEASE_STEP { st[p] == LOCKING_FOR_RELEASE && flk != NOBODY && FAULTY(p) ->  /* busy for 10 s: KeyDirectoryBusy */
       if :: holder == me -> holder = NONE :: else fi;  /* the lock stays, stale once we end */
       RELEASE_END;                    /* F_UNLCK, close(keyfd) */
       st[p] = RELEASED; vmine[p] = false }
#endif
  :: RELEASE_STEP { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 0 ->     /* readlinkat */
       if
       :: lock == me -> sub[p] = 1
       :: else -> lock_lost = true; RELEASE_END; st[p] = RELEASED; vmine[p] = false  /* T19 lock-lost */
       fi }
  :: RELEASE_STEP { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 1 ->     /* fstatat */
       /* The code compares the target and the inode; the model compares the target only
        * (weaker), and I3 at S15 checks that this suffices. */
       if
       :: lock == me -> st[p] = REMOVING_OWN_LOCK; sub[p] = 0    /* T18 own-lock-confirmed */
       :: else -> lock_lost = true; RELEASE_END; st[p] = RELEASED; sub[p] = 0; vmine[p] = false  /* T19 */
       fi }
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 0 ->       /* unlinkat */
       assert(flk == p);
       assert(lock == me && vmine[p]);               /* I3: removes only its own lock */
       lock = NONE; holder = NONE; sub[p] = 1 }                  /* T20 own-lock-removed */
#ifndef RELEASE_ONLY_CLOSES
  /* fcntl(F_UNLCK, bytes 0-1): both witnesses go for the whole description; then
   * flock(LOCK_UN) and close(keyfd).  The state between them (no lock, witnesses released,
   * flock held) is kept only where a job member may outlive a kill there (it then keeps the
   * flock alone); else the three are one step: that state differs from the next one only in
   * making an S7 wait, or give up with KeyDirectoryBusy, which other flock holders also
   * cause. */
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 1 && MAY_ORPHAN ->  /* F_UNLCK bytes 0-1 */
       DROP_WITNESSES; sub[p] = 2 }
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 1 ->       /* F_UNLCK, LOCK_UN, close */
       DROP_WITNESSES; UNFLOCK; st[p] = RELEASED; sub[p] = 0; vmine[p] = false }  /* T20 */
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 2 ->       /* flock(LOCK_UN), close(keyfd) */
       UNFLOCK; st[p] = RELEASED; sub[p] = 0; vmine[p] = false }  /* T20 */
#else
  :: atomic { st[p] == REMOVING_OWN_LOCK && sub[p] == 1 ->       /* J4: flock(LOCK_UN), close only */
       RELEASE_END; st[p] = RELEASED; sub[p] = 0; vmine[p] = false }
#endif

  /* ---------------- end of an attempt; retry, exit, PID reuse ---------------- */
  :: d_step { running[p] && (tries < TRIES || !FAULTY(p)) &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       if :: FAULTY(p) -> tries++ :: else fi;            /* the same process again */
       st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START;
       FORGET; vmine[p] = false }
  :: d_step { running[p] && FAULTY(p) &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       running[p] = false; st[p] = ENDED; FORGET; vmine[p] = false }  /* the process exits */
  :: d_step { !running[p] && tries < TRIES ->                     /* a new process reuses pid p */
       inc[p]++; me = ID(p, inc[p]); running[p] = true; tries++;
       st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START }
  :: !running[p] && FAULTY(p) -> break                            /* pid p is not reused (any more) */

  /* ---------------- faults ---------------- */
  /* SIGKILL (or the end of an exec'd program): the kernel closes its descriptors. */
  :: d_step { running[p] && FAULTY(p) && st[p] != LOCKING_FOR_TAKEOVER && st[p] != LOCKING_FOR_RELEASE ->
       UNFLOCK; DROP_WITNESSES;                     /* flock and both witnesses go */
       if :: holder == me -> holder = NONE :: else fi; /* its lock (if any) stays, now stale */
       running[p] = false; st[p] = ENDED; sub[p] = 0; FORGET; vmine[p] = false }
  :: d_step { running[p] && FAULTY(p) && st[p] != LOCKING_FOR_RELEASE && MAY_ORPHAN ->
       /* ... while a job member runs on, keeping a descriptor of its description */
#ifndef WITHOUT_JOB_DESCRIPTOR
       owit = wit[p]; wit[p] = false;               /* the witness stays, */
       ojwit = jwit[p]; jwit[p] = false;            /* the job witness, */
       if :: flk == p -> flk = ORPH :: else fi;     /* and the flock if it was held */
#else
       UNFLOCK; DROP_WITNESSES;        /* J3 unfixed: the member has no descriptor of it */
#endif
       orph = true; ohold = (holder == me);         /* a holding job holds on: holder stays */
       running[p] = false; st[p] = ENDED; sub[p] = 0; FORGET; vmine[p] = false }
#ifndef LIVENESS
  :: flk == p -> break          /* SIGSTOP while holding the flock: never runs again (F1) */
#endif
  od
}

#ifdef JOB
/* The orphaned job's member(s): processes that kept a descriptor of the description of a
 * recording process that has closed its own.  The last one exits (or closes it) at any
 * time: the kernel then drops the description's witnesses and flock, and the job is over. */
active proctype Member() {
end:
  do
  :: d_step { orph ->
       if :: owit -> owit = false; nwit-- :: else fi;
       if :: ojwit -> ojwit = false; njwit-- :: else fi;
       if :: flk == ORPH -> flk = NOBODY :: else fi;
       if :: ohold -> holder = NONE; ohold = false :: else fi;
       orph = false }
#ifdef LIVENESS
  :: orph -> skip               /* runs on: under weak fairness a member may run for ever */
#endif
  od
}
#endif

/* The "holding" condition of I1, from the states alone: from the successful symlinkat
 * (S3 -> S11, or S10 before it drops the flock) through S11/S12, S13, S14 and S15 up to the
 * unlinkat; and after an exec.  A job whose recording process died holding holds on
 * while its member runs (orph && ohold): one more holder. */
#define HOLDING(q) (st[q] == OK || st[q] == OK_STALE_LOCK_REMOVED || st[q] == EXECED || \
                    st[q] == LOCKING_FOR_RELEASE || st[q] == CONFIRMING_OWN_LOCK || \
                    (st[q] == REMOVING_OWN_LOCK && sub[q] == 0) || \
                    (st[q] == CREATING_NEW_SYMLINK && sub[q] == 2))
#define ORPHAN_HOLDS (orph && ohold)
#if N == 2
#define NHOLDING (HOLDING(0) + HOLDING(1) + ORPHAN_HOLDS)
#elif N == 3
#define NHOLDING (HOLDING(0) + HOLDING(1) + HOLDING(2) + ORPHAN_HOLDS)
#elif N == 4
#define NHOLDING (HOLDING(0) + HOLDING(1) + HOLDING(2) + HOLDING(3) + ORPHAN_HOLDS)
#elif N == 5
#define NHOLDING (HOLDING(0) + HOLDING(1) + HOLDING(2) + HOLDING(3) + HOLDING(4) + ORPHAN_HOLDS)
#else
#error "NHOLDING: N must be 2..5"
#endif

/* Monitor: blocks (a valid end state) unless a state violates
 *   I1: two jobs in the holding condition, or
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

#ifdef LIVENESS
/* No orphaned job keeps the lock (its job is alive: correct to keep it) or the flock (F1:
 * a recording process killed while holding the flock, with a member alive: takeovers give
 * up with KeyDirectoryBusy until the member exits; not fixed, section 9). */
#ifndef CALM_IGNORES_FLOCK
#define CALM (!(orph && (ohold || flk == ORPH)))
#else
#define CALM (!(orph && ohold))
#endif
#ifndef TWO_TRIERS
/* If from some point on nothing legitimately blocks the key, the persistent acquirer
 * acquires again and again: no lock, stale or not, stays untaken. */
ltl takeover { (<>[] CALM) -> ([]<> HOLDING(TSLOT)) }
#else
/* C2: two persistent acquirers, restricted to a lock of PID namespace 0 (so judged by /proc
 * and the job rule, not by the witness alone as C1 is): if from some point on such a lock
 * is always there (and nothing legitimately blocks the key), one of them holds again and
 * again; as a holder releases, this says that no such lock stays for ever.  Verifies with
 * the job witness; fails with -DJOB_WITNESS_IS_BYTE0 (each one's F_OFD_GETLK falls in the
 * other's S3 window, again and again). */
ltl someone { (<>[] (CALM && lock != NONE && PID_OF(lock) != N - 1)) -> ([]<> (HOLDING(TSLOT) || HOLDING(1))) }
#endif
#endif

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
