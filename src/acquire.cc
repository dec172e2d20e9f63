// Copyright 2026 The pidlock Authors. MIT License.
//
// The protocol of spec/state_machine.md: acquire (S1-S12), release
// (S13-S16) and inspect. Each step begins with EnterState(<its state>); the
// comments say which syscall guarantee the step relies on.

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>

#include "src/fd.h"
#include "src/hook.h"
#include "src/key_directory.h"
#include "src/liveness.h"
#include "src/parse.h"
#include "src/pidlock.h"
#include "src/proc.h"
#include "src/this_process.h"

namespace pidlock {

using internal::EnterState;
using internal::Judgement;
using internal::LockTarget;
using internal::SelfRecord;
using internal::Verdict;

namespace {

constexpr char kLockName[] = "lock";

// A fresh acquirer and a releaser can hand the lock back and forth forever in
// theory; after this many rounds (symlinkat attempts, at S3 or S10, over
// both loops) TryAcquire reports EAGAIN instead of spinning.
constexpr int kMaxRounds = 1000;

std::error_code SystemError(int e) { return {e, std::system_category()}; }

// What one look at <key>/lock saw: target and identity of the symlink. Two
// looks saw the same lock iff all three are equal.
struct Seen {
  std::string target;
  ino_t inode = 0;
  struct timespec mtime = {};
  bool operator==(const Seen& o) const {
    return target == o.target && inode == o.inode &&
           mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

// readlinkat(2) then fstatat(2). Returns 0, ENOENT (no lock), EINVAL (not a
// symlink), ENAMETOOLONG (target longer than kMaxTargetSize), or an errno.
// The two calls are not one atomic look: a caller that acts on the result
// confirms it under the flock (CONFIRMING_*), where both are compared.
int ReadLock(int key_fd, Seen* seen) {
  char buffer[internal::kMaxTargetSize + 1];
  ssize_t n = readlinkat(key_fd, kLockName, buffer, sizeof(buffer));
  if (n < 0) return errno;
  if (static_cast<size_t>(n) > internal::kMaxTargetSize) return ENAMETOOLONG;
  seen->target.assign(buffer, static_cast<size_t>(n));
  struct stat st;
  if (fstatat(key_fd, kLockName, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  seen->inode = st.st_ino;
  seen->mtime = st.st_mtim;
  return 0;
}

// flock(2) on the key directory serialises takeovers and releases of one
// key. The kernel drops it when the last descriptor of the open file
// description closes, so a SIGKILLed process never leaves it held. It is held
// for a few syscalls at a time, so a wait of kFlockTimeout means a process
// stopped while holding it (or a fork child that inherited it): give up
// rather than hang. Returns {}, Errc::kKeyDirectoryBusy, or an errno.
constexpr auto kFlockTimeout = std::chrono::seconds(10);
std::error_code LockDirectory(int key_fd) {
  const auto deadline = std::chrono::steady_clock::now() + kFlockTimeout;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (flock(key_fd, LOCK_EX | LOCK_NB) == 0) return {};
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return SystemError(errno);
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error_code(Errc::kKeyDirectoryBusy);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(10000));
  }
}
void UnlockDirectory(int key_fd) { flock(key_fd, LOCK_UN); }

// Nanoseconds since the epoch, saturated: a timestamp outside 1677..2262 (a
// forged mtime) does not fit in int64_t.
int64_t Nanoseconds(const struct timespec& t) {
  constexpr int64_t kMaxSeconds = INT64_MAX / 1000000000 - 1;
  if (t.tv_sec > kMaxSeconds) return INT64_MAX;
  if (t.tv_sec < -kMaxSeconds) return INT64_MIN;
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// Fills holder from a target seen at `seen` and the judgement of it.
void DescribeHolder(const Seen& seen, const LockTarget& target,
                    const Judgement& judgement, Holder* holder) {
  holder->pid = target.pid;
  holder->start_time = target.start_time;
  holder->host = target.host;
  holder->legacy = target.kind == LockTarget::Kind::kLegacy;
  holder->target = seen.target;
  holder->reason = judgement.reason;
  holder->acquired_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(Nanoseconds(seen.mtime))));
}

// Reads the holder's command line, for display only, when its /proc entry is
// known to be the holder's (same PID namespace, same start time); a dead or
// foreign holder's PID may name another process now.
void ReadCommandLine(Holder* holder) {
  if (holder->reason != Reason::kAlive &&
      holder->reason != Reason::kThisProcess) {
    return;
  }
  const pid_t pid = holder->pid;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cmdline", static_cast<int>(pid));
  std::string text;
  bool truncated = false;
  std::vector<std::string> args;
  if (internal::ReadCapped(path, internal::kCmdlineCap, &text, &truncated) ==
          0 &&
      internal::ParseCmdline(text, &args) == internal::ParseError::kOk) {
    holder->command_line = internal::JoinCmdline(args);
  }
}

// Judges the lock seen, whose target parsed as `target`: probes /proc as far
// as needed, and fills *holder. False, with *error, when it cannot be told.
// *by_job is set when the verdict came from the job rule (the recorded
// process is dead and the job witness was read).
bool JudgeLock(int key_fd, const Seen& seen, const LockTarget& target,
               const SelfRecord& self, const Options& options,
               Judgement* judgement, Holder* holder, Errc* error,
               bool* by_job) {
  internal::Probe probe;
  internal::ProbeProcess(target.pid,
                         internal::NeedFor(target, self.self, options.identity),
                         key_fd, &probe);
  const int64_t mtime_ns = Nanoseconds(seen.mtime);
  *judgement =
      internal::Judge(target, self.self, probe, options.identity, mtime_ns);
  *by_job = judgement->more == internal::Need::kWitness;
  if (*by_job) {
    // The recorded process is dead: does its job still hold the job
    // witness?
    probe.witness =
        internal::TestWitness(key_fd, internal::WitnessByte::kJobWitness);
    *judgement =
        internal::Judge(target, self.self, probe, options.identity, mtime_ns);
  }
  DescribeHolder(seen, target, *judgement, holder);
  if (judgement->verdict == Verdict::kUnknown) {
    *error = judgement->error;
    return false;
  }
  return true;
}

}  // namespace

// One acquisition attempt: the states S1-S12 of the spec.
class Acquirer {
 public:
  Acquirer(const std::string& dir, const std::string& key,
           const Options& options)
      : options_(options), dir_(dir), key_path_(dir + "/" + key), key_(key) {}
  ~Acquirer() {
    if (fd_ >= 0) close(fd_);
  }
  Acquirer(const Acquirer&) = delete;
  Acquirer& operator=(const Acquirer&) = delete;

  AcquireResult Run() {
    AcquireResult result;
    EnterState(state_ = State::OPENING_KEY_DIRECTORY);
    Error open_error;
    // T1 key-directory-opened (S1 -> S2).
    fd_ = internal::OpenKeyDirectory(dir_, key_, /*create=*/true, &open_error);
    if (fd_ < 0) {
      open_error.state = state_;
      result.error = std::move(open_error);
      return result;
    }
    const int fd = fd_;

    // Not a disk step any more: the owner record is formatted once per
    // process (GetSelf) and written with the lock in one syscall.
    EnterState(state_ = State::CREATING_NEW_DATA_FOR_THIS_PID);
    std::error_code self_error;
    // T2 record-formatted (S2 -> S3); P1, P2 refuse.
    const SelfRecord* self = internal::GetSelf(&self_error);
    if (self == nullptr) return Fail(self_error);
    const std::string& record = self->target;

    int rounds = 0;
    while (++rounds <= kMaxRounds) {
      // symlink(2) fails with EEXIST if the name exists: an exclusive
      // create, so at most one process turns "no lock" into "my lock".
      EnterState(state_ = State::ATTEMPTING_TO_CREATE_A_SYMLINK);
      std::error_code created = CreateLock(record);
      // T3 symlink-created (S3 -> S11), else T4 symlink-exists (S3 -> S4).
      if (!created) return Acquired(std::move(result), *self, State::OK);
      if (created != std::errc::file_exists) return Fail(created);

      // The lock exists: read it and judge its holder. Loops back to S4
      // when a fresh acquirer won the gap after REMOVING_STALE_LOCK.
      for (; rounds <= kMaxRounds; ++rounds) {
        EnterState(state_ = State::READING_LOCK);
        Seen seen;
        int e = ReadLock(fd, &seen);
        // T5 lock-read; T6 lock-vanished (S4 -> S3); T7 lock-unusable.
        if (e == ENOENT) break;  // released meanwhile: try S3 again
        if (e != 0) return FailRead(e);
        LockTarget target;
        if (internal::ParseLockTarget(seen.target, &target) !=
            internal::ParseError::kOk) {
          return Fail(make_error_code(Errc::kLockTargetInvalid));
        }

        EnterState(state_ = State::PROBING_HOLDER);
        Judgement judgement;
        Errc judge_error = Errc::kOk;
        bool by_job = false;
        if (!JudgeLock(fd, seen, target, *self, options_, &judgement,
                       &result.holder, &judge_error, &by_job)) {
          return Fail(make_error_code(judge_error));
        }
        // T9 holder-unknown above; T8 holder-alive (S5 -> S6); else T10.
        if (judgement.verdict == Verdict::kAlive) {
          EnterState(state_ = State::CONFIRMED_TO_NOT_START);
          ReadCommandLine(&result.holder);
          result.outcome = Outcome::kHeld;
          return result;
        }

        // Dead. A process judged dead from /proc never comes back, so only
        // "is it still the same lock" needs confirming, under the flock; the
        // witnesses are tested again below.
        EnterState(state_ = State::LOCKING_FOR_TAKEOVER);
        // T10 holder-dead (S5 -> S7); T11 takeover-flock-taken (S7 -> S8).
        if (std::error_code busy = LockDirectory(fd)) return Fail(busy);
        EnterState(state_ = State::CONFIRMING_STALE_LOCK);
        Seen now;
        e = ReadLock(fd, &now);
        // T12 stale-lock-confirmed, or T13 lock-changed (S8 -> S3).
        if (e != 0 || !(now == seen)) {
          UnlockDirectory(fd);
          if (e != 0 && e != ENOENT) return FailRead(e);
          break;  // changed hands or gone: start over at S3
        }
        if (judgement.reason == Reason::kWitnessReleased ||
            judgement.reason == Reason::kPreviousBoot) {
          // Judged by the witness (another PID namespace or boot id): not
          // monotone, unlike the other DEAD verdicts: the holder may have
          // released and acquired again with the same record, inode and
          // mtime. A live holder of the lock just read cannot release it
          // while we hold the flock, so it holds its witness now if it is
          // alive (spec T21).
          // T21 witness-held-on-recheck (S8 -> S6).
          const internal::Witness witness =
              internal::TestWitness(fd, internal::WitnessByte::kWitness);
          if (witness != internal::Witness::kReleased) {
            UnlockDirectory(fd);
            if (witness == internal::Witness::kError) {
              return Fail(make_error_code(Errc::kHolderOtherNamespace));
            }
            EnterState(state_ = State::CONFIRMED_TO_NOT_START);
            result.holder.reason = Reason::kWitnessHeld;
            result.outcome = Outcome::kHeld;
            return result;
          }
        } else if (by_job) {
          // Monotone in theory (a dead holder's job only shrinks), but only
          // if /proc's verdict was right: under the flock the job witness
          // says again whether the job is over (spec T22), at the cost of
          // one fcntl on the takeover path.
          // T22 job-witness-held-on-recheck (S8 -> S6).
          const internal::Witness witness =
              internal::TestWitness(fd, internal::WitnessByte::kJobWitness);
          if (witness != internal::Witness::kReleased) {
            UnlockDirectory(fd);
            if (witness == internal::Witness::kError) {
              return Fail(make_error_code(Errc::kJobUnverifiable));
            }
            EnterState(state_ = State::CONFIRMED_TO_NOT_START);
            result.holder.reason = Reason::kJobAlive;
            result.outcome = Outcome::kHeld;
            return result;
          }
        }
        EnterState(state_ = State::REMOVING_STALE_LOCK);
        // T14 stale-lock-removed (S9 -> S10).
        if (unlinkat(fd, kLockName, 0) != 0) {
          e = errno;
          UnlockDirectory(fd);
          return Fail(SystemError(e));
        }
        EnterState(state_ = State::CREATING_NEW_SYMLINK);
        // T15 takeover-symlink-created (S10 -> S12), else T16
        // takeover-lost-race.
        created = CreateLock(record);
        UnlockDirectory(fd);
        if (!created) {
          return Acquired(std::move(result), *self,
                          State::OK_STALE_LOCK_REMOVED);
        }
        if (created != std::errc::file_exists) return Fail(created);
        // A fresh acquirer created the lock after S9: judge it (S4).
      }
    }
    return Fail(SystemError(EAGAIN));
  }

 private:
  // symlinkat(2) of our record, with the witness held from just before it
  // (so no record of ours is ever visible without it) and dropped again on
  // failure (so a mere contender never looks like a live holder). Returns 0,
  // or the error: symlinkat's errno (EEXIST: the lock exists), or
  // Errc::kWitnessUnavailable when the witness cannot be taken: a holder
  // without a witness would look dead to judges in other PID namespaces.
  std::error_code CreateLock(const std::string& record) {
    if (internal::TakeWitness(fd_, internal::WitnessByte::kWitness) != 0) {
      return make_error_code(Errc::kWitnessUnavailable);
    }
    if (symlinkat(record.c_str(), fd_, kLockName) == 0) return {};
    const int e = errno;
    (void)internal::DropWitness(fd_, internal::WitnessByte::kWitness);
    return SystemError(e);
  }

  AcquireResult Fail(std::error_code code) {
    AcquireResult result;
    result.outcome = Outcome::kError;
    result.error.code = code;
    result.error.state = state_;
    result.error.path = state_ == State::OPENING_KEY_DIRECTORY
                            ? key_path_
                            : key_path_ + "/" + kLockName;
    return result;
  }

  AcquireResult FailRead(int e) {
    // L18 LockNotSymlink, L19 LockTargetInvalid.
    if (e == EINVAL) return Fail(make_error_code(Errc::kLockNotSymlink));
    if (e == ENAMETOOLONG) {
      return Fail(make_error_code(Errc::kLockTargetInvalid));
    }
    return Fail(SystemError(e));
  }

  // The lock is ours (symlinkat succeeded). Takes the job witness, which
  // only holders take (a contender never does, so a contender cannot make a
  // dead holder's job look alive), and hands the descriptor to the Lock.
  AcquireResult Acquired(AcquireResult result, const SelfRecord& self,
                         State state) {
    const std::string& record = self.target;
    struct stat st;
    if (fstatat(fd_, kLockName, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      // Our lock vanished between symlinkat and fstatat: someone removed it
      // by hand. Report it rather than claim a lock we cannot release.
      return Fail(make_error_code(Errc::kLockLost));
    }
    const bool job_witness =
        internal::TakeWitness(fd_, internal::WitnessByte::kJobWitness) == 0;
    // Exec never ends holding: the program a holder execs keeps its PID and
    // start time, so judges in this PID namespace still see it alive, and
    // must keep the witnesses too, or judges in other namespaces would see
    // them released and take over a live holder. Opened close-on-exec (a
    // contender's descriptor must not leak into another thread's exec).
    const bool kept_across_exec = fcntl(fd_, F_SETFD, 0) == 0;
    EnterState(state_ = state);
    result.outcome = Outcome::kAcquired;
    result.lock.fd_ = std::exchange(fd_, -1);
    result.lock.path_ = key_path_ + "/" + kLockName;
    result.lock.owner_ = internal::ThisProcessToken();
    result.lock.inode_ = st.st_ino;
    result.lock.target_ = record;
    result.lock.took_over_ = state == State::OK_STALE_LOCK_REMOVED;
    if (!job_witness || !kept_across_exec) {
      // Without them, the job could not keep the lock once this process
      // died, or exec'd: give the lock back (S13-S16) rather than hold it
      // so.
      (void)result.lock.Release();
      return Fail(make_error_code(Errc::kWitnessUnavailable));
    }
    return result;
  }

  const Options& options_;
  const std::string& dir_;
  const std::string key_path_;
  const std::string& key_;
  State state_ = State::OPENING_KEY_DIRECTORY;
  int fd_ = -1;  // the key directory; handed to the Lock when acquired
};

Lock::Lock(Lock&& other) noexcept { *this = std::move(other); }

Lock& Lock::operator=(Lock&& other) noexcept {
  if (this != &other) {
    if (held()) (void)Release();
    fd_ = std::exchange(other.fd_, -1);
    owner_ = other.owner_;
    inode_ = other.inode_;
    took_over_ = other.took_over_;
    path_ = std::move(other.path_);
    target_ = std::move(other.target_);
  }
  return *this;
}

Lock::~Lock() {
  if (held()) (void)Release();
}

std::error_code Lock::KeepAcrossExec() {
  // The descriptor is kept across exec from acquisition on (Acquired).
  if (fd_ < 0) return make_error_code(Errc::kNotHeld);
  return {};
}

std::error_code Lock::Release() {
  if (fd_ < 0) return make_error_code(Errc::kNotHeld);
  const int fd = std::exchange(fd_, -1);
  if (owner_ != internal::ThisProcessToken()) {
    // A fork child's copy (whatever its PID number: a child in a new PID
    // namespace may have its parent's): close the child's descriptor only;
    // the acquirer still holds the lock.
    close(fd);
    return make_error_code(Errc::kNotOwner);
  }
  EnterState(State::LOCKING_FOR_RELEASE);
  // T17 release-flock-taken (S13 -> S14).
  std::error_code result = LockDirectory(fd);
  if (!result) {
    // Under the flock no takeover can run, so the lock seen here is the lock
    // unlinked next: release never removes another's lock.
    EnterState(State::CONFIRMING_OWN_LOCK);
    Seen seen;
    const int e = ReadLock(fd, &seen);
    // T18 own-lock-confirmed (S14 -> S15), else T19 lock-lost (S14 -> S16).
    if (e == 0 && seen.target == target_ && seen.inode == inode_) {
      EnterState(State::REMOVING_OWN_LOCK);
      // T20 own-lock-removed (S15 -> S16).
      if (unlinkat(fd, kLockName, 0) != 0) result = SystemError(errno);
    } else if (e == 0 || e == ENOENT || e == EINVAL || e == ENAMETOOLONG) {
      result = make_error_code(Errc::kLockLost);
    } else {
      result = SystemError(e);
    }
  }
  EnterState(State::RELEASED);
  // Drop the witness and unlock explicitly: close(2) drops them only with
  // the last descriptor of the open file description, and the job's other
  // processes (fork children, or COMMAND's tree under `pidlock run`) may
  // still have one. Left held, the witness would make the next holder's
  // stale lock look alive (JobAlive) for as long as they run.
  (void)internal::DropWitness(fd);
  UnlockDirectory(fd);
  close(fd);
  return result;
}

AcquireResult TryAcquire(const std::string& dir, const std::string& key,
                         const Options& options) {
  return Acquirer(dir, key, options).Run();
}

Inspection Inspect(const std::string& dir, const std::string& key,
                   const Options& options) {
  Inspection inspection;
  const std::string key_path = dir + "/" + key;
  auto fail = [&](std::error_code code, State state, std::string path) {
    inspection.status = Status::kError;
    inspection.error.code = code;
    inspection.error.state = state;
    inspection.error.path = std::move(path);
    return std::move(inspection);
  };
  Error open_error;
  const internal::Fd key_fd(
      internal::OpenKeyDirectory(dir, key, /*create=*/false, &open_error));
  const int fd = key_fd.get();
  if (fd < 0) {
    // No key directory is no lock; a missing `dir` (a typo) is an error.
    if (open_error.code == std::errc::no_such_file_or_directory &&
        open_error.path == key_path) {
      inspection.status = Status::kFree;
      return inspection;
    }
    inspection.status = Status::kError;
    inspection.error = std::move(open_error);
    inspection.error.state = State::OPENING_KEY_DIRECTORY;
    return inspection;
  }
  const std::string lock_path = key_path + "/" + kLockName;
  Seen seen;
  int e = ReadLock(fd, &seen);
  if (e == ENOENT) {
    inspection.status = Status::kFree;
    return inspection;
  }
  if (e == EINVAL) {
    return fail(make_error_code(Errc::kLockNotSymlink), State::READING_LOCK,
                lock_path);
  }
  if (e == ENAMETOOLONG) {
    return fail(make_error_code(Errc::kLockTargetInvalid), State::READING_LOCK,
                lock_path);
  }
  if (e != 0) return fail(SystemError(e), State::READING_LOCK, lock_path);
  LockTarget target;
  if (internal::ParseLockTarget(seen.target, &target) !=
      internal::ParseError::kOk) {
    return fail(make_error_code(Errc::kLockTargetInvalid), State::READING_LOCK,
                lock_path);
  }

  std::error_code self_error;
  const SelfRecord* self = internal::GetSelf(&self_error);
  if (self == nullptr) {
    return fail(self_error, State::PROBING_HOLDER, lock_path);
  }
  Judgement judgement;
  Errc judge_error = Errc::kOk;
  bool by_job = false;
  if (!JudgeLock(fd, seen, target, *self, options, &judgement,
                 &inspection.holder, &judge_error, &by_job)) {
    return fail(make_error_code(judge_error), State::PROBING_HOLDER, lock_path);
  }
  ReadCommandLine(&inspection.holder);
  inspection.status =
      judgement.verdict == Verdict::kAlive ? Status::kHeld : Status::kStale;
  return inspection;
}

}  // namespace pidlock
