// Copyright 2026 The pidlock Authors. MIT License.
//
// The original npm package's guard(dir, key, callback(error, data, cleanup))
// over TryAcquire.

#include <functional>
#include <utility>

#include "src/pidlock.h"

namespace pidlock {

void Guard(const std::string& dir, const std::string& key,
           const GuardCallback& callback, const Options& options) {
  AcquireResult result = TryAcquire(dir, key, options);
  GuardData data;
  data.holder = result.holder;
  const std::function<void()> no_op = [] {};
  switch (result.outcome) {
    case Outcome::kAcquired: {
      data.state =
          result.lock.took_over() ? State::OK_STALE_LOCK_REMOVED : State::OK;
      Lock& lock = result.lock;
      const std::function<void()> cleanup = [&lock] {
        if (lock.held()) (void)lock.Release();
      };
      callback(nullptr, data, cleanup);
      return;  // ~Lock releases if cleanup was not called
    }
    case Outcome::kHeld: {
      data.state = State::CONFIRMED_TO_NOT_START;
      Error error;
      error.code = make_error_code(Errc::kHeld);
      error.state = data.state;
      error.path = dir + "/" + key + "/lock";
      callback(&error, data, no_op);
      return;
    }
    case Outcome::kError:
      data.state = result.error.state;
      callback(&result.error, data, no_op);
      return;
  }
}

}  // namespace pidlock
