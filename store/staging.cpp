#include "store/staging.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <tuple>
#include <vector>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/scope_exit.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/atomic_file.hpp"

namespace strata::store {
namespace {

UniqueFd open_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    throw_errno("open directory", path);
  }
  return fd;
}


} // namespace

StagingDir::StagingDir(const std::string& parent, std::string_view prefix) {
  std::string dir = parent + "/" + std::string(prefix) + "XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    throw_errno("create staging directory in", parent);
  }
  ScopeExit cleanup([&dir] { std::ignore = ::rmdir(dir.c_str()); });
  lock_.emplace(open_dir(dir), dir, LockMode::exclusive);
  cleanup.release();
  path_ = std::move(dir);
}

StagingDir::~StagingDir() {
  if (!lock_ || published_) {
    return;
  }
  try {
    remove_tree(path_);
  } catch (const std::exception& e) {
    log::warn("cannot remove staging directory {}: {}", path_, e.what());
  }
}

bool StagingDir::publish_as(const std::string& target) {
  STRATA_CHECK(lock_ && !published_);
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return false;
    }
    throw_errno("rename " + path_ + " to", target);
  }
  published_ = true;
  fsync_directory(parent_directory(target));
  return true;
}

std::size_t remove_stale_staging(const std::string& dir) {
  std::size_t removed = 0;
  for (const auto& name : list_directory(dir)) {
    const std::string full = dir + "/" + name;
    UniqueFd fd(::open(full.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
      if (errno == ENOENT) {
        continue;
      }
      if (::unlink(full.c_str()) == 0) { // a stray file or symlink (e.g. an AtomicFile temp)
        ++removed;
      }
      continue;
    }
    const auto lock = FileLock::try_lock(std::move(fd), full, LockMode::exclusive);
    if (!lock) {
      continue; // a live owner
    }
    struct stat info {};
    if (::fstat(lock->fd(), &info) == 0 && info.st_nlink == 0) {
      continue; // removed by its owner after we listed it
    }
    remove_tree(full);
    ++removed;
  }
  return removed;
}

} // namespace strata::store
