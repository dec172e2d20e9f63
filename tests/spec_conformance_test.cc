// Copyright 2026 The pidlock Authors. MIT License.
//
// The spec, the model and the code name the same states: the table of
// spec/state_machine.md, the mtype of spec/pidlock.pml and PIDLOCK_STATES
// (src/state.h) must agree, ID for ID and name for name.

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <regex>
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
