// The child between clone and execve (child_init.hpp). Only system calls and the noexcept,
// non-allocating helpers of rootfs.cpp, capabilities.cpp and child_steps.cpp (the steps shared
// with `exec`'s child, whose results are reported here as `ChildStep`s).

#include "runtime/child_init.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <tuple>

namespace strata::runtime {
namespace {

// The shared steps' sub-steps (child_steps.hpp) as this child reports them.
constexpr ChildStep k_user_steps[] = {ChildStep::set_groups, ChildStep::set_uid,
                                      ChildStep::capabilities};
constexpr ChildStep k_cwd_steps[] = {ChildStep::chdir, ChildStep::getcwd};

ChildFailure fail(ChildStep step) noexcept {
  return {step, failed_errno()};
}

int loopback_up() noexcept {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    return -1;
  }
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", 3);
  int rc = ::ioctl(sock, SIOCGIFFLAGS, &request);
  if (rc == 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    rc = ::ioctl(sock, SIOCSIFFLAGS, &request);
  }
  const int saved = errno;
  ::close(sock);
  errno = saved;
  return rc;
}

ChildFailure prepare_namespaces(const ChildPlan& plan) noexcept {
  if (plan.network == NetworkMode::none && loopback_up() != 0) {
    return fail(ChildStep::loopback);
  }
  if (::sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
    return fail(ChildStep::hostname);
  }
  return setup_rootfs(plan.rootfs);
}

// The spec's stdio onto 0, 1, 2 (before every other fd is closed); a tty becomes the
// controlling terminal of the new session.
ChildFailure install_stdio(const ChildPlan& plan) noexcept {
  for (int target = 0; target < 3; ++target) {
    if (plan.stdio[target] >= 0 && plan.stdio[target] != target &&
        ::dup2(plan.stdio[target], target) < 0) {
      return fail(ChildStep::stdio);
    }
  }
  return {};
}

// The pty slave the parent sends ahead of the user message (one byte with SCM_RIGHTS).
ChildFailure receive_tty(int sock, int& tty_fd) noexcept {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  const cmsghdr* cmsg = n == 1 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS) {
    return {ChildStep::stdio, n < 0 ? errno : EPIPE};
  }
  std::memcpy(&tty_fd, CMSG_DATA(cmsg), sizeof tty_fd);
  return {};
}

ChildFailure lock_down(const ChildPlan& plan) noexcept {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(ChildStep::no_new_privs);
  }
  if (const int err = apply_capabilities(plan.capabilities); err != 0) {
    return {ChildStep::capabilities, err};
  }
  // Everything but the report pipe (close-on-exec: EOF tells the parent that exec worked).
  if (const int err = close_all_but(plan.report_write); err != 0) {
    return {ChildStep::close_fds, err};
  }
  return {ChildStep::seccomp, install_seccomp(plan.filter.get(), plan.user->filter_length)};
}

} // namespace

void child_main(ChildPlan& plan) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ::sigprocmask(SIG_SETMASK, &plan.saved_mask, nullptr);
  // Out of the caller's session and process group: a terminal's ^C reaches strata, which
  // forwards it once, as docker's CLI does; runc's default umask.
  ::setsid();
  ::umask(022);
  const int report = plan.report_write;
  if (const ChildFailure f = install_stdio(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  // The parent's fds (store locks, directories) are gone before anything else: no later step,
  // and no `-w /proc/self/fd/N`, can reach them (CVE-2024-21626).
  if (const int err = close_all_but(plan.sync_read, report); err != 0) {
    report_and_exit(report, ChildFailure{ChildStep::close_fds, err});
  }
  char go = 0;
  if (read_full(plan.sync_read, &go, 1) != 0) {
    ::_exit(1); // the parent gave up before letting us go
  }
  if (const ChildFailure f = prepare_namespaces(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  const ChildFailure ready{ChildStep::ready, 0};
  std::ignore = ::write(report, &ready, sizeof ready);
  int tty_fd = -1;
  if (plan.tty) {
    if (const ChildFailure f = receive_tty(plan.sync_read, tty_fd); f.err != 0) {
      report_and_exit(report, f);
    }
  }
  UserMessage& user = *plan.user;
  if (read_full(plan.sync_read, &user, sizeof user) != 0 ||
      user.filter_length > k_max_filter_length ||
      read_full(plan.sync_read, plan.filter.get(), user.filter_length * sizeof(sock_filter)) != 0) {
    report_and_exit(report, ChildFailure{ChildStep::read_user, EPIPE});
  }
  ::close(plan.sync_read);
  if (const ChildFailure f = remount_root_readonly(plan.rootfs); f.err != 0) {
    report_and_exit(report, f);
  }
  if (const auto f = reported_as<ChildFailure>(switch_user(user), k_user_steps); f.err != 0) {
    report_and_exit(report, f);
  }
  if (user.home_env[0] != '\0') {
    plan.command.envp[plan.command.envp.size() - 2] = user.home_env;
  }
  if (const auto f = reported_as<ChildFailure>(enter_cwd(plan.command.cwd.c_str()), k_cwd_steps);
      f.err != 0) {
    report_and_exit(report, f);
  }
  if (tty_fd >= 0) {
    if (const int err = set_controlling_terminal(tty_fd); err != 0) {
      report_and_exit(report, ChildFailure{ChildStep::stdio, err});
    }
    ::close(tty_fd);
  }
  if (const ChildFailure f =
          plan.stdin_mode == StdinMode::dev_null && plan.stdio[0] < 0 && !plan.tty
              ? ChildFailure{ChildStep::stdin_null, stdin_from_dev_null()}
              : ChildFailure{};
      f.err != 0) {
    report_and_exit(report, f);
  }
  if (const ChildFailure f = lock_down(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  report_and_exit(report, ChildFailure{ChildStep::exec, exec_command(plan.command)});
}

} // namespace strata::runtime
