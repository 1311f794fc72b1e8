#pragma once
// The child side of `run_container` (process.hpp): everything between clone and execve, with no
// allocation and no exceptions. `ChildPlan` holds every string and array the child uses, built by
// the parent before the clone; the child only reads it (and fills the preallocated HOME slot).

#include "runtime/capabilities.hpp"
#include "runtime/child_report.hpp"
#include "runtime/container_spec.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/seccomp.hpp"

#include <limits.h>
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

inline constexpr std::uint32_t k_max_groups = 256;

// Sent by the parent once it has resolved the user in the child's root.
struct UserMessage {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t group_count = 0;
  gid_t groups[k_max_groups] = {};
  char home_env[PATH_MAX + 8] = {}; // "HOME=/root", or empty when the env already has HOME
};

struct ChildPlan {
  RootfsPlan rootfs;
  std::string hostname;
  NetworkMode network = NetworkMode::host;
  std::string cwd;
  std::vector<std::string> arg_storage;
  std::vector<std::string> env_storage;
  std::vector<std::string> candidate_storage;
  std::vector<char*> argv;       // null-terminated
  std::vector<char*> envp;       // env, then a free slot for HOME, then null
  std::vector<char*> candidates; // null-terminated
  CapabilitySet capabilities;
  std::optional<SeccompProgram> seccomp;
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
