// Copyright 2026 The pidlock Authors. MIT License.
//
// The process table as /proc shows it: who descends from whom, and who has
// a directory open. For the job of a lock (job.h) and `status`.

#ifndef PIDLOCK_SRC_CLI_PROCESS_TABLE_H_
#define PIDLOCK_SRC_CLI_PROCESS_TABLE_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace pidlock_cli {

// One line of the process table: /proc/<pid>/stat fields 1, 4 and 5.
struct ProcessEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
};

// Fields 1, 3, 4 and 5 of a /proc/<pid>/stat text into *entry; false when
// the text does not have that shape or the process has exited (state Z or
// X). The command name (field 2) may hold spaces and parentheses: the fields
// after it start after the last ')'.
bool ParseProcessEntry(std::string_view stat, ProcessEntry* entry);

// Every process /proc shows now (a snapshot: processes come and go).
std::vector<ProcessEntry> ReadProcessTable();

// The descendants of `root` in `table` (children, their children, ...),
// without `root` itself.
std::vector<ProcessEntry> Descendants(const std::vector<ProcessEntry>& table,
                                      pid_t root);

// The live processes of the job that holds the lock in `key_dir`: `holder`
// and its descendants (when `holder` is not 0: a PID known to name the
// holder here), and every process with a descriptor of `key_dir` open (the
// job of a holder that has died, or lives in another PID namespace). Sorted,
// without the caller. Processes this user cannot inspect are missing.
std::vector<pid_t> JobProcesses(pid_t holder, const std::string& key_dir);

// The arguments of `pid` joined by spaces (at most 4 KiB of them), for
// display; "" when it cannot be read.
std::string CommandLine(pid_t pid);

}  // namespace pidlock_cli

#endif  // PIDLOCK_SRC_CLI_PROCESS_TABLE_H_
