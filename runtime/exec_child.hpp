#pragma once
// The child side of `ExecProcess` (exec_process.hpp): everything between clone3 and execve, with
// no allocation and no exceptions (STYLE.md §3). `ExecChildPlan` holds every string, array and
// descriptor the child uses, built by the parent before the clone; the child only reads it (and
// points the spare environment slot at `user.home_env`).
//
// Reports: `{ExecStep, errno}` over a close-on-exec pipe, as the container's own child does
// (child_report.hpp); EOF without a report means execve succeeded. The steps both children share
// (user, cwd, fds, seccomp, the exec loop) are in child_steps.hpp.

#include "runtime/capabilities.hpp"
#include "runtime/child_steps.hpp"
#include "runtime/container_spec.hpp"

#include <linux/filter.h>
#include <signal.h>

#include <array>
#include <cstdint>
#include <vector>

namespace strata::runtime {

enum class ExecStep : std::int32_t {
  wait_parent,
  new_session,
  terminal,
  join_namespace,
  close_fds,
  set_groups,
  set_uid,
  chdir,
  getcwd,
  stdin_null,
  no_new_privs,
  capabilities,
  seccomp,
  exec,
};

// A step and the errno it failed with; `err == 0` means success. `ns_type` is the CLONE_NEW*
// type of the namespace a `join_namespace` failure is about.
struct ExecFailure {
  ExecStep step = ExecStep::exec;
  std::int32_t err = 0;
  std::int32_t ns_type = 0;
};

// "join the mount namespace", "set up the terminal", ... for messages.
[[nodiscard]] const char* exec_step_name(const ExecFailure& failure) noexcept;

// One namespace to join: an fd of /proc/PID/ns/X and its CLONE_NEW* type; fd -1 = skipped.
struct NamespaceJoin {
  int fd = -1;
  int type = 0;
};

// ipc, uts, net, cgroup, mount: the order the child joins them in (mount last).
inline constexpr std::size_t k_exec_namespaces = 5;

struct ExecChildPlan {
  std::array<NamespaceJoin, k_exec_namespaces> namespaces;
  CommandPlan command;
  UserMessage user;                // ids, groups and HOME, resolved by the parent
  std::vector<sock_filter> filter; // empty = unconfined
  CapabilitySet capabilities;
  StdinMode stdin_mode = StdinMode::dev_null;
  int tty_fd = -1;
  sigset_t saved_mask{};
  int sync_read = -1;    // child's end: one byte once the parent placed it in the cgroup
  int report_write = -1; // child's end: ExecFailure reports
};

// Runs in the new child (already in the container's PID namespace); never returns.
[[noreturn]] void exec_child_main(const ExecChildPlan& plan) noexcept;

} // namespace strata::runtime
