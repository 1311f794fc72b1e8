// PLACEHOLDER (being written this session): `strata stop`.

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/error_output.hpp"
#include "common/error.hpp"

namespace strata::cli {

Action setup_stop(CLI::App& app, const GlobalOptions&) {
  app.allow_extras();
  return [] {
    print_error(Error(ErrorKind::unsupported, "stop: not implemented yet"));
    return k_exit_failure;
  };
}

} // namespace strata::cli
