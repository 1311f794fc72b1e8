#include "common/file_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace strata {
namespace {

std::string read_all(int fd, const std::string& name, std::size_t max_bytes) {
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

} // namespace

std::string read_file(const std::string& path, std::size_t max_bytes) {
  if (path == "-") {
    return read_all(STDIN_FILENO, "standard input", max_bytes);
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      throw Error(ErrorKind::not_found, fmt::format("open {}: no such file or directory", path));
    }
    throw_errno("open", path);
  }
  return read_all(fd.get(), path, max_bytes);
}

} // namespace strata
