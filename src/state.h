// Copyright 2026 The pidlock Authors. MIT License.
//
// The protocol states of spec/state_machine.md, verbatim. A state names the
// step a process is in (or stopped in): every Error carries one, the test
// hook stops at one, and tests/spec_conformance_test.cc fails when this list
// and the spec's table differ.

#ifndef PIDLOCK_SRC_STATE_H_
#define PIDLOCK_SRC_STATE_H_

#include <string_view>

namespace pidlock {

// X(ID, NAME): the spec's stable ID and name, in the spec's order.
#define PIDLOCK_STATES(X)               \
  X(S1, OPENING_KEY_DIRECTORY)          \
  X(S2, CREATING_NEW_DATA_FOR_THIS_PID) \
  X(S3, ATTEMPTING_TO_CREATE_A_SYMLINK) \
  X(S4, READING_LOCK)                   \
  X(S5, PROBING_HOLDER)                 \
  X(S6, CONFIRMED_TO_NOT_START)         \
  X(S7, LOCKING_FOR_TAKEOVER)           \
  X(S8, CONFIRMING_STALE_LOCK)          \
  X(S9, REMOVING_STALE_LOCK)            \
  X(S10, CREATING_NEW_SYMLINK)          \
  X(S11, OK)                            \
  X(S12, OK_STALE_LOCK_REMOVED)         \
  X(S13, LOCKING_FOR_RELEASE)           \
  X(S14, CONFIRMING_OWN_LOCK)           \
  X(S15, REMOVING_OWN_LOCK)             \
  X(S16, RELEASED)

// The protocol state. Enumerator names are the spec's names, verbatim, so
// that a reader can go from spec to model to code by grep.
enum class State : int {
#define PIDLOCK_STATE_ENUM(id, name) name,
  PIDLOCK_STATES(PIDLOCK_STATE_ENUM)
#undef PIDLOCK_STATE_ENUM
};

// Returns the spec's name of `state`, e.g. "REMOVING_STALE_LOCK".
std::string_view StateName(State state);

// Returns the spec's stable ID of `state`, e.g. "S9".
std::string_view StateId(State state);

}  // namespace pidlock

#endif  // PIDLOCK_SRC_STATE_H_
