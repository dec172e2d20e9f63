// Copyright 2026 The pidlock Authors. MIT License.

#include "src/this_process.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <new>

namespace pidlock {
namespace internal {
namespace {

// The last token drawn in this process or, in a fork child, in its parent
// before the fork: inherited, unlike PerProcess, so that a child's token is
// greater than every token its copied memory can hold.
std::atomic<uint64_t> last_token{0};

// False where the kernel has no MADV_WIPEONFORK.
bool wiped_by_kernel = true;

void Clear(PerProcess* state) {
  state->token.store(0, std::memory_order_relaxed);
  state->self.store(nullptr, std::memory_order_relaxed);
}

PerProcess* Map() {
  const auto page = sysconf(_SC_PAGESIZE);
  const size_t size = page > 0 ? static_cast<size_t>(page) : size_t{4096};
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) abort();
  auto* state = new (memory) PerProcess{};
  if (madvise(memory, size, MADV_WIPEONFORK) != 0) {
    wiped_by_kernel = false;
    state->pid.store(getpid(), std::memory_order_relaxed);
    static PerProcess* fallback = state;
    pthread_atfork(nullptr, nullptr, [] {
      Clear(fallback);
      fallback->pid.store(getpid(), std::memory_order_relaxed);
    });
  }
  return state;
}

}  // namespace

PerProcess& ThisProcess() {
  // Initialised once per program; a fork child inherits the mapping (and
  // the "initialised" flag) with the page's contents wiped.
  static PerProcess* const state = Map();
  if (!wiped_by_kernel) {
    pid_t last = state->pid.load(std::memory_order_acquire);
    const pid_t now = getpid();
    if (last != now && state->pid.compare_exchange_strong(
                           last, now, std::memory_order_acq_rel)) {
      Clear(state);
    }
  }
  return *state;
}

uint64_t ThisProcessToken() {
  PerProcess& state = ThisProcess();
  uint64_t token = state.token.load(std::memory_order_acquire);
  if (token != 0) return token;
  const uint64_t fresh = last_token.fetch_add(1, std::memory_order_acq_rel) + 1;
  // Threads of a new child may race to draw: the first store wins.
  if (state.token.compare_exchange_strong(token, fresh,
                                          std::memory_order_acq_rel)) {
    return fresh;
  }
  return token;
}

}  // namespace internal
}  // namespace pidlock
