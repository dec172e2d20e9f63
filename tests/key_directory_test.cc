// Copyright 2026 The pidlock Authors. MIT License.
//
// The walk to the key directory (src/key_directory.h) against the real
// filesystem: every component checked, symlinks followed only when no one
// else can replace them, each failure naming the component. Another user is
// played by chown(2) to uid 65534, so the test needs root (it says so and
// skips otherwise).

#include "src/key_directory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/test_util.h"

namespace pidlock {
namespace internal {
namespace {

using testing::TempDir;

constexpr uid_t kOther = 65534;

class KeyDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to play another user";
    // TEST_TMPDIR may sit in a directory another user owns: the tests make
    // their own trusted tree under /tmp (sticky, root's).
    base_ = std::make_unique<TempDir>("/tmp");
    ASSERT_EQ(chmod(base_->path().c_str(), 0755), 0);
  }
  std::string Make(const std::string& name, mode_t mode, uid_t owner = 0) {
    const std::string path = base_->path() + "/" + name;
    EXPECT_EQ(mkdir(path.c_str(), mode), 0) << path;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    EXPECT_EQ(chown(path.c_str(), owner, owner), 0);
    return path;
  }
  // Opens <dir>/app; returns the error (code kOk when it opened).
  Error Open(const std::string& dir) {
    Error error;
    const int fd = OpenKeyDirectory(dir, "app", /*create=*/true, &error);
    if (fd >= 0) {
      close(fd);
      error.code = make_error_code(Errc::kOk);
    }
    return error;
  }
  std::unique_ptr<TempDir> base_;
};

TEST_F(KeyDirectoryTest, TrustedPathOpens) {
  const std::string dir = Make("locks", 0700);
  EXPECT_EQ(Open(dir).code, Errc::kOk) << Open(dir).Message();
  struct stat st;
  ASSERT_EQ(stat((dir + "/app").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(KeyDirectoryTest, DirectoryOwnedByAnotherUserIsRefused) {
  const std::string dir = Make("theirs", 0755, kOther);
  Error e = Open(dir);
  EXPECT_EQ(e.code, Errc::kPathComponentWrongOwner);
  EXPECT_EQ(e.path, dir);
  EXPECT_EQ(e.detail, "owned by uid 65534, mode 0755");
  // Not created: nothing is made in a directory that failed the check.
  EXPECT_NE(access((dir + "/app").c_str(), F_OK), 0);
}

TEST_F(KeyDirectoryTest, AncestorOwnedByAnotherUserIsRefused) {
  const std::string theirs = Make("theirs", 0755, kOther);
  const std::string dir = theirs + "/mine";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  Error e = Open(dir);
  EXPECT_EQ(e.code, Errc::kPathComponentWrongOwner);
  EXPECT_EQ(e.path, theirs);
}

TEST_F(KeyDirectoryTest, WritableWithoutStickyIsRefused) {
  for (mode_t mode : {mode_t{0777}, mode_t{0775}}) {
    const std::string dir = Make("open" + std::to_string(mode), mode);
    Error e = Open(dir);
    EXPECT_EQ(e.code, Errc::kPathComponentUnsafeMode) << mode;
    EXPECT_EQ(e.path, dir);
  }
}

TEST_F(KeyDirectoryTest, StickyDirectoryTrustsOnlyOurOwnEntries) {
  const std::string shared = Make("shared", 01777);
  EXPECT_EQ(Open(shared).code, Errc::kOk);  // <shared>/app is ours, 0700
  const std::string mine = shared + "/mine";
  ASSERT_EQ(mkdir(mine.c_str(), 0700), 0);
  EXPECT_EQ(Open(mine).code, Errc::kOk);
  // A squatter's directory in it, even 0700 to its owner.
  const std::string squatted = shared + "/squatted";
  ASSERT_EQ(mkdir(squatted.c_str(), 0755), 0);
  ASSERT_EQ(chown(squatted.c_str(), kOther, kOther), 0);
  Error e = Open(squatted);
  EXPECT_EQ(e.code, Errc::kPathComponentWrongOwner);
  EXPECT_EQ(e.path, squatted);
  EXPECT_NE(e.detail.find("uid 65534"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("others can write"), std::string::npos) << e.detail;
}

TEST_F(KeyDirectoryTest, SymlinksAreFollowedOnlyWhenNoOneElseCanReplaceThem) {
  const std::string target = Make("target", 0700);
  // In a directory only we can write: followed, and checked where it leads.
  const std::string link = base_->path() + "/link";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  EXPECT_EQ(Open(link).code, Errc::kOk);
  struct stat st;
  EXPECT_EQ(stat((target + "/app").c_str(), &st), 0);  // made in the target
  // Relative, and through "..".
  ASSERT_EQ(symlink("../target", (target + "/up").c_str()), 0);
  EXPECT_EQ(Open(target + "/up").code, Errc::kOk);
  EXPECT_EQ(Open(target + "/../target").code, Errc::kOk);
  // To a directory another user owns: refused there.
  const std::string theirs = Make("theirs", 0755, kOther);
  ASSERT_EQ(symlink(theirs.c_str(), (base_->path() + "/to-theirs").c_str()), 0);
  Error e = Open(base_->path() + "/to-theirs");
  EXPECT_EQ(e.code, Errc::kPathComponentWrongOwner);
  EXPECT_EQ(e.path, theirs);
  // A squatter's symlink in a sticky directory, even to a trusted place.
  const std::string shared = Make("shared", 01777);
  const std::string trap = shared + "/trap";
  ASSERT_EQ(symlink(target.c_str(), trap.c_str()), 0);
  ASSERT_EQ(lchown(trap.c_str(), kOther, kOther), 0);
  e = Open(trap);
  EXPECT_EQ(e.code, Errc::kPathComponentWrongOwner);
  EXPECT_EQ(e.path, trap);
  EXPECT_NE(e.detail.find("a symlink owned by uid 65534"), std::string::npos);
}

// The descriptor of a walked DIR is kept, but what can change is checked
// on every use: DIR's owner and mode, and that the path still names it.
TEST_F(KeyDirectoryTest, KeptDirectoryIsCheckedAgainOnEveryUse) {
  const std::string dir = Make("kept", 0700);
  ASSERT_EQ(Open(dir).code, Errc::kOk);
  ASSERT_EQ(chown(dir.c_str(), kOther, kOther), 0);
  EXPECT_EQ(Open(dir).code, Errc::kPathComponentWrongOwner);
  ASSERT_EQ(chown(dir.c_str(), 0, 0), 0);
  ASSERT_EQ(Open(dir).code, Errc::kOk);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  EXPECT_EQ(Open(dir).code, Errc::kPathComponentUnsafeMode);
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
  ASSERT_EQ(Open(dir).code, Errc::kOk);
  // Another directory now at the path (the kept one renamed away).
  ASSERT_EQ(rename(dir.c_str(), (dir + ".aside").c_str()), 0);
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(chown(dir.c_str(), kOther, kOther), 0);
  Error e = Open(dir);
  EXPECT_EQ(e.code, Errc::kPathComponentWrongOwner);
  EXPECT_EQ(e.path, dir);
}

TEST_F(KeyDirectoryTest, NotADirectoryNamesTheComponent) {
  const std::string file = base_->path() + "/file";
  ASSERT_EQ(close(open(file.c_str(), O_CREAT | O_WRONLY, 0600)), 0);
  Error e = Open(file);
  EXPECT_EQ(e.code, Errc::kPathComponentNotDirectory);
  EXPECT_EQ(e.path, file);
  const std::string loop = base_->path() + "/loop";
  ASSERT_EQ(symlink(loop.c_str(), loop.c_str()), 0);
  e = Open(loop);
  EXPECT_EQ(e.code, Errc::kPathComponentNotDirectory);
  EXPECT_EQ(e.detail, "more than 40 symlinks");
  e = Open(base_->path() + "/missing");
  EXPECT_EQ(e.code, std::errc::no_such_file_or_directory);
  EXPECT_EQ(e.path, base_->path() + "/missing");
}

TEST_F(KeyDirectoryTest, SearchPermissionIsEnough) {
  // A directory we may enter but not list, as path resolution allows.
  const std::string dir = Make("enter-only", 0711);
  EXPECT_EQ(Open(dir).code, Errc::kOk);
}

TEST_F(KeyDirectoryTest, RelativeDirectoryIsWalkedFromTheRoot) {
  const std::string dir = Make("rel", 0700);
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(base_->path().c_str()), 0);
  EXPECT_EQ(Open("rel").code, Errc::kOk);
  const std::string theirs = Make("theirs", 0755, kOther);
  EXPECT_EQ(Open("theirs").code, Errc::kPathComponentWrongOwner);
  ASSERT_EQ(chdir(cwd), 0);
}

}  // namespace
}  // namespace internal
}  // namespace pidlock
