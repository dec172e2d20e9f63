// Copyright 2026 The pidlock Authors. MIT License.
//
// main() of the race tests: GoogleTest plus
//  - a per-binary RapidCheck budget (kRaceDefaultRcParams, defined by each
//    test file) unless RC_PARAMS names its own max_success;
//  - a seed chosen and printed up front with the one command that reruns
//    exactly these scenarios;
//  - one "RACE SUMMARY" line per test (scenarios, racers, kills, ...), also
//    appended to $TEST_UNDECLARED_OUTPUTS_DIR/race_summary.txt;
//  - soak mode: PIDLOCK_RACE_SOAK_SECONDS=N reruns the whole binary with a
//    fresh seed per round until N seconds have passed or a round fails.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/race/harness.h"

// "max_success=N ..." for this binary's properties.
extern const char kRaceDefaultRcParams[];

namespace {

uint64_t RandomSeed() {
  uint64_t seed = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!read(fd, &seed, sizeof(seed));
    close(fd);
  }
  return seed != 0 ? seed : static_cast<uint64_t>(time(nullptr));
}

std::string Target() {
  const char* t = getenv("TEST_TARGET");
  return t != nullptr ? t : "//tests/race:<test>";
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// This binary's budget; halved under ASan (--config=asan), where every
// process starts several times slower.
std::string DefaultParams() {
  std::string params = kRaceDefaultRcParams;
  const std::string key = "max_success=";
  size_t at = params.find(key);
  if (!kSanitized || at == std::string::npos) return params;
  const long n = atol(params.c_str() + at + key.size());
  size_t end = params.find(' ', at);
  return params.substr(0, at) + key + std::to_string(n > 1 ? n / 2 : n) +
         (end == std::string::npos ? "" : params.substr(end));
}

// Sets RC_PARAMS: the user's, with this binary's budget and a fresh seed
// where the user gave none. Returns the value.
std::string PrepareRcParams(bool new_seed) {
  // The caller's RC_PARAMS, as it was when the program started.
  static const std::string user = [] {
    const char* v = getenv("RC_PARAMS");
    return std::string(v != nullptr ? v : "");
  }();
  std::string params = user;
  if (params.find("max_success") == std::string::npos) {
    params = DefaultParams() + (params.empty() ? "" : " " + params);
  }
  if (new_seed || params.find("seed=") == std::string::npos) {
    // A later key wins in RapidCheck's parser, so append.
    params += " seed=" + std::to_string(RandomSeed());
  }
  setenv("RC_PARAMS", params.c_str(), 1);
  return params;
}

class SummaryPrinter : public testing::EmptyTestEventListener {
 public:
  void OnTestStart(const testing::TestInfo&) override {
    pidlock_race::GlobalTotals() = pidlock_race::Totals();
  }
  void OnTestEnd(const testing::TestInfo& info) override {
    const pidlock_race::Totals& t = pidlock_race::GlobalTotals();
    if (t.scenarios == 0 && t.skipped == 0) return;
    std::string line =
        t.Line(std::string(info.test_suite_name()) + "." + info.name());
    printf("%s\n", line.c_str());
    fflush(stdout);
    if (const char* dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      std::string path = std::string(dir) + "/race_summary.txt";
      if (FILE* f = fopen(path.c_str(), "a")) {
        fprintf(f, "%s\n", line.c_str());
        fclose(f);
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  testing::UnitTest::GetInstance()->listeners().Append(new SummaryPrinter);
  const char* soak = getenv("PIDLOCK_RACE_SOAK_SECONDS");
  const long soak_seconds = soak != nullptr ? atol(soak) : 0;
  if (soak_seconds <= 0) {
    std::string params = PrepareRcParams(false);
    printf(
        "race: RC_PARAMS=\"%s\"\nrace: rerun these scenarios with: bazel "
        "test %s --test_env=RC_PARAMS=\"%s\"\n",
        params.c_str(), Target().c_str(), params.c_str());
    fflush(stdout);
    return RUN_ALL_TESTS();
  }
  // Soak: one child process per round, each with its own seed (RapidCheck
  // reads RC_PARAMS once per process). npm runs once, here.
  (void)pidlock_race::EnsureNodePackage();
  const time_t end = time(nullptr) + soak_seconds;
  int rounds = 0;
  while (time(nullptr) < end) {
    ++rounds;
    std::string params = PrepareRcParams(true);
    printf("race soak: round %d: RC_PARAMS=\"%s\"\n", rounds, params.c_str());
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(RUN_ALL_TESTS());
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      printf(
          "race soak: round %d FAILED; rerun it with: bazel test %s "
          "--test_env=RC_PARAMS=\"%s\"\n",
          rounds, Target().c_str(), params.c_str());
      return 1;
    }
  }
  printf("race soak: %d rounds passed in %ld s\n", rounds, soak_seconds);
  return 0;
}
