// Copyright 2026 The pidlock Authors. MIT License.
//
// Finding the processes of a job in /proc: by descent from the holder, and by
// the key-directory descriptor its processes inherited.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "src/cli/job.h"

namespace pidlock_cli {
namespace {

// The decimal number at *text, advancing *text past it; false if none.
bool ParseNumber(const char** text, int64_t* value) {
  char* end = nullptr;
  errno = 0;
  *value = strtoll(*text, &end, 10);
  if (end == *text || errno != 0) return false;
  *text = end;
  return true;
}

// Calls `visit(pid)` for each numeric entry of /proc.
template <typename Visit>
void ForEachPid(Visit visit) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return;
  while (struct dirent* entry = readdir(proc)) {
    const char* text = entry->d_name;
    int64_t pid = 0;
    if (text[0] >= '1' && text[0] <= '9' && ParseNumber(&text, &pid) &&
        *text == '\0') {
      visit(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
}

// Fields 3 to 5 of /proc/<pid>/stat. The command name (field 2) may hold
// spaces and parentheses: the fields after it start after the last ')'.
bool ReadEntry(pid_t pid, ProcessEntry* entry) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[1024];
  const ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n <= 0) return false;
  text[n] = '\0';
  const char* at = strrchr(text, ')');
  if (at == nullptr || at[1] != ' ' || at[2] == '\0' || at[3] != ' ') {
    return false;
  }
  const char state = at[2];                        // field 3
  if (state == 'Z' || state == 'X') return false;  // exited
  at += 4;
  int64_t ppid = 0;  // field 4
  int64_t pgrp = 0;  // field 5
  if (!ParseNumber(&at, &ppid) || *at++ != ' ' || !ParseNumber(&at, &pgrp)) {
    return false;
  }
  entry->pid = pid;
  entry->ppid = static_cast<pid_t>(ppid);
  entry->pgrp = static_cast<pid_t>(pgrp);
  return true;
}

// Has `pid` a descriptor open on the file (dev, ino)?
bool HasOpen(pid_t pid, dev_t dev, ino_t ino) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/fd", static_cast<int>(pid));
  DIR* fds = opendir(path);
  if (fds == nullptr) return false;
  bool found = false;
  while (struct dirent* entry = readdir(fds)) {
    if (entry->d_name[0] == '.') continue;
    struct stat st;
    if (fstatat(dirfd(fds), entry->d_name, &st, 0) == 0 && st.st_dev == dev &&
        st.st_ino == ino) {
      found = true;
      break;
    }
  }
  closedir(fds);
  return found;
}

}  // namespace

std::string CommandLine(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cmdline", static_cast<int>(pid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char text[4096];
  const ssize_t n = read(fd, text, sizeof(text));
  close(fd);
  if (n <= 0) return "";
  std::string line(text, static_cast<size_t>(n));
  while (!line.empty() && line.back() == '\0') line.pop_back();
  std::replace(line.begin(), line.end(), '\0', ' ');
  return line;
}

std::vector<ProcessEntry> ReadProcessTable() {
  std::vector<ProcessEntry> table;
  ForEachPid([&](pid_t pid) {
    ProcessEntry entry;
    if (ReadEntry(pid, &entry)) table.push_back(entry);
  });
  return table;
}

std::vector<ProcessEntry> Descendants(const std::vector<ProcessEntry>& table,
                                      pid_t root) {
  std::multimap<pid_t, const ProcessEntry*> children;
  for (const ProcessEntry& entry : table) {
    children.emplace(entry.ppid, &entry);
  }
  std::vector<ProcessEntry> found;
  std::vector<pid_t> todo = {root};
  while (!todo.empty() && found.size() <= table.size()) {
    const pid_t parent = todo.back();
    todo.pop_back();
    auto range = children.equal_range(parent);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second->pid == root) continue;
      found.push_back(*it->second);
      todo.push_back(it->second->pid);
    }
  }
  return found;
}

std::vector<pid_t> JobProcesses(pid_t holder, const std::string& key_dir) {
  const std::vector<ProcessEntry> table = ReadProcessTable();
  std::vector<pid_t> job;
  if (holder != 0) {
    for (const ProcessEntry& entry : table) {
      if (entry.pid == holder) job.push_back(holder);
    }
    for (const ProcessEntry& entry : Descendants(table, holder)) {
      job.push_back(entry.pid);
    }
  }
  struct stat dir;
  if (stat(key_dir.c_str(), &dir) == 0) {
    for (const ProcessEntry& entry : table) {
      if (HasOpen(entry.pid, dir.st_dev, dir.st_ino)) job.push_back(entry.pid);
    }
  }
  std::sort(job.begin(), job.end());
  job.erase(std::unique(job.begin(), job.end()), job.end());
  job.erase(std::remove(job.begin(), job.end(), getpid()), job.end());
  return job;
}

}  // namespace pidlock_cli
