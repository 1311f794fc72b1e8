#include "store/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/log.hpp"

namespace strata::store {
namespace {

std::string file_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Creates `<dir>/.<name>.tmp.XXXXXX` with O_CLOEXEC and returns its descriptor; fills `temp`.
UniqueFd create_temp(const std::string& path, std::string& temp) {
  const std::string name = file_name(path);
  if (name.empty() || name == "." || name == "..") {
    throw Error(ErrorKind::internal, fmt::format("atomic file: bad target path '{}'", path));
  }
  const std::string dir = parent_directory(path);
  temp = (dir == "/" ? "" : dir) + "/." + name + ".tmp.XXXXXX";
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    temp.clear();
    throw_errno("create temporary file for", path, err);
  }
  return fd;
}

} // namespace

std::string parent_directory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

void write_all(int fd, std::string_view bytes, const std::string& label) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("write", label);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void fsync_directory(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open directory", path);
  }
  if (::fsync(fd.get()) != 0) {
    throw_errno("fsync directory", path);
  }
}

AtomicFile::AtomicFile(std::string path, mode_t mode) : path_(std::move(path)) {
  fd_ = create_temp(path_, temp_path_);
  // mkostemp creates 0600; set the requested mode exactly (fchmod ignores the umask).
  if (::fchmod(fd_.get(), mode) != 0) {
    const int err = errno;
    const std::string temp = temp_path_;
    discard();
    throw_errno("chmod", temp, err);
  }
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), temp_path_(std::exchange(other.temp_path_, {})),
      fd_(std::move(other.fd_)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    path_ = std::move(other.path_);
    temp_path_ = std::exchange(other.temp_path_, {});
    fd_ = std::move(other.fd_);
  }
  return *this;
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() noexcept {
  fd_ = UniqueFd();
  if (temp_path_.empty()) {
    return;
  }
  if (::unlink(temp_path_.c_str()) != 0 && errno != ENOENT) {
    log::warn("cannot remove temporary file {}: {}", temp_path_, std::strerror(errno));
  }
  temp_path_.clear();
}

void AtomicFile::write(std::string_view bytes) {
  STRATA_CHECK(fd_.is_valid());
  write_all(fd_.get(), bytes, temp_path_);
}

// fsync before rename: without it a crash can leave the renamed target empty or partial on file
// systems that reorder data and metadata (the ext4 "zero-length file" problem).
void AtomicFile::flush_and_close() {
  STRATA_CHECK(fd_.is_valid());
  if (::fsync(fd_.get()) != 0) {
    const int err = errno;
    discard();
    throw_errno("fsync", path_, err);
  }
  try {
    fd_.close();
  } catch (...) {
    discard();
    throw;
  }
}

void AtomicFile::commit() {
  flush_and_close();
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    discard();
    throw_errno("rename temporary file to", path_, err);
  }
  temp_path_.clear();
  fsync_directory(parent_directory(path_));
}

bool AtomicFile::commit_if_absent() {
  flush_and_close();
  bool linked = false;
  int rc = ::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
    // The file system lacks RENAME_NOREPLACE; link(2) is the classic atomic "create if absent".
    rc = ::link(temp_path_.c_str(), path_.c_str());
    linked = true;
  }
  if (rc != 0) {
    const int err = errno;
    discard();
    if (err == EEXIST) {
      return false;
    }
    throw_errno("rename temporary file to", path_, err);
  }
  if (linked) {
    discard(); // the temporary name is a second link to the new target; drop it
  }
  temp_path_.clear(); // after a rename the name may already belong to someone else's new file
  fsync_directory(parent_directory(path_));
  return true;
}

void write_file_atomically(const std::string& path, std::string_view contents, mode_t mode) {
  AtomicFile file(path, mode);
  file.write(contents);
  file.commit();
}

bool write_file_if_absent(const std::string& path, std::string_view contents, mode_t mode) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    return false; // the common case: no temporary file, no fsync
  }
  if (errno != ENOENT) {
    throw_errno("stat", path);
  }
  AtomicFile file(path, mode);
  file.write(contents);
  return file.commit_if_absent();
}

void ensure_directory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) {
    fsync_directory(parent_directory(path));
    return;
  }
  if (errno != EEXIST) {
    throw_errno("create directory", path);
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw_errno("stat", path);
  }
  if (!S_ISDIR(info.st_mode)) {
    throw Error(ErrorKind::corrupt, fmt::format("{} exists but is not a directory", path));
  }
}

} // namespace strata::store
