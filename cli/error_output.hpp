#pragma once
// Rendering of errors for people: `ERROR: Dockerfile:7:6: msg`, then the source line and a caret.

#include "common/error.hpp"

namespace strata::cli {

void print_error(const Error& error);
[[nodiscard]] int exit_code_for(const Error& error);

} // namespace strata::cli
