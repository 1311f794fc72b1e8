#pragma once
// The child side of `run_container` (process.hpp): everything between clone and execve, with no
// allocation and no exceptions. `ChildPlan` holds every string and array the child uses, built by
// the parent before the clone; the child only reads it (and fills the preallocated HOME slot).

#include "runtime/capabilities.hpp"
#include "runtime/child_report.hpp"
#include "runtime/container_spec.hpp"
#include "runtime/rootfs.hpp"

#include <limits.h>
#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::runtime {

inline constexpr std::uint32_t k_max_groups = 256;
// The kernel's limit on a classic BPF program (BPF_MAXINSNS).
inline constexpr std::uint32_t k_max_filter_length = 4096;

// Sent by the parent once it has resolved the user in the child's root, followed by the seccomp
// program (compiled by the parent while the child set up its rootfs).
struct UserMessage {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t group_count = 0;
  gid_t groups[k_max_groups] = {};
  char home_env[PATH_MAX + 8] = {}; // "HOME=/root", or empty when the env already has HOME
  std::uint32_t filter_length = 0;  // seccomp instructions sent right after; 0 = unconfined
};

struct ChildPlan {
  RootfsPlan rootfs;
  std::string hostname;
  NetworkMode network = NetworkMode::host;
  StdinMode stdin_mode = StdinMode::dev_null;
  int stdio[3] = {-1, -1, -1}; // duplicated onto 0, 1, 2 first thing (ContainerSpec)
  int tty_fd = -1;
  std::string cwd;
  std::vector<std::string> arg_storage;
  std::vector<std::string> env_storage;
  std::vector<std::string> candidate_storage;
  std::vector<char*> argv;       // null-terminated
  std::vector<char*> envp;       // env, then a free slot for HOME, then null
  std::vector<char*> candidates; // null-terminated
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
