#pragma once
// Where the child looks for the program: the files it tries with execve, in order, computed in
// the parent (the child must not allocate).
//
// Semantics are those Docker shows (runc's `exec.LookPath` over the container's environment):
// - a command holding `/` is used as it is (relative to the working directory);
// - otherwise each directory of the container's `PATH` (the first `PATH=` of `env`, else
//   `k_default_path`, as dockerd sets it) is tried in order; empty and relative entries are
//   skipped, as Go (1.19+) refuses results relative to the working directory.
// The child execs each candidate in turn: ENOENT/ENOTDIR moves on, EACCES is remembered and
// moves on, anything else stops. The final errno decides the exit status: ENOENT → 127 (not
// found), anything else → 126 (found but not executable), see `exec_failure_status`.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

inline constexpr const char* k_default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The value of `PATH` in `env` (KEY=VALUE entries), or `k_default_path`.
[[nodiscard]] std::string_view path_of_env(const std::vector<std::string>& env);

// The files to try for `command` (see above); empty when `command` is empty.
[[nodiscard]] std::vector<std::string> exec_candidates(std::string_view command,
                                                       const std::vector<std::string>& env);

// Docker's exit status for an exec failure with `err`: 127 for ENOENT/ENOTDIR, else 126.
[[nodiscard]] int exec_failure_status(int err) noexcept;

} // namespace strata::runtime
