// Copyright 2026 The pidlock Authors. MIT License.

#include "src/proc.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "src/parse.h"
#include "src/this_process.h"

namespace pidlock {
namespace internal {
namespace {

int64_t ClockNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Reads /proc/self; nullptr on failure (see GetSelf).
SelfRecord* ReadSelf(std::error_code* error) {
  // Any failure below is /proc's, unless the errno says the process ran
  // out of descriptors or memory: then that is what the caller hears.
  // P1 ProcUnavailable unless P2 below.
  *error = make_error_code(Errc::kProcUnavailable);
  auto failed = [error](int e) -> SelfRecord* {
    if (e == EMFILE || e == ENFILE || e == ENOMEM) {
      *error = std::error_code(e, std::system_category());
    }
    return nullptr;
  };
  auto record = std::make_unique<SelfRecord>();  // kept: see GetSelf
  Self& self = record->self;
  self.pid = getpid();

  char link[32];
  ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);
  if (n <= 0) return failed(errno);
  pid_t proc_pid = 0;
  if (ParsePid(std::string_view(link, static_cast<size_t>(n)), &proc_pid) !=
          ParseError::kOk ||
      proc_pid != self.pid) {
    // P2.
    *error = make_error_code(Errc::kProcOtherNamespace);
    return nullptr;
  }

  std::string text;
  bool truncated = false;
  Stat stat;
  if (int e = ReadCapped("/proc/self/stat", kStatCap, &text, &truncated)) {
    return failed(e);
  }
  if (truncated || ParseStat(text, &stat) != ParseError::kOk ||
      stat.pid != self.pid) {
    return nullptr;
  }
  self.ticks_per_second = sysconf(_SC_CLK_TCK);
  if (self.ticks_per_second <= 0 || 1000000000 % self.ticks_per_second != 0) {
    return nullptr;
  }

  // /proc shows start times shifted by the reader's time-namespace boot
  // offset; records carry them without it. Kernels before 5.6 have no time
  // namespaces (and no such file): offset 0. An offset that is no whole
  // number of ticks cannot be taken out exactly: refuse.
  int64_t offset_ns = 0;
  int e = ReadCapped("/proc/self/timens_offsets", 256, &text, &truncated);
  if (e == 0) {
    if (truncated || ParseTimensOffsets(text, &offset_ns) != ParseError::kOk) {
      return nullptr;
    }
  } else if (e != ENOENT) {
    return failed(e);
  }
  const int64_t tick_ns = 1000000000 / self.ticks_per_second;
  if (offset_ns % tick_ns != 0) return nullptr;
  self.boottime_offset_ticks = offset_ns / tick_ns;
  const __int128 start_time =
      static_cast<__int128>(stat.start_time) - self.boottime_offset_ticks;
  if (start_time < 0) return nullptr;
  self.start_time = static_cast<uint64_t>(start_time);

  struct stat ns;
  if (::stat("/proc/self/ns/pid", &ns) != 0) return failed(errno);
  self.pid_ns = ns.st_ino;

  e = ReadCapped("/proc/sys/kernel/random/boot_id", 64, &text, &truncated);
  if (e != 0) return failed(e);
  if (ParseBootId(text, &self.boot8) != ParseError::kOk) return nullptr;

  struct utsname uts;
  if (uname(&uts) != 0) return nullptr;
  self.host = uts.nodename;
  if (self.host.empty()) self.host = "(none)";

  e = ReadCapped("/proc/self/cmdline", kCmdlineCap, &self.cmdline, &truncated);
  if (e != 0) return failed(e);
  self.boot_wall_ns = ClockNs(CLOCK_REALTIME) - ClockNs(CLOCK_BOOTTIME);

  LockTarget target;
  target.kind = LockTarget::Kind::kRecord;
  target.pid = self.pid;
  target.boot8 = self.boot8;
  target.pid_ns = self.pid_ns;
  target.start_time = self.start_time;
  target.host = self.host;
  record->target = FormatLockTarget(target);
  *error = {};
  return record.release();
}

}  // namespace

int ReadCapped(const char* path, size_t cap, std::string* text,
               bool* truncated) {
  text->clear();
  *truncated = false;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno;
  // One byte more than the cap tells a file of exactly `cap` bytes from a
  // longer one.
  text->resize(cap + 1);
  size_t size = 0;
  int error = 0;
  while (size < cap + 1) {
    ssize_t n = read(fd, &(*text)[size], cap + 1 - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  close(fd);
  if (error != 0) {
    text->clear();
    return error;
  }
  *truncated = size > cap;
  text->resize(size > cap ? cap : size);
  return 0;
}

namespace {

// fcntl(F_OFD_SETLK) of `type` over `length` bytes from `start`.
int SetOfdLock(int key_fd, int type, off_t start, off_t length) {
  struct flock lock = {};
  lock.l_type = static_cast<decltype(lock.l_type)>(type);
  lock.l_whence = SEEK_SET;
  lock.l_start = start;
  lock.l_len = length;
  // OFD locks belong to the open file description: released when its last
  // descriptor closes (also at process death), and not dropped by closing
  // another descriptor of the same directory, unlike classic POSIX locks.
  while (fcntl(key_fd, F_OFD_SETLK, &lock) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace

int TakeWitness(int key_fd, WitnessByte byte) {
  return SetOfdLock(key_fd, F_RDLCK, static_cast<off_t>(byte), 1);
}

int DropWitness(int key_fd, WitnessByte byte) {
  return SetOfdLock(key_fd, F_UNLCK, static_cast<off_t>(byte), 1);
}

int DropWitness(int key_fd) { return SetOfdLock(key_fd, F_UNLCK, 0, 2); }

Witness TestWitness(int key_fd, WitnessByte byte) {
  // Would a write lock conflict? Only with another description's read lock:
  // this process's own witness (if any) does not count.
  struct flock test = {};
  test.l_type = F_WRLCK;
  test.l_whence = SEEK_SET;
  test.l_start = static_cast<off_t>(byte);
  test.l_len = 1;
  while (fcntl(key_fd, F_OFD_GETLK, &test) != 0) {
    if (errno != EINTR) return Witness::kError;
  }
  return test.l_type == F_UNLCK ? Witness::kReleased : Witness::kHeld;
}

void ProbeProcess(pid_t pid, Need need, int key_fd, Probe* probe) {
  if (need == Need::kNothing) return;
  if (need == Need::kWitness) {
    probe->witness = TestWitness(key_fd, WitnessByte::kWitness);
    return;
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  probe->stat_errno =
      ReadCapped(path, kStatCap, &probe->stat, &probe->stat_truncated);
  if (probe->stat_errno != 0) {
    probe->kill_errno = kill(pid, 0) == 0 ? 0 : errno;
    return;
  }
  if (need == Need::kCmdline) {
    snprintf(path, sizeof(path), "/proc/%d/cmdline", static_cast<int>(pid));
    probe->cmdline_errno = ReadCapped(path, kCmdlineCap, &probe->cmdline,
                                      &probe->cmdline_truncated);
  }
}

const SelfRecord* GetSelf(std::error_code* error) {
  // One record per process, in per-process memory (src/this_process.h): a
  // fork child starts without one and reads its own, whatever its PID
  // number. Swapped in without a lock, so a fork child cannot deadlock.
  std::atomic<const SelfRecord*>& cached = ThisProcess().self;
  const SelfRecord* record = cached.load(std::memory_order_acquire);
  if (record != nullptr) {
    *error = {};
    return record;
  }
  SelfRecord* fresh = ReadSelf(error);
  if (fresh == nullptr) return nullptr;
  if (!cached.compare_exchange_strong(record, fresh,
                                      std::memory_order_acq_rel)) {
    delete fresh;  // another thread stored this process's record first
    return record;
  }
  // Never freed (other threads may still read it), and linked from
  // ordinary memory: leak checkers do not scan the per-process page.
  static std::atomic<const SelfRecord*> all{nullptr};
  fresh->previous = all.load(std::memory_order_relaxed);
  while (!all.compare_exchange_weak(fresh->previous, fresh,
                                    std::memory_order_acq_rel)) {
  }
  return fresh;
}

}  // namespace internal
}  // namespace pidlock
