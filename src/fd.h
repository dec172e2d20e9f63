// Copyright 2026 The pidlock Authors. MIT License.

#ifndef PIDLOCK_SRC_FD_H_
#define PIDLOCK_SRC_FD_H_

#include <unistd.h>

namespace pidlock {
namespace internal {

// Owns a file descriptor: closes it on destruction or Reset.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    Reset(other.Release());
    return *this;
  }

  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }
  // Gives up ownership: returns the descriptor and forgets it.
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_FD_H_
