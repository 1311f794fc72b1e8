#pragma once
// The child side of `run_container` (process.hpp): everything between clone and execve, with no
// allocation and no exceptions. `ChildPlan` holds every string and array the child uses, built by
// the parent before the clone; the child only reads it (and fills the preallocated HOME slot).
// The steps it shares with `exec`'s child (user, cwd, fds, seccomp, the exec loop) are in
// child_steps.hpp; the parent sends the `UserMessage` defined there once the rootfs is ready.

#include "runtime/capabilities.hpp"
#include "runtime/child_report.hpp"
#include "runtime/child_steps.hpp"
#include "runtime/container_spec.hpp"
#include "runtime/rootfs.hpp"

#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>

namespace strata::runtime {

struct ChildPlan {
  RootfsPlan rootfs;
  std::string hostname;
  NetworkMode network = NetworkMode::host;
  StdinMode stdin_mode = StdinMode::dev_null;
  int stdio[3] = {-1, -1, -1}; // duplicated onto 0, 1, 2 first thing (ContainerSpec)
  bool tty = false; // the pty slave arrives with the user message (SCM_RIGHTS)
  CommandPlan command;
  CapabilitySet capabilities;
  std::unique_ptr<sock_filter[]> filter = std::make_unique<sock_filter[]>(k_max_filter_length);
  std::unique_ptr<UserMessage> user = std::make_unique<UserMessage>();
  sigset_t saved_mask{};
  int sync_read = -1;    // child's end: the go byte, then the UserMessage
  int report_write = -1; // child's end: ChildFailure reports
  int sync_write = -1;   // parent's ends, closed in the child
  int report_read = -1;
};

// Runs in the new child; never returns.
[[noreturn]] void child_main(ChildPlan& plan) noexcept;

} // namespace strata::runtime
