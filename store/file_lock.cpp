#include "store/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <tuple>
#include <utility>

#include "common/error.hpp"

namespace strata::store {
namespace {

UniqueFd open_lock_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
  if (!fd && errno == EISDIR) {
    fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  }
  if (!fd) {
    throw_errno("open lock file", path);
  }
  return fd;
}

int flock_operation(LockMode mode) {
  return mode == LockMode::shared ? LOCK_SH : LOCK_EX;
}

// Returns false on contention when `operation` contains LOCK_NB; throws on any other failure.
bool flock_retrying(int fd, int operation, const std::string& name) {
  while (::flock(fd, operation) != 0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno == EWOULDBLOCK && (operation & LOCK_NB) != 0) {
      return false;
    }
    throw_errno("lock", name);
  }
  return true;
}

} // namespace

FileLock::FileLock(const std::string& path, LockMode mode)
    : FileLock(open_lock_file(path), path, mode) {}

FileLock::FileLock(UniqueFd fd, std::string name, LockMode mode)
    : fd_(std::move(fd)), path_(std::move(name)), mode_(mode) {
  std::ignore = flock_retrying(fd_.get(), flock_operation(mode_), path_);
}

FileLock::FileLock(UniqueFd fd, std::string name, LockMode mode, AlreadyLocked) noexcept
    : fd_(std::move(fd)), path_(std::move(name)), mode_(mode) {}

std::optional<FileLock> FileLock::try_lock(const std::string& path, LockMode mode) {
  return try_lock(open_lock_file(path), path, mode);
}

std::optional<FileLock> FileLock::try_lock(UniqueFd fd, std::string name, LockMode mode) {
  if (!flock_retrying(fd.get(), flock_operation(mode) | LOCK_NB, name)) {
    return std::nullopt;
  }
  return FileLock(std::move(fd), std::move(name), mode, AlreadyLocked{});
}

} // namespace strata::store
