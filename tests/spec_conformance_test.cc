// Copyright 2026 The pidlock Authors. MIT License.
//
// The spec, the model and the code name the same states: the table of
// spec/state_machine.md, the mtype of spec/pidlock.pml and PIDLOCK_STATES
// (src/state.h) must agree, ID for ID and name for name. And both ways for
// the spec's other stable IDs: every transition (T) and liveness row (L, P)
// is cited where the code makes it, every one of them and every invariant
// (I) is cited by a test, and nothing cites an ID the spec does not have.

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "src/pidlock.h"
#include "src/state.h"

namespace pidlock {
namespace {

using Row = std::pair<std::string, std::string>;  // {ID, NAME}

std::vector<Row> CodeStates() {
  std::vector<Row> rows;
#define PIDLOCK_CODE_ROW(id, name) rows.push_back({#id, #name});
  PIDLOCK_STATES(PIDLOCK_CODE_ROW)
#undef PIDLOCK_CODE_ROW
  return rows;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Rows "| S7 | LOCKING_FOR_TAKEOVER | ..." of the spec's state table.
std::vector<Row> SpecStates(const std::string& text) {
  std::vector<Row> rows;
  static const std::regex kRow(R"(^\|\s*(S\d+)\s*\|\s*`?([A-Z_]+)`?\s*\|)");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kRow)) rows.push_back({m[1], m[2]});
  }
  return rows;
}

// First cells "| T12 |", "| L3 |", "| P1 |", "| I2 |" of the spec's tables.
std::set<std::string> SpecIds(const std::string& text) {
  std::set<std::string> ids;
  static const std::regex kRow(R"(^\|\s*([TLPI]\d+)\s*\|)");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kRow)) ids.insert(m[1]);
  }
  return ids;
}

// Every "T12", "L3", ... in the files (runfiles paths), with where.
std::map<std::string, std::string> CitedIds(
    const std::vector<std::string>& files) {
  std::map<std::string, std::string> cited;
  static const std::regex kId(R"(\b([TLPI]\d+)\b)");
  for (const std::string& file : files) {
    const std::string text = ReadFile(file);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kId);
         it != std::sregex_iterator(); ++it) {
      cited.emplace((*it)[1], file);
    }
  }
  return cited;
}

// The files named in the runfiles manifest list PIDLOCK_CONFORMANCE_<WHAT>
// (set by tests/BUILD), space-separated.
std::vector<std::string> Files(const char* variable) {
  std::vector<std::string> files;
  const char* list = std::getenv(variable);
  EXPECT_NE(list, nullptr) << variable << " is not set";
  std::istringstream words(list == nullptr ? "" : list);
  std::string file;
  while (words >> file) files.push_back(file);
  EXPECT_FALSE(files.empty()) << variable;
  return files;
}

TEST(SpecConformanceTest, CodeCitesEveryTransitionAndRow) {
  const std::set<std::string> spec = SpecIds(ReadFile("spec/state_machine.md"));
  const auto cited = CitedIds(Files("PIDLOCK_CONFORMANCE_SRCS"));
  for (const std::string& id : spec) {
    if (id[0] == 'I') continue;  // invariants hold across the code
    EXPECT_EQ(cited.count(id), 1U) << id << " is cited nowhere in src/";
  }
  for (const auto& [id, file] : cited) {
    EXPECT_EQ(spec.count(id), 1U)
        << file << " cites " << id << ", which the spec does not have";
  }
}

TEST(SpecConformanceTest, TestsCiteEveryId) {
  const std::set<std::string> spec = SpecIds(ReadFile("spec/state_machine.md"));
  const auto cited = CitedIds(Files("PIDLOCK_CONFORMANCE_TESTS"));
  for (const std::string& id : spec) {
    EXPECT_EQ(cited.count(id), 1U) << id << " is cited by no test";
  }
  for (const auto& [id, file] : cited) {
    EXPECT_EQ(spec.count(id), 1U)
        << file << " cites " << id << ", which the spec does not have";
  }
}

TEST(SpecConformanceTest, MutantsBreakRulesTheSpecHas) {
  const std::set<std::string> spec = SpecIds(ReadFile("spec/state_machine.md"));
  for (const auto& [id, file] :
       CitedIds(Files("PIDLOCK_CONFORMANCE_MUTANTS"))) {
    EXPECT_EQ(spec.count(id), 1U)
        << file << " cites " << id << ", which the spec does not have";
  }
}

TEST(SpecConformanceTest, SpecTableMatchesTheCodesStates) {
  const std::vector<Row> spec = SpecStates(ReadFile("spec/state_machine.md"));
  EXPECT_EQ(spec, CodeStates());
}

TEST(SpecConformanceTest, ModelNamesEveryState) {
  const std::string model = ReadFile("spec/pidlock.pml");
  for (const Row& row : CodeStates()) {
    EXPECT_TRUE(
        std::regex_search(model, std::regex("\\b" + row.second + "\\b")))
        << row.second << " is not in spec/pidlock.pml";
  }
}

TEST(SpecConformanceTest, StateNamesAndIdsRoundTrip) {
  const std::vector<Row> code = CodeStates();
  for (size_t i = 0; i < code.size(); ++i) {
    const State state = static_cast<State>(i);
    EXPECT_EQ(StateId(state), code[i].first);
    EXPECT_EQ(StateName(state), code[i].second);
  }
}

TEST(SpecConformanceTest, ErrorMessagesNameTheState) {
  Error error;
  error.code = make_error_code(Errc::kHolderHidden);
  error.state = State::PROBING_HOLDER;
  error.path = "/run/user/1000/app/lock";
  EXPECT_EQ(error.Message(),
            "pidlock: /run/user/1000/app/lock: the holder's PID exists but "
            "/proc hides it (hidepid) (HolderHidden in PROBING_HOLDER)");
  error.code = std::error_code(ENOENT, std::system_category());
  error.state = State::OPENING_KEY_DIRECTORY;
  error.path = "/run/user/1000";
  EXPECT_EQ(error.Message(),
            "pidlock: /run/user/1000: No such file or directory (ENOENT in "
            "OPENING_KEY_DIRECTORY)");
  error.code = make_error_code(Errc::kPathComponentWrongOwner);
  error.detail = "owned by uid 1000, mode 0755";
  EXPECT_NE(error.Message().find("(owned by uid 1000, mode 0755) "
                                 "(PathComponentWrongOwner in "
                                 "OPENING_KEY_DIRECTORY)"),
            std::string::npos)
      << error.Message();
}

}  // namespace
}  // namespace pidlock
