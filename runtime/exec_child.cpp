// The exec'd process between clone3 and execve (exec_child.hpp). Only system calls and the
// noexcept, non-allocating `apply_capabilities`. Credentials are changed with raw system calls:
// glibc's setuid would try to broadcast to threads copied from a possibly multi-threaded parent,
// which do not exist in this process.
//
// The user switch, the cwd check, the fd closing and the PATH loop follow child_init.cpp (the
// container's own PID 1) step for step; they differ in what comes before (joining namespaces
// instead of building them) and are kept apart so neither child grows a mode flag.

#include "runtime/exec_child.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <tuple>

namespace strata::runtime {
namespace {

[[noreturn]] void report_and_exit(int fd, ExecFailure failure) noexcept {
  const ExecFailure report = failure;
  std::ignore = ::write(fd, &report, sizeof report);
  ::_exit(1);
}

ExecFailure fail(ExecStep step) noexcept {
  return {step, errno != 0 ? errno : EIO};
}

// The byte that says the parent has put this process in the container's cgroup.
ExecFailure wait_for_parent(int fd) noexcept {
  char go = 0;
  while (true) {
    const ssize_t n = ::read(fd, &go, 1);
    if (n == 1) {
      return {};
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return {ExecStep::wait_parent, n == 0 ? EPIPE : errno};
  }
}

// 0, 1 and 2: the pty slave as the controlling terminal of the new session, or the caller's
// stdout/stderr and stdin (the host's /dev/null without `-i`, opened before the mount namespace
// is joined: the container's /dev is the container's to replace).
ExecFailure install_stdio(const ExecChildPlan& plan) noexcept {
  if (plan.tty_fd >= 0) {
    if (::ioctl(plan.tty_fd, TIOCSCTTY, 0) != 0) {
      return fail(ExecStep::terminal);
    }
    for (int target = 0; target < 3; ++target) {
      if (plan.tty_fd != target && ::dup2(plan.tty_fd, target) < 0) {
        return fail(ExecStep::terminal);
      }
    }
    return {};
  }
  if (plan.stdin_mode == StdinMode::inherit) {
    return {};
  }
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::dup2(fd, STDIN_FILENO) < 0) {
    return fail(ExecStep::stdin_null);
  }
  ::close(fd);
  return {};
}

ExecFailure join_namespaces(const ExecChildPlan& plan) noexcept {
  for (const NamespaceJoin& ns : plan.namespaces) {
    if (ns.fd >= 0 && ::setns(ns.fd, ns.type) != 0) {
      ExecFailure failure = fail(ExecStep::join_namespace);
      failure.ns_type = ns.type;
      return failure;
    }
  }
  return {};
}

// Every fd from 3 up but `keep`.
int close_all_but(int keep) noexcept {
  if (keep > 3 && ::syscall(SYS_close_range, 3U, static_cast<unsigned>(keep) - 1, 0U) != 0) {
    return -1;
  }
  const unsigned first = keep >= 3 ? static_cast<unsigned>(keep) + 1 : 3U;
  return static_cast<int>(::syscall(SYS_close_range, first, ~0U, 0U));
}

// setgroups/setgid/setuid keeping the permitted set (PR_SET_KEEPCAPS), then the effective set
// restored so `apply_capabilities` may shrink the bounding set.
ExecFailure switch_user(const UserMessage& user) noexcept {
  if (::syscall(SYS_setgroups, user.group_count, user.groups) != 0 ||
      ::syscall(SYS_setresgid, user.gid, user.gid, user.gid) != 0) {
    return fail(ExecStep::set_groups);
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
      ::syscall(SYS_setresuid, user.uid, user.uid, user.uid) != 0 ||
      ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return fail(ExecStep::set_uid);
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return fail(ExecStep::capabilities);
  }
  for (auto& d : data) {
    d.effective = d.permitted;
  }
  if (::syscall(SYS_capset, &header, data) != 0) {
    return fail(ExecStep::capabilities);
  }
  return {};
}

// CVE-2024-21626: a cwd outside the container's root shows up as a getcwd failure or a path
// not starting with '/'.
ExecFailure enter_cwd(const ExecChildPlan& plan) noexcept {
  if (::chdir(plan.cwd.c_str()) != 0) {
    return fail(ExecStep::chdir);
  }
  char buffer[PATH_MAX];
  if (::getcwd(buffer, sizeof buffer) == nullptr) {
    return fail(ExecStep::getcwd);
  }
  if (buffer[0] != '/') {
    return {ExecStep::getcwd, ENOENT};
  }
  return {};
}

ExecFailure lock_down(const ExecChildPlan& plan) noexcept {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(ExecStep::no_new_privs);
  }
  if (const int err = apply_capabilities(plan.capabilities); err != 0) {
    return {ExecStep::capabilities, err};
  }
  if (!plan.filter.empty()) {
    sock_fprog program{static_cast<unsigned short>(plan.filter.size()),
                       const_cast<sock_filter*>(plan.filter.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
      return fail(ExecStep::seccomp);
    }
  }
  return {};
}

// execvp's loop over the precomputed candidates (exec_path.hpp).
int exec_candidates(const ExecChildPlan& plan) noexcept {
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

// Steps up to the closing of fds: everything that still needs the parent's descriptors.
ExecFailure enter_container(const ExecChildPlan& plan) noexcept {
  if (const ExecFailure f = wait_for_parent(plan.sync_read); f.err != 0) {
    return f;
  }
  if (::setsid() < 0) {
    return fail(ExecStep::new_session);
  }
  if (const ExecFailure f = install_stdio(plan); f.err != 0) {
    return f;
  }
  if (const ExecFailure f = join_namespaces(plan); f.err != 0) {
    return f;
  }
  // The namespace fds, the pty slave, the sync socket and whatever the caller held (store
  // locks, directories) are gone before anything runs as the container's user.
  if (close_all_but(plan.report_write) != 0) {
    return fail(ExecStep::close_fds);
  }
  return {};
}

} // namespace

const char* exec_step_name(const ExecFailure& failure) noexcept {
  switch (failure.step) {
  case ExecStep::wait_parent:
    return "wait for the parent";
  case ExecStep::new_session:
    return "setsid";
  case ExecStep::terminal:
    return "set up the terminal";
  case ExecStep::join_namespace:
    switch (failure.ns_type) {
    case CLONE_NEWIPC:
      return "join the IPC namespace";
    case CLONE_NEWUTS:
      return "join the UTS namespace";
    case CLONE_NEWNET:
      return "join the network namespace";
    case CLONE_NEWCGROUP:
      return "join the cgroup namespace";
    default:
      return "join the mount namespace";
    }
  case ExecStep::close_fds:
    return "close file descriptors";
  case ExecStep::set_groups:
    return "set groups";
  case ExecStep::set_uid:
    return "set uid";
  case ExecStep::chdir:
    return "chdir to cwd";
  case ExecStep::getcwd:
    return "check the working directory";
  case ExecStep::stdin_null:
    return "open /dev/null as stdin";
  case ExecStep::no_new_privs:
    return "set no_new_privs";
  case ExecStep::capabilities:
    return "apply capabilities";
  case ExecStep::seccomp:
    return "install seccomp filter";
  case ExecStep::exec:
    return "exec";
  }
  return "exec setup";
}

void exec_child_main(const ExecChildPlan& plan) noexcept {
  // Until execve this process is strata's image inside the container's PID namespace: not
  // dumpable, the container's processes (without CAP_SYS_PTRACE) can neither ptrace it nor open
  // its /proc/PID/exe — the host's strata binary (runc's CVE-2019-5736). execve resets it.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ::sigprocmask(SIG_SETMASK, &plan.saved_mask, nullptr);
  ::umask(022);
  const int report = plan.report_write;
  if (const ExecFailure f = enter_container(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  if (const ExecFailure f = switch_user(plan.user); f.err != 0) {
    report_and_exit(report, f);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); // cleared by the credential change
  if (const ExecFailure f = enter_cwd(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  if (const ExecFailure f = lock_down(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  report_and_exit(report, {ExecStep::exec, exec_candidates(plan)});
}

} // namespace strata::runtime
