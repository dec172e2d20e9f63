// Copyright 2026 The pidlock Authors. MIT License.
//
// The liveness decision: is the holder a lock's target names alive, dead, or
// unknown? A pure function of the parsed target, the caller's identity and
// what /proc and kill(2) said about the holder's PID (a Probe), so tests and
// fuzzers can feed it any combination. spec/state_machine.md, "Liveness
// decisions", is the table this implements, row for row.

#ifndef PIDLOCK_SRC_LIVENESS_H_
#define PIDLOCK_SRC_LIVENESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "src/parse.h"
#include "src/pidlock.h"

namespace pidlock {
namespace internal {

// The inode of the initial PID namespace (PROC_PID_INIT_INO).
inline constexpr uint64_t kInitialPidNamespace = 0xEFFFFFFCU;

// The identity of the calling process, as it records itself in a lock.
struct Self {
  pid_t pid = 0;
  // /proc/self/stat field 22 less boottime_offset_ticks (see below).
  uint64_t start_time = 0;
  uint64_t pid_ns = 0;  // inode of /proc/self/ns/pid
  std::string boot8;    // first 8 hex digits of the boot id
  std::string host;     // uname(2) nodename
  std::string cmdline;  // /proc/self/cmdline bytes (Identity::kCmdline)
  // Wall-clock time of boot, in nanoseconds since the epoch (REALTIME minus
  // BOOTTIME), and the kernel's clock ticks per second: turn a start time
  // into a wall-clock time for the original's locks.
  int64_t boot_wall_ns = 0;
  int64_t ticks_per_second = 100;
  // This process's time-namespace boot-time offset in clock ticks
  // (/proc/self/timens_offsets). /proc/<pid>/stat shows start times shifted
  // by the reader's offset, so records carry start times without it
  // (`start_time` above is already without it) and Judge subtracts it from
  // what it reads.
  int64_t boottime_offset_ticks = 0;
};

// What a witness byte of the key directory says (src/proc.h, WitnessByte;
// spec/state_machine.md, "The holder of a lock: the job"): the witness, the
// only liveness a holder in another PID namespace can show, since its PID
// means nothing here; or the job witness, which a holder's job keeps after
// the holder itself is gone.
enum class Witness {
  kUnread,    // not read: nothing can be concluded
  kHeld,      // some process holds the witness: the holder may be alive
  kReleased,  // no process holds it: the holder is gone
  kError,     // fcntl(F_OFD_GETLK) failed (e.g. a filesystem without locks)
};

// What /proc, kill(2) and the witness said about the holder. Each *_errno
// is 0 when the read succeeded (then the text is set) or the errno it
// failed with.
struct Probe {
  int stat_errno = 0;
  std::string stat;             // /proc/<pid>/stat
  bool stat_truncated = false;  // the read hit its cap
  int kill_errno = 0;           // kill(pid, 0); read only if stat failed
  int cmdline_errno = 0;
  std::string cmdline;  // /proc/<pid>/cmdline
  bool cmdline_truncated = false;
  Witness witness = Witness::kUnread;
};

// What the decision needs to read first (so the caller reads no more /proc
// than it must).
enum class Need {
  kNothing,  // decided from the target and Self alone
  kStat,     // needs stat (and kill when stat fails)
  kCmdline,  // needs stat and cmdline
  kWitness,  // needs the witness (a holder in another PID namespace)
};

enum class Verdict {
  kAlive,    // a live holder: refuse (CONFIRMED_TO_NOT_START)
  kDead,     // stale: take over
  kUnknown,  // cannot be told: refuse with `error`
};

struct Judgement {
  Verdict verdict = Verdict::kUnknown;
  Reason reason = Reason::kUnknown;
  Errc error = Errc::kOk;  // kUnknown only
  // kWitness: the recorded process is dead, and the witness, unread, must
  // tell whether its job still runs: read it and judge again. The verdict is
  // kUnknown meanwhile. kNothing otherwise.
  Need more = Need::kNothing;
};

// Decides from the target and Self only when possible; otherwise says what
// to read. `identity` matters for the kCmdline need.
Need NeedFor(const LockTarget& target, const Self& self, Identity identity);

// The decision. `lock_mtime_ns` is the lock symlink's mtime (nanoseconds
// since the epoch), used for the original's locks only. When the probe lacks
// what NeedFor asked (e.g. stat was not read), the verdict is kUnknown:
// nothing unread is ever judged dead. A record of this host, boot and PID
// namespace whose process is dead is dead only when the witness is released:
// while a process of its job holds the witness, it is alive (kJobAlive). The
// witness is read only then (Judgement::more), so a live holder costs no
// fcntl.
Judgement Judge(const LockTarget& target, const Self& self, const Probe& probe,
                Identity identity, int64_t lock_mtime_ns);

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_LIVENESS_H_
