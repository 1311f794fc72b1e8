#pragma once
// The parent's owners for `run_container` (process.hpp): a close-on-exec `Pipe`, the
// `SignalBlock` of forwarded signals, and `ChildProcess`, the one owner of the container's PID 1.
//
// `ChildProcess` holds the pid and a pidfd (CLONE_PIDFD), so signals always reach this process
// and never a recycled PID. Its destructor SIGKILLs and reaps a child that was not waited for, so
// an exception never leaves a running container or a zombie (STYLE.md §4).
// Thread-safety: single owner, single thread.

#include "common/unique_fd.hpp"
#include "runtime/child_report.hpp"
#include "runtime/process.hpp"

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>

namespace strata::runtime {

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

// One `ChildFailure` from the report pipe, or nullopt at EOF.
[[nodiscard]] std::optional<ChildFailure> read_report(int fd);

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
  // Waits while forwarding the signals `block` holds blocked to the child.
  ContainerExit wait_forwarding(const SignalBlock& block);

private:
  ChildProcess(pid_t pid, UniqueFd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

} // namespace strata::runtime
