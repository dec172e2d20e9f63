// Copyright 2026 The pidlock Authors. MIT License.
//
// The witness: evidence of exclusivity that does not trust the lock under
// test. The harness creates a small file, maps it MAP_SHARED, and passes its
// path to every racer (RACE_WITNESS). A racer that believes it holds the lock
// calls Enter() before doing anything else and Leave() before it releases:
//
//   - an atomic holder counter (fetch_add / fetch_sub) and the largest value
//     it ever had: max_holders > 1 means two racers held at once;
//   - mkdir(2) of a witness directory, an exclusive create in the kernel that
//     knows nothing of the lock: EEXIST on Enter means another holder is in;
//   - CLOCK_MONOTONIC stamps of Enter and Leave per racer: the intervals,
//     each nested inside its racer's lock tenure, must not overlap.
//
// The same region carries each racer's outcome (acquired, held, refused with
// which error) so the harness can check the protocol's promises. The layout
// holds only lock-free std::atomic integers, so it is valid in every process
// that maps it, whatever the subject's language: C++ subjects link this file;
// the CLI and node subjects run the race_witness program while they hold.
//
// Environment of a racer (set by the harness, read by SubjectEnv):
//   RACE_WITNESS      the region's path
//   RACE_WITNESS_DIR  the witness directory's path (mkdir'ed while holding)
//   RACE_INDEX        this racer's slot, 0..kMaxSlots-1
//   RACE_READY_FD     write one byte when ready to race (optional)
//   RACE_BARRIER_FD   then block reading until EOF: all start at once
//   RACE_SKEW_US      then sleep this long before trying
//   RACE_HOLD_MS      hold this long; -1: until the harness asks to leave
//   RACE_CRASH        1: after Leave(), die by SIGKILL without releasing
//                     (the CLI/node witness kills its parent, the holder)

#ifndef PIDLOCK_TESTS_RACE_WITNESS_H_
#define PIDLOCK_TESTS_RACE_WITNESS_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace pidlock_race {

// Slots: up to 16 racers, the next-acquire probe, a live holder, a
// dead holder and spares.
inline constexpr int kMaxSlots = 48;
inline constexpr int kHolderSlot = 40;  // the initial live holder
inline constexpr int kProbeSlot = 41;   // "the next acquire succeeds"
inline constexpr int kSetupSlot = 42;   // makes a real stale lock, then dies

// What a racer's attempt ended in.
enum class RacerOutcome : int32_t {
  kPending = 0,   // not reported (killed, or did not get that far)
  kAcquired = 1,  // took the lock
  kHeld = 2,      // a live instance holds it (CLI exit 75)
  kRefused = 3,   // unsafe or unverifiable (CLI exit 76): error_code is Errc
  kSystem = 4,    // a system call failed (CLI exit 71): error_code is errno
};

const char* RacerOutcomeName(RacerOutcome outcome);

struct Slot {
  std::atomic<int32_t> pid;          // getpid() in the racer (1 in a new pidns)
  std::atomic<int32_t> outcome;      // RacerOutcome
  std::atomic<int32_t> error_code;   // Errc (kRefused) or errno (kSystem)
  std::atomic<int32_t> error_state;  // the protocol state it stopped in
  std::atomic<int32_t> took_over;    // 1: acquired by taking over a stale lock
  std::atomic<int32_t> displaced;    // 1: at release the lock was not its own
  std::atomic<int32_t> release_errc;  // Release()'s Errc or errno, 0 if ok
  std::atomic<int32_t> collided;  // 1: the witness directory existed on Enter
  std::atomic<int32_t> holders_at_enter;  // the counter after its increment
  std::atomic<int32_t> entered;           // 1 after Enter
  std::atomic<int32_t> left;              // 1 after Leave
  std::atomic<int32_t> leave_request;     // harness -> holder: leave now
  std::atomic<int64_t> enter_ns;          // CLOCK_MONOTONIC
  std::atomic<int64_t> leave_ns;
};

struct Region {
  uint64_t magic;
  std::atomic<int32_t> holders;      // racers between Enter and Leave now
  std::atomic<int32_t> max_holders;  // the largest value `holders` had
  std::atomic<int32_t> entries;      // Enter calls in all
  Slot slots[kMaxSlots];
};

static_assert(std::atomic<int32_t>::is_always_lock_free &&
                  std::atomic<int64_t>::is_always_lock_free,
              "the witness region is shared between processes");

// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNs();

// Waits `us` microseconds: spinning up to 2 ms (precise), sleeping beyond.
void SpinOrSleepUs(int us);

// A mapping of the region. Create() makes a zeroed region at `path` (the
// harness); Attach() maps an existing one (a racer). nullptr on failure.
Region* CreateRegion(const std::string& path);
Region* AttachRegion(const std::string& path);
void UnmapRegion(Region* region);

// Called by a racer right after it acquired, and right before it releases.
void Enter(Region* region, int index, const std::string& witness_dir);
void Leave(Region* region, int index, const std::string& witness_dir);

// Holds for hold_ms, or, when hold_ms < 0, until the harness sets
// leave_request (at most 120 s).
void Hold(Region* region, int index, int hold_ms);

// The racer's side of the environment above.
struct SubjectEnv {
  Region* region = nullptr;
  std::string witness_dir;
  int index = -1;
  int ready_fd = -1;
  int barrier_fd = -1;
  int skew_us = 0;
  int hold_ms = 0;
  bool crash = false;

  // Reads the environment and maps the region; false (with a message on
  // stderr) when something is missing.
  bool Load();
  Slot& slot() const { return region->slots[index]; }
  // Reports ready, waits until the harness opens the barrier, then sleeps
  // the skew. A racer started without a barrier returns at once.
  void WaitForStart() const;
  // Enter, hold, Leave; with crash, then SIGKILL `victim` (and this
  // process): the holder dies holding the lock.
  void HoldWitnessed(pid_t victim) const;
};

}  // namespace pidlock_race

#endif  // PIDLOCK_TESTS_RACE_WITNESS_H_
