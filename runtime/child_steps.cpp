// The steps both children share between clone and execve (child_steps.hpp): only system calls,
// no allocation, no exceptions.

#include "runtime/child_steps.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>

namespace strata::runtime {

int failed_errno() noexcept {
  return errno != 0 ? errno : EIO;
}

int read_full(int fd, void* buffer, std::size_t size) noexcept {
  auto* bytes = static_cast<char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::read(fd, bytes, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n == 0) {
      return EPIPE;
    }
    if (n < 0) {
      return failed_errno();
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

int close_all_but(int keep_a, int keep_b) noexcept {
  unsigned first = 3;
  for (const int keep : {std::min(keep_a, keep_b), std::max(keep_a, keep_b)}) {
    if (keep >= 3 && static_cast<unsigned>(keep) >= first) {
      if (static_cast<unsigned>(keep) > first &&
          ::syscall(SYS_close_range, first, static_cast<unsigned>(keep) - 1, 0U) != 0) {
        return failed_errno();
      }
      first = static_cast<unsigned>(keep) + 1;
    }
  }
  return ::syscall(SYS_close_range, first, ~0U, 0U) != 0 ? failed_errno() : 0;
}

int set_controlling_terminal(int tty_fd) noexcept {
  if (::ioctl(tty_fd, TIOCSCTTY, 0) != 0) {
    return failed_errno();
  }
  for (int target = 0; target < 3; ++target) {
    if (tty_fd != target && ::dup2(tty_fd, target) < 0) {
      return failed_errno();
    }
  }
  return 0;
}

int stdin_from_dev_null() noexcept {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::dup2(fd, STDIN_FILENO) < 0) {
    return failed_errno();
  }
  ::close(fd);
  return 0;
}

StepError<UserStep> switch_user(const UserMessage& user) noexcept {
  if (::syscall(SYS_setgroups, user.group_count, user.groups) != 0 ||
      ::syscall(SYS_setresgid, user.gid, user.gid, user.gid) != 0) {
    return {UserStep::set_groups, failed_errno()};
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
      ::syscall(SYS_setresuid, user.uid, user.uid, user.uid) != 0 ||
      ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return {UserStep::set_uid, failed_errno()};
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return {UserStep::capabilities, failed_errno()};
  }
  for (auto& d : data) {
    d.effective = d.permitted;
  }
  if (::syscall(SYS_capset, &header, data) != 0) {
    return {UserStep::capabilities, failed_errno()};
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  return {};
}

StepError<CwdStep> enter_cwd(const char* cwd) noexcept {
  if (::chdir(cwd) != 0) {
    return {CwdStep::chdir, failed_errno()};
  }
  char buffer[PATH_MAX];
  if (::getcwd(buffer, sizeof buffer) == nullptr) {
    return {CwdStep::getcwd, failed_errno()};
  }
  if (buffer[0] != '/') {
    return {CwdStep::getcwd, ENOENT};
  }
  return {};
}

int install_seccomp(const sock_filter* code, std::size_t length) noexcept {
  if (length == 0) {
    return 0;
  }
  // The kernel only reads the program; `sock_fprog` is not const-correct.
  sock_fprog program{static_cast<unsigned short>(length), const_cast<sock_filter*>(code)};
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0 ? failed_errno() : 0;
}

int exec_command(const CommandPlan& plan) noexcept {
  int result = ENOENT;
  for (char* const* candidate = plan.candidates.data(); *candidate != nullptr; ++candidate) {
    ::execve(*candidate, plan.argv.data(), plan.envp.data());
    const int err = errno;
    if (err == EACCES) {
      result = EACCES;
    } else if (err != ENOENT && err != ENOTDIR) {
      return err;
    }
  }
  return result;
}

} // namespace strata::runtime
