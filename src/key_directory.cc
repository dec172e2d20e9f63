// Copyright 2026 The pidlock Authors. MIT License.

#include "src/key_directory.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "src/fd.h"

namespace pidlock {
namespace internal {
namespace {

// As many symlinks as the kernel follows in one path (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;

// The walk needs only search permission (x) on each directory, as path
// resolution does: O_PATH. The key directory is opened for real (flock and
// OFD locks need a readable descriptor).
constexpr int kWalkFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kKeyFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::error_code SystemError(int e) { return {e, std::system_category()}; }

// The components of `path`, in order ("" and "." dropped).
std::deque<std::string> Split(const std::string& path) {
  std::deque<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

std::string Join(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

// "owned by uid 1000, mode 0755"
std::string Describe(const struct stat& st) {
  char text[64];
  snprintf(text, sizeof(text), "owned by uid %u, mode %04o",
           static_cast<unsigned>(st.st_uid),
           static_cast<unsigned>(st.st_mode & 07777));
  return text;
}

bool Trusted(uid_t owner) { return owner == 0 || owner == geteuid(); }

// May group or others write in it? (Only a sticky directory passes so.)
bool Shared(const struct stat& st) {
  return (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

// A directory on the path: owned by root or us, and writable by no one else
// unless sticky. Returns kOk or the failure.
Errc CheckDirectory(const struct stat& st) {
  if (!Trusted(st.st_uid)) return Errc::kPathComponentWrongOwner;
  if (Shared(st) && (st.st_mode & S_ISVTX) == 0) {
    return Errc::kPathComponentUnsafeMode;
  }
  return Errc::kOk;
}

int Fail(Error* error, std::error_code code, std::string path,
         std::string detail = "") {
  error->code = code;
  error->path = std::move(path);
  error->detail = std::move(detail);
  return -1;
}

// Verified directories, per process: the walk costs three system calls per
// component, so OpenKeyDirectory keeps the descriptor of each DIR it walked
// (up to kCacheSize of them). What is kept is only what cannot change: the
// directory a descriptor names. Every use checks again, with two system
// calls, what can: fstat of the descriptor (DIR itself is still root's or
// ours, writable by no one else unless sticky) and stat of the path (it
// still names that directory). The ancestors are not walked again: one that
// became another user's since could only make the path name another
// directory, which the stat sees; and any process walking the path afresh
// refuses it. Only absolute paths are kept (a relative one depends on the
// working directory).
class DirectoryCache {
 public:
  // The descriptor kept for `dir`, still valid, or null.
  std::shared_ptr<Fd> Find(const std::string& dir) {
    std::shared_ptr<Fd> fd;
    dev_t dev = 0;
    ino_t ino = 0;
    {
      // try_lock: a fork child whose parent had another thread in here
      // walks instead of waiting for ever.
      std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
      if (!lock.owns_lock()) return nullptr;
      for (const Entry& entry : entries_) {
        if (entry.path == dir) {
          fd = entry.fd;
          dev = entry.dev;
          ino = entry.ino;
        }
      }
    }
    if (fd == nullptr) return nullptr;
    struct stat st;
    if (fstat(fd->get(), &st) != 0 || st.st_dev != dev || st.st_ino != ino) {
      // Closed behind our back (closefrom, a daemon's cleanup): the number
      // may be someone else's now. Forget it without closing it.
      fd->Release();
      Erase(dir, fd);
      return nullptr;
    }
    struct stat now;
    if (CheckDirectory(st) != Errc::kOk || stat(dir.c_str(), &now) != 0 ||
        now.st_dev != dev || now.st_ino != ino) {
      Erase(dir, fd);
      return nullptr;
    }
    return fd;
  }

  void Insert(const std::string& dir, std::shared_ptr<Fd> fd,
              const struct stat& st) {
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    for (Entry& entry : entries_) {
      if (entry.path == dir) {
        entry = {dir, std::move(fd), st.st_dev, st.st_ino};
        return;
      }
    }
    if (entries_.size() >= kCacheSize) entries_.erase(entries_.begin());
    entries_.push_back({dir, std::move(fd), st.st_dev, st.st_ino});
  }

 private:
  static constexpr size_t kCacheSize = 8;
  struct Entry {
    std::string path;
    std::shared_ptr<Fd> fd;  // closed when the last user lets go
    dev_t dev;
    ino_t ino;
  };

  void Erase(const std::string& dir, const std::shared_ptr<Fd>& fd) {
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->path == dir && it->fd == fd) {
        entries_.erase(it);
        return;
      }
    }
  }

  std::mutex mutex_;
  std::vector<Entry> entries_;
};

DirectoryCache& Cache() {
  static DirectoryCache* cache = new DirectoryCache;  // never destroyed
  return *cache;
}

// OpenDirectory, through the cache for absolute paths.
std::shared_ptr<Fd> VerifiedDirectory(const std::string& dir, Error* error) {
  const bool absolute = !dir.empty() && dir[0] == '/';
  if (absolute) {
    if (std::shared_ptr<Fd> fd = Cache().Find(dir)) return fd;
  }
  const int opened = OpenDirectory(dir, error);
  if (opened < 0) return nullptr;
  auto fd = std::make_shared<Fd>(opened);
  struct stat st;
  if (absolute && fstat(fd->get(), &st) == 0) Cache().Insert(dir, fd, st);
  return fd;
}

}  // namespace

bool ValidKey(const std::string& key) {
  return !key.empty() && key != "." && key != ".." &&
         key.find('/') == std::string::npos &&
         key.find('\0') == std::string::npos && key.size() <= NAME_MAX;
}

int OpenDirectory(const std::string& dir, Error* error) {
  std::string path = dir;
  if (path.empty()) return Fail(error, SystemError(ENOENT), dir);
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) {
      return Fail(error, SystemError(errno), ".");
    }
    path = std::string(cwd) + "/" + path;
  }
  // The directory walked into, and above it the path and sharing of each
  // level (".." reopens the parent through the kernel's own ".."): two
  // descriptors at most are open at any time.
  struct Level {
    std::string path;
    bool shared;  // group or others may write in it (it is sticky)
  };
  std::vector<Level> levels;
  Fd current(open("/", kWalkFlags));
  {
    struct stat st;
    if (current.get() < 0 || fstat(current.get(), &st) != 0) {
      return Fail(error, SystemError(errno), "/");
    }
    if (Errc e = CheckDirectory(st); e != Errc::kOk) {
      return Fail(error, make_error_code(e), "/", Describe(st));
    }
    levels.push_back({"/", Shared(st)});
  }
  std::deque<std::string> todo = Split(path);
  int symlinks = 0;
  while (!todo.empty()) {
    const std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      if (levels.size() == 1) continue;  // "/.." is "/"
      Fd up(openat(current.get(), "..", kWalkFlags));
      if (up.get() < 0) {
        return Fail(error, SystemError(errno), levels.back().path + "/..");
      }
      current = std::move(up);
      levels.pop_back();
      continue;
    }
    const Level& parent = levels.back();
    std::string here = Join(parent.path, name);
    Fd fd(openat(current.get(), name.c_str(), kWalkFlags));
    if (fd.get() < 0) {
      const int e = errno;
      struct stat link;
      if ((e != ELOOP && e != ENOTDIR) ||
          fstatat(current.get(), name.c_str(), &link, AT_SYMLINK_NOFOLLOW) !=
              0) {
        return Fail(error, SystemError(e), here);
      }
      if (!S_ISLNK(link.st_mode)) {
        return Fail(error, make_error_code(Errc::kPathComponentNotDirectory),
                    here, Describe(link));
      }
      // A symlink in a directory others may write is someone's to replace:
      // followed only if that someone is trusted.
      if (parent.shared && !Trusted(link.st_uid)) {
        return Fail(error, make_error_code(Errc::kPathComponentWrongOwner),
                    here,
                    "a symlink " + Describe(link) +
                        ", in a directory others can write");
      }
      if (++symlinks > kMaxSymlinks) {
        return Fail(error, make_error_code(Errc::kPathComponentNotDirectory),
                    here, "more than 40 symlinks");
      }
      char target[PATH_MAX];
      const ssize_t n =
          readlinkat(current.get(), name.c_str(), target, sizeof(target));
      if (n < 0) return Fail(error, SystemError(errno), here);
      if (static_cast<size_t>(n) >= sizeof(target)) {
        return Fail(error, SystemError(ENAMETOOLONG), here);
      }
      const std::string text(target, static_cast<size_t>(n));
      std::deque<std::string> parts = Split(text);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      if (!text.empty() && text[0] == '/') {
        // Absolute: start again at "/", checked already.
        Fd root(open("/", kWalkFlags));
        if (root.get() < 0) return Fail(error, SystemError(errno), "/");
        current = std::move(root);
        levels.resize(1);
      }
      continue;
    }
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return Fail(error, SystemError(errno), here);
    if (Errc e = CheckDirectory(st); e != Errc::kOk) {
      std::string detail = Describe(st);
      if (e == Errc::kPathComponentWrongOwner && parent.shared) {
        detail += ", in a directory others can write";
      }
      return Fail(error, make_error_code(e), here, detail);
    }
    current = std::move(fd);
    levels.push_back({std::move(here), Shared(st)});
  }
  return current.Release();
}

int OpenKeyDirectory(const std::string& dir, const std::string& key,
                     bool create, Error* error) {
  const std::string key_path = dir + "/" + key;
  if (!ValidKey(key)) {
    return Fail(error, make_error_code(Errc::kInvalidKey), key_path);
  }
  const std::shared_ptr<Fd> verified = VerifiedDirectory(dir, error);
  if (verified == nullptr) return -1;
  const Fd& parent = *verified;
  // T1 key-directory-opened, relative to the checked directory; L20 refuses.
  int fd = openat(parent.get(), key.c_str(), kKeyFlags);
  if (fd < 0 && errno == ENOENT && create) {
    if (mkdirat(parent.get(), key.c_str(), 0700) != 0 && errno != EEXIST) {
      return Fail(error, SystemError(errno), key_path);
    }
    fd = openat(parent.get(), key.c_str(), kKeyFlags);
  }
  if (fd < 0) {
    const int e = errno;
    struct stat st;
    // Another user's key directory we may not even open (0700): say whose.
    if (e == EACCES &&
        fstatat(parent.get(), key.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        st.st_uid != geteuid()) {
      return Fail(error, make_error_code(Errc::kKeyDirectoryWrongOwner),
                  key_path, Describe(st));
    }
    errno = e;
    // O_NOFOLLOW on a symlink gives ELOOP; O_DIRECTORY on a file ENOTDIR.
    return Fail(error,
                errno == ELOOP || errno == ENOTDIR
                    ? make_error_code(Errc::kKeyDirectoryNotDirectory)
                    : SystemError(errno),
                key_path);
  }
  Fd key_fd(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return Fail(error, SystemError(errno), key_path);
  if (st.st_uid != geteuid()) {
    return Fail(error, make_error_code(Errc::kKeyDirectoryWrongOwner), key_path,
                Describe(st));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Fail(error, make_error_code(Errc::kKeyDirectoryUnsafeMode), key_path,
                Describe(st));
  }
  return key_fd.Release();
}

}  // namespace internal
}  // namespace pidlock
