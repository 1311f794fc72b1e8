#include "runtime/exec_path.hpp"

#include <cerrno>

namespace strata::runtime {

std::string_view path_of_env(const std::vector<std::string>& env) {
  for (const std::string& entry : env) {
    if (std::string_view(entry).starts_with("PATH=")) {
      return std::string_view(entry).substr(5);
    }
  }
  return k_default_path;
}

std::vector<std::string> exec_candidates(std::string_view command,
                                         const std::vector<std::string>& env) {
  if (command.empty()) {
    return {};
  }
  if (command.find('/') != std::string_view::npos) {
    return {std::string(command)};
  }
  std::vector<std::string> candidates;
  std::string_view path = path_of_env(env);
  while (true) {
    const std::size_t colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    if (dir.starts_with('/')) {
      std::string candidate(dir);
      if (!candidate.ends_with('/')) {
        candidate += '/';
      }
      candidates.push_back(candidate.append(command));
    }
    if (colon == std::string_view::npos) {
      break;
    }
    path.remove_prefix(colon + 1);
  }
  return candidates;
}

int exec_failure_status(int err) noexcept {
  return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

} // namespace strata::runtime
