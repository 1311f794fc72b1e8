#include "common/unique_fd.hpp"

#include <unistd.h>

#include <tuple>

#include "common/error.hpp"

namespace strata {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      std::ignore = ::close(fd_);
    }
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    std::ignore = ::close(fd_);
  }
}

int UniqueFd::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::close() {
  if (fd_ < 0) {
    return;
  }
  const int fd = release();
  if (::close(fd) != 0) {
    throw_errno("close fd", std::to_string(fd));
  }
}

} // namespace strata
