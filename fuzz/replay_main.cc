// Copyright 2026 The pidlock Authors. MIT License.
//
// A main() for a fuzzer's LLVMFuzzerTestOneInput without libFuzzer: it runs
// every input once, so `bazel test` replays the checked-in corpus with the
// default compiler (gcc) on every change, and a crash found by a fuzzer can be
// reproduced in a plain debug build.
//
// Usage: <name>_replay_test PATH...
// Each PATH is a file or a directory (read recursively, in sorted order). A
// relative PATH that does not exist is looked up in the test's runfiles, so
// the `args` of a cc_test can name a corpus directory listed in its `data`.
// Exits 0 after replaying at least one input; 1 when no input was found or a
// PATH cannot be read. A failing check inside the fuzzer aborts the process.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// Returns `arg` if it exists, else the same relative path inside the runfiles
// tree (Bazel sets TEST_SRCDIR for tests and RUNFILES_DIR for `bazel run`;
// argv[0].runfiles covers a binary started by hand). Returns `arg` unchanged
// when nothing is found, so that the caller reports the path it was given.
fs::path Resolve(const std::string& arg, const char* argv0) {
  std::error_code error;
  fs::path path(arg);
  if (fs::exists(path, error) || path.is_absolute()) return path;
  std::vector<fs::path> roots;
  for (const char* name : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* value = std::getenv(name)) roots.emplace_back(value);
  }
  roots.emplace_back(std::string(argv0) + ".runfiles");
  for (const fs::path& root : roots) {
    for (const char* workspace : {"pidlock", "__main__"}) {
      fs::path candidate = root / workspace / path;
      if (fs::exists(candidate, error)) return candidate;
    }
  }
  return path;
}

// Appends to *files the regular files at `path` (following symlinks, as the
// runfiles tree is made of them). Returns false if `path` cannot be read.
bool CollectFiles(const fs::path& path, std::vector<fs::path>* files) {
  std::error_code error;
  if (fs::is_regular_file(path, error)) {
    files->push_back(path);
    return true;
  }
  if (!fs::is_directory(path, error)) return false;
  std::vector<fs::path> found;
  fs::recursive_directory_iterator it(
      path, fs::directory_options::follow_directory_symlink, error);
  if (error) return false;
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) return false;
    if (fs::is_regular_file(it->path(), error)) found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  files->insert(files->end(), found.begin(), found.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path path = Resolve(argv[i], argv[0]);
    if (!CollectFiles(path, &files)) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 1;
    }
  }
  size_t replayed = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: cannot open %s\n", file.c_str());
      return 1;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    // An exact-size heap copy, so that a sanitizer build catches overreads.
    std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), data.get());
    std::printf("replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
    std::fflush(stdout);
    LLVMFuzzerTestOneInput(data.get(), bytes.size());
    ++replayed;
  }
  std::printf("replayed %zu inputs\n", replayed);
  if (replayed == 0) {
    std::fprintf(stderr,
                 "replay: no inputs found (pass files or corpus "
                 "directories)\n");
    return 1;
  }
  return 0;
}
