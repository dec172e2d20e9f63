// Copyright 2026 The pidlock Authors. MIT License.
//
// Acquire with a timeout: TryAcquire, and while a live instance holds the
// lock, sleep until either of two kernel events, never on a timer alone:
//  - inotify on the key directory reports the lock removed (IN_DELETE,
//    IN_MOVED_FROM): the holder released;
//  - a pidfd of the holder becomes readable: the holder exited without
//    releasing (SIGKILL, crash).
// Where pidfd_open(2) is missing (Linux < 5.3), the holder is in another PID
// namespace, the holder is a job whose recorded process is gone (JobAlive),
// or inotify cannot watch (NFS, out of watches), liveness is also re-checked
// every kFallbackPoll.

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>

#include "src/fd.h"
#include "src/pidlock.h"
#include "src/this_process.h"

namespace pidlock {
namespace {

using internal::Fd;
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFallbackPoll(10);

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

bool SameHolder(const Holder& a, const Holder& b) {
  return a.pid == b.pid && a.target == b.target;
}

// This thread's inotify instance, kept for the life of the thread: closing
// an instance waits for an SRCU grace period (measured here: 17 us on an
// idle machine, hundreds under load), which would delay every waiter's
// return; removing a watch does not. Returns -1 when inotify is unavailable.
int ThreadInotify() {
  struct Instance {
    ~Instance() {
      if (fd >= 0) close(fd);
    }
    int fd = -1;
    uint64_t owner = 0;  // a fork child must not share its parent's events
  };
  thread_local Instance instance;
  const uint64_t process = internal::ThisProcessToken();
  if (instance.fd >= 0 && instance.owner == process) return instance.fd;
  if (instance.fd >= 0) close(instance.fd);  // the parent's: not the last
  instance.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  instance.owner = process;
  return instance.fd;
}

// Reads and drops every queued event. Returns true when one says that the
// watched directory itself went (removed or renamed away), so that the
// caller watches what is at the key directory's path now.
bool Drain(int inotify) {
  alignas(struct inotify_event) char events[4096];
  bool gone = false;
  ssize_t n;
  while ((n = read(inotify, events, sizeof(events))) > 0) {
    for (ssize_t at = 0; at < n;) {
      const auto* event =
          reinterpret_cast<const struct inotify_event*>(&events[at]);
      if ((event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0) {
        gone = true;
      }
      at += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
    }
  }
  return gone;
}

// A watch of the key directory on this thread's instance, removed on
// destruction.
class KeyWatch {
 public:
  KeyWatch() = default;
  ~KeyWatch() { Remove(); }
  KeyWatch(const KeyWatch&) = delete;
  KeyWatch& operator=(const KeyWatch&) = delete;

  // Returns false when the directory cannot be watched.
  bool Add(const std::string& key_path) {
    inotify_ = ThreadInotify();
    if (inotify_ < 0) return false;
    Remove();
    (void)Drain(inotify_);  // events of an earlier wait
    // IN_DELETE_SELF, IN_MOVE_SELF: the key directory removed or renamed
    // by hand; a new one may hold a new lock.
    wd_ = inotify_add_watch(inotify_, key_path.c_str(),
                            IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
                                IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW);
    return wd_ >= 0;
  }
  int fd() const { return wd_ >= 0 ? inotify_ : -1; }

 private:
  void Remove() {
    if (wd_ >= 0) inotify_rm_watch(inotify_, wd_);
    wd_ = -1;
  }

  int inotify_ = -1;
  int wd_ = -1;
};

}  // namespace

AcquireResult Acquire(const std::string& dir, const std::string& key,
                      std::chrono::milliseconds timeout,
                      const Options& options) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string key_path = dir + "/" + key;
  KeyWatch watch;  // of <dir>/<key>
  bool watching = false;
  Fd pidfd;        // refers to `watched`
  Holder watched;  // the holder `pidfd` was opened for
  bool fallback = false;
  for (;;) {
    AcquireResult result = TryAcquire(dir, key, options);
    if (result.outcome != Outcome::kHeld) return result;
    // Waiting for ourselves would wait for the timeout: refuse at once.
    if (result.holder.reason == Reason::kThisProcess) return result;
    Clock::time_point now = Clock::now();
    if (now >= deadline) return result;

    // Set up the watches, then try again before sleeping: a release between
    // the try above and the watch would otherwise be missed.
    bool armed = false;
    if (!watching) {
      watching = true;
      if (!watch.Add(key_path)) fallback = true;
      armed = true;
    }
    if (result.holder.reason == Reason::kWitnessHeld ||
        result.holder.reason == Reason::kJobAlive) {
      // A holder in another PID namespace (its PID names some other process
      // here), or a job whose recorded process is gone: no pidfd to wait on.
      // The kernel tells no one when an OFD lock goes; inotify still sees
      // releases. A pidfd of an earlier holder that died stays readable:
      // polled, it would wake the waiter at once, again and again.
      fallback = true;
      pidfd.Reset(-1);
      watched = Holder();
    } else if (!SameHolder(watched, result.holder)) {
      // The pidfd is opened after the holder was judged alive; the retry
      // that follows judges it again, so a pidfd of a process that reused
      // the PID in between only causes one early wake-up.
      pidfd.Reset(PidfdOpen(result.holder.pid));
      watched = result.holder;
      if (pidfd.get() < 0) fallback = true;
      armed = true;
    }
    if (armed) continue;

    std::chrono::milliseconds wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
        std::chrono::milliseconds(1);
    if (fallback && wait > kFallbackPoll) wait = kFallbackPoll;
    struct pollfd fds[2] = {{watch.fd(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR) {
      result.outcome = Outcome::kError;
      result.error.code = std::error_code(errno, std::system_category());
      result.error.path = key_path;
      return result;
    }
    if (n > 0 && (fds[0].revents & POLLIN) != 0 && Drain(watch.fd())) {
      watching = false;  // the key directory went: watch its successor
    }
  }
}

}  // namespace pidlock
