// Copyright 2026 The pidlock Authors. MIT License.
//
// A daemon-style program guarded by pidlock, as a consumer writes it: one
// instance per key; a second one exits 75 and says who runs.
//
//   consumer DIR KEY [SECONDS]

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "src/pidlock.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s DIR KEY [SECONDS]\n", argv[0]);
    return 64;
  }
  pidlock::AcquireResult r = pidlock::TryAcquire(argv[1], argv[2]);
  switch (r.outcome) {
    case pidlock::Outcome::kAcquired:
      printf("consumer: running as the only instance (pidlock %s)\n",
             pidlock::kVersion);
      fflush(stdout);
      sleep(argc > 3 ? static_cast<unsigned>(atoi(argv[3])) : 0);
      return r.lock.Release() ? 1 : 0;
    case pidlock::Outcome::kHeld:
      printf("consumer: already running as pid %d\n", r.holder.pid);
      return 75;
    case pidlock::Outcome::kError:
      fprintf(stderr, "%s\n", r.error.Message().c_str());
      return 76;
  }
  return 1;
}
