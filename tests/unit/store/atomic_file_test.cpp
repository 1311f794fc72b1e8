#include "unit/store/store_test_support.hpp"
#include "store/atomic_file.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace strata::store {
namespace {

using test_support::entries;
using test_support::mode_of;

// Runs `body` in a forked child that leaves with `_exit`, skipping every destructor and atexit
// handler, as a crash would. Returns the child's wait status.
int run_in_child(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

class AtomicFileTest : public ::testing::Test {
protected:
  TempDir dir_{"atomic-file-test-"};
  std::string target_ = dir_.path() + "/target.json";
};

TEST_F(AtomicFileTest, CommitReplacesContent) {
  write_file_atomically(target_, "old");
  AtomicFile file(target_);
  file.write("new ");
  file.write("content");
  const std::string temp = file.temp_path();
  EXPECT_EQ(temp.rfind(dir_.path() + "/.target.json.tmp.", 0), 0U) << temp;
  EXPECT_EQ(read_file(target_), "old"); // invisible until commit
  EXPECT_EQ(read_file(temp), "new content");
  file.commit();
  EXPECT_EQ(read_file(target_), "new content");
  EXPECT_TRUE(file.temp_path().empty());
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"target.json"});
}

TEST_F(AtomicFileTest, CreatesMissingTarget) {
  write_file_atomically(target_, std::string(1 << 20, 'x'));
  EXPECT_EQ(read_file(target_), std::string(1 << 20, 'x'));
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"target.json"});
}

TEST_F(AtomicFileTest, UncommittedTempIsRemoved) {
  write_file_atomically(target_, "old");
  {
    AtomicFile file(target_);
    file.write("half-written");
    EXPECT_EQ(entries(dir_.path()).size(), 2U);
  }
  EXPECT_EQ(read_file(target_), "old");
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"target.json"});
}

TEST_F(AtomicFileTest, ExceptionBeforeCommitLeavesTargetAlone) {
  const auto update = [&] {
    AtomicFile file(target_);
    file.write("partial");
    throw std::runtime_error("serialisation failed");
  };
  EXPECT_THROW(update(), std::runtime_error);
  EXPECT_TRUE(entries(dir_.path()).empty());
}

TEST_F(AtomicFileTest, CrashBeforeCommitLeavesOldContent) {
  write_file_atomically(target_, "old");
  const int status = run_in_child([&] {
    AtomicFile file(target_);
    file.write("new content that never lands");
    ::_exit(0); // killed before commit: no destructor runs
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(read_file(target_), "old");
  // The crash leaves its temporary file as garbage; nothing reads it.
  const auto names = entries(dir_.path());
  ASSERT_EQ(names.size(), 2U);
  EXPECT_EQ(names[0].rfind(".target.json.tmp.", 0), 0U);
}

TEST_F(AtomicFileTest, ModeIsExactRegardlessOfUmask) {
  const mode_t old_umask = ::umask(077);
  write_file_atomically(target_, "x");
  write_file_atomically(dir_.path() + "/secret", "y", 0600);
  ::umask(old_umask);
  EXPECT_EQ(mode_of(target_), 0644U);
  EXPECT_EQ(mode_of(dir_.path() + "/secret"), 0600U);
}

TEST_F(AtomicFileTest, CommitIfAbsentNeverOverwrites) {
  AtomicFile first(target_);
  first.write("first");
  EXPECT_TRUE(first.commit_if_absent());
  AtomicFile second(target_);
  second.write("second");
  EXPECT_FALSE(second.commit_if_absent());
  EXPECT_EQ(read_file(target_), "first");
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"target.json"});
  EXPECT_FALSE(write_file_if_absent(target_, "third"));
  EXPECT_EQ(read_file(target_), "first");
}

TEST_F(AtomicFileTest, MoveTransfersOwnership) {
  AtomicFile original(target_);
  original.write("moved");
  AtomicFile moved(std::move(original));
  EXPECT_TRUE(original.temp_path().empty()); // NOLINT(bugprone-use-after-move): checking the state
  moved.write(" along");
  AtomicFile assigned(dir_.path() + "/other");
  assigned = std::move(moved); // discards the "other" temporary file
  assigned.commit();
  EXPECT_EQ(read_file(target_), "moved along");
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"target.json"});
}

TEST_F(AtomicFileTest, UseAfterCommitIsAnInternalError) {
  AtomicFile file(target_);
  file.commit();
  try {
    file.write("late");
    FAIL() << "write after commit succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::internal);
  }
}

TEST_F(AtomicFileTest, MissingDirectoryIsAnIoError) {
  try {
    AtomicFile file(dir_.path() + "/missing/target");
    FAIL() << "created a file in a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("missing/target"), std::string::npos) << e.what();
  }
}

TEST_F(AtomicFileTest, EnsureDirectory) {
  const std::string sub = dir_.path() + "/sub";
  ensure_directory(sub, 0700);
  ensure_directory(sub, 0700); // already there: fine
  EXPECT_EQ(mode_of(sub), 0700U);
  write_file_atomically(dir_.path() + "/file", "");
  try {
    ensure_directory(dir_.path() + "/file", 0700);
    FAIL() << "accepted a file as a directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::corrupt);
  }
}

TEST(ParentDirectory, Splits) {
  EXPECT_EQ(parent_directory("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_directory("/c"), "/");
  EXPECT_EQ(parent_directory("c"), ".");
  EXPECT_EQ(parent_directory("a/c"), "a");
}

} // namespace
} // namespace strata::store
