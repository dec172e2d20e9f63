// Copyright 2026 The pidlock Authors. MIT License.
//
// Differential test of this project's /proc parsers against procps'
// libproc2, a /proc parser written elsewhere: for every process visible in
// /proc, ParseStat and ParseCmdline on the raw files must give the start time
// (clock ticks), the state and the command line that libproc2 gives.
//
// The test first starts processes whose files are hard to parse (command
// names with spaces, parentheses, a newline and text that looks like the
// fields after the name; empty arguments; a zombie), so those cases are
// compared on every machine. The command name itself is not compared:
// libproc2 replaces control characters in it (PIDS_CMD of "a\nb" is "a.b").
// Its argument vector splits at newlines too: the comparison models that.
//
// The two readers cannot read a process at the same instant. A process that
// exits (or whose PID is reused) during the test is skipped and counted; a
// process whose state or arguments change between the reads is read again, a
// few times, before a difference counts as a mismatch.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libproc2/pids.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "src/parse.h"

namespace pidlock {
namespace internal {
namespace {

// Attempts per process before a difference counts as a mismatch.
constexpr int kAttempts = 20;

// Reads the whole of `path` into *text. Returns 0 or the errno of the failed
// open or read (ENOENT or ESRCH once the process has gone).
int ReadWholeFile(const std::string& path, std::string* text) {
  text->clear();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      close(fd);
      return error;
    }
    if (n == 0) break;
    text->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return 0;
}

std::string Quote(const std::vector<std::string>& args) {
  std::string out = "{";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ", ";
    out += '"';
    for (char c : args[i]) {
      if (c >= 0x20 && c < 0x7f) {
        out.push_back(c);
      } else {
        char hex[8];
        snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
        out += hex;
      }
    }
    out += '"';
  }
  return out + "}";
}

// What libproc2 says about one process.
struct Libproc2Process {
  char state = 0;
  uint64_t start_time = 0;        // PIDS_TICS_BEGAN: stat field 22
  std::vector<std::string> args;  // PIDS_CMDLINE_V
};

// A libproc2 reader of PID, state, start time and argument vector.
class Libproc2Reader {
 public:
  Libproc2Reader() {
    if (procps_pids_new(&info_, kItems, kItemCount) < 0) info_ = nullptr;
  }
  ~Libproc2Reader() {
    if (info_ != nullptr) procps_pids_unref(&info_);
  }
  Libproc2Reader(const Libproc2Reader&) = delete;
  Libproc2Reader& operator=(const Libproc2Reader&) = delete;

  bool ok() const { return info_ != nullptr; }

  // Reads `pid`. Returns false when libproc2 does not find it (it exited).
  bool Read(pid_t pid, Libproc2Process* process) {
    unsigned id = static_cast<unsigned>(pid);
    pids_fetch* fetch = procps_pids_select(info_, &id, 1, PIDS_SELECT_PID);
    if (fetch == nullptr || fetch->counts->total != 1) return false;
    pids_stack* stack = fetch->stacks[0];
    if (PIDS_VAL(kPid, s_int, stack, info_) != pid) return false;
    process->state = static_cast<char>(PIDS_VAL(kState, s_ch, stack, info_));
    process->start_time = PIDS_VAL(kBegan, ull_int, stack, info_);
    process->args.clear();
    char** argv = PIDS_VAL(kArgs, strv, stack, info_);
    for (size_t i = 0; argv != nullptr && argv[i] != nullptr; ++i) {
      process->args.emplace_back(argv[i]);
    }
    return true;
  }

 private:
  enum { kPid, kState, kBegan, kArgs, kItemCount };
  static inline pids_item kItems[kItemCount] = {
      PIDS_ID_PID, PIDS_STATE, PIDS_TICS_BEGAN, PIDS_CMDLINE_V};
  pids_info* info_ = nullptr;
};

enum class Outcome {
  kMatched,   // every field agreed
  kExited,    // the process exited (or its PID was reused) during the test
  kMismatch,  // a field differed in every attempt: *detail says which
};

// Compares our parsers with libproc2 on one process.
Outcome CompareProcess(pid_t pid, Libproc2Reader* libproc2,
                       std::string* detail) {
  const std::string dir = "/proc/" + std::to_string(pid);
  uint64_t first_start_time = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) usleep(2000);
    std::string stat_text;
    int error = ReadWholeFile(dir + "/stat", &stat_text);
    if (error == ENOENT || error == ESRCH) return Outcome::kExited;
    if (error != 0) {
      *detail = "reading stat: " + std::string(strerror(error));
      return Outcome::kMismatch;
    }
    Stat stat;
    ParseError parsed = ParseStat(stat_text, &stat);
    if (parsed != ParseError::kOk) {
      *detail = std::string("ParseStat: ") + ParseErrorName(parsed) + " on \"" +
                stat_text + "\"";
      return Outcome::kMismatch;
    }
    if (stat.pid != pid) {
      *detail = "ParseStat gave PID " + std::to_string(stat.pid);
      return Outcome::kMismatch;
    }
    // A new start time is another process with the same PID.
    if (attempt == 0) first_start_time = stat.start_time;
    if (stat.start_time != first_start_time) return Outcome::kExited;

    Libproc2Process theirs;
    if (!libproc2->Read(pid, &theirs)) return Outcome::kExited;

    std::string cmdline_text;
    error = ReadWholeFile(dir + "/cmdline", &cmdline_text);
    if (error == ENOENT || error == ESRCH) return Outcome::kExited;
    if (error != 0) {
      *detail = "reading cmdline: " + std::string(strerror(error));
      return Outcome::kMismatch;
    }
    std::vector<std::string> args;
    EXPECT_EQ(ParseCmdline(cmdline_text, &args), ParseError::kOk);
    // What libproc2 makes of the same arguments: it splits at '\n' as well
    // as at NUL (so {"a\nb"} is {"a", "b"}), although the kernel separates
    // arguments by NUL only, and it gives {"-"} for an empty cmdline (kernel
    // threads, zombies).
    std::vector<std::string> expected_theirs;
    for (const std::string& arg : args) {
      size_t begin = 0;
      for (size_t newline;
           (newline = arg.find('\n', begin)) != std::string::npos;
           begin = newline + 1) {
        expected_theirs.push_back(arg.substr(begin, newline - begin));
      }
      expected_theirs.push_back(arg.substr(begin));
    }
    if (args.empty()) expected_theirs = {"-"};

    if (theirs.start_time != stat.start_time) {
      // libproc2 read another process with this PID: ours exited.
      return Outcome::kExited;
    }
    if (theirs.state == stat.state && theirs.args == expected_theirs) {
      return Outcome::kMatched;
    }
    *detail = std::string("state ours '") + stat.state + "' libproc2 '" +
              theirs.state + "'; cmdline ours " + Quote(args) + " libproc2 " +
              Quote(theirs.args);
  }
  return Outcome::kMismatch;
}

// Processes that are hard to parse, started by the test and killed by its
// destructor.
class OddProcesses {
 public:
  OddProcesses() {
    // Names set with prctl(PR_SET_NAME) (at most 15 bytes).
    for (const char* name :
         {"a b) (c", ")(", ") R 1 2 3 (", "new\nline", "x) Z 0 0 (y"}) {
      StartNamed(name);
    }
    // Empty arguments and spaces and a newline inside arguments.
    StartExec({"/bin/sh", "-c", "sleep 300; :", "", "two words", "a\nb", ""});
    // A zombie: it exits at once and this process reaps it only at the end.
    pid_t zombie = fork();
    if (zombie == 0) _exit(0);
    if (zombie > 0) {
      pids_.push_back(zombie);
      // Wait until it is a zombie, without reaping it.
      siginfo_t info;
      waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT);
    }
  }
  ~OddProcesses() {
    for (pid_t pid : groups_) kill(-pid, SIGKILL);
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  OddProcesses(const OddProcesses&) = delete;
  OddProcesses& operator=(const OddProcesses&) = delete;

  const std::vector<pid_t>& pids() const { return pids_; }

 private:
  // Forks a child that names itself `name` and waits to be killed. Returns
  // after the child has set its name (it writes to a pipe then).
  void StartNamed(const char* name) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      prctl(PR_SET_NAME, name, 0, 0, 0);
      char byte = 1;
      (void)!write(ready[1], &byte, 1);
      for (;;) pause();
    }
    close(ready[1]);
    if (pid > 0) {
      setpgid(pid, pid);  // as the child does, whichever runs first
      char byte;
      (void)!read(ready[0], &byte, 1);
      pids_.push_back(pid);
      groups_.push_back(pid);
    }
    close(ready[0]);
  }

  // Forks and execs argv. Returns once the exec has happened (the pipe,
  // close-on-exec, reaches EOF).
  void StartExec(std::vector<const char*> argv) {
    argv.push_back(nullptr);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);  // its own group: the destructor kills sh's sleep too
      execv(argv[0], const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    close(ready[1]);
    if (pid > 0) {
      setpgid(pid, pid);  // as the child does, whichever runs first
      char byte;
      (void)!read(ready[0], &byte, 1);
      pids_.push_back(pid);
      groups_.push_back(pid);
    }
    close(ready[0]);
  }

  std::vector<pid_t> pids_;
  std::vector<pid_t> groups_;  // process groups to kill
};

std::vector<pid_t> ListProcesses() {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = readdir(proc)) {
    pid_t pid = 0;
    if (ParsePid(entry->d_name, &pid) == ParseError::kOk) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

TEST(ProcDifferentialTest, EveryProcessMatchesLibproc2) {
  Libproc2Reader libproc2;
  ASSERT_TRUE(libproc2.ok()) << "procps_pids_new failed";
  OddProcesses odd;
  ASSERT_EQ(odd.pids().size(), 7u) << "could not start the odd processes";

  std::vector<pid_t> pids = ListProcesses();
  ASSERT_FALSE(pids.empty()) << "no process in /proc";
  size_t compared = 0;
  size_t exited = 0;
  for (pid_t pid : pids) {
    std::string detail;
    switch (CompareProcess(pid, &libproc2, &detail)) {
      case Outcome::kMatched:
        ++compared;
        break;
      case Outcome::kExited:
        ++exited;
        break;
      case Outcome::kMismatch:
        ADD_FAILURE() << "PID " << pid << ": " << detail;
        break;
    }
  }
  // The odd processes live until `odd` is destroyed: each must compare.
  for (pid_t pid : odd.pids()) {
    std::string detail;
    EXPECT_EQ(CompareProcess(pid, &libproc2, &detail), Outcome::kMatched)
        << "PID " << pid << ": " << detail;
  }
  std::cout << "compared " << compared << " processes with libproc2; " << exited
            << " exited during the test and were skipped\n";
  RecordProperty("compared", static_cast<int>(compared));
  RecordProperty("exited", static_cast<int>(exited));
  EXPECT_GE(compared, odd.pids().size());
}

}  // namespace
}  // namespace internal
}  // namespace pidlock
