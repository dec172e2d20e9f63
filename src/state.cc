// Copyright 2026 The pidlock Authors. MIT License.

#include "src/state.h"

namespace pidlock {

std::string_view StateName(State state) {
  switch (state) {
#define PIDLOCK_STATE_NAME(id, name) \
  case State::name:                  \
    return #name;
    PIDLOCK_STATES(PIDLOCK_STATE_NAME)
#undef PIDLOCK_STATE_NAME
  }
  return "UNKNOWN_STATE";
}

std::string_view StateId(State state) {
  switch (state) {
#define PIDLOCK_STATE_ID(id, name) \
  case State::name:                \
    return #id;
    PIDLOCK_STATES(PIDLOCK_STATE_ID)
#undef PIDLOCK_STATE_ID
  }
  return "S?";
}

}  // namespace pidlock
