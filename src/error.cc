// Copyright 2026 The pidlock Authors. MIT License.
//
// Error codes, reasons and messages. A message names the path, the reason and
// the protocol state: "pidlock: /run/user/1000/backup/lock: the holder's PID
// exists but /proc hides it (hidepid) (in PROBING_HOLDER)".

#include <cstring>
#include <string>

#include "src/pidlock.h"

namespace pidlock {
namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "pidlock"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::kOk:
        return "ok";
      case Errc::kInvalidKey:
        return "invalid key: it must be one path component, not '.' or '..'";
      case Errc::kKeyDirectoryNotDirectory:
        return "the key directory is a symlink or not a directory";
      case Errc::kKeyDirectoryWrongOwner:
        return "the key directory is owned by another user";
      case Errc::kKeyDirectoryUnsafeMode:
        return "the key directory is writable by group or others";
      case Errc::kLockNotSymlink:
        return "the lock is not a symlink (a file or directory is in its "
               "place); remove it by hand";
      case Errc::kLockTargetInvalid:
        return "the lock's target does not end in a PID or has a malformed "
               "record";
      case Errc::kProcUnavailable:
        return "/proc is not mounted or this process's entries are "
               "unreadable; liveness cannot be checked";
      case Errc::kProcOtherNamespace:
        return "/proc belongs to another PID namespace (readlink /proc/self "
               "is not getpid()); liveness cannot be checked";
      case Errc::kHolderOtherHost:
        return "the lock was made by another host; its liveness cannot be "
               "checked from here";
      case Errc::kHolderOtherNamespace:
        return "the lock was made in another PID namespace or under another "
               "boot id, and the key directory's witness lock cannot be "
               "tested";
      case Errc::kHolderHidden:
        return "the holder's PID exists but /proc hides it (hidepid)";
      case Errc::kHolderUnverifiable:
        return "the holder's /proc entry cannot be read or parsed";
      case Errc::kLockLost:
        return "the lock is no longer this holder's (removed or replaced by "
               "someone else); left as it is";
      case Errc::kNotOwner:
        return "this process did not acquire the lock (a fork child); its "
               "descriptor closed, the lock left held";
      case Errc::kNotHeld:
        return "the lock was already released";
      case Errc::kHeld:
        return "held by another live instance";
      case Errc::kWitnessUnavailable:
        return "cannot take the witness lock (fcntl F_OFD_SETLK) on the key "
               "directory; not acquiring a lock that judges in other PID "
               "namespaces could not see";
      case Errc::kLegacyHolderNotVisible:
        return "the lock was made by the original npm pidlock, which records "
               "no PID namespace, and its PID does not exist in this "
               "container's PID namespace or is this process's own: the "
               "holder may be alive elsewhere";
      case Errc::kKeyDirectoryBusy:
        return "another process has held the key directory's flock for 10 s "
               "(stopped, or a fork child of a process that died holding it)";
      case Errc::kPathComponentNotDirectory:
        return "not a directory (a file, a dangling symlink, or too many "
               "symlinks)";
      case Errc::kPathComponentWrongOwner:
        return "owned by another user, who could rename the lock directory "
               "away and let a second holder in; only root's and your own "
               "directories are trusted";
      case Errc::kPathComponentUnsafeMode:
        return "writable by group or others and not sticky: anyone could "
               "rename the lock directory away and let a second holder in";
      case Errc::kJobUnverifiable:
        return "the holder's process is gone, and whether processes of its "
               "job still hold the key directory's witness lock cannot be "
               "tested (fcntl F_OFD_GETLK failed)";
    }
    return "unknown pidlock error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), ErrorCategory()};
}

const char* ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kAlive:
      return "Alive";
    case Reason::kThisProcess:
      return "ThisProcess";
    case Reason::kNoSuchProcess:
      return "NoSuchProcess";
    case Reason::kZombie:
      return "Zombie";
    case Reason::kPidReused:
      return "PidReused";
    case Reason::kPreviousBoot:
      return "PreviousBoot";
    case Reason::kOwnPidEarlierProcess:
      return "OwnPidEarlierProcess";
    case Reason::kStartedAfterLock:
      return "StartedAfterLock";
    case Reason::kOtherCommandLine:
      return "OtherCommandLine";
    case Reason::kWitnessHeld:
      return "WitnessHeld";
    case Reason::kWitnessReleased:
      return "WitnessReleased";
    case Reason::kJobAlive:
      return "JobAlive";
    case Reason::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

const char* ErrcName(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "Ok";
    case Errc::kInvalidKey:
      return "InvalidKey";
    case Errc::kKeyDirectoryNotDirectory:
      return "KeyDirectoryNotDirectory";
    case Errc::kKeyDirectoryWrongOwner:
      return "KeyDirectoryWrongOwner";
    case Errc::kKeyDirectoryUnsafeMode:
      return "KeyDirectoryUnsafeMode";
    case Errc::kLockNotSymlink:
      return "LockNotSymlink";
    case Errc::kLockTargetInvalid:
      return "LockTargetInvalid";
    case Errc::kProcUnavailable:
      return "ProcUnavailable";
    case Errc::kProcOtherNamespace:
      return "ProcOtherNamespace";
    case Errc::kHolderOtherHost:
      return "HolderOtherHost";
    case Errc::kHolderOtherNamespace:
      return "HolderOtherNamespace";
    case Errc::kHolderHidden:
      return "HolderHidden";
    case Errc::kHolderUnverifiable:
      return "HolderUnverifiable";
    case Errc::kLockLost:
      return "LockLost";
    case Errc::kNotOwner:
      return "NotOwner";
    case Errc::kNotHeld:
      return "NotHeld";
    case Errc::kHeld:
      return "Held";
    case Errc::kWitnessUnavailable:
      return "WitnessUnavailable";
    case Errc::kLegacyHolderNotVisible:
      return "LegacyHolderNotVisible";
    case Errc::kKeyDirectoryBusy:
      return "KeyDirectoryBusy";
    case Errc::kJobUnverifiable:
      return "JobUnverifiable";
    case Errc::kPathComponentNotDirectory:
      return "PathComponentNotDirectory";
    case Errc::kPathComponentWrongOwner:
      return "PathComponentWrongOwner";
    case Errc::kPathComponentUnsafeMode:
      return "PathComponentUnsafeMode";
  }
  return "Unknown";
}

std::string Error::Message() const {
  std::string message = "pidlock: ";
  message += path;
  message += ": ";
  message += code.message();
  if (!detail.empty()) message += " (" + detail + ")";
  message += " (";
  if (code.category() == ErrorCategory()) {
    message += ErrcName(static_cast<Errc>(code.value()));
  } else if (const char* name = strerrorname_np(code.value())) {
    message += name;
  } else {
    message += "errno " + std::to_string(code.value());
  }
  message += " in ";
  message += StateName(state);
  message += ")";
  return message;
}

}  // namespace pidlock
