#pragma once
// `run_container`: runs one container in the foreground and returns how its PID 1 ended.
//
// Lifecycle (the parent is the calling process; SECURITY.md §4 "Runtime"):
//  1. parent: writes the /etc files into the state dir, creates the cgroup, blocks the
//     forwarded signals, starts compiling seccomp on a thread (libseccomp needs tens of ms for
//     Docker's profile), then clone3 (clone as fallback) with new mount, PID, UTS and IPC
//     namespaces (and network for `NetworkMode::none`), so the command is PID 1;
//  2. parent: lets the child go (a pipe), then moves it into the cgroup while it works;
//  3. child: brings up lo (network none), sets the hostname, `setup_rootfs` (private mounts,
//     overlay, /proc, /sys, /dev, /etc files, masks, pivot_root), reports "ready"; an overlay
//     the kernel refuses (`overlay_refused`) ends this attempt when the spec names a rootfs copy:
//     the copy is made (rootfs_copy.hpp) and the steps start again on it;
//  4. parent: resolves the user in the child's root (`/proc/PID/root`, in-root, with
//     `resolve_user`; allocation stays in the parent), creates the working directory when
//     missing, sends uid/gid/groups/HOME and the compiled seccomp program;
//  5. child: the read-only remount of `/` (`--read-only`), setgroups/setgid/setuid (keeping
//     capabilities over the switch), chdir and getcwd check (CVE-2024-21626), stdin from
//     /dev/null, no_new_privs, Docker's capability set,
//     every fd but the report pipe closed, seccomp last, then execve of each PATH candidate;
//  6. parent: EOF on the close-on-exec report pipe = exec succeeded; it then forwards SIGHUP,
//     SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 and SIGWINCH to the child (pidfd) until it exits,
//     and destroys the cgroup.
// Every mount lives in the child's mount namespace: when PID 1 exits, the kernel tears it all
// down, so nothing is ever left mounted on the host, even if strata is SIGKILLed (the child also
// has PR_SET_PDEATHSIG=SIGKILL).
//
// Failure: a setup failure in the child is `Error{child_failed}` "STEP: strerror" (the CLI's
// 125); a parent-side failure is the `Error` of that step; the child is killed and reaped in
// every case. An exec failure is not an exception: it is returned (`ContainerExit::exec_failed`).
// Thread-safety: one call at a time per process (it changes the signal mask of the caller).

#include "common/unique_fd.hpp"
#include "runtime/container_spec.hpp"

#include <sys/types.h>

#include <memory>
#include <optional>

namespace strata::runtime {

struct ContainerExit {
  enum class How { exited, signaled, exec_failed };
  How how = How::exited;
  int value = 0; // the exit code, the signal number, or the exec errno
  bool oom_killed = false; // the kernel's OOM killer killed a process of the container

  // Docker's status: the code, 128 + signal, or 126/127 for an exec failure.
  [[nodiscard]] int status() const noexcept;
};

class IoRelay;

// One started container: `start` runs steps 1-5 and returns once PID 1 runs the command (or its
// exec failed: `exec_failure()`); `wait` is step 6. The object owns the container: destroying it
// before `wait` returned kills every process in it (the cgroup, and PID 1 through its pidfd) and
// removes the cgroup. Move-only; one thread.
class ContainerProcess {
public:
  [[nodiscard]] static ContainerProcess start(const ContainerSpec& spec);
  ContainerProcess(ContainerProcess&& other) noexcept;
  ContainerProcess& operator=(ContainerProcess&&) = delete;
  ContainerProcess(const ContainerProcess&) = delete;
  ~ContainerProcess();

  // The container's PID 1 as the host sees it.
  [[nodiscard]] pid_t pid() const noexcept;
  // With `ContainerSpec::tty`: the master of the container's pty (once; empty afterwards).
  [[nodiscard]] UniqueFd take_pty_master() noexcept;
  // Set when the command could not be executed (126/127); `wait` then returns it at once.
  [[nodiscard]] const std::optional<ContainerExit>& exec_failure() const noexcept;
  // Waits for PID 1 to exit while forwarding signals to it and relaying `io` (when given), then
  // drains `io`, kills what is left in the cgroup and removes it.
  ContainerExit wait(IoRelay* io = nullptr);

  struct State;

private:
  explicit ContainerProcess(std::unique_ptr<State> state) noexcept;
  // `start` once the init layer is among the lower dirs and the rootfs (overlay or copy) chosen.
  [[nodiscard]] static ContainerProcess start_prepared(const ContainerSpec& spec);
  std::unique_ptr<State> state_;
};

// `ContainerProcess::start(spec).wait()`, with the caller's stdio.
[[nodiscard]] ContainerExit run_container(const ContainerSpec& spec);

} // namespace strata::runtime
