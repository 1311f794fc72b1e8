#pragma once
// The parent-side preparation both `run` (`ContainerProcess`, process.hpp) and `exec`
// (`ExecProcess`, exec_process.hpp) make before their child exists: the command's strings and
// pointer arrays (`CommandPlan`), the resolved user as the child's `UserMessage`, and the seccomp
// program. Everything the child reads is allocated here, in the parent, so the child never
// allocates (child_steps.hpp).
//
// Failure: `Error` (usage, unsupported, or what compiling seccomp throws); nothing is left
// half-done that the caller would have to undo. Thread-safety: reentrant (`seccomp_program` may
// run on a thread of its own).

#include "runtime/capabilities.hpp"
#include "runtime/child_steps.hpp"
#include "runtime/seccomp.hpp"
#include "runtime/user.hpp"

#include <linux/filter.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

// Fills `plan` in place: `args` run in `cwd` with `env`, the PATH candidates for `args[0]`
// (exec_path.hpp), and the pointer arrays over them (`envp` with one free slot for HOME).
// `Error{usage}` "no command specified" for an empty command, and "the working directory 'X' is
// invalid, it needs to be an absolute path" for a relative `cwd` (Docker's wording).
void plan_command(CommandPlan& plan, const std::vector<std::string>& args,
                  const std::vector<std::string>& env, const std::string& cwd);

// `user`'s ids and groups into `message`, and "HOME=<home>" when `env` has no HOME (and the home
// fits). `Error{unsupported}` for more than `k_max_groups` supplementary groups. Leaves
// `message.filter_length` alone.
void fill_user_message(UserMessage& message, const ExecUser& user,
                       const std::vector<std::string>& env);

// The seccomp program for `profile` under `caps`: empty for nullopt (unconfined), the cached
// default program when `default_cache` is not empty (seccomp_cache.hpp: `profile` is then
// Docker's default), else `profile` compiled.
[[nodiscard]] std::vector<sock_filter> seccomp_program(const std::optional<SeccompProfile>& profile,
                                                       CapabilitySet caps,
                                                       const std::string& default_cache);

// `Error{unsupported}` when a program of `length` instructions is over the kernel's limit
// (`k_max_filter_length`).
void check_filter_length(std::size_t length);

} // namespace strata::runtime
