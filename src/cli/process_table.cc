// Copyright 2026 The pidlock Authors. MIT License.
//
// The process table from /proc, and the processes of a job in it: by descent
// from the holder, and by the key-directory descriptor they inherited.

#include "src/cli/process_table.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pidlock_cli {
namespace {

// The decimal number at the start of *text (digits only, no sign, at most
// 18 of them), advancing *text past it; false if there is none.
bool ParseNumber(std::string_view* text, int64_t* value) {
  size_t n = 0;
  *value = 0;
  while (n < text->size() && n < 18 && (*text)[n] >= '0' && (*text)[n] <= '9') {
    *value = *value * 10 + ((*text)[n] - '0');
    ++n;
  }
  if (n == 0 || (n < text->size() && (*text)[n] >= '0' && (*text)[n] <= '9')) {
    return false;
  }
  text->remove_prefix(n);
  return true;
}

// Calls `visit(pid)` for each numeric entry of /proc.
template <typename Visit>
void ForEachPid(Visit visit) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return;
  while (struct dirent* entry = readdir(proc)) {
    std::string_view text = entry->d_name;
    int64_t pid = 0;
    if (!text.empty() && text[0] != '0' && ParseNumber(&text, &pid) &&
        text.empty() && pid <= INT32_MAX) {
      visit(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
}

// Reads /proc/<pid>/stat into *entry; false when it cannot be read or
// parsed, or the process has exited.
bool ReadEntry(pid_t pid, ProcessEntry* entry) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[1024];
  const ssize_t n = read(fd, text, sizeof(text));
  close(fd);
  return n > 0 && ParseProcessEntry(
                      std::string_view(text, static_cast<size_t>(n)), entry);
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

bool ParseProcessEntry(std::string_view stat, ProcessEntry* entry) {
  int64_t pid = 0;
  std::string_view head = stat;
  if (!ParseNumber(&head, &pid) || pid > INT32_MAX ||
      head.substr(0, 2) != " (") {
    return false;
  }
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos) return false;
  std::string_view rest = stat.substr(close_paren + 1);
  // " S 1 1 ..."
  if (rest.size() < 4 || rest[0] != ' ' || rest[2] != ' ') return false;
  const char state = rest[1];  // field 3: a letter (R, S, D, T, ...)
  if (!((state >= 'A' && state <= 'Z') || (state >= 'a' && state <= 'z'))) {
    return false;
  }
  if (state == 'Z' || state == 'X') return false;  // exited
  rest.remove_prefix(3);
  int64_t ppid = 0;  // field 4
  int64_t pgrp = 0;  // field 5
  if (!ParseNumber(&rest, &ppid) || rest.empty() || rest[0] != ' ') {
    return false;
  }
  rest.remove_prefix(1);
  if (!ParseNumber(&rest, &pgrp) || ppid > INT32_MAX || pgrp > INT32_MAX) {
    return false;
  }
  entry->pid = static_cast<pid_t>(pid);
  entry->ppid = static_cast<pid_t>(ppid);
  entry->pgrp = static_cast<pid_t>(pgrp);
  return true;
}

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
