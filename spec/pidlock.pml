/*
 * pidlock.pml -- Promela model of the pidlock protocol as implemented (src/acquire.cc,
 * src/liveness.cc, src/proc.cc, src/this_process.cc, src/wait.cc) and specified in
 * spec/state_machine.md.  Every claim below names its ID there; spec/check.sh runs it.
 *
 * Modelled: try-acquire from S3 ATTEMPTING_TO_CREATE_A_SYMLINK to S11 OK, S12
 * OK_STALE_LOCK_REMOVED or S6 CONFIRMED_TO_NOT_START (the takeover S7..S10 under flock(2),
 * with T21: the witness re-tested under the flock, and T22: the job witness re-tested under
 * the flock, R1), two OFD read locks on the key directory's open file description: "the
 * witness" (byte 0, taken just before each symlinkat, dropped when it fails, kept while
 * holding) and "the job witness" (byte 1, taken only by a holder, after its symlinkat
 * succeeded and before try-acquire returns; if it cannot be taken, or close-on-exec cannot
 * be cleared, the fresh lock is released and the outcome is WitnessUnavailable), release
 * S13..S16 (both witnesses dropped with one F_UNLCK for the whole open file description,
 * then the flock), the bounded flock wait (KeyDirectoryBusy), the round bound (EAGAIN at
 * the loop-backs T6, T13, T16), and the process model:
 *   - identity (pid number, PID namespace, token): every process, fork children included,
 *     has a token of its own; a Lock remembers its acquirer's token (I7);
 *   - the holder as a JOB: the recording process plus its fork child (or `pidlock run`'s
 *     COMMAND), a process of its own here (Env: forked while the holder's application
 *     runs; it leaves the job by exiting or by Release(), which for it only closes its
 *     copy of the descriptor: NotOwner, whatever its pid number; exec keeps its copy); if
 *     the holder dies first, the child keeps the description (both witnesses, and the
 *     flock if held) and ends at any time later; a record of this PID namespace whose
 *     process is dead is dead only when the job witness is released (L22 JobAlive, L23,
 *     L24 JobUnverifiable);
 *   - exec: the holder (or its child) may exec; the descriptor is kept (X1): the exec'd
 *     program holds until it ends;
 *   - with -DLIVENESS, Acquire (src/wait.cc): the persistent acquirer is a waiter that
 *     arms an inotify watch (IN_DELETE) and a pidfd, tries again, and sleeps (I6);
 *   - a second Lock of one process (-DSECOND_LOCK, a documented limitation: D3 below).
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
 *                   holding it; the ghost `holder` still names it); odisp: its job was
 *                   displaced by a fault.  At most one at a time: a bound of the model.
 *   cst             the fork child: none, a member, gone (per holding of slot JOB_SLOT).
 *   hands, lost[p], taint[p]  faults that change a lock under its holder (below).
 * Processes: N pid slots, one process at a time each.  A process is an incarnation of its
 * slot; identity (pid, incarnation) stands for the record (boot, pidns, start time, host,
 * pid): a later process reusing the pid has another start time.  PID namespaces: slots
 * 0..N-2 run in the host's namespace 0; slot N-1 is a container restarted for every
 * incarnation: incarnation i runs in namespace 1+i, with a virtualised boot id (systemd-
 * nspawn) and the host's host name, so its records are judged by the witness on two
 * counts (L2, L3..L5).  Time namespaces: slot 1 runs in a time namespace with a boot-time
 * offset, the others in the initial one.  Only slot JOB_SLOT's holders fork.  A judge
 * facing a record from another PID namespace or boot id tests the witness (byte 0,
 * F_OFD_GETLK).  Otherwise the judge reads /proc, modelled as an oracle: identity (p, i)
 * exists iff slot p currently runs incarnation i; the Zombie rule (L13) and the start-time
 * rule (L14) are applied to what /proc shows, below; a DEAD verdict (L7, L9, L13, L14) is
 * then final only if F_OFD_GETLK finds no other description's job witness (byte 1: the job
 * rule), and S8 tests the job witness again under the flock (R1, T22).
 *
 * The environment (all on by default; section 6 of the spec):
 *   - SIGKILL of any running process before any of its steps: the kernel closes its
 *     descriptors; its flock and its witnesses go unless its job member keeps the
 *     description open; its lock symlink stays, stale once its job is over.  The pid may
 *     then be reused.  (Not while waiting in S7 or S13: waiting holds nothing, so that kill
 *     is the same as the kill just before the local step into S7 or S13.)  In particular
 *     between a successful symlinkat and the job witness: a holder without a job.
 *   - A holder's fork child (COMMAND's tree) may outlive it, in the same or (for the
 *     identity) a new PID namespace; it exits at any time later.
 *   - The initial lock names identity (pid 0, incarnation 0), which is dead: slot 0 starts
 *     as exited and its next process reuses pid 0; slot N-1 judges it by the witness.
 *   - A new symlink may get the removed one's (inode, mtime): an inode number reused
 *     within one timestamp tick.
 *   - F_OFD_SETLK of either witness may fail (ENOLCK; EINTR is retried by the code).
 *   - A live process's main thread may have exited (pthread_exit) while other threads
 *     run: /proc shows state Z with num_threads > 1.  Chosen afresh at every probe, which
 *     is more than reality (it cannot come back) and costs no state.
 *   - A process holding the flock may be stopped (SIGSTOP, a debugger) for ever.
 *   - A holder may exec (the descriptor is kept across exec: the witnesses and the job
 *     stay).
 *   - The probe may be in doubt at any look (hidepid, unreadable /proc, fcntl error).
 *   - A hand removal (HANDS times, default once; at any instant, or with
 *     -DHAND_WHILE_RUNNING only while the lock's holder runs its application): someone
 *     unlinks <key>/lock without the flock.  The holder whose lock it was is `lost`
 *     (displaced: it runs on believing it holds; its release meets LockLost); a slot that
 *     held the flock between a confirming read and its unlink (S8 after its readlinkat,
 *     S9; S15) is `taint`ed: that unlink may remove a lock created since the removal (G3:
 *     no compare-and-unlink), and the holder of that lock is displaced too.
 *   - -DCMDLINE (--identity cmdline): slot 1 runs another command line, so slots 0 and 1
 *     judge each other's live holders OtherCommandLine (L16) and take their locks over, by
 *     design: that holder is displaced too.
 *
 * Properties (IDs of spec/state_machine.md; each names the check.sh run that checks it):
 *   I1 mutual exclusion, of jobs, among the holders no fault displaced:
 *      assert(holder == NONE) when a symlinkat succeeds (holder names the holding job, also
 *      while only its member runs; a displaced holder is no longer `holder`); the Monitor
 *      checks that at most one job that no fault displaced is in the holding condition
 *      (states; an orphaned job that holds counts).  So after the last fault, once the
 *      jobs it displaced have ended, at most one job runs (I8).
 *   I2 no holder displaced but by a fault: assert(lock != holder || taint || cmdv) at S9;
 *      the Monitor checks that a holder's lock stays on disk; LockLost (T19), and a lock
 *      gone at S11/S12's fstatat, only for a displaced holder (asserted there).
 *   I3 a release removes only the symlink its releaser (that Lock, in that process)
 *      created: assert at S15 (and at the fork child's S15, and at S9 for what S8
 *      confirmed), but for a hand removal's window (taint).
 *   I4 (bounded) a stale lock is taken over when someone tries: no invalid end state (no
 *      process ends blocked, e.g. on the flock of a stopped process), and no non-progress
 *      cycle (gcc -DNP, pan -l): every execution is finite, so every attempt ends
 *   I5 doubt never leads to takeover: assert(verdict == DEAD) at S9
 *   I6 (with -DLIVENESS, weak fairness) `takeover`: if eventually no orphaned job holds the
 *      lock, keeps the flock or runs displaced, and no live process keeps a lock its
 *      release left (KeyDirectoryBusy), the persistent acquirer acquires infinitely often:
 *      no stale lock stays untaken, and a waiter (Acquire) whose holder released or died
 *      is woken: no lost wake-up.  With -DTWO_TRIERS, `someone`: two persistent acquirers
 *      do not refuse each other for ever on a stale lock of namespace 0 (C2).
 *   I7 only the acquiring process (its token) runs S13..S16 for a Lock: the fork child's
 *      Release is a close; checked through I3 and I2 (-DIDENTITY_BY_PID_NUMBER fails).
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
 *   -DEXEC_CLOSES_DESCRIPTOR       X1: the old default: the key directory's descriptor is
 *                                  close-on-exec, so an exec'd holder (and an exec'd job
 *                                  member) loses the witnesses while it lives on -> I2
 *                                  (a judge of another PID namespace takes it over)
 *   -DJUDGE_IGNORES_JOB            J1: a DEAD verdict from /proc is final (the old rule):
 *                                  a dead holder's running job is displaced -> I1/I2
 *   -DJOB_ERROR_IS_DEAD            J2: F_OFD_GETLK of the job witness failing (after a DEAD
 *                                  /proc verdict, or in R1's re-test) is taken as released
 *                                  instead of JobUnverifiable -> I5/I1
 *   -DWITHOUT_JOB_DESCRIPTOR       J3: the member does not inherit the description (it
 *                                  holds no descriptor of it) -> I1/I2
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
 *   -DIDENTITY_BY_PID_NUMBER       K1: Release() decides "am I the acquirer" by getpid():
 *                                  the fork child in a new PID namespace with its parent's
 *                                  pid number runs S13..S16 on its copy and removes its
 *                                  live parent's lock -> I3 (then I2, I1)
 *   -DWITHOUT_S14                  K2: release unlinks without comparing (S14 gone): a
 *                                  holder displaced by a hand removal removes the next
 *                                  holder's lock -> I3; with -DCMDLINE -DHANDS=0 the same
 *                                  through an OtherCommandLine takeover
 *   -DVIRTUAL_BOOT_ID_IS_PREVIOUS_BOOT  B1: another boot id is PreviousBoot at once (the old
 *                                  L2): the container's virtualised boot id makes its live
 *                                  holder stale for the host, and the host's for it -> I2
 *   -DWAIT_ARM_AFTER_TRY           A1: Acquire sleeps right after arming the watch and the
 *                                  pidfd, without trying again: a release between the try
 *                                  and the arming is missed -> `takeover` fails (-DLIVENESS)
 *   -DWAIT_NO_WATCH                A2: no inotify watch: a waiter is woken by its holder's
 *                                  death only, not by a release -> `takeover` fails
 *   -DMUTANT_NEVER_TAKE_OVER       (with -DLIVENESS) every DEAD verdict refuses: nobody
 *                                  ever takes a stale lock over -> `takeover` fails (it is
 *                                  not vacuous)
 * Documented limitations (each must FAIL as described; spec/check.sh runs them):
 *   -DCALM_IGNORES_FLOCK    F1: with -DLIVENESS, the premise of `takeover` no longer
 *                           excuses an orphaned job that keeps the flock
 *   -DCALM_IGNORES_DISPLACED  D1: nor a job that a hand removal displaced: it keeps the job
 *                           witness with no lock, and a later dead holder's lock looks
 *                           JobAlive while it runs
 *   -DCALM_IGNORES_LEFTOVER   D2: nor a live process whose release gave up (KeyDirectory-
 *                           Busy): its lock stays on disk and looks held while it lives
 *   -DSECOND_LOCK           D3: a second Lock of one process on one key (another thread's
 *                           TryAcquire, after a hand removal) writes the same record;
 *                           with the removed symlink's inode number reused, the first
 *                           Lock's S14 (target and inode) passes and its S15 removes the
 *                           second Lock's symlink -> I3 (verifies with -DHANDS=0)
 * Other options:
 *   -DN=.. -DTRIES=..   pid slots (2..5) and attempts per slot (default 3 and 2)
 *   -DHANDS=n           hand removals per run (default 1; 0: none)
 *   -DHAND_WHILE_RUNNING  a hand removal only while the holder's application runs
 *   -DCMDLINE           the cmdline identity (L16), slot 1 another command line
 *   -DNO_WITNESS        another PID namespace -> UNKNOWN (refuse), no witnesses at all (and
 *                       no job member: nothing could tell its job)
 *   -DNO_DOUBT          the probe never answers UNKNOWN
 *   -DNO_JOB            no job member (the model before jobs; the job rule stays)
 *   -DNO_FORK_STEPS     the fork child is not a process: whether a member survives is
 *                       chosen when the recording process closes its descriptor (exact by
 *                       I7: while that process keeps its descriptor, the child's steps
 *                       change nothing another process sees); implied by
 *                       -DEXEC_CLOSES_DESCRIPTOR, -DRELEASE_ONLY_CLOSES, -DJOB_ANY_SLOT
 *   -DJOB_SLOT=s        the slot whose holders fork (default 0; 1 with -DLIVENESS, 2 with
 *                       -DTWO_TRIERS); -DJOB_ANY_SLOT: every slot (--extended)
 *   -DJOB_WITNESS_AT_SYMLINK  hypothetical, not the code: the job witness is taken in the
 *                       same step as a successful symlinkat (no window without it, and it
 *                       cannot fail apart from it): then R1 catches every wrong DEAD from
 *                       /proc, and -DNOTES_ZOMBIE_RULE, -DWITHOUT_TIMENS_NORMALISATION and
 *                       -DPROBE_MAY_ERR verify (--extended)
 *   -DLIVENESS          the liveness model: slot TSLOT (default 0) is a persistent
 *                       acquirer that meets no fault (no SIGKILL, no doubt, no witness
 *                       failure, no flock timeout, no EAGAIN, no exec): a waiter in Acquire
 *                       (src/wait.cc), or with -DTRY_LOOP a TryAcquire loop; no process is
 *                       stopped; a job member may run for ever; a process whose attempt
 *                       ended may live on for ever (its pid stays); hand removals end; the
 *                       LTL property `takeover` below is checked with weak fairness (pan -a
 *                       -f; gcc -DNFAIR=3)
 *   -DTWO_TRIERS        with -DLIVENESS: slot 1 is a second persistent acquirer (both
 *                       TryAcquire loops), slot 2's holders fork; the property `someone`: on
 *                       a stale lock of namespace 0, one of the two acquires again and again
 *                       (C2 is resolved by the job witness; -DJOB_WITNESS_IS_BYTE0 brings it
 *                       back)
 * Mutants (spec/check.sh --mutants; each must FAIL):
 *   -DMUTANT_NO_FLOCK    takeovers skip flock(2)
 *   -DMUTANT_NO_CONFIRM  S8 does not re-read the lock
 *   -DPROBE_MAY_ERR      S5 may call a live holder DEAD
 *
 * Run:  spin -a pidlock.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m10000
 * Liveness: spin -a -DLIVENESS pidlock.pml && gcc -O2 -DNFAIR=3 -o pan pan.c &&
 *       ./pan -a -f -m100000
 * (spec/check.sh does this in a temporary directory, at the sizes it names).
 */

#ifndef N
#define N 3            /* pid slots (concurrent processes) */
#endif
#ifndef TRIES
#define TRIES 2        /* acquisition attempts per pid slot, over all its incarnations */
#endif
#ifndef HANDS
#define HANDS 1        /* hand removals of <key>/lock per run (an environment fault) */
#endif
#if !defined(HAND_WHILE_RUNNING)
#define HAND_ANYWHERE 1
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
#if defined(JOB) && !defined(NO_FORK_STEPS) && !defined(JOB_ANY_SLOT) && \
    !defined(EXEC_CLOSES_DESCRIPTOR) && !defined(RELEASE_ONLY_CLOSES)
#define FORK_STEPS 1   /* the fork child is a process of its own (the default) */
#endif
#if defined(IDENTITY_BY_PID_NUMBER) && !defined(FORK_STEPS)
#error "-DIDENTITY_BY_PID_NUMBER needs the fork child as a process (FORK_STEPS)"
#endif
#if defined(LIVENESS) && !defined(TWO_TRIERS) && !defined(TRY_LOOP)
#define WAITER 1       /* the persistent acquirer runs Acquire (src/wait.cc) */
#endif

#define INCS     (TRIES + 1)                 /* incarnations per slot: 0..TRIES */
#define NONE     0                           /* no lock / no identity */
#define NOBODY   255                         /* nobody holds the flock; no job member */
#define ORPH     254                         /* the description of a dead recording process,
                                              * kept open by its job member */
#define SECOND   253                         /* (-DSECOND_LOCK) the description of slot 0's
                                              * second Lock */
/* An identity is (pid number, PID namespace, token).  For a slot's process: pid number p,
 * token = its incarnation i (every process has its own), namespace NS(id).  The record
 * written into the lock is (boot, pidns, start time, host, pid): a later process that
 * reuses the pid number in the same namespace has another start time, so records and
 * identities correspond one to one (the record of ID(p, i) is written only by it). */
#define ID(p, i) ((p) * INCS + (i) + 1)
#define PID_OF(id) (((id) - 1) / INCS)
#define INC_OF(id) (((id) - 1) % INCS)
#define ALIVE(id)  ((id) != NONE && running[PID_OF(id)] && inc[PID_OF(id)] == INC_OF(id))
#define NS(id)     (PID_OF(id) == N - 1 -> 1 + INC_OF(id) : 0)
/* Slot N-1 is also a container with a virtualised boot id (systemd-nspawn bind-mounts one
 * over /proc/sys/kernel/random/boot_id) and the host's host name. */
#define BOOT(id)   (PID_OF(id) == N - 1 -> 1 : 0)
/* Judged by the witness (byte 0): a record of another PID namespace (L3..L5) or of another
 * boot id with our host name (L2).  B1 unfixed (-DVIRTUAL_BOOT_ID_IS_PREVIOUS_BOOT): another
 * boot id is a previous boot, DEAD at once (L2 is tried before L3). */
#ifndef VIRTUAL_BOOT_ID_IS_PREVIOUS_BOOT
#define BY_WITNESS(a, b) (NS(a) != NS(b) || BOOT(a) != BOOT(b))
#else
#define BY_WITNESS(a, b) (NS(a) != NS(b) && BOOT(a) == BOOT(b))
#endif

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

/* -DCMDLINE (--identity cmdline): slot 1 runs another command line than slots 0 and 2, so
 * a judge of slot 0 or 1 calls a live holder of the other `OtherCommandLine` (L16): DEAD
 * for this app, by design; its lock is taken over under the holder. */
#ifdef CMDLINE
#define CMDLINE_DIFFERS(a, b) ((PID_OF(a) == 1) != (PID_OF(b) == 1))
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
  REFUSED,   /* try-acquire returned an error (UNKNOWN holder, WitnessUnavailable,
              * KeyDirectoryBusy, LockLost, EAGAIN) */
  EXECED,    /* the holder exec'd: the new program holds the lock until the process ends */
  ENDED,     /* the process exited or was killed (or the slot has not started yet) */
  WAITING    /* (-DLIVENESS) the waiter sleeps in poll(2) in Acquire (src/wait.cc) */
};
mtype = { DEAD, ALIVE_V, UNKNOWN, HELD_FB };   /* S5 verdicts; HELD_FB: held, WitnessHeld or
                                               * JobAlive (the waiter polls: no pidfd) */
#ifdef WAITER
#define FB_VERDICT HELD_FB     /* the waiter needs the reason: no pidfd for these */
#define SET_FB     ; verdict = HELD_FB
#else
#define FB_VERDICT ALIVE_V     /* (otherwise not state: nobody reads it) */
#define SET_FB
#endif

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
bool odisp;             /* its job held the lock until a fault displaced it (it runs on,
                         * keeping the witnesses, with no lock of its own) */

byte inc[N];            /* current incarnation of each pid slot */
bool running[N];        /* the slot's current incarnation exists (runs, or is stopped) */
mtype st[N];            /* protocol state of each slot */
byte sub[N];            /* sub-step within a state that takes several syscalls */

/* Ghost state for the properties. */
byte holder = NONE;     /* identity of the recording process of the job that holds the lock
                         * (its symlink is the newest: every symlinkat asserts holder ==
                         * NONE); it stays while only the job's member runs */
/* Faults that change a lock under its holder: a hand removal (someone unlinks <key>/lock),
 * and, with -DCMDLINE, a takeover of a live holder by design (OtherCommandLine).  A holder
 * they displace is `lost`: it runs on believing it holds.  I1 counts the holders that no
 * such fault displaced. */
byte hands;             /* hand removals so far (at most HANDS) */
bool lost[N];           /* the slot's holder was displaced by a fault */
bool taint[N];          /* a hand removal came while the slot, holding the flock, was between
                         * its confirming read and its unlink (S8 after the readlinkat, S9;
                         * S15): that unlink may remove a lock created since, which no
                         * system call can prevent (G3: no compare-and-unlink) */

#ifdef FORK_STEPS
/* The fork child of slot JOB_SLOT's holder, as a process of its own: identity (pid number,
 * namespace, token) with a token of its own and, when `ccoll`, in a new PID namespace with
 * its parent's pid number (PID 1 of a container that unshared CLONE_NEWPID and forked). */
#define CNONE  0        /* no child (or one that holds nothing: its parent released) */
#define CMEMBER 1       /* forked while its parent holds: shares the description */
#define CGONE  2        /* left the job (exited, or Release(): NotOwner, closed its copy) */
#define CREL13 3        /* -DIDENTITY_BY_PID_NUMBER: its Release() runs S13..S16 */
#define CREL14 4
#define CREL15 5
#define CREL16 6
byte cst;               /* the child's state */
bool ccoll;             /* its pid number is its parent's (chosen at the fork) */
#endif

#ifdef SECOND_LOCK
/* A second Lock of slot 0's process (another thread's TryAcquire), on a description of its
 * own (SECOND); the first Lock is the slot's.  Same record as the first: only the inode
 * tells their symlinks apart. */
byte t2;                /* 0 none, 1 holds, 2 S13 done (flock), 3 S14 done, 4 over */
bool w2;                /* its description holds the witness and the job witness */
bool v2;                /* the symlink it created is the newest one */
bool c2;                /* ghost: the current symlink was created by the second Lock */
bool lost2;             /* the second Lock's holding was displaced by a fault */
#endif

#ifdef WAITER
/* Acquire's state (src/wait.cc), of the waiter (slot TSLOT), from one try-acquire to the
 * next; reset when Acquire returns. */
bool wwatch;            /* the inotify watch of the key directory is armed */
bool wev;               /* an IN_DELETE event is queued on it */
byte wpid = NONE;       /* the process its pidfd refers to (NONE: no pidfd) */
bool wfb;               /* fallback: poll every 10 ms */
byte wheld = NONE;      /* the holder the pidfd was opened for (SameHolder: pid and target) */
#define RESET_WAITER    wwatch = false; wev = false; wpid = NONE; wfb = false; wheld = NONE
#define WATCH_EVENT     if :: wwatch -> wev = true :: else fi
#else
#define WATCH_EVENT     skip
#endif
/* unlinkat(keyfd, "lock", 0), whoever makes it: inotify reports IN_DELETE. */
#define UNLINK_LOCK     lock = NONE; WATCH_EVENT

/* When a hand removal may come: by default while the lock's holder runs its application
 * (S11/S12 after try-acquire returned, or after exec), or its orphaned job holds it; with
 * -DHAND_ANYWHERE at any instant, stale locks and every protocol step included. */
#ifdef HAND_ANYWHERE
#define HAND_WHEN    true
#else
#define HAND_WHEN    (holder != NONE && lock == holder && \
                      ((ohold) || (running[PID_OF(holder)] && APP(PID_OF(holder)))))
#endif
/* The holder that a fault (or a tainted unlink) removed the lock of is displaced. */
#ifdef SECOND_LOCK
#define DISPLACE_L2     :: c2 -> lost2 = true
#else
#define DISPLACE_L2
#endif
#define DISPLACE        if :: ohold -> ohold = false; odisp = true DISPLACE_L2 \
                           :: else -> lost[PID_OF(holder)] = true fi; \
                        holder = NONE

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
/* Forget what the attempt read (and the fault bookkeeping of a holding that ended). */
#define FORGET       seen = NONE; vseen[p] = false; verdict = 0; jobv = false; cmdv = false; \
                     lost[p] = false; taint[p] = false
/* The holding states in which the application runs (and may fork). */
#define APP(q)       ((((st[q] == OK || st[q] == OK_STALE_LOCK_REMOVED) && sub[q] == 0) || \
                       st[q] == EXECED))
/* May a job member survive slot p's process closing its descriptor now?  Only while it
 * holds its description with a job: the application runs (S11/S12, after try-acquire
 * returned: nothing is forked before), after an exec (the descriptor is kept: the
 * witnesses are still there), or in its release (S13..S15) if it had acquired (it holds
 * the job witness; not when it undoes an acquisition whose job witness could not be
 * taken), and between the F_UNLCK and the flock(LOCK_UN) of such a release (sub-step 2,
 * entered only when a member may survive).  At most one orphaned description at a time (a
 * bound of the model).  With FORK_STEPS the member is the explicit child: it survives iff
 * it is still a member (cst == CMEMBER). */
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
#define MAY_ORPHAN_STATE \
                     (((st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0) || \
                       (st[p] == EXECED && wit[p]) || \
                       ((st[p] == LOCKING_FOR_RELEASE || st[p] == CONFIRMING_OWN_LOCK || \
                         (st[p] == REMOVING_OWN_LOCK && sub[p] < 2)) && jwit[p]) || \
                       (st[p] == REMOVING_OWN_LOCK && sub[p] == 2))
#ifdef FORK_STEPS
#define MAY_ORPHAN   (!orph && p == JOB_SLOT && cst == CMEMBER && MAY_ORPHAN_STATE)
#define MUST_ORPHAN  (p == JOB_SLOT && cst != CNONE && cst != CGONE)
#else
#define MAY_ORPHAN   (!orph && JOB_SLOT_OK && MAY_ORPHAN_STATE)
#define MUST_ORPHAN  false
#endif
#else
#define MAY_ORPHAN   false
#define MUST_ORPHAN  false
#endif
#ifdef FORK_STEPS
#define CHILD_CLEARS if :: p == JOB_SLOT -> cst = CNONE :: else fi
#else
#define CHILD_CLEARS skip
#endif
/* The end of a release (S16, also after T19 LockLost and S13's KeyDirectoryBusy):
 * fcntl(F_UNLCK) of both witnesses, flock(LOCK_UN), close(keyfd).  A job member keeps a
 * descriptor of a description that now holds nothing: it is no longer part of the job.
 * J4 (-DRELEASE_ONLY_CLOSES): no F_UNLCK; a member may keep the description, and its
 * witnesses, after the close. */
#ifndef RELEASE_ONLY_CLOSES
#define RELEASE_END  DROP_WITNESSES; UNFLOCK; CHILD_CLEARS
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
#ifdef SECOND_LOCK
#define NEW_V2       ; v2 = false
#else
#define NEW_V2
#endif
#if N == 2
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vmine[0] = false; vmine[1] = false NEW_V2
#elif N == 3
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vseen[2] = false; \
                     vmine[0] = false; vmine[1] = false; vmine[2] = false NEW_V2
#elif N == 4
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vseen[2] = false; vseen[3] = false; \
                     vmine[0] = false; vmine[1] = false; vmine[2] = false; vmine[3] = false NEW_V2
#elif N == 5
#define NEW_VERSION  vseen[0] = false; vseen[1] = false; vseen[2] = false; vseen[3] = false; vseen[4] = false; \
                     vmine[0] = false; vmine[1] = false; vmine[2] = false; vmine[3] = false; vmine[4] = false NEW_V2
#endif
/* A hand removal taints every slot in a window between a confirming read and its unlink. */
#define TAINT(q)     if :: (st[q] == CONFIRMING_STALE_LOCK && sub[q] >= 1) || \
                           st[q] == REMOVING_STALE_LOCK || \
                           (st[q] == REMOVING_OWN_LOCK && sub[q] == 0) -> taint[q] = true \
                        :: else fi
#if N == 2
#define TAINT_ALL    TAINT(0); TAINT(1)
#elif N == 3
#define TAINT_ALL    TAINT(0); TAINT(1); TAINT(2)
#elif N == 4
#define TAINT_ALL    TAINT(0); TAINT(1); TAINT(2); TAINT(3)
#elif N == 5
#define TAINT_ALL    TAINT(0); TAINT(1); TAINT(2); TAINT(3); TAINT(4)
#endif

/* symlinkat(record, keyfd, "lock") succeeded: the lock now names `me`. */
inline create(me) {
  if
  :: NEW_VERSION     /* a new (inode, mtime) */
  :: skip            /* the removed symlink's inode number, reused within one mtime tick */
  fi;
  lock = me;
  assert(holder == NONE);          /* I1: no other job holds the lock (none that no fault displaced) */
  holder = me;
#ifdef SECOND_LOCK
  c2 = false;
#endif
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

/* The round bound (kMaxRounds): where try-acquire loops back (T6, T13: S3 again; T16: S4
 * again) it may have used up its 1000 rounds and return EAGAIN.  Never for the persistent
 * acquirer (whose retries are attempts anyway). */
#define ROUND_BOUND  :: FAULTY(p) -> st[p] = REFUSED; sub[p] = 0; FORGET   /* EAGAIN */

#ifdef SECOND_LOCK
/* SIGKILL of slot 0's process ends its second Lock too. */
#define KILL_SECOND  if :: w2 -> w2 = false; nwit--; njwit-- :: else fi; \
                     if :: flk == SECOND -> flk = NOBODY :: else fi; \
                     if :: t2 == 1 || t2 == 2 || t2 == 3 -> \
                             if :: !lost2 && holder == ID(0, inc[0]) -> holder = NONE :: else fi \
                        :: else fi; \
                     t2 = 0; v2 = false; lost2 = false
#endif

proctype Proc(byte p) {
  byte me;             /* this incarnation's identity: its record */
  byte tries;          /* attempts started by this slot */
  byte seen;           /* S4: target read by readlinkat */
  mtype verdict;       /* S5 outcome */
  bool shows_z;        /* S5 scratch: /proc shows state Z (reset within the step) */
  bool jobv;           /* the DEAD verdict came through the job rule (L23): R1 re-tests it */
  bool cmdv;           /* the DEAD verdict was OtherCommandLine (L16, -DCMDLINE) */

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
  :: atomic { st[p] == READING_LOCK && sub[p] == 0 ->             /* readlinkat */
       if
       :: lock == NONE ->
          if
          :: st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START  /* T6 lock-vanished */
          ROUND_BOUND
          fi
       :: else -> seen = lock; sub[p] = 1
       fi }
  :: atomic { st[p] == READING_LOCK && sub[p] == 1 ->             /* fstatat(AT_SYMLINK_NOFOLLOW) */
       if
       :: lock == NONE ->
          if
          :: st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; seen = NONE  /* T6 */
          ROUND_BOUND
          fi
       :: else -> vseen[p] = true; st[p] = PROBING_HOLDER; sub[p] = 0                   /* T5 lock-read */
       fi }
  :: atomic { st[p] == PROBING_HOLDER && sub[p] == 0 ->  /* /proc + kill(2), or F_OFD_GETLK: one instant */
       if
#ifdef VIRTUAL_BOOT_ID_IS_PREVIOUS_BOOT
       :: BOOT(seen) != BOOT(me) -> verdict = DEAD            /* B1 unfixed: L2 PreviousBoot at once */
#endif
       :: BY_WITNESS(seen, me) ->
#ifdef WITNESS
          if
          :: WITNESS_HELD_BY_OTHERS -> verdict = FB_VERDICT   /* L2, L3 WitnessHeld */
          :: else -> verdict = DEAD                           /* L2 PreviousBoot, L4 WitnessReleased */
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
                RECORDED_START(seen) == COMPARED_START(seen, p) ->
#ifdef CMDLINE
                if
                :: CMDLINE_DIFFERS(seen, me) -> verdict = DEAD; cmdv = true   /* L16 OtherCommandLine */
                :: else -> verdict = ALIVE_V                                  /* L17 Alive */
                fi
#else
                verdict = ALIVE_V                                             /* L17 Alive */
#endif
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
       :: FAULTY(p) -> verdict = UNKNOWN; sub[p] = 0; cmdv = false  /* hidepid, unreadable /proc, fcntl error: doubt */
       fi;
#endif
       if
       :: verdict == ALIVE_V || verdict == HELD_FB -> st[p] = CONFIRMED_TO_NOT_START   /* T8 holder-alive */
       :: verdict == UNKNOWN -> st[p] = REFUSED                  /* T9 holder-unknown */
#ifndef MUTANT_NEVER_TAKE_OVER
       :: verdict == DEAD && sub[p] == 0 -> st[p] = LOCKING_FOR_TAKEOVER  /* T10 holder-dead */
#else
       :: verdict == DEAD && sub[p] == 0 -> st[p] = CONFIRMED_TO_NOT_START; cmdv = false  /* mutant */
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
       :: JOB_WITNESS_HELD_BY_OTHERS -> verdict = FB_VERDICT; st[p] = CONFIRMED_TO_NOT_START  /* L22 JobAlive */
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
  :: atomic { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 0 ->   /* readlinkat under the flock */
       if
#ifdef MUTANT_NO_CONFIRM
       :: true -> st[p] = REMOVING_STALE_LOCK                   /* mutant: no re-check */
#endif
       :: lock == seen -> sub[p] = 1
       :: else -> UNFLOCK;
          if
          :: st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; FORGET  /* T13 lock-changed */
          ROUND_BOUND
          fi
       fi }
  :: atomic { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 1 ->   /* fstatat under the flock */
       if
       :: lock != NONE && vseen[p] ->                         /* same (inode, mtime) */
          if
#ifndef WITHOUT_T21
          :: BY_WITNESS(seen, me) -> sub[p] = 2                 /* L2, L4: re-test the witness */
#else
          :: BY_WITNESS(seen, me) -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0  /* W1 unfixed: T12 */
#endif
          :: !BY_WITNESS(seen, me) && jobv -> sub[p] = 3        /* R1: re-test the job witness */
          :: !BY_WITNESS(seen, me) && !jobv -> st[p] = REMOVING_STALE_LOCK; sub[p] = 0  /* T12 stale-lock-confirmed */
          fi
       :: else -> UNFLOCK;
          if
          :: st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; FORGET  /* T13 */
          ROUND_BOUND
          fi
       fi }
#ifndef WITHOUT_T21
  /* W1: a verdict by the witness is not monotone (the holder may have released and
   * acquired again with the same record, inode and mtime).  A live holder of the lock just
   * confirmed cannot release it while we hold the flock, so it holds its witness now. */
  :: atomic { st[p] == CONFIRMING_STALE_LOCK && sub[p] == 2 ->   /* F_OFD_GETLK under the flock */
       if
       :: WITNESS_HELD_BY_OTHERS ->
#ifndef T21_BACK_TO_S3
          UNFLOCK; st[p] = CONFIRMED_TO_NOT_START; sub[p] = 0; FORGET SET_FB  /* T21 witness-held-on-recheck */
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
          UNFLOCK; st[p] = CONFIRMED_TO_NOT_START; sub[p] = 0; FORGET SET_FB  /* T22 job-witness-held-on-recheck */
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
       if
       :: lock == NONE ->                            /* ENOENT: removed by hand since S8: error */
          UNFLOCK; st[p] = REFUSED; sub[p] = 0; FORGET
       :: else ->
#ifndef MUTANT_NO_CONFIRM
          assert(taint[p] || (lock == seen && vseen[p]));   /* I3: removes exactly what S8 confirmed */
#endif
          if
          :: lock == holder ->
             assert(taint[p] || cmdv);               /* I2: never a holding job's lock (but for a
                                                      * fault's window, or OtherCommandLine) */
             DISPLACE
          :: else
          fi;
          UNLINK_LOCK;                                           /* T14 stale-lock-removed */
          st[p] = CREATING_NEW_SYMLINK; sub[p] = S10_START; FORGET
       fi }
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
  :: atomic { st[p] == CREATING_NEW_SYMLINK && sub[p] == 4 ->     /* flock(LOCK_UN) */
       UNFLOCK;
       if
       :: st[p] = READING_LOCK; sub[p] = 0                       /* T16 */
       ROUND_BOUND
       fi }
  /* S11/S12's entry, before try-acquire returns (so before any fork): fstatat, to learn the
   * (inode, mtime) of the symlink just created, F_OFD_SETLK of byte 1, the job witness, and
   * fcntl(F_SETFD, 0): the descriptor is kept across exec from now on.  One step: the state
   * between them differs from the one before only in what this process knows of its own
   * symlink.  A SIGKILL may come before it (a holder without a job witness, and without a
   * job: nothing was forked).  If byte 1 cannot be taken (ENOLCK) or close-on-exec cannot be
   * cleared, the fresh lock is released through S13..S16 (no job exists, none may survive)
   * and the outcome is WitnessUnavailable.  If the lock was removed by hand since the
   * symlinkat, fstatat fails: LockLost (not acquired); if another symlink is there by now,
   * the Lock learns its inode and holds displaced (its release meets LockLost). */
  :: atomic { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 1 ->
       if
       :: lock == NONE ->                            /* fstatat: ENOENT: LockLost */
          assert(lost[p]);                           /* I2: only a fault removes it */
          DROP_WITNESSES; st[p] = REFUSED; sub[p] = 0; FORGET; vmine[p] = false
       :: lock != NONE ->
          if
          :: lock == me -> vmine[p] = true
          :: else -> assert(lost[p]); vmine[p] = false  /* I2: displaced only by a fault */
          fi;
#ifdef WAITER
          if :: p == TSLOT -> RESET_WAITER :: else fi;   /* Acquire returns */
#endif
#if defined(WITNESS) && !defined(JOB_WITNESS_AT_SYMLINK)
          if
          :: jwit[p] = true; njwit++; sub[p] = 0
          :: FAULTY(p) ->
#ifndef WITHOUT_JOB_WITNESS_REQUIRED
             st[p] = LOCKING_FOR_RELEASE; sub[p] = 0             /* undo: then WitnessUnavailable */
#else
             sub[p] = 0                                          /* J5 unfixed: hold without it */
#endif
          fi
#else
          sub[p] = 0
#endif
       fi }

  /* ---------------- holding: the application runs, then releases or execs ----------------
   * It may fork job members (or, under `pidlock run`, COMMAND and its tree) that share its
   * open file description: the fork child of Env (FORK_STEPS, the default).  While the
   * recording process keeps its descriptor they change nothing another process can observe,
   * since a fork child's Release() only closes its copy (its token is not the acquirer's,
   * whatever its pid number: I7) and a child's exec keeps its copy (X1); so with
   * -DNO_FORK_STEPS they are no steps, and whether one survives is chosen when the
   * recording process closes its descriptor: SIGKILL below, or J4. */
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 ->
       st[p] = LOCKING_FOR_RELEASE }
#ifdef LIVENESS
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 && FAULTY(p) ->
#else
  :: d_step { (st[p] == OK || st[p] == OK_STALE_LOCK_REMOVED) && sub[p] == 0 ->
#endif
#ifdef EXEC_CLOSES_DESCRIPTOR
       DROP_WITNESSES;                 /* X1 unfixed: the key directory's descriptor is O_CLOEXEC */
#endif
       st[p] = EXECED }                /* exec: the descriptor is kept; holds until it ends (KILL) */

  /* ---------------- release ---------------- */
  :: d_step { st[p] == LOCKING_FOR_RELEASE && flk == NOBODY ->   /* flock(LOCK_EX|LOCK_NB) */
       flk = p; st[p] = CONFIRMING_OWN_LOCK; sub[p] = 0 }       /* T17 release-flock-taken */
#ifndef WITHOUT_FLOCK_TIMEOUT
  :: RELEASE_STEP { st[p] == LOCKING_FOR_RELEASE && flk != NOBODY && FAULTY(p) ->  /* busy for 10 s: KeyDirectoryBusy */
       if :: holder == me -> holder = NONE :: else fi;  /* the lock stays, stale once we end */
       RELEASE_END;                    /* F_UNLCK, close(keyfd) */
       st[p] = RELEASED; vmine[p] = false }
#endif
#ifndef WITHOUT_S14
  :: RELEASE_STEP { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 0 ->     /* readlinkat */
       if
       :: lock == me -> sub[p] = 1
       :: else ->                                                /* T19 lock-lost */
          assert(lost[p]);                          /* I2: only a holder a fault displaced */
          RELEASE_END; st[p] = RELEASED; vmine[p] = false
       fi }
  :: RELEASE_STEP { st[p] == CONFIRMING_OWN_LOCK && sub[p] == 1 ->     /* fstatat */
       /* The code compares the target and the inode; the model compares the target only
        * (weaker), and I3 at S15 checks that this suffices (with -DSECOND_LOCK, two Locks
        * of one process write the same target: the model compares the (inode, mtime) too,
        * which is still weaker than the code's inode alone). */
#ifdef SECOND_LOCK
       if
       :: lock == me && (p != 0 || vmine[p]) -> st[p] = REMOVING_OWN_LOCK; sub[p] = 0  /* T18 */
       :: else -> assert(lost[p]); RELEASE_END; st[p] = RELEASED; sub[p] = 0; vmine[p] = false  /* T19 */
       fi }
#else
       if
       :: lock == me -> st[p] = REMOVING_OWN_LOCK; sub[p] = 0    /* T18 own-lock-confirmed */
       :: else -> assert(lost[p]); RELEASE_END; st[p] = RELEASED; sub[p] = 0; vmine[p] = false  /* T19 */
       fi }
#endif
#else
  :: d_step { st[p] == CONFIRMING_OWN_LOCK ->                    /* S14 removed: no compare */
       st[p] = REMOVING_OWN_LOCK; sub[p] = 0 }
#endif
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 0 ->       /* unlinkat */
       assert(flk == p);
       if
       :: lock == NONE -> skip                       /* ENOENT (removed by hand since S14) */
       :: else ->
#ifdef SECOND_LOCK
          assert(taint[p] || (lock == me && vmine[p] && (p != 0 || !c2)));  /* I3 */
#else
          assert(taint[p] || (lock == me && vmine[p]));   /* I3: removes only the symlink its
                                                           * releaser created (but for a hand
                                                           * removal's window since S14) */
#endif
          if
          :: holder != NONE && holder != me -> DISPLACE  /* the window: another's lock */
          :: else
          fi;
          UNLINK_LOCK                                            /* T20 own-lock-removed */
       fi;
       if :: holder == me -> holder = NONE :: else fi;
       taint[p] = false; sub[p] = 1 }
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
       DROP_WITNESSES; UNFLOCK; CHILD_CLEARS; st[p] = RELEASED; sub[p] = 0; vmine[p] = false }  /* T20 */
  :: d_step { st[p] == REMOVING_OWN_LOCK && sub[p] == 2 ->       /* flock(LOCK_UN), close(keyfd) */
       UNFLOCK; CHILD_CLEARS; st[p] = RELEASED; sub[p] = 0; vmine[p] = false }  /* T20 */
#else
  :: atomic { st[p] == REMOVING_OWN_LOCK && sub[p] == 1 ->       /* J4: flock(LOCK_UN), close only */
       RELEASE_END; st[p] = RELEASED; sub[p] = 0; vmine[p] = false }
#endif

  /* ---------------- end of an attempt; retry, exit, PID reuse ---------------- */
#ifdef WAITER
  /* Acquire (src/wait.cc) after a held outcome: arm the inotify watch (IN_DELETE) of the
   * key directory once, and a pidfd of a holder judged Alive when it is not the one the
   * pidfd was opened for (WitnessHeld, JobAlive: the 10 ms fallback poll instead; a pidfd
   * that cannot be opened: fallback too); if anything was armed, try again before sleeping
   * (a release between the try and the arming would otherwise be missed); else sleep until
   * the watch or the pidfd fires, or the fallback poll.  -DWAIT_ARM_AFTER_TRY: sleep at once
   * after arming.  -DWAIT_NO_WATCH: no inotify watch (woken by the holder's death only). */
  :: d_step { p == TSLOT && st[p] == CONFIRMED_TO_NOT_START && seen == me ->  /* ThisProcess */
       RESET_WAITER; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; FORGET }  /* returns; called again */
  :: d_step { p == TSLOT && st[p] == CONFIRMED_TO_NOT_START && seen != me ->
#ifndef WAIT_NO_WATCH
       if
       :: !wwatch || (verdict != HELD_FB && wheld != seen) -> sub[p] = 1   /* arms something */
       :: else -> sub[p] = 2
       fi;
       if :: !wwatch -> wwatch = true; wev = false :: else fi;   /* Drain; inotify_add_watch */
#else
       if
       :: verdict != HELD_FB && wheld != seen -> sub[p] = 1
       :: else -> sub[p] = 2
       fi;
#endif
       if
       :: verdict == HELD_FB -> wfb = true                       /* WitnessHeld, JobAlive */
       :: verdict != HELD_FB && wheld != seen ->                 /* pidfd_open(holder.pid) */
          wheld = seen;
          if
          :: ALIVE(seen) -> wpid = seen
          :: !ALIVE(seen) && running[PID_OF(seen)] -> wpid = ID(PID_OF(seen), inc[PID_OF(seen)])  /* reused */
          :: else -> wpid = NONE; wfb = true                     /* ESRCH: fallback */
          fi
       :: else
       fi;
#ifndef WAIT_ARM_AFTER_TRY
       if
       :: sub[p] == 1 -> st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START  /* try again */
       :: else -> st[p] = WAITING; sub[p] = 0
       fi;
#else
       st[p] = WAITING; sub[p] = 0;                              /* sleeps without trying again */
#endif
       seen = NONE; vseen[p] = false; verdict = 0; jobv = false; cmdv = false }
  :: d_step { st[p] == WAITING && (wev || wfb || (wpid != NONE && !ALIVE(wpid))) ->  /* poll(2) returns */
       wev = false;                                              /* Drain */
       st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START }
  :: d_step { p == TSLOT && (st[p] == REFUSED || st[p] == RELEASED) ->   /* returned; called again */
       RESET_WAITER; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START; FORGET; vmine[p] = false }
  :: d_step { p != TSLOT && running[p] && tries < TRIES &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       tries++; st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START;
       FORGET; vmine[p] = false }
#else
  :: d_step { running[p] && (tries < TRIES || !FAULTY(p)) &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
       if :: FAULTY(p) -> tries++ :: else fi;            /* the same process again */
       st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START;
       FORGET; vmine[p] = false }
#endif
  :: d_step { running[p] && FAULTY(p) &&
              (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) ->
#ifdef SECOND_LOCK
       if :: p == 0 -> KILL_SECOND :: else fi;
#endif
       running[p] = false; st[p] = ENDED; FORGET; vmine[p] = false }  /* the process exits */
#ifdef WAITER
  /* ... or lives on, doing other work, for ever (it keeps its pid: a pidfd of it never fires;
   * the waiter must be woken by something else) */
  :: running[p] && FAULTY(p) &&
     (st[p] == CONFIRMED_TO_NOT_START || st[p] == REFUSED || st[p] == RELEASED) -> skip
#endif
  :: d_step { !running[p] && tries < TRIES ->                     /* a new process reuses pid p */
       inc[p]++; me = ID(p, inc[p]); running[p] = true; tries++;
       st[p] = ATTEMPTING_TO_CREATE_A_SYMLINK; sub[p] = S3_START }
  :: !running[p] && FAULTY(p) -> break                            /* pid p is not reused (any more) */

  /* ---------------- faults ---------------- */
  /* SIGKILL (or the end of an exec'd program): the kernel closes its descriptors. */
  :: d_step { running[p] && FAULTY(p) && st[p] != LOCKING_FOR_TAKEOVER && st[p] != LOCKING_FOR_RELEASE &&
              st[p] != WAITING && !MUST_ORPHAN ->
       UNFLOCK; DROP_WITNESSES;                     /* flock and both witnesses go */
       if :: holder == me -> holder = NONE :: else fi; /* its lock (if any) stays, now stale */
#ifdef SECOND_LOCK
       if :: p == 0 -> KILL_SECOND :: else fi;
#endif
       CHILD_CLEARS;
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
       orph = true; ohold = (holder == me && !lost[p]);  /* a holding job holds on: holder stays */
       odisp = lost[p];                             /* (a displaced one runs on displaced) */
#ifdef SECOND_LOCK
       if :: p == 0 -> KILL_SECOND :: else fi;
#endif
       CHILD_CLEARS;
       running[p] = false; st[p] = ENDED; sub[p] = 0; FORGET; vmine[p] = false }
#ifndef LIVENESS
  :: flk == p -> break          /* SIGSTOP while holding the flock: never runs again (F1) */
#endif
  od
}


/* The environment: hand removals of the lock, and the job members (the fork child as a
 * process, FORK_STEPS; the orphaned job once its recording process has closed its
 * descriptor); with -DSECOND_LOCK, slot 0's second Lock. */
active proctype Env() {
end:
  do
  :: false                      /* (never: keeps the loop well-formed when nothing else is on) */
#if HANDS > 0
  /* Someone unlinks <key>/lock by hand (an operator, a tmpfiles cleaner), without the flock.
   * The holder whose lock it was is displaced; the slots in a window between a confirming
   * read and their unlink are tainted. */
  :: d_step { hands < HANDS && lock != NONE && HAND_WHEN ->
       hands++;
       TAINT_ALL;
       if :: holder != NONE -> DISPLACE :: else fi;
       UNLINK_LOCK }
#ifdef LIVENESS
  :: hands < HANDS -> hands = HANDS             /* no (more) hand removal: faults end */
#endif
#endif
#ifdef JOB
  /* The orphaned job's member(s): processes that kept a descriptor of the description of a
   * recording process that has closed its own.  The last one exits (or closes it) at any
   * time: the kernel then drops the description's witnesses and flock, and the job is over. */
  :: d_step { orph ->
       if :: owit -> owit = false; nwit-- :: else fi;
       if :: ojwit -> ojwit = false; njwit-- :: else fi;
       if :: flk == ORPH -> flk = NOBODY :: else fi;
       if :: ohold -> holder = NONE; ohold = false :: else fi;
       orph = false; odisp = false }
#ifdef EXEC_CLOSES_DESCRIPTOR
  /* X1 unfixed: the member execs, and close-on-exec closes its descriptor: the
   * description's witnesses and flock go, while the job (the exec'd program) runs on. */
  :: d_step { orph && (owit || ojwit || flk == ORPH) ->
       if :: owit -> owit = false; nwit-- :: else fi;
       if :: ojwit -> ojwit = false; njwit-- :: else fi;
       if :: flk == ORPH -> flk = NOBODY :: else fi }
#endif
#ifdef LIVENESS
  :: orph -> skip               /* runs on: under weak fairness a member may run for ever */
#endif
#ifdef FORK_STEPS
  /* The holder forks a child (once per holding): identity (pid number, namespace, token),
   * its token its own; ccoll: in a new PID namespace with its parent's pid number. */
  :: atomic { cst == CNONE && !orph && running[JOB_SLOT] && APP(JOB_SLOT) ->
       cst = CMEMBER;
#ifdef IDENTITY_BY_PID_NUMBER
       if :: ccoll = false :: ccoll = true fi
#else
       skip                    /* (the pid number is not state: nothing compares it) */
#endif
       }
  /* The child exits, or calls Release() on its copy of the Lock: its token is not the
   * acquirer's (Lock::owner_), so Release only closes its descriptor (NotOwner), whatever
   * its pid number; exec keeps its descriptor (no step).  Its parent still holds. */
  :: d_step { cst == CMEMBER -> cst = CGONE }
#ifdef IDENTITY_BY_PID_NUMBER
  /* The fix removed: Release() decides by pid number, getpid() == the acquirer's: a child
   * with its parent's pid number (a new PID namespace) runs S13..S16 on its copy (the
   * parent's record and inode), on the description it shares with its parent. */
  :: d_step { cst == CMEMBER && ccoll && APP(JOB_SLOT) -> cst = CREL13 }
  :: d_step { cst == CREL13 && (flk == NOBODY || flk == JOB_SLOT) ->  /* flock: the shared description */
       flk = JOB_SLOT; cst = CREL14 }
  :: d_step { cst == CREL14 ->                                        /* S14: the parent's record, inode */
       if
       :: lock == ID(JOB_SLOT, inc[JOB_SLOT]) && vmine[JOB_SLOT] -> cst = CREL15
       :: else -> cst = CREL16
       fi }
  :: d_step { cst == CREL15 ->                                        /* S15 unlinkat */
       assert(lock == NONE);        /* I3: the child created no symlink: it removes another's */
       UNLINK_LOCK; cst = CREL16 }
  :: d_step { cst == CREL16 ->                                        /* S16: F_UNLCK, LOCK_UN, close */
       if :: wit[JOB_SLOT] -> wit[JOB_SLOT] = false; nwit-- :: else fi;
       if :: jwit[JOB_SLOT] -> jwit[JOB_SLOT] = false; njwit-- :: else fi;
       if :: flk == JOB_SLOT -> flk = NOBODY :: else fi;
       cst = CGONE }
#endif
#endif
#endif
#ifdef SECOND_LOCK
  /* A second TryAcquire of slot 0's process while its first Lock holds (another thread):
   * on a description of its own, witness and symlinkat (and, on success, fstatat and the
   * job witness) in one step; EEXIST: it judges the lock (its own record: ThisProcess) and
   * gives up. */
  :: atomic { t2 == 0 && running[0] && APP(0) ->
       if
       :: lock == NONE ->
          if
          :: NEW_VERSION
          :: skip
          fi;
          lock = ID(0, inc[0]);
          assert(holder == NONE);   /* I1 */
          holder = ID(0, inc[0]); c2 = true; v2 = true; w2 = true; nwit++; njwit++; t2 = 1
       :: else -> t2 = 4
       fi }
  :: d_step { t2 == 1 && flk == NOBODY -> flk = SECOND; t2 = 2 }      /* its Release: S13 */
  :: d_step { t2 == 2 ->                                              /* S14: record and inode */
       if
       :: lock == ID(0, inc[0]) && v2 -> t2 = 3
       :: else -> assert(lost2); t2 = 5
       fi }
  :: d_step { t2 == 3 ->                                              /* S15 */
       assert(lock == NONE || c2);  /* I3 */
       if :: lock != NONE -> UNLINK_LOCK :: else fi;
       if :: !lost2 -> holder = NONE :: else fi;
       t2 = 5 }
  :: d_step { t2 == 5 ->                                              /* S16 */
       if :: w2 -> w2 = false; nwit--; njwit-- :: else fi;
       if :: flk == SECOND -> flk = NOBODY :: else fi;
       v2 = false; lost2 = false; t2 = 4 }
#endif
  od
}

/* The "holding" condition of I1, from the states alone: from the successful symlinkat
 * (S3 -> S11, or S10 before it drops the flock) through S11/S12, S13, S14 and S15 up to the
 * unlinkat; and after an exec.  A job whose recording process died holding holds on
 * while its member runs (orph && ohold): one more holder. */
#define HOLDING(q) (st[q] == OK || st[q] == OK_STALE_LOCK_REMOVED || st[q] == EXECED || \
                    st[q] == LOCKING_FOR_RELEASE || st[q] == CONFIRMING_OWN_LOCK || \
                    (st[q] == REMOVING_OWN_LOCK && sub[q] == 0) || \
                    (st[q] == CREATING_NEW_SYMLINK && sub[q] == 2))
/* I1 counts the holders that no fault displaced. */
#define COUNTS(q) (HOLDING(q) && !lost[q])
#ifdef SECOND_LOCK
#define SECOND_HOLDS ((t2 == 1 || t2 == 2 || t2 == 3) && !lost2)
#else
#define SECOND_HOLDS 0
#endif
#define ORPHAN_HOLDS (orph && ohold)
#if N == 2
#define NHOLDING (COUNTS(0) + COUNTS(1) + ORPHAN_HOLDS + SECOND_HOLDS)
#elif N == 3
#define NHOLDING (COUNTS(0) + COUNTS(1) + COUNTS(2) + ORPHAN_HOLDS + SECOND_HOLDS)
#elif N == 4
#define NHOLDING (COUNTS(0) + COUNTS(1) + COUNTS(2) + COUNTS(3) + ORPHAN_HOLDS + SECOND_HOLDS)
#elif N == 5
#define NHOLDING (COUNTS(0) + COUNTS(1) + COUNTS(2) + COUNTS(3) + COUNTS(4) + ORPHAN_HOLDS + SECOND_HOLDS)
#else
#error "NHOLDING: N must be 2..5"
#endif

/* Monitor: blocks (a valid end state) unless a state violates
 *   I1: two jobs in the holding condition that no fault displaced, or
 *   I2: a holder's lock no longer names it (a symlink with its record but another (inode,
 *       mtime) would have to be created by a second symlinkat, which asserts holder ==
 *       NONE).  LockLost (T19) of a holder that no fault displaced is asserted at S14. */
active proctype Monitor() {
end:
  atomic {
    (NHOLDING > 1 || (holder != NONE && lock != holder)) ->
    assert(NHOLDING <= 1);                     /* I1 */
    assert(holder == NONE || lock == holder)   /* I2 */
  }
}

#ifdef LIVENESS
/* No orphaned job keeps the lock (its job is alive: correct to keep it) or the flock (F1:
 * a recording process killed while holding the flock, with a member alive: takeovers give
 * up with KeyDirectoryBusy until the member exits; not fixed, section 9). */
/* ... and no live process keeps a lock it no longer holds: its release gave up with
 * KeyDirectoryBusy (S13), which leaves the lock on disk, looking held while the process
 * lives (section 9); with processes that live on for ever, that is for ever. */
#define LEFTOVER (lock != NONE && holder == NONE && ALIVE(lock))
/* ... and no job that a fault displaced runs on: it keeps its witnesses with no lock of
 * its own, so a later lock whose holder died looks JobAlive (another namespace's:
 * WitnessHeld) while it runs (section 6, hand removal). */
#ifndef CALM_IGNORES_FLOCK
#define CALM_FLOCK   (flk == ORPH)
#else
#define CALM_FLOCK   false              /* F1: fails */
#endif
#ifndef CALM_IGNORES_DISPLACED
#define CALM_DISP    odisp
#else
#define CALM_DISP    false              /* D1: fails */
#endif
#ifndef CALM_IGNORES_LEFTOVER
#define CALM_LEFT    LEFTOVER
#else
#define CALM_LEFT    false              /* D2: fails */
#endif
#define CALM (!(orph && (ohold || CALM_DISP || CALM_FLOCK)) && !CALM_LEFT)
#ifndef TWO_TRIERS
/* If from some point on nothing legitimately blocks the key, the persistent acquirer (a
 * waiter in Acquire, or with -DTRY_LOOP a TryAcquire loop) acquires again and again: no
 * lock, stale or not, stays untaken, and no wake-up is lost. */
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
