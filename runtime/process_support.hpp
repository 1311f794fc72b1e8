#pragma once
// The parent's owners for `run_container` (process.hpp) and `ExecProcess` (exec_process.hpp): a
// close-on-exec `Pipe` and the reading of a child's reports, the `SignalBlock` of forwarded
// signals, and `ChildProcess`, the one owner of the container's PID 1 (or the exec'd command).
//
// `ChildProcess` holds the pid and a pidfd (CLONE_PIDFD), so signals always reach this process
// and never a recycled PID. Its destructor SIGKILLs and reaps a child that was not waited for, so
// an exception never leaves a running container or a zombie (STYLE.md §4).
// Thread-safety: single owner, single thread.

#include "common/unique_fd.hpp"
#include "runtime/process.hpp"

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace strata::runtime {

class IoRelay;

// A one-way channel, close-on-exec at both ends: a pipe, or a socket pair for the parent's
// messages to the child, so a child that died gives EPIPE and never a SIGPIPE (crun's sync socket).
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
  [[nodiscard]] static Pipe make();
  [[nodiscard]] static Pipe make_socket();
};

// Sends all of `data` on a `make_socket` write end (EINTR retried, MSG_NOSIGNAL); `Error{io}`
// otherwise (EPIPE: the child died).
void send_all(int fd, const void* data, std::size_t size);

// One report (`ChildFailure`, `ExecFailure`) from a child's report pipe, or nullopt at EOF. `who`
// ("container", "exec") names the pipe in errors: `Error{io}` "read the WHO's report pipe: …",
// `Error{child_failed}` "WHO setup: truncated report".
template <typename Report>
[[nodiscard]] std::optional<Report> read_report(int fd, std::string_view who);

// `read_report`'s untyped core: false at EOF before the first byte.
[[nodiscard]] bool read_report_bytes(int fd, void* report, std::size_t size, std::string_view who);

// Blocks SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 and SIGWINCH for its lifetime (the
// child restores `saved()` before exec); `ChildProcess::wait_forwarding` reads them.
class SignalBlock {
public:
  SignalBlock();
  ~SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
  [[nodiscard]] const sigset_t& saved() const noexcept { return saved_; }
  [[nodiscard]] const sigset_t& blocked() const noexcept { return blocked_; }

private:
  sigset_t saved_{};
  sigset_t blocked_{};
};

class ChildProcess {
public:
  // clone3 (clone when the kernel or a seccomp filter says ENOSYS) with `ns_flags` | CLONE_PIDFD;
  // the child runs `entry(arg)`, which must not return.
  [[nodiscard]] static ChildProcess spawn(int ns_flags, void (*entry)(void*), void* arg);
  template <typename F> [[nodiscard]] static ChildProcess spawn(int ns_flags, F& fn) {
    return spawn(
        ns_flags, [](void* p) { (*static_cast<F*>(p))(); }, &fn);
  }

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] int pidfd() const noexcept { return pidfd_.get(); }
  // Reaps the child (blocking) and returns how it ended.
  ContainerExit wait();
  // Waits while forwarding the signals `block` holds blocked to the child (unless `io` consumes
  // them: SIGWINCH with a tty) and relaying `io` when given; then reaps the child. `io` is not
  // drained.
  // `forward` false: nothing is forwarded (the signals stay pending for the caller's handling).
  ContainerExit wait_forwarding(const SignalBlock& block, IoRelay* io = nullptr,
                                bool forward = true);

private:
  ChildProcess(pid_t pid, UniqueFd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

// ---------------------------------------------------------------------------------------------

template <typename Report> std::optional<Report> read_report(int fd, std::string_view who) {
  Report report;
  if (!read_report_bytes(fd, &report, sizeof report, who)) {
    return std::nullopt;
  }
  return report;
}

} // namespace strata::runtime
