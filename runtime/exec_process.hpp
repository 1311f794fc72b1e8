#pragma once
// `ExecProcess`: one more process inside a running container (`strata exec`), as runc's `exec`
// runs it for Docker: in the container's namespaces, cgroup and root, as its user, with a
// capability set and seccomp filter, on the caller's stdout and stderr (exec output is not
// logged). SECURITY.md §4 "Runtime": `exec` joins every namespace, the cgroup, and applies the
// same capability, seccomp and working-directory checks as the container's own start.
//
// Lifecycle (the parent is the calling process):
//  1. parent: `pidfd_open(target)` and a check of the target's start time (the caller read the
//     PID from its state file), then the target's namespaces (/proc/PID/ns/{ipc,uts,net,cgroup,
//     mnt,pid}) and root are opened, then the pidfd is polled: a target still alive after the
//     opens means every descriptor is that process's, never a recycled PID's. Namespaces the
//     caller already shares (network `host`, the cgroup namespace today) are not joined;
//  2. parent: resolves the user in the target's root (`/proc/PID/root`, in-root, with
//     `resolve_user`), compiles the seccomp program (or reads the cached default one; no thread
//     is left running), and builds every string and array the child reads: no allocation in the
//     child;
//  3. parent: blocks the forwarded signals, enters the container's PID namespace *for its
//     children* only (setns(CLONE_NEWPID) on the calling thread), clone3s the child, and at once
//     restores its own PID namespace for children. Why not setns(pid) in the child and fork
//     again, as nsenter does? Then the command would be a grandchild: an intermediate process
//     would have to stay alive to relay its exit status and strata's signals (or the caller
//     would become a child subreaper, a process-wide setting that outlives the call). With the
//     setns here, the process strata holds a pidfd for and waits for is the command itself and
//     signals reach it directly. The change is per-thread and lasts one clone3; failing to
//     restore it aborts (later children must never land in a container's PID namespace);
//  4. parent: moves the child into the container's cgroup (every hierarchy), then lets it go;
//  5. child: not dumpable until execve (CVE-2019-5736: the container must not reach strata's
//     /proc/PID/exe), `setsid` (a terminal's ^C reaches strata, which forwards it once), the pty as
//     its controlling terminal (`ExecTty::yes`: opened by the parent as the container's
//     /dev/pts/ptmx through its root, verified as a devpts ptmx by fd, the slave from
//     TIOCGPTPEER — no path inside the container is trusted), joins the ipc, uts, net, cgroup
//     and — last — mount namespaces (only a process that shares no `fs_struct` may join a mount
//     namespace, which a clone3 child never does; setns then puts root and cwd at the
//     namespace's root, which after the container's pivot_root and detach is the container's
//     `/`, as with runc exec),
//     closes every fd but its report pipe (CVE-2024-21626: nothing of the host's is reachable
//     from here on), setgroups/setgid/setuid (keeping capabilities over the switch),
//     chdir and the getcwd check, stdin from /dev/null unless `-i`, no_new_privs, the
//     capability set, seccomp last, then execve of each PATH candidate (exec_path.hpp);
//  6. parent: EOF on the close-on-exec report pipe = exec succeeded; `wait` forwards SIGHUP,
//     SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 and SIGWINCH to the command until it exits.
// The command dies with the container: the kernel kills every process of a PID namespace when
// its PID 1 exits, and the container's cgroup is killed before it is removed. It also has
// PR_SET_PDEATHSIG=SIGKILL: it ends with strata's process.
//
// Failure: a target that is gone or is not the process the caller named is `Error{not_found}`
// "container process PID is not running"; a setup failure in the child is
// `Error{child_failed}` "exec setup: STEP" with the errno (sys_errno); parent-side failures are
// the `Error` of their step. An exec failure is not an exception: `exec_failure()` (and `wait`)
// return `ContainerExit::exec_failed` with the errno (126/127). The child is killed and reaped
// on every error path.
// Thread-safety: one `ExecProcess` per thread; it changes the calling thread's signal mask for
// its lifetime.

#include "common/unique_fd.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/container_spec.hpp"
#include "runtime/process.hpp"
#include "runtime/seccomp.hpp"

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

class IoRelay;

enum class ExecTty { no, yes };

struct ExecSpec {
  pid_t target = 0; // the container's PID 1 as the host sees it
  // Field 22 of /proc/PID/stat (clock ticks since boot) as the caller recorded it: a target
  // with another start time is a recycled PID. 0 = not checked.
  std::uint64_t target_start_time = 0;
  std::string cgroup_name; // the container's cgroup ("strata/<id>"); empty = the caller's

  std::vector<std::string> args; // argv; args[0] is looked up in `env`'s PATH
  std::vector<std::string> env;  // KEY=VALUE, final (HOME is added from passwd when absent)
  std::string cwd = "/";         // absolute; must exist in the container (not created)
  std::string user;              // USER[:GROUP] resolved in the container's root; "" = root

  CapabilitySet capabilities = docker_default_capabilities(); // the command's
  // The container's seccomp profile and the capability set it is compiled for: the
  // container's, not the command's (as Docker compiles a container's profile once, an
  // `exec --privileged` gets every capability under the container's filter).
  std::optional<SeccompProfile> seccomp = default_seccomp_profile(); // nullopt = unconfined
  CapabilitySet seccomp_capabilities = docker_default_capabilities();
  // Non-empty: `seccomp` is Docker's default profile, cached in this directory
  // (seccomp_cache.hpp).
  std::string default_seccomp_cache;

  StdinMode stdin_mode = StdinMode::dev_null;
  // `yes` (`exec -t`): a new pty of the container's own devpts instance is the command's
  // controlling terminal and its 0, 1 and 2 (so it is /dev/pts/N inside); the caller takes the
  // master (`take_pty_master`). `no`: the caller's stdout and stderr, stdin per `stdin_mode`.
  ExecTty tty = ExecTty::no;
};

class ExecProcess {
public:
  // Steps 1-5: returns once the command runs or its exec failed (`exec_failure()`).
  [[nodiscard]] static ExecProcess start(const ExecSpec& spec);
  ExecProcess(ExecProcess&& other) noexcept;
  ExecProcess& operator=(ExecProcess&&) = delete;
  ExecProcess(const ExecProcess&) = delete;
  ExecProcess& operator=(const ExecProcess&) = delete;
  // Kills (SIGKILL through the pidfd) and reaps a command that was not waited for.
  ~ExecProcess();

  // The command as the host sees it (0 once reaped).
  [[nodiscard]] pid_t pid() const noexcept;
  // With `ExecTty::yes`: the pty's master, once (an empty fd afterwards or without a tty).
  [[nodiscard]] UniqueFd take_pty_master() noexcept;
  // Set when the command could not be executed; `wait` then returns it at once.
  [[nodiscard]] const std::optional<ContainerExit>& exec_failure() const noexcept;
  // Step 6: waits for the command while forwarding signals to it and relaying `io` (when given:
  // a pty's master, `exec -t`), then drains `io`.
  ContainerExit wait(IoRelay* io = nullptr);

  struct State;

private:
  explicit ExecProcess(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

// `ExecProcess::start(spec).wait()`.
[[nodiscard]] ContainerExit exec_in_container(const ExecSpec& spec);

} // namespace strata::runtime
