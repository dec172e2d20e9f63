// Copyright 2026 The pidlock Authors. MIT License.

#include "tests/race/witness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pidlock_race {
namespace {

constexpr uint64_t kMagic = 0x7069646c6f636b31ULL;  // "pidlock1"

void SleepNs(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

}  // namespace

void SpinOrSleepUs(int us) {
  if (us <= 0) return;
  // Short skews spin: nanosleep's timer slack (50 us by default) would blur
  // them, and the original's race window is a few microseconds wide.
  if (us <= 2000) {
    const int64_t until = MonotonicNs() + static_cast<int64_t>(us) * 1000;
    while (MonotonicNs() < until) {
    }
    return;
  }
  SleepNs(static_cast<int64_t>(us) * 1000);
}

namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return atoi(v);
}

}  // namespace

const char* RacerOutcomeName(RacerOutcome outcome) {
  switch (outcome) {
    case RacerOutcome::kPending:
      return "pending";
    case RacerOutcome::kAcquired:
      return "acquired";
    case RacerOutcome::kHeld:
      return "held";
    case RacerOutcome::kRefused:
      return "refused";
    case RacerOutcome::kSystem:
      return "system-error";
  }
  return "?";
}

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Region* CreateRegion(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  if (ftruncate(fd, sizeof(Region)) != 0) {
    close(fd);
    return nullptr;
  }
  void* p =
      mmap(nullptr, sizeof(Region), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return nullptr;
  // A fresh file reads as zeros: every atomic starts at 0.
  Region* region = static_cast<Region*>(p);
  region->magic = kMagic;
  return region;
}

Region* AttachRegion(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* p =
      mmap(nullptr, sizeof(Region), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return nullptr;
  Region* region = static_cast<Region*>(p);
  if (region->magic != kMagic) {
    munmap(p, sizeof(Region));
    return nullptr;
  }
  return region;
}

void UnmapRegion(Region* region) {
  if (region != nullptr) munmap(region, sizeof(Region));
}

void Enter(Region* region, int index, const std::string& witness_dir) {
  Slot& slot = region->slots[index];
  slot.enter_ns.store(MonotonicNs());
  const int32_t now = region->holders.fetch_add(1) + 1;
  slot.holders_at_enter.store(now);
  int32_t seen = region->max_holders.load();
  while (now > seen && !region->max_holders.compare_exchange_weak(seen, now)) {
  }
  region->entries.fetch_add(1);
  // mkdir is the kernel's own test-and-set: EEXIST means another holder's
  // directory is there right now.
  if (mkdir(witness_dir.c_str(), 0700) != 0 && errno == EEXIST) {
    slot.collided.store(1);
  }
  slot.entered.store(1);
}

void Leave(Region* region, int index, const std::string& witness_dir) {
  Slot& slot = region->slots[index];
  // Remove the directory only if this holder made it.
  if (slot.collided.load() == 0) rmdir(witness_dir.c_str());
  slot.leave_ns.store(MonotonicNs());
  region->holders.fetch_sub(1);
  slot.left.store(1);
}

void Hold(Region* region, int index, int hold_ms) {
  if (hold_ms >= 0) {
    SleepNs(static_cast<int64_t>(hold_ms) * 1000000);
    return;
  }
  const int64_t give_up = MonotonicNs() + 120LL * 1000000000;
  while (region->slots[index].leave_request.load() == 0 &&
         MonotonicNs() < give_up) {
    SleepNs(1000000);
  }
}

bool SubjectEnv::Load() {
  const char* path = getenv("RACE_WITNESS");
  const char* dir = getenv("RACE_WITNESS_DIR");
  index = EnvInt("RACE_INDEX", -1);
  if (path == nullptr || dir == nullptr || index < 0 || index >= kMaxSlots) {
    fprintf(stderr,
            "race subject: RACE_WITNESS, RACE_WITNESS_DIR and "
            "RACE_INDEX must be set\n");
    return false;
  }
  region = AttachRegion(path);
  if (region == nullptr) {
    fprintf(stderr, "race subject: cannot map %s: %s\n", path, strerror(errno));
    return false;
  }
  witness_dir = dir;
  ready_fd = EnvInt("RACE_READY_FD", -1);
  barrier_fd = EnvInt("RACE_BARRIER_FD", -1);
  skew_us = EnvInt("RACE_SKEW_US", 0);
  hold_ms = EnvInt("RACE_HOLD_MS", 0);
  crash = EnvInt("RACE_CRASH", 0) != 0;
  return true;
}

void SubjectEnv::WaitForStart() const {
  if (ready_fd >= 0) {
    (void)!write(ready_fd, "r", 1);
    close(ready_fd);
  }
  if (barrier_fd >= 0) {
    char c;
    for (;;) {
      ssize_t n = read(barrier_fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EOF: the harness closed the write end
    }
    close(barrier_fd);
  }
  SpinOrSleepUs(skew_us);
}

void SubjectEnv::HoldWitnessed(pid_t victim) const {
  Enter(region, index, witness_dir);
  Hold(region, index, hold_ms);
  Leave(region, index, witness_dir);
  if (crash) {
    if (victim > 0 && victim != getpid()) kill(victim, SIGKILL);
    raise(SIGKILL);
  }
}

}  // namespace pidlock_race
