// PLACEHOLDER (being written this session): `strata commit`.

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/error_output.hpp"
#include "common/error.hpp"

namespace strata::cli {

Action setup_commit(CLI::App& app, const GlobalOptions&) {
  app.allow_extras();
  return [] {
    print_error(Error(ErrorKind::unsupported, "commit: not implemented yet"));
    return k_exit_failure;
  };
}

} // namespace strata::cli
