// The parent's owners and report reading for both children (process_support.hpp).

#include "runtime/process_support.hpp"

#include "common/error.hpp"
#include "runtime/io_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <utility>
#include <vector>

namespace strata::runtime {
namespace {

constexpr std::array k_forwarded = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};

// The kernel's `struct clone_args` (linux/sched.h clashes with glibc's <sched.h>).
struct CloneArgs {
  std::uint64_t flags = 0;
  std::uint64_t pidfd = 0;
  std::uint64_t child_tid = 0;
  std::uint64_t parent_tid = 0;
  std::uint64_t exit_signal = 0;
  std::uint64_t stack = 0;
  std::uint64_t stack_size = 0;
  std::uint64_t tls = 0;
};

constexpr unsigned long k_clone_pidfd = 0x00001000; // CLONE_PIDFD

pid_t clone_with_pidfd(int ns_flags, int* pidfd) noexcept {
  CloneArgs args;
  args.flags = static_cast<std::uint64_t>(ns_flags) | k_clone_pidfd;
  args.pidfd = reinterpret_cast<std::uintptr_t>(pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS) {
    // clone(flags, stack, parent_tid, child_tid, tls) on x86-64: the pidfd goes to parent_tid.
    pid = ::syscall(SYS_clone, static_cast<unsigned long>(ns_flags) | k_clone_pidfd | SIGCHLD,
                    nullptr, pidfd, nullptr, nullptr);
  }
  return static_cast<pid_t>(pid);
}

ContainerExit exit_of(int status) noexcept {
  if (WIFSIGNALED(status)) {
    return {ContainerExit::How::signaled, WTERMSIG(status)};
  }
  return {ContainerExit::How::exited, WEXITSTATUS(status)};
}

} // namespace

Pipe Pipe::make() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw_errno("pipe2");
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Pipe Pipe::make_socket() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw_errno("socketpair");
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void send_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_errno("write to the container's setup pipe");
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

bool read_report_bytes(int fd, void* report, std::size_t size, std::string_view who) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, static_cast<char*>(report) + got, size - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_errno(fmt::format("read the {}'s report pipe", who));
    }
    if (n == 0) {
      if (got == 0) {
        return false;
      }
      throw Error(ErrorKind::child_failed, fmt::format("{} setup: truncated report", who));
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

SignalBlock::SignalBlock() {
  ::sigemptyset(&blocked_);
  for (const int sig : k_forwarded) {
    ::sigaddset(&blocked_, sig);
  }
  if (::sigprocmask(SIG_BLOCK, &blocked_, &saved_) != 0) {
    throw_errno("sigprocmask");
  }
}

SignalBlock::~SignalBlock() {
  ::sigprocmask(SIG_SETMASK, &saved_, nullptr);
}

ChildProcess ChildProcess::spawn(int ns_flags, void (*entry)(void*), void* arg) {
  int pidfd = -1;
  const pid_t pid = clone_with_pidfd(ns_flags, &pidfd);
  if (pid < 0) {
    throw_errno("clone3 (new mount, PID, UTS and IPC namespaces)");
  }
  if (pid == 0) {
    entry(arg);
    ::_exit(127);
  }
  return {pid, UniqueFd(pidfd)};
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

ContainerExit ChildProcess::wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      throw_errno("waitpid");
    }
  }
  pid_ = -1;
  return exit_of(status);
}

ContainerExit ChildProcess::wait_forwarding(const SignalBlock& block, IoRelay* io, bool forward) {
  const UniqueFd signals(forward ? ::signalfd(-1, &block.blocked(), SFD_CLOEXEC) : -2);
  if (forward && !signals) {
    throw_errno("signalfd");
  }
  std::vector<pollfd> fds;
  while (true) {
    fds.assign({{pidfd_.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}});
    if (io != nullptr) {
      io->add_pollfds(fds);
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("poll");
    }
    if ((fds[0].revents & POLLIN) != 0) {
      return wait();
    }
    signalfd_siginfo info{};
    if ((fds[1].revents & POLLIN) != 0 &&
        ::read(signals.get(), &info, sizeof info) == sizeof info &&
        (io == nullptr || !io->on_signal(static_cast<int>(info.ssi_signo)))) {
      ::syscall(SYS_pidfd_send_signal, pidfd_.get(), static_cast<int>(info.ssi_signo), nullptr, 0);
    }
    if (io != nullptr) {
      io->handle(fds.data() + 2);
    }
  }
}

} // namespace strata::runtime
