// Copyright 2026 The pidlock Authors. MIT License.
//
// Each block below is one block of lib/pidlock.js 0.1.0; the JavaScript it
// mirrors is quoted above it. Keep it that way: the race suite's claim "the
// suite finds the original's race" is only as good as this copy.

#include "tests/seed/seed_pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

namespace pidlock_seed {
namespace {

// The test hook (see the header): stop once at PIDLOCK_TEST_STOP_AT.
void EnterState(GuardResult* data, SeedState state) {
  data->state = state;
  static bool stopped = false;
  static const char* const stop_at = getenv("PIDLOCK_TEST_STOP_AT");
  if (stopped || stop_at == nullptr) return;
  if (strcmp(stop_at, SeedStateName(state)) != 0) return;
  stopped = true;
  raise(SIGSTOP);
}

std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

// fs.readFileSync(path).toString(); false when it throws.
bool ReadWholeFile(const std::string& path, std::string* text) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  text->clear();
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return false;
    }
    if (n == 0) break;
    text->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

// getCmd(pid): fs.readFileSync(path.join('/proc', pid.toString(),
// 'cmdline')).toString().
bool GetCmd(const std::string& pid, std::string* cmd) {
  return ReadWholeFile("/proc/" + pid + "/cmdline", cmd);
}

// path.join for the shapes used here: joins with '/' and collapses repeated
// slashes.
std::string Join(const std::string& a, const std::string& b,
                 const std::string& c) {
  std::string joined = a + "/" + b + "/" + c;
  std::string out;
  for (char ch : joined) {
    if (ch == '/' && !out.empty() && out.back() == '/') continue;
    out += ch;
  }
  return out;
}

// mkpath.sync(dir): mkdir -p, mode 0777 & ~umask; throws on failure.
bool MkpathSync(const std::string& path, std::string* error) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string prefix = path.substr(0, i);
    if (mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST) {
      *error = ErrnoText("mkpath");
      return false;
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = "mkpath: not a directory";
    return false;
  }
  return true;
}

// fs.readlinkSync(path); false when it throws.
bool ReadlinkSync(const std::string& path, std::string* target) {
  char buffer[PATH_MAX + 1];
  ssize_t n = readlink(path.c_str(), buffer, sizeof(buffer) - 1);
  if (n < 0) return false;
  target->assign(buffer, static_cast<size_t>(n));
  return true;
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

std::string JsNumberToString(const std::string& text) {
  size_t b = 0, e = text.size();
  while (b < e && isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  std::string t = text.substr(b, e - b);
  if (t.empty()) return "0";
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    unsigned long long v = 0;
    for (size_t i = 2; i < t.size(); ++i) {
      if (!isxdigit(static_cast<unsigned char>(t[i]))) return "NaN";
      if (v > (1ULL << 52)) return "NaN";  // beyond PIDs; not modelled
      v = v * 16 +
          static_cast<unsigned>(
              isdigit(static_cast<unsigned char>(t[i]))
                  ? t[i] - '0'
                  : (tolower(static_cast<unsigned char>(t[i])) - 'a' + 10));
    }
    return std::to_string(v);
  }
  size_t i = 0;
  bool negative = false;
  if (t[0] == '+' || t[0] == '-') {
    negative = t[0] == '-';
    i = 1;
  }
  if (i == t.size()) return "NaN";
  unsigned long long v = 0;
  for (; i < t.size(); ++i) {
    if (!isdigit(static_cast<unsigned char>(t[i]))) return "NaN";
    if (v > (1ULL << 52)) return "NaN";
    v = v * 10 + static_cast<unsigned>(t[i] - '0');
  }
  if (v == 0) return "0";  // (-0).toString() is "0"
  return (negative ? "-" : "") + std::to_string(v);
}

GuardResult Guard(const std::string& dir, const std::string& key) {
  GuardResult data;
  // data.me_cmd = getCmd(process.pid);
  std::string me_cmd;
  const std::string me_pid = std::to_string(getpid());
  if (!GetCmd(me_pid, &me_cmd)) {
    data.error = ErrnoText("getCmd(process.pid)");
    return data;
  }
  // data.me_dir = path.join(dir, key, process.pid.toString());
  // data.lock_dir = path.join(dir, key, 'lock');
  data.me_dir = Join(dir, key, me_pid);
  data.lock_dir = Join(dir, key, "lock");

  // data.state = 'WIPING_OLD_RUN_WITH_THIS_PID';
  // try { fs.rmdirSync(data.me_dir); } catch (e) { ... }
  EnterState(&data, SeedState::WIPING_OLD_RUN_WITH_THIS_PID);
  rmdir(data.me_dir.c_str());

  // data.state = 'CREATING_NEW_DATA_FOR_THIS_PID';
  // mkpath.sync(data.me_dir);
  EnterState(&data, SeedState::CREATING_NEW_DATA_FOR_THIS_PID);
  if (!MkpathSync(data.me_dir, &data.error)) return data;

  // data.state = 'ATTEMPTING_TO_CREATE_A_SYMLINK';
  // fs.symlinkSync(data.me_dir, data.lock_dir);  data.state = 'OK';
  EnterState(&data, SeedState::ATTEMPTING_TO_CREATE_A_SYMLINK);
  if (symlink(data.me_dir.c_str(), data.lock_dir.c_str()) == 0) {
    EnterState(&data, SeedState::OK);
    data.acquired = true;
    return data;
  }

  // catch (e): data.state = 'GET_OTHER_CMD';
  // data.other_pid = Number(_.last(fs.readlinkSync(data.lock_dir).split('/')));
  EnterState(&data, SeedState::GET_OTHER_CMD);
  std::string target;
  if (!ReadlinkSync(data.lock_dir, &target)) {
    data.error = ErrnoText("readlink");
    return data;
  }
  size_t slash = target.rfind('/');
  data.other_pid = JsNumberToString(
      slash == std::string::npos ? target : target.substr(slash + 1));

  // try { data.other_cmd = getCmd(data.other_pid); }
  // catch (e) { lock_is_stale = true; }
  std::string other_cmd;
  const bool lock_is_stale = !GetCmd(data.other_pid, &other_cmd);

  // if (!lock_is_stale && data.me_cmd === data.other_cmd)
  //   data.state = 'CONFIRMED_TO_NOT_START';
  if (!lock_is_stale && me_cmd == other_cmd) {
    EnterState(&data, SeedState::CONFIRMED_TO_NOT_START);
    return data;
  }

  // data.state = 'REMOVING_STALE_LOCK';
  // try { fs.unlinkSync(data.lock_dir); } catch (e) {}
  // try { fs.rmdirSync(data.lock_dir); } catch (e) {}
  EnterState(&data, SeedState::REMOVING_STALE_LOCK);
  unlink(data.lock_dir.c_str());
  rmdir(data.lock_dir.c_str());

  // data.state = 'CREATING_NEW_SYMLINK';
  // fs.symlinkSync(data.me_dir, data.lock_dir);
  // data.state = 'OK_STALE_LOCK_REMOVED';
  EnterState(&data, SeedState::CREATING_NEW_SYMLINK);
  if (symlink(data.me_dir.c_str(), data.lock_dir.c_str()) != 0) {
    data.error = ErrnoText("symlink");
    return data;
  }
  EnterState(&data, SeedState::OK_STALE_LOCK_REMOVED);
  data.acquired = true;
  return data;
}

void Cleanup(const GuardResult& result) {
  if (!result.acquired) return;
  // var s = fs.readlinkSync(lock_dir); if (s === me_dir) removeLock = true;
  // if (removeLock) fs.unlinkSync(lock_dir);
  std::string target;
  if (ReadlinkSync(result.lock_dir, &target) && target == result.me_dir) {
    unlink(result.lock_dir.c_str());
  }
  // fs.rmdirSync(me_dir);
  rmdir(result.me_dir.c_str());
}

}  // namespace pidlock_seed
