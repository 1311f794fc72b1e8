#include "parser/variable_scope.hpp"

#include <array>

namespace strata::parser {
namespace {

constexpr std::array<std::string_view, 10> k_proxy_args = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
    "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};

// `linux/arm64/v8` → {"linux", "arm64", "v8"}.
std::array<std::string, 3> split_platform(std::string_view platform) {
  std::array<std::string, 3> parts;
  std::size_t index = 0;
  for (std::size_t start = 0; start <= platform.size() && index < parts.size(); ++index) {
    const auto slash = platform.find('/', start);
    parts[index] = std::string(platform.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return parts;
}

void add_platform(Env& env, std::string_view prefix, const std::string& platform) {
  const auto parts = split_platform(platform);
  env[std::string(prefix) + "PLATFORM"] = platform;
  env[std::string(prefix) + "OS"] = parts[0];
  env[std::string(prefix) + "ARCH"] = parts[1];
  env[std::string(prefix) + "VARIANT"] = parts[2];
}

} // namespace

bool is_proxy_arg(std::string_view name) {
  for (const auto proxy : k_proxy_args) {
    if (proxy == name) {
      return true;
    }
  }
  return false;
}

Env platform_args(const BuildInputs& inputs) {
  Env env;
  add_platform(env, "TARGET", inputs.target_platform);
  add_platform(env, "BUILD", inputs.build_platform);
  return env;
}

void VariableScope::declare_arg(const std::string& name, const std::optional<std::string>& default_value) {
  declared_.insert(name);
  if (const auto given = inputs_->build_args.find(name); given != inputs_->build_args.end()) {
    args_[name] = given->second;
  } else if (default_value) {
    args_[name] = *default_value;
  } else if (const auto global = inherited_.find(name); global != inherited_.end()) {
    args_[name] = global->second;
  } else if (const auto platform = platform_args(*inputs_); platform.count(name) != 0) {
    args_[name] = platform.find(name)->second; // `ARG TARGETARCH` inside a stage
  }
}

void VariableScope::set_env(const std::string& name, std::string value) { env_[name] = std::move(value); }

void VariableScope::set_all(const Env& values, bool as_env) {
  for (const auto& [name, value] : values) {
    (as_env ? env_ : args_)[name] = value;
  }
}

Env VariableScope::visible() const {
  Env out = args_;
  for (const auto& [name, value] : env_) {
    out[name] = value;
  }
  return out;
}

std::string VariableScope::expand_word(std::string_view word) const {
  LexOptions options;
  options.escape = escape_;
  return ShellLexer(options).process_word(word, visible()).word;
}

std::vector<std::string> VariableScope::expand_words(std::string_view word) const {
  LexOptions options;
  options.escape = escape_;
  return ShellLexer(options).process_words(word, visible());
}

} // namespace strata::parser
