// Copyright 2026 The pidlock Authors. MIT License.
//
// Table-driven tests of the parsers' contracts (src/parse.h). The fuzzers in
// fuzz/ explore the rest of the input space.

#include "src/parse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pidlock {
namespace internal {
namespace {

using namespace std::string_literals;

TEST(ParsePidTest, Table) {
  struct Case {
    std::string text;
    ParseError error;
    pid_t pid;
  };
  static const Case kCases[] = {
      {"1", ParseError::kOk, 1},
      {"4242", ParseError::kOk, 4242},
      {"4194304", ParseError::kOk, 4194304},
      {"4194305", ParseError::kRange, 0},
      {"0", ParseError::kRange, 0},
      {"", ParseError::kSyntax, 0},
      {"-1", ParseError::kSyntax, 0},  // strtoul would take it
      {" 1", ParseError::kSyntax, 0},  // and this
      {"+1", ParseError::kSyntax, 0},
      {"0042", ParseError::kSyntax, 0},  // leading zeros
      {"12a", ParseError::kSyntax, 0},
      {"99999999999999999999999", ParseError::kRange, 0},  // overflows 64 bits
      {"99999999999999999999999x", ParseError::kSyntax, 0},  // shape first
  };
  for (const Case& c : kCases) {
    pid_t pid = 0;
    EXPECT_EQ(ParsePid(c.text, &pid), c.error) << "'" << c.text << "'";
    if (c.error == ParseError::kOk) {
      EXPECT_EQ(pid, c.pid) << c.text;
    }
  }
}

TEST(ParseStatTest, CommWithSpacesParenthesesAndNewlines) {
  // Fields 3..22; starttime (22) is 777.
  const std::string tail =
      " S 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 777 1000 50 "
      "18446744073709551615\n";
  struct Case {
    std::string comm;
  };
  for (const std::string& comm :
       {"sleep"s, "a b"s, "a) (b"s, ") S 1 2 3"s, "x\ny"s, "(("s, ""s}) {
    Stat stat;
    ASSERT_EQ(ParseStat("4242 (" + comm + ")" + tail, &stat), ParseError::kOk)
        << comm;
    EXPECT_EQ(stat.pid, 4242);
    EXPECT_EQ(stat.comm, comm);
    EXPECT_EQ(stat.state, 'S');
    EXPECT_EQ(stat.start_time, 777u) << comm;
  }
}

TEST(ParseStatTest, NumThreads) {
  Stat stat;
  ASSERT_EQ(ParseStat("7 (x) Z 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 9", &stat),
            ParseError::kOk);
  EXPECT_EQ(stat.num_threads, 3u);
  EXPECT_EQ(ParseStat("7 (x) Z 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 x 0 9", &stat),
            ParseError::kSyntax);
}

TEST(ParseTimensOffsetsTest, Table) {
  struct Case {
    std::string text;
    ParseError error;
    int64_t boottime_ns;
  };
  const Case kCases[] = {
      {"monotonic           0         0\nboottime            0         0\n",
       ParseError::kOk, 0},
      {"monotonic 7 0\nboottime 100000 0\n", ParseError::kOk, 100000000000000},
      {"monotonic 0 0\nboottime -5 0\n", ParseError::kOk, -5000000000},
      {"boottime -1 500000000", ParseError::kOk, -500000000},  // -0.5 s
      {"monotonic 0 0\n", ParseError::kSyntax, 0},  // no boottime line
      {"boottime 1 0\nboottime 1 0\n", ParseError::kSyntax, 0},
      {"boottime 1 1000000000\n", ParseError::kSyntax, 0},
      {"boottime +1 0\n", ParseError::kSyntax, 0},
      {"boottime 1\n", ParseError::kSyntax, 0},
      {"realtime 1 0\nboottime 1 0\n", ParseError::kSyntax, 0},
      {"boottime 99999999999999999 0\n", ParseError::kRange, 0},
      {"", ParseError::kSyntax, 0},
  };
  for (const Case& c : kCases) {
    int64_t ns = 42;
    EXPECT_EQ(ParseTimensOffsets(c.text, &ns), c.error) << c.text;
    if (c.error == ParseError::kOk) {
      EXPECT_EQ(ns, c.boottime_ns) << c.text;
    }
  }
}

TEST(ParseStatTest, Errors) {
  Stat stat;
  EXPECT_EQ(ParseStat("", &stat), ParseError::kEmpty);
  EXPECT_EQ(ParseStat("4242 sleep S 1", &stat), ParseError::kSyntax);
  EXPECT_EQ(ParseStat("4242 (sleep) S 1 2 3", &stat), ParseError::kSyntax)
      << "ends before field 22";
  EXPECT_EQ(ParseStat("4242 (sleep)", &stat), ParseError::kSyntax);
  EXPECT_EQ(
      ParseStat("-1 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &stat),
      ParseError::kSyntax);
  EXPECT_EQ(
      ParseStat("1 (x) SS 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &stat),
      ParseError::kSyntax);
  EXPECT_EQ(
      ParseStat("1 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -7", &stat),
      ParseError::kSyntax)
      << "negative start time";
  EXPECT_EQ(ParseStat("1 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7", &stat),
            ParseError::kOk)
      << "field 22 last, no newline";
  EXPECT_EQ(stat.start_time, 7u);
}

TEST(ParseCmdlineTest, Table) {
  struct Case {
    std::string text;
    std::vector<std::string> args;
  };
  const Case kCases[] = {
      {""s, {}},  // kernel thread, zombie
      {"sleep\0"s
       "30\0"s,
       {"sleep", "30"}},
      {"sleep\0"s
       "30"s,
       {"sleep", "30"}},      // no final NUL
      {"a b c"s, {"a b c"}},  // setproctitle style
      {"\0"s, {""}},
      {"x\0\0"s, {"x", ""}},
  };
  for (const Case& c : kCases) {
    std::vector<std::string> args;
    EXPECT_EQ(ParseCmdline(c.text, &args), ParseError::kOk);
    EXPECT_EQ(args, c.args);
  }
  EXPECT_EQ(JoinCmdline({"sleep", "30"}), "sleep 30");
  EXPECT_EQ(JoinCmdline({"", "b"}), " b");  // an empty first argument
}

TEST(ParseBootIdTest, Table) {
  std::string boot8;
  EXPECT_EQ(ParseBootId("7D5F6B10-aaaa-bbbb-cccc-0123456789ab\n", &boot8),
            ParseError::kOk);
  EXPECT_EQ(boot8, "7d5f6b10");
  EXPECT_EQ(ParseBootId("", &boot8), ParseError::kEmpty);
  EXPECT_EQ(ParseBootId("7d5f6b10aaaabbbbcccc0123456789ab", &boot8),
            ParseError::kSyntax);
  EXPECT_EQ(ParseBootId("7d5f6b1g-aaaa-bbbb-cccc-0123456789ab", &boot8),
            ParseError::kSyntax);
  EXPECT_EQ(ParseBootId("7d5f6b10-aaaa-bbbb-cccc-0123456789ab\n\n", &boot8),
            ParseError::kSyntax);
}

TEST(ParseLockTargetTest, Table) {
  struct Case {
    std::string text;
    ParseError error;
    LockTarget::Kind kind;
    pid_t pid;
  };
  const auto kRecord = LockTarget::Kind::kRecord;
  const auto kLegacy = LockTarget::Kind::kLegacy;
  const Case kCases[] = {
      {"v1:3f2a9c1b:4026531836:1234567:myhost/4242", ParseError::kOk, kRecord,
       4242},
      {"/tmp/app/4242", ParseError::kOk, kLegacy, 4242},  // the original's
      {"4242", ParseError::kOk, kLegacy, 4242},
      {"", ParseError::kEmpty, kLegacy, 0},
      {"/tmp/app/", ParseError::kSyntax, kLegacy, 0},
      {"/tmp/app/0042", ParseError::kSyntax, kLegacy, 0},
      {"/tmp/app/-1", ParseError::kSyntax, kLegacy, 0},
      {"/tmp/app/0", ParseError::kRange, kLegacy, 0},
      {"/tmp/app/99999999999", ParseError::kRange, kLegacy, 0},
      {"garbage", ParseError::kSyntax, kLegacy, 0},
      {"v1:3f2a9c1b:4026531836:1234567/4242", ParseError::kSyntax, kRecord, 0},
      {"v1:3F2A9C1B:4026531836:1234567:h/4242", ParseError::kSyntax, kRecord,
       0},
      {"v1:3f2a9c1:4026531836:1234567:h/4242", ParseError::kSyntax, kRecord, 0},
      {"v1:3f2a9c1b:x:1234567:h/4242", ParseError::kSyntax, kRecord, 0},
      {"v1:3f2a9c1b:1:1:/4242", ParseError::kSyntax, kRecord, 0},  // no host
      {"v1:3f2a9c1b:1:1:a%2/4242", ParseError::kSyntax, kRecord, 0},
      {"v1:3f2a9c1b:1:1:a%41/4242", ParseError::kSyntax, kRecord, 0},
      {std::string(4096, '1'), ParseError::kTruncated, kLegacy, 0},
  };
  for (const Case& c : kCases) {
    LockTarget target;
    EXPECT_EQ(ParseLockTarget(c.text, &target), c.error) << c.text;
    if (c.error == ParseError::kOk) {
      EXPECT_EQ(target.kind, c.kind) << c.text;
      EXPECT_EQ(target.pid, c.pid) << c.text;
    }
  }
}

TEST(ParseLockTargetTest, RecordRoundTripsWithEncodedHost) {
  LockTarget target;
  target.kind = LockTarget::Kind::kRecord;
  target.pid = 1;
  target.boot8 = "0123abcd";
  target.pid_ns = 4026531836;
  target.start_time = 0;
  target.host = "a:b/c%d e\xff";
  const std::string text = FormatLockTarget(target);
  EXPECT_EQ(text, "v1:0123abcd:4026531836:0:a%3Ab%2Fc%25d%20e%FF/1");
  LockTarget parsed;
  ASSERT_EQ(ParseLockTarget(text, &parsed), ParseError::kOk);
  EXPECT_EQ(parsed.kind, LockTarget::Kind::kRecord);
  EXPECT_EQ(parsed.pid, 1);
  EXPECT_EQ(parsed.boot8, target.boot8);
  EXPECT_EQ(parsed.pid_ns, target.pid_ns);
  EXPECT_EQ(parsed.start_time, 0u);
  EXPECT_EQ(parsed.host, target.host);
}

}  // namespace
}  // namespace internal
}  // namespace pidlock
