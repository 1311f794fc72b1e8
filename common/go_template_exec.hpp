#pragma once
// Internal to the Go template engine: execution of a parsed tree.

#include "common/go_template.hpp"
#include "common/go_template_ast.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace strata::go_template {

// Which function set runs: the real functions, or Docker's header functions (see
// `GoTemplate::render_header`).
enum class FuncMode { data, header };

// Executes `tree` with `data` as dot; throws `Error{usage}` with Docker's execution message.
[[nodiscard]] std::string execute(const Tree& tree, const nlohmann::json& data,
                                  MissingKey missing, FuncMode mode);

} // namespace strata::go_template
