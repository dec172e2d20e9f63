// Copyright 2026 The pidlock Authors. MIT License.

#include "tests/test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "src/parse.h"

namespace pidlock {
namespace testing {

TempDir::TempDir(const char* base) {
  if (base == nullptr) base = getenv("TEST_TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/pidlock.XXXXXX";
  if (mkdtemp(&pattern[0]) == nullptr) abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::string command =
      "chmod -R u+rwx '" + path_ + "' 2>/dev/null; rm -rf '" + path_ + "'";
  if (system(command.c_str()) != 0)
    fprintf(stderr, "cannot remove %s\n", path_.c_str());
}

Child::Child(const std::function<int(Child&)>& body) {
  if (pipe(ready_) != 0) abort();
  fflush(nullptr);
  pid_ = fork();
  if (pid_ < 0) abort();
  if (pid_ == 0) {
    close(ready_[0]);
    int status = body(*this);
    exit(status);  // runs destructors of statics, like a real program
  }
  close(ready_[1]);
  ready_[1] = -1;
}

Child::~Child() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  if (ready_[0] >= 0) close(ready_[0]);
}

void Child::Ready() {
  char byte = 1;
  if (write(ready_[1], &byte, 1) != 1) _exit(99);
}

bool Child::WaitReady() {
  char byte;
  return read(ready_[0], &byte, 1) == 1;
}

void Child::Kill() { kill(pid_, SIGKILL); }

int Child::Wait() {
  int status = 0;
  if (reaped_) return 0;
  while (waitpid(pid_, &status, 0) < 0) {
  }
  reaped_ = true;
  return status;
}

void MakeLock(const std::string& dir, const std::string& key,
              const std::string& target) {
  std::string key_dir = dir + "/" + key;
  mkdir(key_dir.c_str(), 0700);
  std::string lock = key_dir + "/lock";
  unlink(lock.c_str());
  if (symlink(target.c_str(), lock.c_str()) != 0) abort();
}

std::string ReadLock(const std::string& dir, const std::string& key) {
  std::string lock = dir + "/" + key + "/lock";
  char buffer[4096];
  ssize_t n = readlink(lock.c_str(), buffer, sizeof(buffer));
  return n < 0 ? "" : std::string(buffer, static_cast<size_t>(n));
}

void WaitForExec(pid_t pid, const std::string& comm) {
  for (int i = 0; i < 5000; ++i) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", pid);
    char text[32] = {};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
    if (fd >= 0) close(fd);
    if (n > 0 && std::string(text).rfind(comm, 0) == 0) return;
    usleep(1000);
  }
  ADD_FAILURE() << "pid " << pid << " did not exec " << comm;
}

uint64_t StartTimeOf(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream text;
  text << file.rdbuf();
  internal::Stat stat;
  if (internal::ParseStat(text.str(), &stat) != internal::ParseError::kOk) {
    abort();
  }
  return stat.start_time;
}

}  // namespace testing
}  // namespace pidlock
