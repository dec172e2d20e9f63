// Copyright 2026 The pidlock Authors. MIT License.
//
// Opening the key directory <dir>/<key> (spec S1) through a path that no
// other user controls: a walk from "/" that checks every component, as
// OpenSSH's StrictModes does, and opens each relative to its parent's
// descriptor, so that what was checked is what is used.

#ifndef PIDLOCK_SRC_KEY_DIRECTORY_H_
#define PIDLOCK_SRC_KEY_DIRECTORY_H_

#include <string>

#include "src/pidlock.h"

namespace pidlock {
namespace internal {

// True if `key` is one path component: not empty, ".", "..", no '/' or NUL,
// at most NAME_MAX bytes.
bool ValidKey(const std::string& key);

// Opens `dir` (absolute, or relative to the working directory) walking from
// "/", and checks every directory on the way, symlinks resolved:
//  - owned by root or the caller's effective uid (another user could rename
//    what is in it);
//  - not writable by group or others, unless sticky;
//  - an entry of a directory that group or others may write (a sticky one:
//    /tmp, /dev/shm) is owned by root or the caller: a squatter's is not;
//  - a symlink on the way is followed only when it passes the entry rule
//    (its owner is trusted, or no one else can replace it), 40 at most.
// Returns the descriptor (O_PATH | O_DIRECTORY | O_CLOEXEC: for *at() calls
// only; the walk needs search permission alone), or -1 with
// error->code (kPathComponent* or an errno), error->path (the component
// that failed) and error->detail (its owner and mode) set.
int OpenDirectory(const std::string& dir, Error* error);

// Opens <dir>/<key>: OpenDirectory(dir) (its descriptor is kept for the next
// call, and checked again then: see DirectoryCache), then the key directory
// relative
// to it (created 0700 when missing and `create`), which must be a directory
// (O_NOFOLLOW), owned by the effective uid and not writable by group or
// others. Returns the descriptor, or -1 with *error set as above (kInvalidKey,
// kKeyDirectory*, ...). A missing key directory without `create` is ENOENT
// with error->path the key directory, and a missing `dir` ENOENT with `dir`.
int OpenKeyDirectory(const std::string& dir, const std::string& key,
                     bool create, Error* error);

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_KEY_DIRECTORY_H_
