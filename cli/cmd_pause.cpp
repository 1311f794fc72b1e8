// PLACEHOLDER (being written this session): `strata pause`.

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/error_output.hpp"
#include "common/error.hpp"

namespace strata::cli {

Action setup_pause(CLI::App& app, const GlobalOptions&) {
  app.allow_extras();
  return [] {
    print_error(Error(ErrorKind::unsupported, "pause: not implemented yet"));
    return k_exit_failure;
  };
}

Action setup_unpause(CLI::App& app, const GlobalOptions&) {
  app.allow_extras();
  return [] {
    print_error(Error(ErrorKind::unsupported, "unpause: not implemented yet"));
    return k_exit_failure;
  };
}

} // namespace strata::cli
