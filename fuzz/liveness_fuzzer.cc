// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes the liveness decision (NeedFor, Judge). FuzzedDataProvider turns
// the input into a lock target text, the caller's Self, a Probe (what /proc,
// kill(2) and the witness said), an Identity and the lock's mtime. Judge's
// verdict is then checked row by row against the rules of the design notes
// (spec/state_machine.md, "Liveness decisions", with the witness of another
// PID namespace's holder), and against what makes them safe: nothing unread,
// unparseable or contradictory is judged dead, and what NeedFor did not ask
// for does not change the verdict.
//
// The generator mostly derives fields from one another (the target's host
// equal to ours, the stat's PID equal to the target's, ...) because random
// bytes would almost never reach the rows behind those comparisons.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "fuzz/fuzz_check.h"
#include "src/liveness.h"
#include "src/parse.h"
#include "src/pidlock.h"

namespace {

using pidlock::Errc;
using pidlock::Identity;
using pidlock::Reason;
using pidlock::internal::Judgement;
using pidlock::internal::kInitialPidNamespace;
using pidlock::internal::kMaxTargetSize;
using pidlock::internal::kPidMax;
using pidlock::internal::LockTarget;
using pidlock::internal::Need;
using pidlock::internal::ParseError;
using pidlock::internal::Probe;
using pidlock::internal::Self;
using pidlock::internal::Stat;
using pidlock::internal::Verdict;
using pidlock::internal::Witness;

constexpr size_t kMaxInput = 64 * 1024;
// src/liveness.cc's allowance between a lock's mtime and a start time.
constexpr int64_t kClockSlackNs = 1000000000;

// The errnos a read of /proc/<pid>/stat or kill(pid, 0) can give, and 0.
constexpr int kErrnos[] = {0, ENOENT, ESRCH, EPERM, EACCES, EIO, EINVAL};

int ConsumeErrno(FuzzedDataProvider* in) {
  if (in->ConsumeBool()) return in->ConsumeIntegral<int>();
  return in->PickValueInArray(kErrnos);
}

std::string Boot8(uint32_t bits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int shift = 28; shift >= 0; shift -= 4) {
    out.push_back(kHex[(bits >> shift) & 15]);
  }
  return out;
}

Self ConsumeSelf(FuzzedDataProvider* in) {
  Self self;
  self.pid = in->ConsumeIntegralInRange<pid_t>(1, kPidMax);
  self.start_time = in->ConsumeIntegral<uint64_t>();
  self.pid_ns = in->ConsumeBool() ? pidlock::internal::kInitialPidNamespace
                                  : in->ConsumeIntegral<uint64_t>();
  self.boot8 = Boot8(in->ConsumeIntegral<uint32_t>());
  self.host = in->ConsumeRandomLengthString(16);
  if (self.host.empty()) self.host = "vm";
  self.cmdline = in->ConsumeRandomLengthString(64);
  self.boot_wall_ns = in->ConsumeIntegral<int64_t>();
  self.boottime_offset_ticks =
      in->ConsumeBool() ? 0
                        : in->ConsumeIntegralInRange<int64_t>(-100000, 100000);
  static constexpr int64_t kTicks[] = {100, 250, 1000, 1, 0, -1};
  self.ticks_per_second = in->ConsumeBool() ? in->ConsumeIntegral<int64_t>()
                                            : in->PickValueInArray(kTicks);
  return self;
}

// A lock target text: a record (each field ours or another), a legacy
// absolute path, or arbitrary bytes.
std::string ConsumeTargetText(FuzzedDataProvider* in, const Self& self) {
  switch (in->ConsumeIntegralInRange(0, 2)) {
    case 0: {
      LockTarget record;
      record.kind = LockTarget::Kind::kRecord;
      record.host =
          in->ConsumeBool() ? self.host : in->ConsumeRandomLengthString(16);
      record.boot8 = in->ConsumeBool() ? self.boot8
                                       : Boot8(in->ConsumeIntegral<uint32_t>());
      record.pid_ns =
          in->ConsumeBool() ? self.pid_ns : in->ConsumeIntegral<uint64_t>();
      record.pid = in->ConsumeBool()
                       ? self.pid
                       : in->ConsumeIntegralInRange<pid_t>(1, kPidMax);
      record.start_time =
          in->ConsumeBool() ? self.start_time : in->ConsumeIntegral<uint64_t>();
      return pidlock::internal::FormatLockTarget(record);
    }
    case 1: {
      pid_t pid = in->ConsumeBool()
                      ? self.pid
                      : in->ConsumeIntegralInRange<pid_t>(1, kPidMax);
      return "/tmp/pidlock-fuzz/key/" + std::to_string(pid);
    }
    default:
      return in->ConsumeRandomLengthString(kMaxTargetSize + 1);
  }
}

// The start time that makes a legacy holder start `offset_ns` after the
// lock was made (so the StartedAfterLock boundary gets explored).
uint64_t StartTimeNear(const Self& self, int64_t lock_mtime_ns,
                       int64_t offset_ns) {
  if (self.ticks_per_second <= 0) return 0;
  // |ns| < 2^66 and ticks_per_second < 2^63: split ns so that no product
  // exceeds 2^100.
  __int128 ns =
      static_cast<__int128>(lock_mtime_ns) + offset_ns - self.boot_wall_ns;
  __int128 ticks = ns / 1000000000 * self.ticks_per_second +
                   ns % 1000000000 * self.ticks_per_second / 1000000000;
  if (ticks < 0) return 0;
  if (ticks > std::numeric_limits<uint64_t>::max()) {
    return std::numeric_limits<uint64_t>::max();
  }
  return static_cast<uint64_t>(ticks);
}

// /proc/<pid>/stat text: well formed (the PID usually the target's, the
// start time the record's or near the lock's mtime) or arbitrary bytes.
std::string ConsumeStatText(FuzzedDataProvider* in, const LockTarget& target,
                            const Self& self, int64_t lock_mtime_ns) {
  if (in->ConsumeIntegralInRange(0, 7) == 0) {
    return in->ConsumeRandomLengthString(512);
  }
  pid_t pid = in->ConsumeIntegralInRange(0, 7) != 0
                  ? target.pid
                  : in->ConsumeIntegralInRange<pid_t>(1, kPidMax);
  std::string comm = in->ConsumeRandomLengthString(20);
  static constexpr char kStates[] = "RSDZXTtWIPKx";
  char state = in->ConsumeBool() ? in->PickValueInArray(kStates)
                                 : in->ConsumeIntegral<char>();
  uint64_t start_time;
  switch (in->ConsumeIntegralInRange(0, 2)) {
    case 0:  // /proc shows the start time with this reader's offset
      start_time =
          target.start_time + static_cast<uint64_t>(self.boottime_offset_ticks);
      break;
    case 1:
      start_time = StartTimeNear(self, lock_mtime_ns,
                                 in->ConsumeIntegralInRange<int64_t>(
                                     -4 * kClockSlackNs, 4 * kClockSlackNs));
      break;
    default:
      start_time = in->ConsumeIntegral<uint64_t>();
  }
  std::string text = std::to_string(pid) + " (" + comm + ") " + state;
  for (int field = 4; field <= 19; ++field) text += " 0";
  text += " " + std::to_string(in->ConsumeIntegralInRange(0, 3));  // threads
  text += " 0";
  text += " " + std::to_string(start_time) + " 1234 5678 18446744073709551615";
  if (in->ConsumeBool()) text += "\n";
  return text;
}

Probe ConsumeProbe(FuzzedDataProvider* in, const LockTarget& target,
                   const Self& self, int64_t lock_mtime_ns) {
  Probe probe;
  probe.stat_errno = ConsumeErrno(in);
  probe.stat = ConsumeStatText(in, target, self, lock_mtime_ns);
  probe.stat_truncated = in->ConsumeIntegralInRange(0, 7) == 0;
  probe.kill_errno = ConsumeErrno(in);
  probe.cmdline_errno = ConsumeErrno(in);
  probe.cmdline =
      in->ConsumeBool() ? self.cmdline : in->ConsumeRandomLengthString(64);
  probe.cmdline_truncated = in->ConsumeIntegralInRange(0, 7) == 0;
  static constexpr Witness kWitnesses[] = {Witness::kUnread, Witness::kHeld,
                                           Witness::kReleased, Witness::kError};
  probe.witness = in->PickValueInArray(kWitnesses);
  return probe;
}

// C-escaped `bytes`, for Describe.
std::string Escape(const std::string& bytes) {
  std::string out;
  for (char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out.push_back(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

// Prints the decoded case to stderr (PIDLOCK_FUZZ_VERBOSE=1), to tell what
// an input in corpus/liveness/ or a crash means.
void Describe(const std::string& text, const Self& self, const Probe& probe,
              Identity identity, int64_t lock_mtime_ns) {
  std::fprintf(
      stderr,
      "target \"%s\"\n"
      "self pid=%d start_time=%llu pid_ns=%llu boot8=%s host=\"%s\" "
      "cmdline=\"%s\" boot_wall_ns=%lld ticks_per_second=%lld\n"
      "probe stat_errno=%d stat=\"%s\" stat_truncated=%d kill_errno=%d "
      "cmdline_errno=%d cmdline=\"%s\" cmdline_truncated=%d witness=%d\n"
      "identity=%s lock_mtime_ns=%lld\n",
      Escape(text).c_str(), static_cast<int>(self.pid),
      static_cast<unsigned long long>(self.start_time),
      static_cast<unsigned long long>(self.pid_ns), self.boot8.c_str(),
      Escape(self.host).c_str(), Escape(self.cmdline).c_str(),
      static_cast<long long>(self.boot_wall_ns),
      static_cast<long long>(self.ticks_per_second), probe.stat_errno,
      Escape(probe.stat).c_str(), probe.stat_truncated ? 1 : 0,
      probe.kill_errno, probe.cmdline_errno, Escape(probe.cmdline).c_str(),
      probe.cmdline_truncated ? 1 : 0, static_cast<int>(probe.witness),
      identity == Identity::kCmdline ? "kCmdline" : "kKey",
      static_cast<long long>(lock_mtime_ns));
}

// A command line's words: trailing NULs (padding) do not count.
std::string Words(std::string cmdline) {
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  return cmdline;
}

bool Same(const Judgement& a, const Judgement& b) {
  return a.verdict == b.verdict && a.reason == b.reason && a.error == b.error &&
         a.more == b.more;
}

// A record of this host, boot and PID namespace: its dead process may leave
// a live job behind (the witness tells).
bool SameNamespaceRecord(const LockTarget& target, const Self& self) {
  return target.kind == LockTarget::Kind::kRecord && target.host == self.host &&
         target.boot8 == self.boot8 && target.pid_ns == self.pid_ns;
}

// A record whose PID means nothing here: dead (for `reason`) only when the
// witness was read and is released; unread or failed leaves it unknown.
void CheckByWitness(const Judgement& got, const Probe& probe, Reason reason) {
  switch (probe.witness) {
    case Witness::kHeld:
      FUZZ_CHECK(got.verdict == Verdict::kAlive &&
                 got.reason == Reason::kWitnessHeld);
      break;
    case Witness::kReleased:
      FUZZ_CHECK(got.verdict == Verdict::kDead && got.reason == reason);
      break;
    case Witness::kUnread:
    case Witness::kError:
      FUZZ_CHECK(got.verdict == Verdict::kUnknown);
      FUZZ_CHECK(got.error == Errc::kHolderOtherNamespace);
      break;
  }
}

// Checks `got` for one fuzzed case. Each FUZZ_CHECK names a rule of the
// design notes; all of them are consequences of "nothing unread or
// unparseable is ever judged dead".
// The rules of the recorded process alone: for a record of this namespace,
// `probe` says its job is over (witness released); CheckJudge adds the job.
void CheckProcessRules(const LockTarget& target, const Self& self,
                       const Probe& probe, Identity identity,
                       int64_t lock_mtime_ns) {
  const Judgement got =
      pidlock::internal::Judge(target, self, probe, identity, lock_mtime_ns);
  const Need need = pidlock::internal::NeedFor(target, self, identity);
  const bool record = target.kind == LockTarget::Kind::kRecord;
  const bool dead = got.verdict == Verdict::kDead;

  // The verdict and its reason agree; only kUnknown carries an error.
  FUZZ_CHECK((got.verdict == Verdict::kUnknown) ==
             (got.reason == Reason::kUnknown));
  FUZZ_CHECK((got.verdict == Verdict::kUnknown) == (got.error != Errc::kOk));

  // --- Safety on its own (the rows below imply it): "dead" needs evidence.
  // Never for another host's lock; for another PID namespace's only from a
  // released witness; otherwise, unless the target rows decided it (earlier
  // boot, our own PID), only from "no such process" confirmed by kill(2), or
  // from a complete stat of this very PID that parses. A command line proves
  // another app only when both are read whole and non-empty.
  if (dead) {
    const bool other_host = record && target.host != self.host;
    const bool other_boot = record && !other_host && target.boot8 != self.boot8;
    const bool other_ns =
        record && !other_host && !other_boot && target.pid_ns != self.pid_ns;
    const bool own_pid = !other_ns && target.pid == self.pid;
    FUZZ_CHECK(!other_host);
    if (other_boot || other_ns) FUZZ_CHECK(probe.witness == Witness::kReleased);
    if (own_pid && !record) FUZZ_CHECK(self.pid_ns == kInitialPidNamespace);
    if (!other_boot && !other_ns && !own_pid) {
      Stat stat;
      const bool gone =
          (probe.stat_errno == ENOENT || probe.stat_errno == ESRCH) &&
          probe.kill_errno == ESRCH;
      const bool read =
          probe.stat_errno == 0 && !probe.stat_truncated &&
          pidlock::internal::ParseStat(probe.stat, &stat) == ParseError::kOk &&
          stat.pid == target.pid;
      FUZZ_CHECK(gone || read);
    }
    if (got.reason == Reason::kOtherCommandLine) {
      FUZZ_CHECK(identity == Identity::kCmdline && probe.cmdline_errno == 0 &&
                 !probe.cmdline_truncated && !Words(probe.cmdline).empty() &&
                 !Words(self.cmdline).empty() &&
                 Words(probe.cmdline) != Words(self.cmdline));
    }
  }

  // --- Rows 1 to 4: the target against Self. ---
  Need expected_need =
      identity == Identity::kCmdline ? Need::kCmdline : Need::kStat;
  if (record && target.host != self.host) {
    // Row 1: another host's lock says nothing about this host.
    FUZZ_CHECK(got.verdict == Verdict::kUnknown);
    FUZZ_CHECK(got.error == Errc::kHolderOtherHost);
    expected_need = Need::kNothing;
  } else if (record && target.boot8 != self.boot8) {
    // Row 2: same host, another boot id: an earlier boot, or a virtualised
    // boot id on this kernel. Only the witness tells, as in row 3.
    CheckByWitness(got, probe, Reason::kPreviousBoot);
    expected_need = Need::kWitness;
  } else if (record && target.pid_ns != self.pid_ns) {
    // Row 3: same host and boot, another PID namespace, whose PID means
    // nothing here: only the witness tells.
    CheckByWitness(got, probe, Reason::kWitnessReleased);
    expected_need = Need::kWitness;
  } else if (target.pid == self.pid) {
    // Row 4: our own PID. Only our very process (same start time) is alive;
    // legacy locks are never ours (this library writes records).
    // From a container, the original's lock with our PID may be another
    // namespace's process.
    if (record && target.start_time == self.start_time) {
      FUZZ_CHECK(got.verdict == Verdict::kAlive &&
                 got.reason == Reason::kThisProcess);
    } else if (!record && self.pid_ns != kInitialPidNamespace) {
      FUZZ_CHECK(got.verdict == Verdict::kUnknown &&
                 got.error == Errc::kLegacyHolderNotVisible);
    } else {
      FUZZ_CHECK(dead && got.reason == Reason::kOwnPidEarlierProcess);
    }
    expected_need = Need::kNothing;
  }
  FUZZ_CHECK(need == expected_need);
  // What NeedFor did not ask for must not matter: the same verdict from a
  // probe that holds only what was asked for.
  if (need == Need::kNothing || need == Need::kWitness) {
    Probe asked;
    // A record of this namespace may ask for the witness later (its job).
    if (need == Need::kWitness || SameNamespaceRecord(target, self)) {
      asked.witness = probe.witness;
    }
    FUZZ_CHECK(Same(got, pidlock::internal::Judge(target, self, asked, identity,
                                                  lock_mtime_ns)));
    return;
  }
  if (!SameNamespaceRecord(target, self)) {
    // The original's locks: the original takes no witness.
    Probe other_witness = probe;
    other_witness.witness = probe.witness == Witness::kReleased
                                ? Witness::kHeld
                                : Witness::kReleased;
    FUZZ_CHECK(Same(got, pidlock::internal::Judge(target, self, other_witness,
                                                  identity, lock_mtime_ns)));
  }

  // --- Row 5: the holder's /proc entry. ---
  if (identity == Identity::kKey) {
    // The command line is not read in this mode: it must not matter.
    Probe other = probe;
    other.cmdline_errno = EIO;
    other.cmdline = "another command line";
    other.cmdline_truncated = !probe.cmdline_truncated;
    FUZZ_CHECK(Same(got, pidlock::internal::Judge(target, self, other, identity,
                                                  lock_mtime_ns)));
  }
  if (probe.stat_errno == ENOENT || probe.stat_errno == ESRCH) {
    // No /proc entry: dead only if kill(2) agrees there is no such process;
    // EPERM (hidepid) or success leave it unknown.
    if (probe.kill_errno == ESRCH && !record &&
        self.pid_ns != pidlock::internal::kInitialPidNamespace) {
      // The original's lock, judged from a container: its PID may be
      // another namespace's.
      FUZZ_CHECK(got.verdict == Verdict::kUnknown);
      FUZZ_CHECK(got.error == Errc::kLegacyHolderNotVisible);
    } else if (probe.kill_errno == ESRCH) {
      FUZZ_CHECK(dead && got.reason == Reason::kNoSuchProcess);
    } else {
      FUZZ_CHECK(got.verdict == Verdict::kUnknown);
      if (probe.kill_errno == EPERM || probe.kill_errno == 0) {
        FUZZ_CHECK(got.error == Errc::kHolderHidden);
      }
    }
    return;
  }
  if (probe.stat_errno != 0 || probe.stat_truncated) {
    // EACCES, EIO, ... or a stat cut off by the reader's cap.
    FUZZ_CHECK(got.verdict == Verdict::kUnknown);
    FUZZ_CHECK(got.error == Errc::kHolderUnverifiable);
    return;
  }
  Stat stat;
  if (pidlock::internal::ParseStat(probe.stat, &stat) != ParseError::kOk ||
      stat.pid != target.pid) {
    // An unparseable stat, or one of another PID, proves nothing.
    FUZZ_CHECK(got.verdict == Verdict::kUnknown);
    FUZZ_CHECK(got.error == Errc::kHolderUnverifiable);
    return;
  }
  // A Z with other threads is a live process whose main thread exited.
  if ((stat.state == 'Z' || stat.state == 'X') && stat.num_threads <= 1) {
    FUZZ_CHECK(dead && got.reason == Reason::kZombie);
    return;
  }
  if (record) {
    if (static_cast<__int128>(stat.start_time) - self.boottime_offset_ticks !=
        static_cast<__int128>(target.start_time)) {
      FUZZ_CHECK(dead && got.reason == Reason::kPidReused);
      return;
    }
  } else {
    if (self.ticks_per_second <= 0) {
      FUZZ_CHECK(got.verdict == Verdict::kUnknown);
      FUZZ_CHECK(got.error == Errc::kHolderUnverifiable);
      return;
    }
    // Exact arithmetic: boot wall time + start / CLK_TCK > mtime + 1 s.
    __int128 start_ns = static_cast<__int128>(self.boot_wall_ns) +
                        static_cast<__int128>(stat.start_time) * 1000000000 /
                            self.ticks_per_second;
    __int128 limit_ns = static_cast<__int128>(lock_mtime_ns) + kClockSlackNs;
    if (start_ns > limit_ns) {
      FUZZ_CHECK(dead && got.reason == Reason::kStartedAfterLock);
      return;
    }
  }
  // A live process that may have made the lock.
  if (identity == Identity::kCmdline) {
    if (probe.cmdline_errno != 0) {
      FUZZ_CHECK(got.verdict == Verdict::kUnknown);
      FUZZ_CHECK(got.error == Errc::kHolderUnverifiable);
      return;
    }
    // Only two complete, non-empty, different command lines prove another
    // app; a truncated or empty one keeps the holder.
    if (!probe.cmdline_truncated && !Words(probe.cmdline).empty() &&
        !Words(self.cmdline).empty() &&
        Words(probe.cmdline) != Words(self.cmdline)) {
      FUZZ_CHECK(dead && got.reason == Reason::kOtherCommandLine);
      return;
    }
  }
  FUZZ_CHECK(got.verdict == Verdict::kAlive && got.reason == Reason::kAlive);
}

// The job: a record of this namespace whose process is dead (gone, zombie,
// PID reused, our PID's earlier process) is dead only when the witness was
// read and is released; held, its job is alive; failed, unknown; unread, the
// decision asks for it (more == kWitness) and says unknown meanwhile. Every
// other verdict ignores the witness.
void CheckJudge(const LockTarget& target, const Self& self, const Probe& probe,
                Identity identity, int64_t lock_mtime_ns) {
  const Judgement got =
      pidlock::internal::Judge(target, self, probe, identity, lock_mtime_ns);
  if (!SameNamespaceRecord(target, self)) {
    FUZZ_CHECK(got.more == Need::kNothing);
    CheckProcessRules(target, self, probe, identity, lock_mtime_ns);
    return;
  }
  Probe over = probe;
  over.witness = Witness::kReleased;
  CheckProcessRules(target, self, over, identity, lock_mtime_ns);
  const Judgement process =
      pidlock::internal::Judge(target, self, over, identity, lock_mtime_ns);
  const bool job_rule = process.verdict == Verdict::kDead &&
                        (process.reason == Reason::kNoSuchProcess ||
                         process.reason == Reason::kZombie ||
                         process.reason == Reason::kPidReused ||
                         process.reason == Reason::kOwnPidEarlierProcess);
  if (!job_rule) {
    FUZZ_CHECK(Same(got, process));
    return;
  }
  switch (probe.witness) {
    case Witness::kHeld:
      FUZZ_CHECK(got.verdict == Verdict::kAlive &&
                 got.reason == Reason::kJobAlive && got.more == Need::kNothing);
      break;
    case Witness::kReleased:
      FUZZ_CHECK(Same(got, process));
      break;
    case Witness::kError:
    case Witness::kUnread:
      FUZZ_CHECK(got.verdict == Verdict::kUnknown &&
                 got.error == Errc::kJobUnverifiable);
      FUZZ_CHECK(got.more == (probe.witness == Witness::kUnread
                                  ? Need::kWitness
                                  : Need::kNothing));
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  FuzzedDataProvider in(data, size);
  Self self = ConsumeSelf(&in);
  std::string text = ConsumeTargetText(&in, self);
  LockTarget target;
  // Garbage targets are refused (LockTargetInvalid) before any decision.
  if (pidlock::internal::ParseLockTarget(text, &target) != ParseError::kOk) {
    return 0;
  }
  Identity identity = in.ConsumeBool() ? Identity::kCmdline : Identity::kKey;
  int64_t lock_mtime_ns = in.ConsumeIntegral<int64_t>();
  Probe probe = ConsumeProbe(&in, target, self, lock_mtime_ns);
  static const bool verbose = std::getenv("PIDLOCK_FUZZ_VERBOSE") != nullptr;
  if (verbose) Describe(text, self, probe, identity, lock_mtime_ns);
  CheckJudge(target, self, probe, identity, lock_mtime_ns);
  return 0;
}
