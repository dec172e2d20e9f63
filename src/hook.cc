// Copyright 2026 The pidlock Authors. MIT License.

#include "src/hook.h"

#ifdef PIDLOCK_TEST_HOOKS

#include <signal.h>

#include <atomic>
#include <cstdlib>

namespace pidlock {
namespace internal {

void EnterState(State state) {
  static std::atomic<bool> stopped{false};
  const char* stop_at = getenv(kStopAtEnv);
  if (stop_at == nullptr || StateName(state) != stop_at) return;
  if (stopped.exchange(true)) return;  // the first entry only
  raise(SIGSTOP);
}

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_TEST_HOOKS
