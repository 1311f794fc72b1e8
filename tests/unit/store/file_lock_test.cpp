#include "unit/store/store_test_support.hpp"
#include "store/file_lock.hpp"

#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace strata::store {
namespace {

using test_support::exit_code_of;
using test_support::start_child;

// Runs `body` in a forked child and returns its exit code.
int run_child(const std::function<int()>& body) {
  return exit_code_of(start_child(body));
}

// In a child: 0 if `try_lock(path, mode)` is granted, 1 if refused.
int child_try(const std::string& path, LockMode mode) {
  return run_child([&] { return FileLock::try_lock(path, mode) ? 0 : 1; });
}

struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end = UniqueFd(fds[0]);
    write_end = UniqueFd(fds[1]);
  }
  // Whether a byte arrives within `ms` milliseconds.
  bool readable_within(int ms) const {
    pollfd p{read_end.get(), POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }
  UniqueFd read_end;
  UniqueFd write_end;
};

class FileLockTest : public ::testing::Test {
protected:
  TempDir dir_{"file-lock-test-"};
  std::string path_ = dir_.path() + "/store.lock";
};

TEST_F(FileLockTest, CreatesMissingLockFile) {
  const FileLock lock(path_, LockMode::exclusive);
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0600U);
  EXPECT_EQ(lock.mode(), LockMode::exclusive);
  EXPECT_EQ(lock.path(), path_);
  EXPECT_NE(::fcntl(lock.fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(FileLockTest, SharedLocksAreCompatibleAcrossProcesses) {
  const FileLock lock(path_, LockMode::shared);
  EXPECT_EQ(child_try(path_, LockMode::shared), 0);
  EXPECT_EQ(child_try(path_, LockMode::exclusive), 1);
}

TEST_F(FileLockTest, ExclusiveExcludesEveryoneAcrossProcesses) {
  const FileLock lock(path_, LockMode::exclusive);
  EXPECT_EQ(child_try(path_, LockMode::shared), 1);
  EXPECT_EQ(child_try(path_, LockMode::exclusive), 1);
}

TEST_F(FileLockTest, LocksAreFreeWhenNobodyHoldsThem) {
  EXPECT_EQ(child_try(path_, LockMode::exclusive), 0);
  { const FileLock lock(path_, LockMode::exclusive); }
  EXPECT_EQ(child_try(path_, LockMode::exclusive), 0);
}

// flock locks belong to the open file description, so two objects in one process conflict.
TEST_F(FileLockTest, TwoObjectsInOneProcessConflict) {
  std::optional<FileLock> held = FileLock::try_lock(path_, LockMode::exclusive);
  ASSERT_TRUE(held);
  EXPECT_FALSE(FileLock::try_lock(path_, LockMode::shared));
  FileLock moved = std::move(*held);
  held.reset(); // a moved-from lock releases nothing
  EXPECT_FALSE(FileLock::try_lock(path_, LockMode::exclusive));
  { const FileLock sink = std::move(moved); }
  EXPECT_TRUE(FileLock::try_lock(path_, LockMode::exclusive));
}

TEST_F(FileLockTest, BlockingAcquireWaitsForRelease) {
  std::optional<FileLock> held(std::in_place, path_, LockMode::exclusive);
  Pipe pipe;
  const pid_t child = start_child([&] {
    held.reset(); // drop the inherited descriptor; closing it does not unlock the parent's lock
    const FileLock lock(path_, LockMode::shared); // blocks until the parent lets go
    return ::write(pipe.write_end.get(), "x", 1) == 1 ? 0 : 1;
  });
  EXPECT_FALSE(pipe.readable_within(300)); // still blocked
  held.reset();
  EXPECT_TRUE(pipe.readable_within(10000));
  EXPECT_EQ(exit_code_of(child), 0);
}

TEST_F(FileLockTest, KilledHolderReleasesTheLock) {
  Pipe pipe;
  const pid_t child = start_child([&] {
    const FileLock lock(path_, LockMode::exclusive);
    std::ignore = ::write(pipe.write_end.get(), "x", 1);
    ::pause();
    return 0;
  });
  ASSERT_TRUE(pipe.readable_within(10000));
  EXPECT_FALSE(FileLock::try_lock(path_, LockMode::shared));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  EXPECT_EQ(exit_code_of(child), 128 + SIGKILL);
  EXPECT_TRUE(FileLock::try_lock(path_, LockMode::exclusive));
}

TEST_F(FileLockTest, LocksADirectory) {
  const std::string sub = dir_.path() + "/ingest";
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  const FileLock lock(sub, LockMode::exclusive);
  EXPECT_EQ(child_try(sub, LockMode::exclusive), 1);
  UniqueFd fd(::open(sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  EXPECT_FALSE(FileLock::try_lock(std::move(fd), sub, LockMode::shared));
}

TEST_F(FileLockTest, MissingDirectoryIsAnIoError) {
  try {
    const FileLock lock(dir_.path() + "/missing/x.lock", LockMode::shared);
    FAIL() << "locked a file in a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.sys_errno(), ENOENT);
  }
}

TEST_F(FileLockTest, DoesNotFollowSymlinks) {
  const std::string victim = dir_.path() + "/victim";
  ASSERT_EQ(::symlink(victim.c_str(), path_.c_str()), 0);
  EXPECT_THROW(FileLock(path_, LockMode::shared), Error);
  EXPECT_NE(::access(victim.c_str(), F_OK), 0); // not created through the link
}

} // namespace
} // namespace strata::store
