#pragma once
// Test helper: runs a function in a forked child (credentials, seccomp and cgroup changes must
// not leak into the test process) and returns its exit status and what it wrote to `out_fd`.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace strata::runtime::testing {

struct ChildResult {
  int exit_code = -1; // -1 when killed by a signal
  int signal = 0;
  std::string output;
};

// Writes `text` to `fd`, ignoring errors (the parent sees what arrived).
inline void child_write(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) {
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// `fn(int out_fd) -> int` runs in the child; its return value is the exit code.
template <typename F> ChildResult run_in_child(F fn) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::abort();
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const int code = fn(fds[1]);
    ::_exit(code);
  }
  ::close(fds[1]);
  ChildResult result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) {
    result.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

} // namespace strata::runtime::testing
