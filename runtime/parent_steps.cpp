// The parent-side preparation shared by `run` and `exec` (parent_steps.hpp).

#include "runtime/parent_steps.hpp"

#include "common/error.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/seccomp_cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace strata::runtime {
namespace {

std::vector<char*> pointers_to(std::vector<std::string>& strings, std::size_t spare_slots) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + spare_slots + 1);
  for (std::string& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.insert(pointers.end(), spare_slots + 1, nullptr);
  return pointers;
}

bool env_has(const std::vector<std::string>& env, std::string_view key) {
  for (const std::string& entry : env) {
    if (entry.size() > key.size() && entry.starts_with(key) && entry[key.size()] == '=') {
      return true;
    }
  }
  return false;
}

} // namespace

void plan_command(CommandPlan& plan, const std::vector<std::string>& args,
                  const std::vector<std::string>& env, const std::string& cwd) {
  if (args.empty() || args.front().empty()) {
    throw Error(ErrorKind::usage, "no command specified");
  }
  if (!cwd.starts_with('/')) {
    throw Error(ErrorKind::usage, fmt::format("the working directory '{}' is invalid, it needs to "
                                              "be an absolute path",
                                              cwd));
  }
  plan.cwd = cwd;
  plan.arg_storage = args;
  plan.env_storage = env;
  plan.candidate_storage = exec_candidates(args.front(), env);
  plan.argv = pointers_to(plan.arg_storage, 0);
  plan.envp = pointers_to(plan.env_storage, 1);
  plan.candidates = pointers_to(plan.candidate_storage, 0);
}

void fill_user_message(UserMessage& message, const ExecUser& user,
                       const std::vector<std::string>& env) {
  if (user.supplementary_gids.size() > k_max_groups) {
    throw Error(ErrorKind::unsupported,
                fmt::format("more than {} supplementary groups", k_max_groups));
  }
  message.uid = user.uid;
  message.gid = user.gid;
  message.group_count = static_cast<std::uint32_t>(user.supplementary_gids.size());
  std::copy(user.supplementary_gids.begin(), user.supplementary_gids.end(), message.groups);
  if (!env_has(env, "HOME") && user.home.size() < PATH_MAX) {
    std::memcpy(message.home_env, "HOME=", 5);
    std::memcpy(message.home_env + 5, user.home.data(), user.home.size());
  }
}

std::vector<sock_filter> seccomp_program(const std::optional<SeccompProfile>& profile,
                                         CapabilitySet caps, const std::string& default_cache) {
  if (!profile) {
    return {};
  }
  if (!default_cache.empty()) {
    return default_seccomp_program(caps, default_cache);
  }
  return compile_seccomp(*profile, caps).code();
}

void check_filter_length(std::size_t length) {
  if (length > k_max_filter_length) {
    throw Error(ErrorKind::unsupported,
                fmt::format("the seccomp program has {} instructions, over the kernel's {}", length,
                            k_max_filter_length));
  }
}

} // namespace strata::runtime
