// Copyright 2026 The pidlock Authors. MIT License.
//
// Each function names the JavaScript it stands for. Where node adds system
// calls of its own (readFileSync's fstat, readlinkSync's pathconf), they are
// left out: this measures the algorithm, the node row measures the package.

#include "bench/seed_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

namespace pidlock_bench {
namespace {

// path.join(...): joins with '/' and normalizes ('//', '.', '..', trailing
// '/'), as node's path.normalize does for the absolute paths used here.
std::string JoinPath(const std::vector<std::string>& parts) {
  std::string joined;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!joined.empty()) joined += '/';
    joined += p;
  }
  const bool absolute = !joined.empty() && joined[0] == '/';
  std::vector<std::string> segments;
  size_t i = 0;
  while (i <= joined.size()) {
    size_t j = joined.find('/', i);
    if (j == std::string::npos) j = joined.size();
    std::string s = joined.substr(i, j - i);
    if (s == "..") {
      if (!segments.empty() && segments.back() != "..") {
        segments.pop_back();
      } else if (!absolute) {
        segments.push_back(s);
      }
    } else if (!s.empty() && s != ".") {
      segments.push_back(s);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < segments.size(); ++k) {
    if (k > 0) out += '/';
    out += segments[k];
  }
  return out.empty() ? "." : out;
}

// path.dirname(p) of a normalized absolute path.
std::string DirName(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

// String(Number(s)) for what a symlink target's last component can be:
// decimal digits (leading zeros dropped), "" (Number("") is 0), or else
// "NaN". (Number() also accepts hex, exponents and surrounding blanks; no
// lock target the benchmarks make has those.)
std::string JsNumberText(const std::string& s) {
  if (s.empty()) return "0";
  for (char c : s) {
    if (!isdigit(static_cast<unsigned char>(c))) return "NaN";
  }
  size_t first = s.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  return s.substr(first);
}

// getCmd(pid): fs.readFileSync('/proc/<pid>/cmdline'), the whole file.
// Returns false where readFileSync throws.
bool GetCmd(const std::string& pid_text, std::string* cmd) {
  std::string path = "/proc/" + pid_text + "/cmdline";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  cmd->clear();
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return false;
    }
    if (n == 0) break;
    cmd->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

// fs.readlinkSync(path). Returns false where it throws.
bool ReadLink(const std::string& path, std::string* target) {
  char buffer[PATH_MAX];
  ssize_t n = readlink(path.c_str(), buffer, sizeof(buffer));
  if (n < 0) return false;
  target->assign(buffer, static_cast<size_t>(n));
  return true;
}

// mkpath.sync(dirpath) of mkpath 1.0.0 with the default mode. Returns ""
// or the message of what it throws.
std::string MkpathSync(const std::string& dirpath, mode_t mode) {
  struct stat st;
  if (stat(dirpath.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return dirpath + " exists and is not a directory";
    return "";
  }
  if (errno != ENOENT) return "stat " + dirpath + ": " + strerror(errno);
  std::string parent = MkpathSync(DirName(dirpath), mode);
  if (!parent.empty()) return parent;
  // mkdirSync throws on any error, EEXIST included (only the asynchronous
  // mkpath forgives EEXIST).
  if (mkdir(dirpath.c_str(), mode) != 0) {
    return "mkdir " + dirpath + ": " + strerror(errno);
  }
  return "";
}

// `0777 & (~process.umask())`: node reads the umask by setting and
// restoring it.
mode_t DefaultMkpathMode() {
  mode_t mask = umask(0);
  umask(mask);
  return 0777 & ~mask;
}

}  // namespace

const char* SeedStateName(SeedState state) {
  switch (state) {
    case SeedState::WIPING_OLD_RUN_WITH_THIS_PID:
      return "WIPING_OLD_RUN_WITH_THIS_PID";
    case SeedState::CREATING_NEW_DATA_FOR_THIS_PID:
      return "CREATING_NEW_DATA_FOR_THIS_PID";
    case SeedState::ATTEMPTING_TO_CREATE_A_SYMLINK:
      return "ATTEMPTING_TO_CREATE_A_SYMLINK";
    case SeedState::OK:
      return "OK";
    case SeedState::GET_OTHER_CMD:
      return "GET_OTHER_CMD";
    case SeedState::CONFIRMED_TO_NOT_START:
      return "CONFIRMED_TO_NOT_START";
    case SeedState::REMOVING_STALE_LOCK:
      return "REMOVING_STALE_LOCK";
    case SeedState::CREATING_NEW_SYMLINK:
      return "CREATING_NEW_SYMLINK";
    case SeedState::OK_STALE_LOCK_REMOVED:
      return "OK_STALE_LOCK_REMOVED";
  }
  return "?";
}

SeedGuardResult SeedGuard(const std::string& dir, const std::string& key) {
  SeedGuardResult r;
  // data.me_cmd = getCmd(process.pid): read on every call.
  const std::string my_pid = std::to_string(getpid());
  std::string me_cmd;
  if (!GetCmd(my_pid, &me_cmd)) {
    r.error = "cannot read /proc/" + my_pid + "/cmdline";
    return r;
  }
  r.me_dir = JoinPath({dir, key, my_pid});
  r.lock_dir = JoinPath({dir, key, "lock"});

  r.state = SeedState::WIPING_OLD_RUN_WITH_THIS_PID;
  rmdir(r.me_dir.c_str());  // errors ignored

  r.state = SeedState::CREATING_NEW_DATA_FOR_THIS_PID;
  r.error = MkpathSync(r.me_dir, DefaultMkpathMode());
  if (!r.error.empty()) return r;

  r.state = SeedState::ATTEMPTING_TO_CREATE_A_SYMLINK;
  if (symlink(r.me_dir.c_str(), r.lock_dir.c_str()) == 0) {
    r.state = SeedState::OK;
    r.acquired = true;
    return r;
  }

  r.state = SeedState::GET_OTHER_CMD;
  std::string target;
  if (!ReadLink(r.lock_dir, &target)) {
    r.error = "readlink " + r.lock_dir + ": " + strerror(errno);
    return r;
  }
  // Number(_.last(target.split('/')))
  r.other_pid = JsNumberText(target.substr(target.rfind('/') + 1));
  std::string other_cmd;
  const bool lock_is_stale = !GetCmd(r.other_pid, &other_cmd);
  if (!lock_is_stale && me_cmd == other_cmd) {
    r.state = SeedState::CONFIRMED_TO_NOT_START;
    return r;
  }

  r.state = SeedState::REMOVING_STALE_LOCK;
  unlink(r.lock_dir.c_str());  // errors ignored
  rmdir(r.lock_dir.c_str());   // "for extra safety"; errors ignored

  r.state = SeedState::CREATING_NEW_SYMLINK;
  if (symlink(r.me_dir.c_str(), r.lock_dir.c_str()) != 0) {
    r.error = "symlink " + r.lock_dir + ": " + strerror(errno);
    return r;
  }
  r.state = SeedState::OK_STALE_LOCK_REMOVED;
  r.acquired = true;
  return r;
}

void SeedCleanup(const SeedGuardResult& result) {
  if (!result.acquired || result.me_dir.empty()) return;
  if (!result.lock_dir.empty()) {
    std::string target;
    if (ReadLink(result.lock_dir, &target) && target == result.me_dir) {
      unlink(result.lock_dir.c_str());
    }
  }
  rmdir(result.me_dir.c_str());
}

}  // namespace pidlock_bench
