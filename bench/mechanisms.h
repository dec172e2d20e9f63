// Copyright 2026 The pidlock Authors. MIT License.
//
// The locks the benchmarks compare, behind one interface: the kernel's own
// (flock, fcntl OFD locks), the libraries a user would pick instead (libbsd
// pidfile, liblockfile, Qt5 QLockFile), the original npm package's algorithm
// (tests/seed/seed_pidlock.h) and pidlock. Each row of bench/RESULTS.md names a
// mechanism by its id.
//
//   const MechanismInfo* info = FindMechanism("pidlock");
//   std::unique_ptr<Mechanism> m = info->make(FreshDir("x"));
//   if (m->TryLock() == Attempt::kAcquired) m->Unlock();
//
// A Mechanism belongs to the process that made it: after fork(2) the child
// makes its own (a kept flock descriptor would otherwise be shared).

#ifndef PIDLOCK_BENCH_MECHANISMS_H_
#define PIDLOCK_BENCH_MECHANISMS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace pidlock_bench {

enum class Attempt {
  kAcquired,  // this process holds the lock now
  kHeld,      // another (live) holder has it
  kError,     // neither could be told or done: see Mechanism::error()
};

class Mechanism {
 public:
  virtual ~Mechanism() = default;

  // One attempt that never waits for a holder.
  virtual Attempt TryLock() = 0;

  // Waits for the holder to release or die, then acquires. Only for
  // mechanisms whose info says can_wait. flock and OFD locks block in the
  // kernel and ignore `timeout`; pidlock and QLockFile return kHeld when it
  // runs out.
  virtual Attempt Lock(std::chrono::milliseconds timeout);

  // Releases what TryLock or Lock acquired. Returns false on error.
  virtual bool Unlock() = 0;

  // The file or symlink a holder leaves behind when it dies.
  virtual std::string ArtifactPath() const = 0;

  // True when the last acquisition took over a stale lock, for mechanisms
  // that tell (pidlock, the seed); false for the others.
  virtual bool TookOver() const { return false; }

  const std::string& error() const { return error_; }

 protected:
  std::string error_;
};

// A mechanism's description and factory.
struct MechanismInfo {
  // Stable id: benchmark rows are "<family>/<id>".
  const char* id;
  // What one cycle calls, for the tables (the row's label).
  const char* title;
  // Lock() waits (for the wake-up and contention rows).
  bool can_wait;
  // Lock() polls with sleeps of 100 ms and more (QLockFile): its wake-up
  // rows take --slow_wakeup_samples samples.
  bool slow_wait;
  // The system calls a waiting Lock() sleeps in (x86-64 numbers), so a
  // benchmark can tell that a waiter is asleep before it releases.
  std::vector<long> wait_syscalls;
  // Makes an instance whose lock lives in `dir` (an existing directory
  // that only this mechanism uses).
  std::unique_ptr<Mechanism> (*make)(const std::string& dir);
};

// All mechanisms, the baseline "flock_open_close" first.
const std::vector<MechanismInfo>& Mechanisms();

// The mechanism with this id, or nullptr.
const MechanismInfo* FindMechanism(const std::string& id);

// No lock at all (TryLock always acquires): the witness self-test's
// negative control.
std::unique_ptr<Mechanism> MakeNoLock(const std::string& dir);

// A copy of what a dead holder left at a path, to put back before each
// takeover.
struct Artifact {
  std::string path;
  bool is_symlink = false;
  std::string data;  // the symlink's target or the file's bytes
  mode_t mode = 0600;
};

// Reads the symlink or regular file at `path`. Returns false if neither.
bool CaptureArtifact(const std::string& path, Artifact* artifact);

// Recreates the artifact, replacing whatever is at its path.
bool RestoreArtifact(const Artifact& artifact);

}  // namespace pidlock_bench

#endif  // PIDLOCK_BENCH_MECHANISMS_H_
