// Terminals (terminal.hpp).

#include "runtime/terminal.hpp"

#include "common/error.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace strata::runtime {

RawTerminal::RawTerminal(int fd) {
  termios settings{};
  if (::isatty(fd) == 0 || ::tcgetattr(fd, &settings) != 0) {
    return;
  }
  saved_ = settings;
  fd_ = fd;
  ::cfmakeraw(&settings);
  // Keep output post-processing so "\n" from strata's own messages still returns the carriage.
  settings.c_oflag |= OPOST;
  ::tcsetattr(fd, TCSANOW, &settings);
}

RawTerminal::~RawTerminal() {
  if (saved_) {
    ::tcsetattr(fd_, TCSANOW, &*saved_);
  }
}

void copy_window_size(int from, int to) noexcept {
  winsize size{};
  if (::ioctl(from, TIOCGWINSZ, &size) == 0) {
    ::ioctl(to, TIOCSWINSZ, &size);
  }
}

} // namespace strata::runtime
