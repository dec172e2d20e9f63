// Copyright 2026 The pidlock Authors. MIT License.
//
// The test hook: every protocol step calls EnterState(state) as it begins.
// In the library the hook is an empty inline function. In the testonly
// variant (//:pidlock_testing, built with -DPIDLOCK_TEST_HOOKS) a process
// whose environment has PIDLOCK_TEST_STOP_AT=<STATE_NAME> stops itself with
// SIGSTOP the first time it enters that state, so a race test can SIGKILL it
// exactly there (or SIGCONT it).

#ifndef PIDLOCK_SRC_HOOK_H_
#define PIDLOCK_SRC_HOOK_H_

#include "src/state.h"

namespace pidlock {
namespace internal {

// The environment variable the testonly variant reads.
inline constexpr char kStopAtEnv[] = "PIDLOCK_TEST_STOP_AT";

#ifdef PIDLOCK_TEST_HOOKS
void EnterState(State state);
#else
inline void EnterState(State) {}
#endif

}  // namespace internal
}  // namespace pidlock

#endif  // PIDLOCK_SRC_HOOK_H_
