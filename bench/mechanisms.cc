// Copyright 2026 The pidlock Authors. MIT License.
//
// Each mechanism is used the way its documentation shows, for a
// single-instance lock held by a process (not by a thread).

#include "bench/mechanisms.h"

#include <bsd/libutil.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lockfile.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <QtCore/QLockFile>
#include <QtCore/QString>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "src/pidlock.h"
#include "tests/seed/seed_pidlock.h"

namespace pidlock_bench {
namespace {

std::string Errno(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

// The kernel's own locks on a file, flock(2) and OFD record locks: both are
// dropped when the last descriptor of the open file description closes (so
// also when the holder dies). `keep_fd`: the descriptor is opened once and
// kept (a daemon's pattern); else each cycle is open + lock + unlock +
// close, and the flock variant of that is the baseline of every ratio.
class KernelLockMechanism : public Mechanism {
 public:
  KernelLockMechanism(std::string path, bool keep_fd)
      : path_(std::move(path)), keep_fd_(keep_fd) {
    if (keep_fd_) fd_ = Open();
  }
  ~KernelLockMechanism() override {
    if (fd_ >= 0) close(fd_);
  }

  Attempt TryLock() override { return Take(/*wait=*/false); }
  Attempt Lock(std::chrono::milliseconds) override {
    return Take(/*wait=*/true);
  }

  bool Unlock() override {
    bool ok = UnlockCall(fd_) == 0;
    if (!ok) error_ = Errno(UnlockName());
    CloseUnlessKept();
    return ok;
  }

  std::string ArtifactPath() const override { return path_; }

 protected:
  // The lock and unlock system calls: 0 or -1 with errno.
  virtual int LockCall(int fd, bool wait) = 0;
  virtual int UnlockCall(int fd) = 0;
  // True when `error` from LockCall means another holder has the lock.
  virtual bool HeldBy(int error) const = 0;
  virtual const char* LockName() const = 0;
  virtual const char* UnlockName() const = 0;

 private:
  int Open() { return open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); }

  void CloseUnlessKept() {
    if (keep_fd_) return;
    close(fd_);
    fd_ = -1;
  }

  Attempt Take(bool wait) {
    if (!keep_fd_) fd_ = Open();
    if (fd_ < 0) {
      error_ = Errno("open");
      return Attempt::kError;
    }
    int r;
    while ((r = LockCall(fd_, wait)) != 0 && errno == EINTR) {
    }
    if (r == 0) return Attempt::kAcquired;
    Attempt result = HeldBy(errno) ? Attempt::kHeld : Attempt::kError;
    if (result == Attempt::kError) error_ = Errno(LockName());
    CloseUnlessKept();
    return result;
  }

  const std::string path_;
  const bool keep_fd_;
  int fd_ = -1;
};

// flock(2) on a file.
class FlockMechanism : public KernelLockMechanism {
 public:
  FlockMechanism(const std::string& dir, bool keep_fd)
      : KernelLockMechanism(dir + "/lock.flock", keep_fd) {}

 protected:
  int LockCall(int fd, bool wait) override {
    return flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
  }
  int UnlockCall(int fd) override { return flock(fd, LOCK_UN); }
  bool HeldBy(int error) const override { return error == EWOULDBLOCK; }
  const char* LockName() const override { return "flock"; }
  const char* UnlockName() const override { return "flock(LOCK_UN)"; }
};

// fcntl(2) open file description locks (F_OFD_SETLK) on the whole file: a
// POSIX record lock owned by the open file description, not the process,
// so closing another descriptor of the file does not drop it (the classic
// POSIX lock trap).
class OfdMechanism : public KernelLockMechanism {
 public:
  OfdMechanism(const std::string& dir, bool keep_fd)
      : KernelLockMechanism(dir + "/lock.ofd", keep_fd) {}

 protected:
  int LockCall(int fd, bool wait) override {
    return SetLock(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, F_WRLCK);
  }
  int UnlockCall(int fd) override { return SetLock(fd, F_OFD_SETLK, F_UNLCK); }
  bool HeldBy(int error) const override {
    return error == EAGAIN || error == EACCES;
  }
  const char* LockName() const override { return "fcntl(F_OFD_SETLK)"; }
  const char* UnlockName() const override { return "fcntl(F_UNLCK)"; }

 private:
  static int SetLock(int fd, int command, short type) {
    struct flock fl = {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
    return fcntl(fd, command, &fl);
  }
};

// libbsd pidfile(3): pidfile_open (open + flock, reads the holder's PID
// when locked), pidfile_write (the PID, which a refused pidfile_open waits
// for), pidfile_remove (unlink + close).
class BsdPidfileMechanism : public Mechanism {
 public:
  explicit BsdPidfileMechanism(const std::string& dir)
      : path_(dir + "/app.pid") {}
  ~BsdPidfileMechanism() override {
    if (pfh_ != nullptr) pidfile_close(pfh_);
  }

  Attempt TryLock() override {
    pid_t other = 0;
    pfh_ = pidfile_open(path_.c_str(), 0600, &other);
    if (pfh_ == nullptr) {
      if (errno == EEXIST) return Attempt::kHeld;
      error_ = Errno("pidfile_open");
      return Attempt::kError;
    }
    if (pidfile_write(pfh_) != 0) {
      error_ = Errno("pidfile_write");
      pidfile_remove(pfh_);
      pfh_ = nullptr;
      return Attempt::kError;
    }
    return Attempt::kAcquired;
  }

  bool Unlock() override {
    bool ok = pidfile_remove(pfh_) == 0;
    if (!ok) error_ = Errno("pidfile_remove");
    pfh_ = nullptr;
    return ok;
  }

  std::string ArtifactPath() const override { return path_; }

 private:
  const std::string path_;
  struct pidfh* pfh_ = nullptr;
};

// liblockfile: lockfile_create (a temporary file with our PID, link(2) to
// the lock name, so it works on NFS), lockfile_remove (unlink). L_PID makes
// the PID the content, which its stale check (kill(pid, 0)) reads.
// retries = 0: one attempt, no sleeping.
class LiblockfileMechanism : public Mechanism {
 public:
  explicit LiblockfileMechanism(const std::string& dir)
      : path_(dir + "/app.lock") {}

  Attempt TryLock() override {
    int r = lockfile_create(path_.c_str(), 0, L_PID);
    if (r == L_SUCCESS) return Attempt::kAcquired;
    if (r == L_MAXTRYS) return Attempt::kHeld;
    error_ =
        "lockfile_create returned " + std::to_string(r) + ", " + Errno("errno");
    return Attempt::kError;
  }

  bool Unlock() override {
    bool ok = lockfile_remove(path_.c_str()) == 0;
    if (!ok) error_ = Errno("lockfile_remove");
    return ok;
  }

  std::string ArtifactPath() const override { return path_; }

 private:
  const std::string path_;
};

// Qt5 QLockFile: O_EXCL create, an flock on it, PID + application name +
// host + machine id + boot id written and fdatasync()ed; a lock whose
// process is gone is stale and removed. tryLock(timeout) polls, sleeping
// 100 ms, then 200 ms, ... between attempts.
class QLockFileMechanism : public Mechanism {
 public:
  explicit QLockFileMechanism(const std::string& dir)
      : path_(dir + "/app.qlock"),
        lock_file_(QString::fromLocal8Bit(path_.c_str())) {}

  Attempt TryLock() override { return Result(lock_file_.tryLock(0)); }
  Attempt Lock(std::chrono::milliseconds timeout) override {
    return Result(lock_file_.tryLock(static_cast<int>(timeout.count())));
  }

  bool Unlock() override {
    lock_file_.unlock();
    return true;
  }

  std::string ArtifactPath() const override { return path_; }

 private:
  Attempt Result(bool locked) {
    if (locked) return Attempt::kAcquired;
    if (lock_file_.error() == QLockFile::LockFailedError) {
      return Attempt::kHeld;
    }
    error_ = "QLockFile error " + std::to_string(lock_file_.error());
    return Attempt::kError;
  }

  const std::string path_;
  QLockFile lock_file_;
};

// The original npm package's algorithm in C++ (tests/seed/seed_pidlock.h,
// the same copy the race-test suite proves racy).
class SeedMechanism : public Mechanism {
 public:
  explicit SeedMechanism(const std::string& dir) : dir_(dir) {}

  Attempt TryLock() override {
    pidlock_seed::GuardResult r = pidlock_seed::Guard(dir_, kKey);
    if (r.acquired) {
      held_ = std::move(r);
      return Attempt::kAcquired;
    }
    if (r.state == pidlock_seed::SeedState::CONFIRMED_TO_NOT_START)
      return Attempt::kHeld;
    error_ = std::string(pidlock_seed::SeedStateName(r.state)) + ": " + r.error;
    return Attempt::kError;
  }

  bool Unlock() override {
    pidlock_seed::Cleanup(held_);
    held_ = pidlock_seed::GuardResult();
    return true;
  }

  std::string ArtifactPath() const override {
    return dir_ + "/" + kKey + "/lock";
  }
  bool TookOver() const override {
    return held_.state == pidlock_seed::SeedState::OK_STALE_LOCK_REMOVED;
  }

 private:
  static constexpr char kKey[] = "app";
  const std::string dir_;
  pidlock_seed::GuardResult held_;
};

// pidlock: TryAcquire / Acquire with a timeout / Lock::Release.
class PidlockMechanism : public Mechanism {
 public:
  explicit PidlockMechanism(const std::string& dir) : dir_(dir) {}

  Attempt TryLock() override { return Take(pidlock::TryAcquire(dir_, kKey)); }
  Attempt Lock(std::chrono::milliseconds timeout) override {
    return Take(pidlock::Acquire(dir_, kKey, timeout));
  }

  bool Unlock() override {
    std::error_code e = lock_.Release();
    if (e) error_ = "Release: " + e.message();
    return !e;
  }

  std::string ArtifactPath() const override {
    return dir_ + "/" + kKey + "/lock";
  }
  bool TookOver() const override { return took_over_; }

 private:
  Attempt Take(pidlock::AcquireResult r) {
    switch (r.outcome) {
      case pidlock::Outcome::kAcquired:
        took_over_ = r.lock.took_over();
        lock_ = std::move(r.lock);
        return Attempt::kAcquired;
      case pidlock::Outcome::kHeld:
        return Attempt::kHeld;
      case pidlock::Outcome::kError:
        break;
    }
    error_ = r.error.Message();
    return Attempt::kError;
  }

  static constexpr char kKey[] = "app";
  const std::string dir_;
  pidlock::Lock lock_;
  bool took_over_ = false;
};

class NoLock : public Mechanism {
 public:
  Attempt TryLock() override { return Attempt::kAcquired; }
  Attempt Lock(std::chrono::milliseconds) override {
    return Attempt::kAcquired;
  }
  bool Unlock() override { return true; }
  std::string ArtifactPath() const override { return ""; }
};

template <typename M, typename... Args>
std::unique_ptr<Mechanism> Make(Args&&... args) {
  return std::make_unique<M>(std::forward<Args>(args)...);
}

}  // namespace

Attempt Mechanism::Lock(std::chrono::milliseconds) {
  error_ = "this mechanism cannot wait";
  return Attempt::kError;
}

const std::vector<MechanismInfo>& Mechanisms() {
  // Where a waiting Lock() sleeps: flock(2) = 73, fcntl(2) = 72, poll(2) =
  // 7 and ppoll(2) = 271, nanosleep(2) = 35 and clock_nanosleep(2) = 230.
  static const std::vector<MechanismInfo> all = {
      {"flock_open_close",
       "open + flock(LOCK_EX|LOCK_NB) + flock(LOCK_UN) + close",
       true,
       false,
       {SYS_flock},
       [](const std::string& d) { return Make<FlockMechanism>(d, false); }},
      {"flock_kept",
       "flock(LOCK_EX|LOCK_NB) + flock(LOCK_UN), fd kept open",
       true,
       false,
       {SYS_flock},
       [](const std::string& d) { return Make<FlockMechanism>(d, true); }},
      {"ofd_open_close",
       "open + fcntl(F_OFD_SETLK) wrlck + unlck + close",
       true,
       false,
       {SYS_fcntl},
       [](const std::string& d) { return Make<OfdMechanism>(d, false); }},
      {"ofd_kept",
       "fcntl(F_OFD_SETLK) wrlck + unlck, fd kept open",
       true,
       false,
       {SYS_fcntl},
       [](const std::string& d) { return Make<OfdMechanism>(d, true); }},
      {"bsd_pidfile",
       "libbsd pidfile_open + pidfile_write + pidfile_remove",
       false,
       false,
       {},
       [](const std::string& d) { return Make<BsdPidfileMechanism>(d); }},
      {"liblockfile",
       "liblockfile lockfile_create(L_PID) + lockfile_remove",
       false,
       false,
       {},
       [](const std::string& d) { return Make<LiblockfileMechanism>(d); }},
      {"qlockfile",
       "Qt5 QLockFile::tryLock + unlock",
       true,
       true,
       {SYS_nanosleep, SYS_clock_nanosleep},
       [](const std::string& d) { return Make<QLockFileMechanism>(d); }},
      {"seed_cpp",
       "npm pidlock 0.1.0's algorithm in C++ (tests/seed/seed_pidlock.cc)",
       false,
       false,
       {},
       [](const std::string& d) { return Make<SeedMechanism>(d); }},
      {"pidlock",
       "pidlock::TryAcquire + Lock::Release",
       true,
       false,
       {SYS_poll, SYS_ppoll},
       [](const std::string& d) { return Make<PidlockMechanism>(d); }},
  };
  return all;
}

const MechanismInfo* FindMechanism(const std::string& id) {
  for (const MechanismInfo& info : Mechanisms()) {
    if (id == info.id) return &info;
  }
  return nullptr;
}

std::unique_ptr<Mechanism> MakeNoLock(const std::string&) {
  return Make<NoLock>();
}

bool CaptureArtifact(const std::string& path, Artifact* artifact) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return false;
  artifact->path = path;
  artifact->mode = st.st_mode & 07777;
  if (S_ISLNK(st.st_mode)) {
    char buffer[PATH_MAX];
    ssize_t n = readlink(path.c_str(), buffer, sizeof(buffer));
    if (n < 0) return false;
    artifact->is_symlink = true;
    artifact->data.assign(buffer, static_cast<size_t>(n));
    return true;
  }
  if (!S_ISREG(st.st_mode)) return false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  artifact->is_symlink = false;
  artifact->data.clear();
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
    artifact->data.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return n == 0;
}

bool RestoreArtifact(const Artifact& artifact) {
  const char* path = artifact.path.c_str();
  if (artifact.is_symlink) {
    if (unlink(path) != 0 && errno != ENOENT) return false;
    return symlink(artifact.data.c_str(), path) == 0;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, artifact.mode);
  if (fd < 0) return false;
  bool ok = write(fd, artifact.data.data(), artifact.data.size()) ==
            static_cast<ssize_t>(artifact.data.size());
  return close(fd) == 0 && ok;
}

}  // namespace pidlock_bench
