// common/: the error type, the RAII owners and the bounded file reader.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/scope_exit.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"

using namespace strata;

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

} // namespace

TEST(Error, RendersContextPositionAndErrno) {
  Error plain(ErrorKind::io, "mount overlay on /x/merged", EBUSY);
  EXPECT_EQ(std::string(plain.what()), "mount overlay on /x/merged: Device or resource busy");
  plain.add_context("step 3/7 RUN make");
  EXPECT_EQ(std::string(plain.what()), "step 3/7 RUN make: mount overlay on /x/merged: Device or resource busy");
  EXPECT_EQ(plain.message(), "mount overlay on /x/merged");
  EXPECT_EQ(plain.sys_errno(), EBUSY);

  Error located(ErrorKind::parse, "unknown flag --form", SourceRange{"Dockerfile", 7, 6, 7});
  EXPECT_EQ(std::string(located.what()), "Dockerfile:7:6: unknown flag --form");
  EXPECT_EQ(located.kind(), ErrorKind::parse);
  EXPECT_EQ(to_string(located.kind()), "parse");
}

TEST(Error, ThrowErrnoNamesOperationAndOperand) {
  try {
    throw_errno("open", "/nonexistent", ENOENT);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_EQ(std::string(e.what()), "open /nonexistent: No such file or directory");
  }
}

TEST(Error, CheckThrowsInternalWithPlace) {
  try {
    STRATA_CHECK(1 + 1 == 3);
    FAIL() << "STRATA_CHECK did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::internal);
    EXPECT_NE(std::string(e.what()).find("1 + 1 == 3"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("common_test.cpp"), std::string::npos);
  }
}

TEST(UniqueFd, ClosesOnceAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.is_valid()); // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.get(), raw);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1); // closed by the last owner
  EXPECT_EQ(errno, EBADF);
}

TEST(UniqueFd, ExplicitCloseAndRelease) {
  UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  fd.close();
  EXPECT_FALSE(fd);
  fd.close(); // closing an empty wrapper is a no-op
  UniqueFd kept(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = kept.release();
  EXPECT_FALSE(kept);
  EXPECT_EQ(::close(raw), 0);
}

TEST(ScopeExit, RunsUnlessReleased) {
  int runs = 0;
  {
    ScopeExit guard([&] { ++runs; });
  }
  {
    ScopeExit guard([&] { ++runs; });
    guard.release();
  }
  EXPECT_EQ(runs, 1);
}

TEST(TempDir, CreatesPrivateDirectoryAndRemovesTree) {
  std::string path;
  {
    TempDir dir("strata-test-");
    path = dir.path();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700U);
    ASSERT_EQ(::mkdir((path + "/a").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((path + "/a/b").c_str(), 0755), 0);
    write(path + "/a/b/file", "x");
    ASSERT_EQ(::chmod((path + "/a/b").c_str(), 0500), 0); // read-only dirs are still removed
  }
  EXPECT_FALSE(exists(path));
}

TEST(TempDir, RemovalDoesNotFollowSymlinks) {
  TempDir outside("strata-outside-");
  write(outside.path() + "/precious", "keep me");
  std::string path;
  {
    TempDir dir("strata-test-");
    path = dir.path();
    ASSERT_EQ(::symlink(outside.path().c_str(), (path + "/link").c_str()), 0);
    ASSERT_EQ(::mkdir((path + "/d").c_str(), 0755), 0);
    ASSERT_EQ(::symlink((outside.path() + "/precious").c_str(), (path + "/d/file-link").c_str()), 0);
  }
  EXPECT_FALSE(exists(path));
  EXPECT_TRUE(exists(outside.path() + "/precious"));
}

TEST(TempDir, ReleaseKeepsTheDirectory) {
  std::string path;
  {
    TempDir dir("strata-test-");
    path = dir.release();
  }
  EXPECT_TRUE(exists(path));
  remove_tree(path);
  EXPECT_FALSE(exists(path));
  remove_tree(path); // a missing path is fine
}

TEST(ReadFile, ReadsAndBounds) {
  TempDir dir("strata-test-");
  write(dir.path() + "/f", "hello");
  EXPECT_EQ(read_file(dir.path() + "/f"), "hello");
  try {
    (void)read_file(dir.path() + "/f", 3);
    FAIL() << "expected a size error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("larger than 3 bytes"), std::string::npos);
  }
  try {
    (void)read_file(dir.path() + "/missing");
    FAIL() << "expected not_found";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("/missing"), std::string::npos);
  }
}
