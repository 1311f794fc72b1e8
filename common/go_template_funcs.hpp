#pragma once
// Internal to the Go template engine: the function table (Go's builtins and Docker's
// `templates.basicFunctions`) and Go's truth rule.

#include "common/go_template_value.hpp"

#include <cstddef>
#include <span>
#include <string_view>

namespace strata::go_template {

using Builtin = Value (*)(std::span<const Value> args);

struct FuncInfo {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args; // `k_variadic` when unbounded
  Builtin fn;           // null for `and` and `or`, which the executor evaluates lazily
  bool header_identity; // in a table header, returns its first argument (Docker's HeaderFunctions)
};

inline constexpr std::size_t k_variadic = static_cast<std::size_t>(-1);

// The function called `name`, or null.
[[nodiscard]] const FuncInfo* find_function(std::string_view name);

// Go's `truth`: false, 0, null, missing, "" and empty arrays and objects are false.
[[nodiscard]] bool is_true(const Value& value);

} // namespace strata::go_template
