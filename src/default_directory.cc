// Copyright 2026 The pidlock Authors. MIT License.
//
// The per-user default lock directory (pidlock.h, DefaultDirectory).

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "src/pidlock.h"

namespace pidlock {

std::string DefaultDirectory() {
  const char* chosen = getenv("PIDLOCK_DIR");
  if (chosen != nullptr && chosen[0] != '\0') return chosen;
  const uid_t uid = geteuid();
  std::string dir =
      uid == 0 ? "/run/pidlock" : "/dev/shm/pidlock-" + std::to_string(uid);
  // EEXIST, or a failure TryAcquire reports with the path.
  (void)mkdir(dir.c_str(), 0700);
  return dir;
}

}  // namespace pidlock
