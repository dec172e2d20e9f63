// Copyright 2026 The pidlock Authors. MIT License.

#include "src/liveness.h"

#include <cerrno>
#include <string_view>

namespace pidlock {
namespace internal {
namespace {

Judgement Alive(Reason reason) {
  return {Verdict::kAlive, reason, Errc::kOk, Need::kNothing};
}
Judgement Dead(Reason reason) {
  return {Verdict::kDead, reason, Errc::kOk, Need::kNothing};
}
Judgement Unknown(Errc error) {
  return {Verdict::kUnknown, Reason::kUnknown, error, Need::kNothing};
}

// A record's process is dead for `reason`; its job is over only when no
// process holds the witness any more. The set of processes holding the dead
// holder's descriptor can only shrink (joining needs a fork or SCM_RIGHTS
// from a member), so "released" once is released for ever, unlike
// kWitnessReleased; the takeover tests it again under the flock all the same
// (T22), against a wrong DEAD from /proc. A contender's witness, held across
// its symlinkat, reads as held too: a refusal, never a takeover.
Judgement DeadUnlessJobAlive(Reason reason, Witness witness) {
  // L22 JobAlive, L23 the DEAD row's reason, L24 JobUnverifiable.
  switch (witness) {
    case Witness::kHeld:
      return Alive(Reason::kJobAlive);
    case Witness::kReleased:
      return Dead(reason);
    case Witness::kError:
      return Unknown(Errc::kJobUnverifiable);
    case Witness::kUnread:
      break;
  }
  Judgement more = Unknown(Errc::kJobUnverifiable);
  more.more = Need::kWitness;
  return more;
}

// A record whose PID means nothing here: only the witness can tell whether
// its holder lives (dead for `reason` when released).
Judgement ByWitness(Reason reason, Witness witness) {
  switch (witness) {
    case Witness::kHeld:
      return Alive(Reason::kWitnessHeld);
    case Witness::kReleased:
      return Dead(reason);
    case Witness::kUnread:
    case Witness::kError:
      break;
  }
  return Unknown(Errc::kHolderOtherNamespace);
}

// Allowance between a symlink's mtime and a process start time computed from
// boot time and clock ticks (tick rounding, boot time jitter).
constexpr int64_t kClockSlackNs = 1000000000;

// A /proc/<pid>/cmdline without its trailing NULs: a process that rewrote
// its command line in place (pidlock run --identity cmdline) pads it with
// NULs to the length the kernel gave it.
std::string_view Words(std::string_view cmdline) {
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.remove_suffix(1);
  return cmdline;
}

}  // namespace

Need NeedFor(const LockTarget& target, const Self& self, Identity identity) {
  if (target.kind == LockTarget::Kind::kRecord) {
    if (target.host != self.host) return Need::kNothing;
    if (target.boot8 != self.boot8 || target.pid_ns != self.pid_ns) {
      return Need::kWitness;
    }
    if (target.pid == self.pid) return Need::kNothing;
  } else if (target.pid == self.pid) {
    return Need::kNothing;
  }
  return identity == Identity::kCmdline ? Need::kCmdline : Need::kStat;
}

Judgement Judge(const LockTarget& target, const Self& self, const Probe& probe,
                Identity identity, int64_t lock_mtime_ns) {
  const bool record = target.kind == LockTarget::Kind::kRecord;
  if (record) {
    // Row order matters: a lock from another host says nothing about this
    // host's boots, PID namespaces or PIDs.
    // L1.
    if (target.host != self.host) return Unknown(Errc::kHolderOtherHost);
    // L2: WitnessHeld, PreviousBoot or HolderOtherNamespace. Another boot
    // id is not proof of a reboot: a container may see a virtualised one
    // (systemd-nspawn bind-mounts its own) on the host's kernel, with the
    // host's host name. OFD locks do not survive a reboot, and a live holder
    // on this kernel keeps its witness.
    if (target.boot8 != self.boot8) {
      return ByWitness(Reason::kPreviousBoot, probe.witness);
    }
    // L3 WitnessHeld, L4 WitnessReleased, L5 HolderOtherNamespace. The PID
    // is another namespace's (a container restarted on a persistent lock
    // directory finds the witness released; a live holder in a sibling
    // container holds it).
    if (target.pid_ns != self.pid_ns) {
      return ByWitness(Reason::kWitnessReleased, probe.witness);
    }
    if (target.pid == self.pid) {
      // L6 ThisProcess, L7 OwnPidEarlierProcess.
      return target.start_time == self.start_time
                 ? Alive(Reason::kThisProcess)
                 : DeadUnlessJobAlive(Reason::kOwnPidEarlierProcess,
                                      probe.witness);
    }
  } else if (target.pid == self.pid) {
    // This library never writes the original's form, so a legacy lock with
    // the caller's PID was left by an earlier process (a container restart)
    // or, seen from a container, by a process of another PID namespace
    // that has the same number: the original records no namespace.
    // L25 (refused from a container), else L8.
    if (self.pid_ns != kInitialPidNamespace) {
      return Unknown(Errc::kLegacyHolderNotVisible);
    }
    return Dead(Reason::kOwnPidEarlierProcess);
  }

  if (probe.stat_errno == ENOENT || probe.stat_errno == ESRCH) {
    // No /proc entry. kill(2) tells "gone" from "hidden" (hidepid).
    // L10, L11 HolderHidden.
    if (probe.kill_errno != ESRCH) return Unknown(Errc::kHolderHidden);
    // The original's lock records no PID namespace. Seen from a container,
    // a PID that does not exist here may be a live holder's on the host or
    // in a sibling container. (From the initial namespace the same doubt
    // exists for holders inside containers: see spec, "Not guaranteed".)
    // L21.
    if (!record && self.pid_ns != kInitialPidNamespace) {
      return Unknown(Errc::kLegacyHolderNotVisible);
    }
    // L9.
    return record ? DeadUnlessJobAlive(Reason::kNoSuchProcess, probe.witness)
                  : Dead(Reason::kNoSuchProcess);
  }
  // L12.
  if (probe.stat_errno != 0 || probe.stat_truncated) {
    return Unknown(Errc::kHolderUnverifiable);
  }
  Stat stat;
  if (ParseStat(probe.stat, &stat) != ParseError::kOk ||
      stat.pid != target.pid) {
    return Unknown(Errc::kHolderUnverifiable);
  }
  // A process whose main thread called pthread_exit() shows state Z while
  // its other threads run: only a single-threaded Z (or X) is a zombie.
  // L13.
  if ((stat.state == 'Z' || stat.state == 'X') && stat.num_threads <= 1) {
    return record ? DeadUnlessJobAlive(Reason::kZombie, probe.witness)
                  : Dead(Reason::kZombie);
  }

  if (record) {
    // Records carry start times without any time-namespace offset; /proc
    // shows them with ours.
    const __int128 start_time =
        static_cast<__int128>(stat.start_time) - self.boottime_offset_ticks;
    // L14.
    if (start_time != static_cast<__int128>(target.start_time)) {
      return DeadUnlessJobAlive(Reason::kPidReused, probe.witness);
    }
  } else {
    // The original records no start time. A process that started after the
    // lock was made cannot have made it: the PID was reused.
    if (self.ticks_per_second <= 0) return Unknown(Errc::kHolderUnverifiable);
    // 128-bit: a start time from a fuzzer must not overflow.
    __int128 start_ns = static_cast<__int128>(self.boot_wall_ns) +
                        static_cast<__int128>(stat.start_time) * 1000000000 /
                            self.ticks_per_second;
    // L15.
    if (start_ns > static_cast<__int128>(lock_mtime_ns) + kClockSlackNs) {
      return Dead(Reason::kStartedAfterLock);
    }
  }

  if (identity == Identity::kCmdline) {
    if (probe.cmdline_errno != 0) return Unknown(Errc::kHolderUnverifiable);
    // Only two complete, non-empty command lines that differ prove another
    // app; anything less keeps the holder (conservative).
    const std::string_view theirs = Words(probe.cmdline);
    const std::string_view ours = Words(self.cmdline);
    // L16.
    if (!probe.cmdline_truncated && !theirs.empty() && !ours.empty() &&
        theirs != ours) {
      return Dead(Reason::kOtherCommandLine);
    }
  }
  // L17.
  return Alive(Reason::kAlive);
}

}  // namespace internal
}  // namespace pidlock
