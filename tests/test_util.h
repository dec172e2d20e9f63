// Copyright 2026 The pidlock Authors. MIT License.
//
// Helpers for tests that use real processes and a real lock directory.

#ifndef PIDLOCK_TESTS_TEST_UTIL_H_
#define PIDLOCK_TESTS_TEST_UTIL_H_

#include <sys/types.h>

#include <functional>
#include <string>

namespace pidlock {
namespace testing {

// A fresh directory under `base` (default: $TEST_TMPDIR, else /tmp),
// removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const char* base = nullptr);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A child process running `body`; its return value is the exit status.
// The child signals readiness with Ready(); the parent waits for it with
// WaitReady(). Kill() sends SIGKILL; Wait() reaps and returns the wait
// status. The destructor SIGKILLs and reaps a child still running.
class Child {
 public:
  explicit Child(const std::function<int(Child&)>& body);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void Ready();      // in the child
  bool WaitReady();  // in the parent: false if the child exited first
  void Kill();
  int Wait();  // waitpid; returns the raw status

 private:
  pid_t pid_ = -1;
  int ready_[2] = {-1, -1};
  bool reaped_ = false;
};

// Creates <dir>/<key>/ (0700) and the symlink <dir>/<key>/lock -> target.
void MakeLock(const std::string& dir, const std::string& key,
              const std::string& target);

// Returns readlink(<dir>/<key>/lock), or "" when there is no symlink.
std::string ReadLock(const std::string& dir, const std::string& key);

// Waits (up to 5 s) until `pid` has exec'd `comm`, as /proc/<pid>/comm
// says; adds a test failure otherwise.
void WaitForExec(pid_t pid, const std::string& comm);

// /proc/<pid>/stat field 22 of a live process.
uint64_t StartTimeOf(pid_t pid);

}  // namespace testing
}  // namespace pidlock

#endif  // PIDLOCK_TESTS_TEST_UTIL_H_
