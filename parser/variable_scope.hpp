#pragma once
// ARG and ENV scoping for variable expansion, with BuildKit's rules:
// - Global scope: the ARGs before the first FROM, usable only in FROM lines (with the automatic
//   platform args `TARGETPLATFORM`, `BUILDPLATFORM`, ... defined there).
// - A stage starts empty. `ARG NAME` brings NAME into scope with, in order of precedence, the
//   `--build-arg` value, the default written after `=`, or the global ARG's value.
// - ENV always overrides an ARG of the same name, for the rest of the stage.
// - The predefined proxy args (`HTTP_PROXY`, `no_proxy`, ...) may be passed without an ARG; they
//   reach RUN's environment but expand nothing else unless declared.
//
// Expansion uses BuildKit's lexer (`ShellLexer`) with the Dockerfile's escape token.
// Not thread-safe; one scope per stage being walked.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "parser/shell_lexer.hpp"

namespace strata::parser {

// What the caller of a build supplies: `--build-arg` values and the platforms.
struct BuildInputs {
  std::map<std::string, std::string, std::less<>> build_args;
  std::string target_platform = "linux/amd64";
  std::string build_platform = "linux/amd64";
};

// True for `HTTP_PROXY`, `https_proxy`, `NO_PROXY`, ... (BuildKit's builtin allowed args).
[[nodiscard]] bool is_proxy_arg(std::string_view name);

// The automatic platform args: TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT and the
// BUILD* ones, derived from `os/arch[/variant]` strings.
[[nodiscard]] Env platform_args(const BuildInputs& inputs);

class VariableScope {
public:
  VariableScope(char escape, const BuildInputs& inputs) : escape_(escape), inputs_(&inputs) {}

  // `ARG name[=default]` with the default already expanded (BuildKit expands an ARG's values
  // before declaring them). A name declared without a default takes the global scope's value
  // (see `set_inherited`).
  void declare_arg(const std::string& name, const std::optional<std::string>& default_value);
  // The global scope's values, which `ARG NAME` without a default brings into a stage.
  void set_inherited(Env global_values) { inherited_ = std::move(global_values); }
  void set_env(const std::string& name, std::string value);
  // Adds variables (the platform args, a base image's ENV) without declaring them.
  void set_all(const Env& values, bool as_env);

  // The variables an expansion sees: ARGs with a value, overridden by ENVs.
  [[nodiscard]] Env visible() const;
  [[nodiscard]] const Env& args() const noexcept { return args_; }
  [[nodiscard]] const Env& env() const noexcept { return env_; }
  // ARG names declared in this scope (with or without a value).
  [[nodiscard]] const std::set<std::string, std::less<>>& declared() const noexcept { return declared_; }

  // BuildKit's ProcessWord / ProcessWords with this scope. Throw `Error{parse}` (message only).
  [[nodiscard]] std::string expand_word(std::string_view word) const;
  [[nodiscard]] std::vector<std::string> expand_words(std::string_view word) const;

private:
  char escape_;
  const BuildInputs* inputs_;
  Env inherited_;
  Env args_;
  Env env_;
  std::set<std::string, std::less<>> declared_;
};

} // namespace strata::parser
