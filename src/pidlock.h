// Copyright 2026 The pidlock Authors. MIT License.
//
// pidlock: a PID-based single-instance lock for Linux.
//
// A lock is named by a directory and a key. `<dir>/<key>/lock` is a symlink
// whose target records the holder: its PID (the target's last component, as
// the npm package pidlock 0.1.0 writes it), its start time, boot, PID
// namespace and host. A holder is alive iff that very process still runs;
// when it has died, the next caller takes the lock over, race-free. When
// liveness cannot be established, nobody takes over: the caller gets an error
// that names the path and the reason. spec/state_machine.md is the protocol.
//
// Example:
//
//   pidlock::AcquireResult r = pidlock::TryAcquire("/run/user/1000", "backup");
//   switch (r.outcome) {
//     case pidlock::Outcome::kAcquired:
//       RunBackup();  // r.lock releases when it goes out of scope
//       break;
//     case pidlock::Outcome::kHeld:
//       std::cerr << "already running as pid " << r.holder.pid << "\n";
//       return 75;
//     case pidlock::Outcome::kError:
//       std::cerr << r.error.Message() << "\n";
//       return 1;
//   }
//
// Threads: all functions may be called from any thread. A process that
// already holds a lock and tries it again gets kHeld with its own PID.
// The holder is a job (as with flock(2)): the acquiring process and every
// process that shares its key-directory descriptor. fork(2): a child is in
// the job until it exits, and never releases its parent's lock, whatever
// its PID number (Release() in the child only closes the child's copy and
// returns Errc::kNotOwner, which also takes the child out of the job).
// exec(2): the descriptor is kept across exec, so a holder that execs stays
// the holder until the exec'd program exits (PID and start time survive
// exec too), and so does a child that execs: a child that must not keep
// the lock after the holder dies calls Release() before it execs.
//
// PID namespaces (containers): a lock made in another PID namespace on this
// host is judged by its witness, an OFD lock every holder keeps on the key
// directory: a live holder in a sibling container keeps the lock, and a
// container restarted on a persistent lock directory takes over the lock of
// its dead predecessor.

#ifndef PIDLOCK_SRC_PIDLOCK_H_
#define PIDLOCK_SRC_PIDLOCK_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

#include "src/state.h"

namespace pidlock {

// The library's version, "MAJOR.MINOR.PATCH".
inline constexpr char kVersion[] = "0.1.0";

// The lock's own outcomes and refusals; errno values use std::system_category.
// Every refusal means nobody took the lock over.
enum class Errc : int {
  kOk = 0,
  // The key is empty, ".", "..", contains '/' or NUL, or is longer than
  // NAME_MAX.
  kInvalidKey = 1,
  // <dir>/<key> is a symlink or not a directory.
  kKeyDirectoryNotDirectory,
  // <dir>/<key> is not owned by this process's effective user.
  kKeyDirectoryWrongOwner,
  // <dir>/<key> is writable by group or others.
  kKeyDirectoryUnsafeMode,
  // <dir>/<key>/lock exists but is not a symlink (a regular file, a
  // directory, ...).
  kLockNotSymlink,
  // The lock's target does not end in a PID, or its record is malformed.
  kLockTargetInvalid,
  // /proc is not mounted or this process's own entries cannot be read (or
  // its time namespace's boot offset is not a whole number of clock ticks).
  kProcUnavailable,
  // /proc belongs to another PID namespace: readlink("/proc/self") is not
  // getpid().
  kProcOtherNamespace,
  // The lock was made by another host (its record names another host).
  kHolderOtherHost,
  // The lock was made in another PID namespace or under another boot id
  // (its PID means nothing here) and the key directory's witness lock cannot
  // be tested.
  kHolderOtherNamespace,
  // The holder's PID exists but /proc hides it (hidepid): kill(pid, 0) gives
  // EPERM, or succeeds while /proc has no entry.
  kHolderHidden,
  // The holder's /proc entry cannot be read or parsed.
  kHolderUnverifiable,
  // Release: the lock no longer is this holder's (removed or replaced by
  // someone else); it was left as it is.
  kLockLost,
  // Release in a process that did not acquire the lock (a fork child).
  kNotOwner,
  // Release of a lock that was already released.
  kNotHeld,
  // Guard only: another live instance holds the lock (see GuardData).
  kHeld,
  // The witness or the job witness (OFD locks on the key directory) cannot
  // be taken, so judges in other PID namespaces, or of this holder's job,
  // could not see it: not acquired.
  kWitnessUnavailable,
  // A lock of the original npm package (no owner record, so no PID
  // namespace) whose PID does not exist here, or is the caller's own, while
  // this process is not in the initial PID namespace: the holder may live in
  // another namespace.
  kLegacyHolderNotVisible,
  // Another process has held the key directory's flock for kFlockTimeout:
  // most likely a stopped process, or a fork child of one that died holding
  // it. Nothing was taken over or removed.
  kKeyDirectoryBusy,
  // The holder's process is gone, and whether its job still runs (a process
  // that inherited its key-directory descriptor, holding the witness) cannot
  // be told: fcntl(F_OFD_GETLK) on the key directory failed.
  kJobUnverifiable,
  // A directory on the path to <dir>/<key> (named in Error::path) is not a
  // directory: a regular file, a dangling symlink, or more than 40 symlinks.
  kPathComponentNotDirectory,
  // A directory on the path (or a symlink on it) is owned by a user other
  // than root and the caller, who could rename the lock directory away and
  // let a second holder in; or, in a directory that others may write (a
  // sticky one), it is not the caller's or root's (a squatter's).
  kPathComponentWrongOwner,
  // A directory on the path is writable by group or others and not sticky:
  // anyone could rename what is in it.
  kPathComponentUnsafeMode,
};

// The spec's name of `e` ("KeyDirectoryBusy", ...), stable for scripts.
const char* ErrcName(Errc e);

// The error category of Errc ("pidlock").
const std::error_category& ErrorCategory();
std::error_code make_error_code(Errc e);

// Why a holder was judged alive or dead, or why it could not be told.
enum class Reason : int {
  kAlive = 0,             // the recorded process runs (same PID, start time)
  kThisProcess,           // the recorded process is the caller itself
  kNoSuchProcess,         // dead: no process has the PID
  kZombie,                // dead: the process has exited (state Z or X)
  kPidReused,             // dead: the PID runs another process (start time)
  kPreviousBoot,          // dead: recorded under another boot id of this
                          // host, and nobody holds the witness lock (a
                          // reboot drops it)
  kOwnPidEarlierProcess,  // dead: the caller's own PID, from an earlier process
  kStartedAfterLock,      // dead (original's lock): process is newer than lock
  kOtherCommandLine,      // Identity::kCmdline only: another app holds it
  kWitnessHeld,           // a holder in another PID namespace holds the
                          // witness lock: alive
  kWitnessReleased,       // dead: made in another PID namespace, and no
                          // process holds the witness lock any more
  kJobAlive,              // the recorded process is gone, but a process of
                          // its job (one that inherited its key-directory
                          // descriptor) holds the witness: alive
  kUnknown,               // not decided: see the error code
};

// The spec's name of a reason ("NoSuchProcess", ...).
const char* ReasonName(Reason reason);

// Who is "the same app".
enum class Identity {
  // Default: the key alone names the app; any live holder blocks.
  kKey,
  // The original's rule: only a holder with an identical command line is the
  // same app; a live holder with other arguments has its lock taken over.
  kCmdline,
};

struct Options {
  Identity identity = Identity::kKey;
};

// Who holds (or held) a lock, as far as it can be told.
struct Holder {
  pid_t pid = 0;
  // /proc/<pid>/stat field 22 (clock ticks after boot) as the holder read it,
  // less its time-namespace boot offset; 0 for a lock made by
  // the original npm package, which records none.
  uint64_t start_time = 0;
  // Arguments joined by spaces; empty when unreadable or not needed.
  std::string command_line;
  // When the lock was made: the lock symlink's mtime.
  std::chrono::system_clock::time_point acquired_at;
  // The recording host; empty for the original's locks.
  std::string host;
  // The raw symlink target.
  std::string target;
  // The lock was made by the original npm package (no owner record).
  bool legacy = false;
  // Why the holder counts as alive or dead.
  Reason reason = Reason::kUnknown;
};

// An error: what, where (the path), and the protocol state it stopped in.
struct Error {
  std::error_code code;
  State state = State::OPENING_KEY_DIRECTORY;
  std::string path;
  // What was found at `path`, when the code alone does not say it, e.g.
  // "owned by uid 1000, mode 0755"; may be empty.
  std::string detail;
  // "pidlock: <path>: <reason>[ (<detail>)] (<name> in <STATE>)", where
  // <name> is ErrcName, or the errno's name (ENOENT) for a system error.
  std::string Message() const;
};

// A held lock. Move-only; releases on destruction.
class Lock {
 public:
  Lock() = default;
  Lock(Lock&& other) noexcept;
  Lock& operator=(Lock&& other) noexcept;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  ~Lock();

  // True from acquisition until Release().
  bool held() const { return fd_ >= 0; }

  // Releases the lock: removes <dir>/<key>/lock if and only if it is still
  // this holder's. Returns {} on success; Errc::kLockLost when the lock was
  // no longer ours (nothing removed); Errc::kNotOwner in a process other than
  // the acquirer (nothing removed, the lock stays held by the acquirer);
  // Errc::kNotHeld after a previous Release(); an errno otherwise.
  std::error_code Release();

  // Kept for source compatibility: the descriptor is kept across exec(2)
  // from acquisition on. Returns {}, or Errc::kNotHeld after Release().
  std::error_code KeepAcrossExec();

  // The lock's path, "<dir>/<key>/lock".
  const std::string& path() const { return path_; }
  // The target this holder wrote.
  const std::string& target() const { return target_; }
  // True if acquiring took over a stale lock (OK_STALE_LOCK_REMOVED).
  bool took_over() const { return took_over_; }

 private:
  friend class Acquirer;
  int fd_ = -1;         // the key directory (kept across exec)
  uint64_t owner_ = 0;  // the acquirer's ThisProcessToken()
  ino_t inode_ = 0;     // the lock symlink this holder created
  bool took_over_ = false;
  std::string path_;
  std::string target_;
};

enum class Outcome {
  kAcquired,  // `lock` holds the lock
  kHeld,      // another live instance holds it: see `holder`
  kError,     // could not be told or done: see `error`; nobody took over
};

struct [[nodiscard]] AcquireResult {
  Outcome outcome = Outcome::kError;
  Lock lock;      // kAcquired
  Holder holder;  // kHeld (the live holder) and kAcquired after a takeover
                  // (the stale holder that was removed)
  Error error;    // kError
};

// The per-user default lock directory, from the effective uid alone (the
// same for a login shell, cron, a systemd service and sudo -u):
// $PIDLOCK_DIR when set and not empty, else /run/pidlock for root, else
// /dev/shm/pidlock-<euid> (tmpfs, under a sticky directory). Not
// $XDG_RUNTIME_DIR: it exists only for users with a login session, and is
// removed with everything in it when their last session ends. Creates the
// directory (mode 0700) when it is missing; TryAcquire then checks it like
// any other (a squatter's is refused, never replaced by another place).
std::string DefaultDirectory();

// Tries once to take the lock <dir>/<key>, never waiting for a holder.
// `dir` must exist; <dir>/<key> is created (mode 0700) when missing.
AcquireResult TryAcquire(const std::string& dir, const std::string& key,
                         const Options& options = {});

// Like TryAcquire, but while a live instance holds the lock, waits up to
// `timeout` for it to release or die. It wakes at once on either: inotify
// on the key directory sees the lock removed, and a pidfd of the holder
// becomes readable when it exits (on kernels without pidfd_open, liveness is
// re-checked every 10 ms). Returns kHeld when the time runs out; errors are
// returned at once, without waiting.
AcquireResult Acquire(const std::string& dir, const std::string& key,
                      std::chrono::milliseconds timeout,
                      const Options& options = {});

enum class Status {
  kFree,   // no lock
  kHeld,   // held by a live instance: see `holder`
  kStale,  // the holder is dead: the next acquirer takes over
  kError,  // cannot be told: see `error`
};

struct [[nodiscard]] Inspection {
  Status status = Status::kError;
  Holder holder;  // kHeld, kStale
  Error error;    // kError
};

// Tells who holds <dir>/<key> without acquiring or changing anything. Does
// not create the key directory (a missing one is kFree).
Inspection Inspect(const std::string& dir, const std::string& key,
                   const Options& options = {});

// The original npm package's shape, over TryAcquire. Calls `callback` once,
// synchronously: with error == nullptr when the lock was acquired, and
// `cleanup` releasing it (also released when Guard returns); otherwise with
// the error (code Errc::kHeld when a live instance holds the lock, with
// `data.holder` saying who) and a no-op cleanup. `data.state` is the state the
// attempt ended in.
struct GuardData {
  State state = State::OPENING_KEY_DIRECTORY;
  Holder holder;
};
using GuardCallback =
    std::function<void(const Error* error, const GuardData& data,
                       const std::function<void()>& cleanup)>;
void Guard(const std::string& dir, const std::string& key,
           const GuardCallback& callback, const Options& options = {});

}  // namespace pidlock

namespace std {
template <>
struct is_error_code_enum<pidlock::Errc> : true_type {};
}  // namespace std

#endif  // PIDLOCK_SRC_PIDLOCK_H_
