#pragma once
// Terminals for `run -t`/`exec -t`: a pseudo-terminal pair (made by `open_container_pty`,
// exec_target.hpp, from the container's own devpts), the caller's terminal in raw mode while
// attached, and window sizes (SIGWINCH). Parent side only.

#include "common/unique_fd.hpp"

#include <termios.h>

#include <optional>

namespace strata::runtime {

struct Pty {
  UniqueFd master; // the caller's end (O_CLOEXEC)
  UniqueFd slave;  // the container's stdio (O_CLOEXEC, O_NOCTTY)
};


// Puts `fd` in raw mode (cfmakeraw) for its lifetime when it is a terminal; restores the saved
// settings on destruction. A non-terminal fd makes it a no-op.
class RawTerminal {
public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

private:
  int fd_ = -1;
  std::optional<termios> saved_;
};

// Copies the window size of terminal `from` to terminal `to` (nothing when `from` is not one).
void copy_window_size(int from, int to) noexcept;

} // namespace strata::runtime
