// The exec'd process between clone3 and execve (exec_child.hpp). Only system calls and the
// noexcept, non-allocating `apply_capabilities` and child_steps.cpp.
//
// The user switch, the cwd check, the fd closing, seccomp and the PATH loop are the steps of
// child_init.cpp (the container's own PID 1), shared through child_steps.hpp and reported here
// as `ExecStep`s; the two children differ in what comes before (joining namespaces instead of
// building them) and keep their own recipes, so neither grows a mode flag.

#include "runtime/exec_child.hpp"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <tuple>

namespace strata::runtime {
namespace {

// The shared steps' sub-steps (child_steps.hpp) as this child reports them.
constexpr ExecStep k_exec_user_steps[] = {ExecStep::set_groups, ExecStep::set_uid,
                                     ExecStep::capabilities};
constexpr ExecStep k_exec_cwd_steps[] = {ExecStep::chdir, ExecStep::getcwd};

ExecFailure fail(ExecStep step) noexcept {
  return {step, failed_errno()};
}

// The byte that says the parent has put this process in the container's cgroup.
ExecFailure wait_for_parent(int fd) noexcept {
  char go = 0;
  return {ExecStep::wait_parent, read_full(fd, &go, 1)};
}

// 0, 1 and 2: the pty slave as the controlling terminal of the new session, or the caller's
// stdout/stderr and stdin (the host's /dev/null without `-i`, opened before the mount namespace
// is joined: the container's /dev is the container's to replace).
ExecFailure install_stdio(const ExecChildPlan& plan) noexcept {
  if (plan.tty_fd >= 0) {
    return {ExecStep::terminal, set_controlling_terminal(plan.tty_fd)};
  }
  if (plan.stdin_mode == StdinMode::inherit) {
    return {};
  }
  return {ExecStep::stdin_null, stdin_from_dev_null()};
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

ExecFailure lock_down(const ExecChildPlan& plan) noexcept {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(ExecStep::no_new_privs);
  }
  if (const int err = apply_capabilities(plan.capabilities); err != 0) {
    return {ExecStep::capabilities, err};
  }
  return {ExecStep::seccomp, install_seccomp(plan.filter.data(), plan.filter.size())};
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
  return {ExecStep::close_fds, close_all_but(plan.report_write)};
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
  if (const auto f = reported_as<ExecFailure>(switch_user(plan.user), k_exec_user_steps); f.err != 0) {
    report_and_exit(report, f);
  }
  if (const auto f = reported_as<ExecFailure>(enter_cwd(plan.command.cwd.c_str()), k_exec_cwd_steps);
      f.err != 0) {
    report_and_exit(report, f);
  }
  if (const ExecFailure f = lock_down(plan); f.err != 0) {
    report_and_exit(report, f);
  }
  report_and_exit(report, ExecFailure{ExecStep::exec, exec_command(plan.command)});
}

} // namespace strata::runtime
