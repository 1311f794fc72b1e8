// The child between clone and execve (child_init.hpp). Only system calls and the noexcept,
// non-allocating helpers of rootfs.cpp and capabilities.cpp. Credentials are changed
// with raw system calls: glibc's setuid would try to broadcast to threads copied from a possibly
// multi-threaded parent, which do not exist in this process.

#include "runtime/child_init.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

namespace strata::runtime {
namespace {

[[noreturn]] void report_and_exit(int fd, ChildFailure failure) noexcept {
  const ChildFailure report = failure;
  std::ignore = ::write(fd, &report, sizeof report);
  ::_exit(1);
}

ChildFailure fail(ChildStep step) noexcept {
  return {step, errno != 0 ? errno : EIO};
}

bool read_full(int fd, void* buffer, std::size_t size) noexcept {
  auto* bytes = static_cast<char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::read(fd, bytes, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
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

// setgroups/setgid/setuid keeping the permitted set (PR_SET_KEEPCAPS), then the effective set
// restored so `apply_capabilities` may shrink the bounding set.
ChildFailure switch_user(const UserMessage& user) noexcept {
  if (::syscall(SYS_setgroups, user.group_count, user.groups) != 0 ||
      ::syscall(SYS_setresgid, user.gid, user.gid, user.gid) != 0) {
    return fail(ChildStep::set_groups);
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
      ::syscall(SYS_setresuid, user.uid, user.uid, user.uid) != 0 ||
      ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return fail(ChildStep::set_uid);
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return fail(ChildStep::capabilities);
  }
  for (auto& d : data) {
    d.effective = d.permitted;
  }
  if (::syscall(SYS_capset, &header, data) != 0) {
    return fail(ChildStep::capabilities);
  }
  return {};
}

// CVE-2024-21626: a cwd outside the new root (a leaked fd, a racing mount) shows up as a getcwd
// failure or a path not starting with '/'.
ChildFailure enter_cwd(const ChildPlan& plan) noexcept {
  if (::chdir(plan.cwd.c_str()) != 0) {
    return fail(ChildStep::chdir);
  }
  char buffer[PATH_MAX];
  if (::getcwd(buffer, sizeof buffer) == nullptr) {
    return fail(ChildStep::getcwd);
  }
  if (buffer[0] != '/') {
    return {ChildStep::getcwd, ENOENT};
  }
  return {};
}

ChildFailure stdin_from_dev_null() noexcept {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::dup2(fd, STDIN_FILENO) < 0) {
    return fail(ChildStep::stdin_null);
  }
  ::close(fd);
  return {};
}

// The spec's stdio onto 0, 1, 2 (before every other fd is closed); a tty becomes the
// controlling terminal of the new session.
ChildFailure install_stdio(const ChildPlan& plan) noexcept {
  if (plan.tty_fd >= 0) {
    if (::ioctl(plan.tty_fd, TIOCSCTTY, 0) != 0) {
      return fail(ChildStep::stdio);
    }
    for (int target = 0; target < 3; ++target) {
      if (::dup2(plan.tty_fd, target) < 0) {
        return fail(ChildStep::stdio);
      }
    }
    return {};
  }
  for (int target = 0; target < 3; ++target) {
    if (plan.stdio[target] >= 0 && plan.stdio[target] != target &&
        ::dup2(plan.stdio[target], target) < 0) {
      return fail(ChildStep::stdio);
    }
  }
  return {};
}

// Closes every fd from 3 up except `keep_a` and `keep_b` (either may be -1).
int close_all_but(int keep_a, int keep_b) noexcept {
  const unsigned lo = static_cast<unsigned>(
      std::min(keep_a, keep_b) < 3 ? std::max(keep_a, keep_b) : std::min(keep_a, keep_b));
  const unsigned hi = static_cast<unsigned>(std::max(keep_a, keep_b));
  unsigned first = 3;
  for (const unsigned keep : {lo, hi}) {
    if (keep >= 3 && keep >= first) {
      if (keep > first && ::syscall(SYS_close_range, first, keep - 1, 0U) != 0) {
        return -1;
      }
      first = keep + 1;
    }
  }
  return static_cast<int>(::syscall(SYS_close_range, first, ~0U, 0U));
}

ChildFailure lock_down(const ChildPlan& plan) noexcept {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(ChildStep::no_new_privs);
  }
  if (const int err = apply_capabilities(plan.capabilities); err != 0) {
    return {ChildStep::capabilities, err};
  }
  // Everything but the report pipe (close-on-exec: EOF tells the parent that exec worked).
  if (close_all_but(plan.report_write, -1) != 0) {
    return fail(ChildStep::close_fds);
  }
  const std::uint32_t length = plan.user->filter_length;
  if (length > 0) {
    sock_fprog program{static_cast<unsigned short>(length), plan.filter.get()};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
      return fail(ChildStep::seccomp);
    }
  }
  return {};
}

// execvp's loop over the precomputed candidates (exec_path.hpp).
int exec_candidates(const ChildPlan& plan) noexcept {
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
  if (close_all_but(plan.sync_read, report) != 0) {
    report_and_exit(report, fail(ChildStep::close_fds));
  }
  char go = 0;
  if (!read_full(plan.sync_read, &go, 1)) {
    ::_exit(1); // the parent gave up before letting us go
  }
  if (const ChildFailure f = prepare_namespaces(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  const ChildFailure ready{ChildStep::ready, 0};
  std::ignore = ::write(report, &ready, sizeof ready);
  UserMessage& user = *plan.user;
  if (!read_full(plan.sync_read, &user, sizeof user) || user.filter_length > k_max_filter_length ||
      !read_full(plan.sync_read, plan.filter.get(), user.filter_length * sizeof(sock_filter))) {
    report_and_exit(report, {ChildStep::read_user, EPIPE});
  }
  ::close(plan.sync_read);
  if (const ChildFailure f = remount_root_readonly(plan.rootfs); f.err != 0) {
    report_and_exit(report, f);
  }
  if (const ChildFailure f = switch_user(user); f.err != 0) {
    report_and_exit(report, f);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); // cleared by the credential change
  if (user.home_env[0] != '\0') {
    plan.envp[plan.envp.size() - 2] = user.home_env;
  }
  if (const ChildFailure f = enter_cwd(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  if (const ChildFailure f =
          plan.stdin_mode == StdinMode::dev_null && plan.stdio[0] < 0 && plan.tty_fd < 0
              ? stdin_from_dev_null()
              : ChildFailure{};
      f.err != 0) {
    report_and_exit(report, f);
  }
  if (const ChildFailure f = lock_down(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  report_and_exit(report, {ChildStep::exec, exec_candidates(plan)});
}

} // namespace strata::runtime
