#pragma once
// `ExecTarget`: the running container process `ExecProcess` joins (exec_process.hpp, step 1),
// pinned so that a recycled PID can never stand in for it.
//
// `open` takes a pidfd for the PID, checks the start time the caller recorded, opens the
// process's root (`/proc/PID/root`) and namespaces (`/proc/PID/ns/*`), then polls the pidfd: a
// process still alive after every open was alive throughout, so each descriptor is its own.
// Namespaces the caller already shares (network `host`, the cgroup namespace today) are left
// empty: there is nothing to join.
//
// Failure: a PID that is gone, exited meanwhile or has another start time is `Error{not_found}`
// "container process PID is not running" (`throw_gone`); other failures are `Error{io}` naming
// the file. Thread-safety: a value; one owner.

#include "common/unique_fd.hpp"
#include "runtime/exec_child.hpp"
#include "runtime/terminal.hpp"

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>

namespace strata::runtime {

struct ExecTarget {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd root;                                      // O_PATH directory: the process's `/`
  UniqueFd pid_namespace;                             // empty when it is the caller's
  std::array<UniqueFd, k_exec_namespaces> namespaces; // in `joins()` order; empty = the caller's

  // See above. `start_time` 0 skips the start-time check.
  [[nodiscard]] static ExecTarget open(pid_t pid, std::uint64_t start_time);
  // ipc, uts, net, cgroup, mount (the child's join order: mount last, as it moves root and
  // cwd), borrowing `namespaces`; fd -1 for a namespace that is not joined.
  [[nodiscard]] std::array<NamespaceJoin, k_exec_namespaces> joins() const noexcept;
  // Whether the process has exited (a zombie has).
  [[nodiscard]] bool has_exited() const;
  [[noreturn]] void throw_gone() const;
};

// A new pty of the container whose root is `root_fd`, from its own devpts instance (so the
// command sees /dev/pts/N): its /dev/pts/ptmx resolved in-root as O_PATH, checked by fd (a 5:2
// character device on devpts: a container that replaced the path gets nothing else opened),
// re-opened read-write through /proc/self/fd, unlocked, and the slave taken with TIOCGPTPEER
// rather than by name. Both ends close-on-exec, the slave O_NOCTTY.
[[nodiscard]] Pty open_container_pty(int root_fd);

// The start time (field 22 of /proc/PID/stat, clock ticks since boot) of `pid`, or nullopt when
// it is gone.
[[nodiscard]] std::optional<std::uint64_t> process_start_time(pid_t pid);

} // namespace strata::runtime
