#pragma once
// The steps both children take between clone and execve: the container's PID 1 (`child_main`,
// child_init.hpp) and a process `exec` adds to a running container (`exec_child_main`,
// exec_child.hpp). Each child wraps these results into its own report (`{ChildStep, errno}`,
// `{ExecStep, errno}`), so step names and messages stay each child's own.
//
// Rules (STYLE.md §3): every function here is noexcept, allocates nothing and returns 0 or an
// errno — EIO when a failed call left errno at 0 — and, where it has several sub-steps, which one
// failed (`StepError`). Credentials are changed with raw system calls: glibc's setuid would try to
// broadcast to threads copied from a possibly multi-threaded parent, which do not exist in the
// child.
//
// `UserMessage` and `CommandPlan` are built by the parent (parent_steps.hpp) before the clone;
// the child only reads them (and may point the spare environment slot at `home_env`).

#include <limits.h>
#include <linux/filter.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace strata::runtime {

inline constexpr std::uint32_t k_max_groups = 256;
// The kernel's limit on a classic BPF program (BPF_MAXINSNS).
inline constexpr std::uint32_t k_max_filter_length = 4096;

// The user the child switches to, resolved by the parent in the container's root. `run` sends it
// over the sync socket once the rootfs is ready, followed by the seccomp program; `exec` holds it
// in its plan.
struct UserMessage {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t group_count = 0;
  gid_t groups[k_max_groups] = {};
  char home_env[PATH_MAX + 8] = {}; // "HOME=/root", or empty when the env already has HOME
  std::uint32_t filter_length = 0;  // seccomp instructions sent right after; 0 = unconfined
};

// The command and where it runs: every string and array `execve` reads. The pointer vectors point
// into the storage vectors, so a plan is filled in place (`plan_command`) and never copied.
struct CommandPlan {
  std::string cwd;
  std::vector<std::string> arg_storage;
  std::vector<std::string> env_storage;
  std::vector<std::string> candidate_storage;
  std::vector<char*> argv;       // null-terminated
  std::vector<char*> envp;       // env, then a free slot for HOME, then null
  std::vector<char*> candidates; // null-terminated (exec_path.hpp)
};

// Which sub-step of a step failed, and its errno; `err == 0` means success.
template <typename Step> struct StepError {
  Step step{};
  int err = 0;
};

// `error` as the caller's report: `steps[i]` is the caller's step for sub-step `i`.
template <typename Report, typename Sub, typename Step, std::size_t N>
[[nodiscard]] Report reported_as(StepError<Sub> error, const Step (&steps)[N]) noexcept;

// errno of the call that just failed; EIO when it left errno at 0.
[[nodiscard]] int failed_errno() noexcept;

// Writes `report` to the report pipe (a failed write leaves the parent EOF, which it reads as
// "the process died") and exits with status 1.
template <typename Report> [[noreturn]] void report_and_exit(int fd, const Report& report) noexcept;

// Reads exactly `size` bytes (EINTR retried): 0, EPIPE at end of file, or the errno of read.
[[nodiscard]] int read_full(int fd, void* buffer, std::size_t size) noexcept;

// Closes every fd from 3 up except `keep_a` and `keep_b` (negative: none) with close_range.
[[nodiscard]] int close_all_but(int keep_a, int keep_b = -1) noexcept;

// `tty_fd` becomes the controlling terminal of the caller's (new) session and its 0, 1 and 2.
[[nodiscard]] int set_controlling_terminal(int tty_fd) noexcept;

// /dev/null (as the current root has it) onto 0.
[[nodiscard]] int stdin_from_dev_null() noexcept;

enum class UserStep { set_groups, set_uid, capabilities }; // in this order, from 0

// setgroups/setresgid/setresuid keeping the permitted set (PR_SET_KEEPCAPS), then the effective
// set restored so `apply_capabilities` may shrink the bounding set, then PR_SET_PDEATHSIG=SIGKILL
// set again (the credential change clears it).
[[nodiscard]] StepError<UserStep> switch_user(const UserMessage& user) noexcept;

enum class CwdStep { chdir, getcwd }; // in this order, from 0

// chdir, then CVE-2024-21626's check: a cwd outside the new root (a leaked fd, a racing mount)
// shows up as a getcwd failure or a path not starting with '/' (ENOENT).
[[nodiscard]] StepError<CwdStep> enter_cwd(const char* cwd) noexcept;

// SECCOMP_SET_MODE_FILTER with `length` instructions; nothing when `length` is 0.
[[nodiscard]] int install_seccomp(const sock_filter* code, std::size_t length) noexcept;

// execvp's loop over `plan.candidates` (exec_path.hpp): returns only on failure, with the errno
// that decides 126/127 (ENOENT when every candidate was missing, EACCES when one was not
// executable, or the first other errno).
[[nodiscard]] int exec_command(const CommandPlan& plan) noexcept;

// ---------------------------------------------------------------------------------------------

template <typename Report, typename Sub, typename Step, std::size_t N>
Report reported_as(StepError<Sub> error, const Step (&steps)[N]) noexcept {
  return {steps[static_cast<std::size_t>(error.step)], error.err};
}

template <typename Report> void report_and_exit(int fd, const Report& report) noexcept {
  const Report copy = report;
  std::ignore = ::write(fd, &copy, sizeof copy);
  ::_exit(1);
}

} // namespace strata::runtime
