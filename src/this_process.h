// Copyright 2026 The pidlock Authors. MIT License.
//
// "This process", told apart from its fork children whatever their PID
// numbers. A PID number is not an identity: PID numbers repeat across PID
// namespaces (PID 1 of a container that calls unshare(CLONE_NEWPID) and
// forks has a child that is PID 1 too), so neither Lock::Release nor the
// self-record cache may decide "am I the acquirer" by getpid().

#ifndef PIDLOCK_SRC_THIS_PROCESS_H_
#define PIDLOCK_SRC_THIS_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>

namespace pidlock {
namespace internal {

struct SelfRecord;

// State that belongs to one process and must not be inherited: it lives in
// a page mapped with MADV_WIPEONFORK, which the kernel hands every child
// made by fork(2) or clone(2) without CLONE_VM zero-filled, whatever its PID
// and namespace, and however it was made (no pthread_atfork handler is
// needed, so a raw clone(2) is covered too). Where the kernel has no
// MADV_WIPEONFORK (before 4.14), a pthread_atfork child handler clears it,
// and so does ThisProcess() when getpid() is not `pid`: a raw clone(2) runs
// no handler, and within one PID namespace its PID tells it apart.
struct PerProcess {
  // This process's token (0: not drawn yet in this process).
  std::atomic<uint64_t> token;
  // This process's identity record (src/proc.h, GetSelf), or nullptr.
  std::atomic<const SelfRecord*> self;
  // Without MADV_WIPEONFORK only: getpid() when the page was last cleared.
  std::atomic<pid_t> pid;
};

// This process's state; never nullptr (aborts if no page can be mapped).
PerProcess& ThisProcess();

// A number no other process descended from this one (by fork or clone, to
// any depth) returns, and that stays the same for the life of this process.
// Two calls return equal numbers iff they ran in the same process. Never 0.
uint64_t ThisProcessToken();

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_THIS_PROCESS_H_
