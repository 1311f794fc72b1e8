#include "common/file_util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace strata {
std::string read_fd(int fd, const std::string& name, std::size_t max_bytes) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("read", name);
    }
    if (n == 0) {
      return out;
    }
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      throw Error(ErrorKind::io, fmt::format("read {}: larger than {} bytes", name, max_bytes));
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  if (path == "-") {
    return read_fd(STDIN_FILENO, "standard input", max_bytes);
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      throw Error(ErrorKind::not_found, fmt::format("open {}: no such file or directory", path));
    }
    throw_errno("open", path);
  }
  return read_fd(fd.get(), path, max_bytes);
}

std::vector<std::string> list_directory(int dir_fd, const std::string& label) {
  UniqueFd fd(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open directory", label);
  }
  struct Closer {
    void operator()(DIR* dir) const noexcept { std::ignore = ::closedir(dir); }
  };
  const std::unique_ptr<DIR, Closer> dir(::fdopendir(fd.get()));
  if (!dir) {
    throw_errno("read directory", label);
  }
  std::ignore = fd.release(); // owned by `dir` now
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) {
        throw_errno("read directory", label);
      }
      return names;
    }
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
}

std::vector<std::string> list_directory(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    throw_errno("open directory", path);
  }
  return list_directory(fd.get(), path);
}

} // namespace strata
