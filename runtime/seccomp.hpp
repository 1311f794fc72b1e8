#pragma once
// Seccomp profiles in Docker's format and their compilation to a BPF program.
//
// Vocabulary:
// - `SeccompProfile`: the document of `--security-opt seccomp=FILE` (moby's `types.Seccomp`):
//   a default action, the architectures (`architectures` or `archMap`), and rules. A rule names
//   syscalls, an action, optional argument conditions, and `includes`/`excludes` filters on the
//   container's capabilities, the architecture (Go names: "amd64", "arm64", ...) and a minimum
//   kernel version. `default_seccomp_profile()` is Docker's built-in profile (moby
//   `profiles/seccomp/default.json`): EPERM for everything outside a large allow-list, with the
//   capability-conditional groups, `clone` without namespace flags unless CAP_SYS_ADMIN, `clone3`
//   failing with ENOSYS (so libc falls back to `clone`), `personality` limited to the harmless
//   personas and `socket` without AF_VSOCK.
// - `SeccompProgram`: a profile compiled with libseccomp for one capability set on this machine,
//   exported as classic BPF. Compiling allocates and may throw, so it happens in the parent;
//   `install()` is one system call, safe in the child between fork and execve.
//
// Compilation follows runc: rules are filtered by includes/excludes, syscalls unknown to
// libseccomp are skipped, rules whose action equals the default action are dropped, and several
// conditions on the same argument become one rule per condition (libseccomp cannot AND them).
//
// Failure: a malformed profile is `Error{usage}` naming its origin (the file); an unusable action
// (`SCMP_ACT_NOTIFY`) is `Error{unsupported}`; libseccomp failures are `Error{io}`.
// Thread-safety: values; `compile_seccomp` is reentrant.

#include "runtime/capabilities.hpp"

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

enum class SeccompAction { kill_thread, kill_process, trap, errno_ret, trace, allow, log, notify };
enum class SeccompOp { not_equal, less, less_equal, equal, greater_equal, greater, masked_equal };

struct SeccompArg {
  unsigned index = 0;
  std::uint64_t value = 0;
  std::uint64_t value_two = 0; // masked_equal: `(arg & value) == value_two`
  SeccompOp op = SeccompOp::equal;
};

// `includes` / `excludes` of a rule. Empty fields do not constrain.
struct SeccompFilter {
  std::vector<std::string> caps;   // "CAP_SYS_ADMIN"
  std::vector<std::string> arches; // Go architecture names
  std::string min_kernel;          // "4.8"
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::allow;
  std::optional<int> errno_ret; // ERRNO/TRACE; EPERM when absent
  std::vector<SeccompArg> args;
  SeccompFilter includes;
  SeccompFilter excludes;
};

struct SeccompArchMap {
  std::string architecture; // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_architectures;
};

struct SeccompProfile {
  SeccompAction default_action = SeccompAction::errno_ret;
  std::optional<int> default_errno;
  std::vector<std::string> architectures; // "SCMP_ARCH_X86_64"
  std::vector<SeccompArchMap> arch_map;
  std::vector<SeccompRule> syscalls;
};

// Docker's built-in profile.
[[nodiscard]] SeccompProfile default_seccomp_profile();

// Parses a Docker-format JSON profile; `origin` (the file name) prefixes every error.
[[nodiscard]] SeccompProfile parse_seccomp_profile(std::string_view json, std::string_view origin);

// The value of `--security-opt seccomp=VALUE`: "unconfined" → nullopt (no filter), "builtin" or
// "default" → the built-in profile, anything else is a profile file read and parsed (missing
// file: `Error{not_found}`).
[[nodiscard]] std::optional<SeccompProfile> seccomp_profile_for_option(std::string_view value);

class SeccompProgram {
public:
  explicit SeccompProgram(std::vector<sock_filter> code) noexcept : code_(std::move(code)) {}

  [[nodiscard]] const std::vector<sock_filter>& code() const noexcept { return code_; }
  // Installs the filter on the calling thread: needs no_new_privs or CAP_SYS_ADMIN (Docker sets
  // no_new_privs). Returns 0 or errno. No allocation, no exceptions.
  [[nodiscard]] int install() const noexcept;

private:
  std::vector<sock_filter> code_;
};

// Compiles `profile` for a process holding `caps` on this machine's architecture and kernel.
[[nodiscard]] SeccompProgram compile_seccomp(const SeccompProfile& profile, CapabilitySet caps);

} // namespace strata::runtime
