// Copyright 2026 The pidlock Authors. MIT License.
//
// Reading /proc: size-capped reads of whole files, and the caller's own
// identity (cached for the life of the process, re-read after fork).

#ifndef PIDLOCK_SRC_PROC_H_
#define PIDLOCK_SRC_PROC_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <system_error>

#include "src/liveness.h"
#include "src/pidlock.h"

namespace pidlock {
namespace internal {

// Cap of /proc/<pid>/stat reads. A stat line is a few hundred bytes; a
// command name is at most 64.
inline constexpr size_t kStatCap = 4096;
// Cap of /proc/<pid>/cmdline reads. Longer command lines compare as equal
// when their first kCmdlineCap bytes do (see Judge).
inline constexpr size_t kCmdlineCap = size_t{64} * 1024;

// Reads at most `cap` bytes of `path` into *text. Returns 0 or the errno of
// open/read. *truncated is set when the file has more than `cap` bytes.
int ReadCapped(const char* path, size_t cap, std::string* text,
               bool* truncated);

// Reads what Judge needs about `pid` from /proc and kill(2), and for
// Need::kWitness, the witness lock of the key directory `key_fd`.
void ProbeProcess(pid_t pid, Need need, int key_fd, Probe* probe);

// Takes (`held` true) or drops the witness: an OFD read lock on byte 0 of
// the key directory `key_fd`, held by every holder while it holds. Returns
// 0 or the errno of fcntl(2) (EINTR is retried).
int SetWitness(int key_fd, bool held);

// Tests the witness of the key directory `key_fd`: held by another open
// file description than `key_fd`'s, released, or kError.
Witness TestWitness(int key_fd);

// The caller's identity and the lock target it writes.
struct SelfRecord {
  Self self;
  std::string target;  // FormatLockTarget of `self`
  // The record this one replaced (the parent's, in a fork child): kept,
  // since other threads may still read it.
  const SelfRecord* previous = nullptr;
};

// Returns the caller's identity, read from /proc/self once per process (and
// again in a fork child); the pointer stays valid for the life of the
// process. Returns nullptr and sets *error on failure: kProcUnavailable (no
// /proc, unreadable or unparsable), kProcOtherNamespace
// (readlink("/proc/self") != getpid()), or EMFILE, ENFILE or ENOMEM.
const SelfRecord* GetSelf(std::error_code* error);

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_PROC_H_
