// Copyright 2026 The pidlock Authors. MIT License.
//
// Reading /proc: size-capped reads of whole files, and the caller's own
// identity (cached for the life of the process, read again in a fork child).

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
// Need::kWitness, the witness (byte 0) of the key directory `key_fd`.
void ProbeProcess(pid_t pid, Need need, int key_fd, Probe* probe);

// The two witness bytes of a key directory, OFD read locks on the holder's
// open file description (spec/state_machine.md, "The holder of a lock: the
// job"). The kernel drops them when the last descriptor of the description
// closes, so every process sharing it (the holder's job) keeps them.
enum class WitnessByte : int {
  // "the witness": taken just before each symlinkat (so no record is ever
  // visible without it), dropped when symlinkat fails; judges of a record
  // from another PID namespace test it.
  kWitness = 0,
  // "the job witness": taken only after a successful symlinkat, never by a
  // contender; the job rule (JobAlive) tests it, so a contender's window
  // around symlinkat cannot make a dead holder's lock look alive.
  kJobWitness = 1,
};

// Takes one witness byte of the key directory `key_fd`. Returns 0 or the
// errno of fcntl(2) (EINTR is retried).
int TakeWitness(int key_fd, WitnessByte byte);

// Drops the witness (`byte`), or with `byte` absent both bytes: for every
// process sharing the description. Returns 0 or the errno.
int DropWitness(int key_fd);
int DropWitness(int key_fd, WitnessByte byte);

// Tests one witness byte of the key directory `key_fd`: held by another
// open file description than `key_fd`'s, released, or kError.
Witness TestWitness(int key_fd, WitnessByte byte);

// The caller's identity and the lock target it writes.
struct SelfRecord {
  Self self;
  std::string target;  // FormatLockTarget of `self`
  // The record made before this one (in this process, or in a parent
  // before the fork): records are never freed.
  const SelfRecord* previous = nullptr;
};

// Returns the caller's identity, read from /proc/self once per process (and
// again in every fork child, whatever its PID number: src/this_process.h);
// the pointer stays valid for the life of the process. Returns nullptr and sets
// *error on failure: kProcUnavailable (no /proc, unreadable or unparsable),
// kProcOtherNamespace (readlink("/proc/self") != getpid()), or EMFILE, ENFILE
// or ENOMEM.
const SelfRecord* GetSelf(std::error_code* error);

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_PROC_H_
