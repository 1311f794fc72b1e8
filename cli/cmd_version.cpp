// `strata version`: the version of this binary, like `docker version` prints the client's.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"

namespace strata::cli {

Action setup_version(CLI::App& /*app*/, const GlobalOptions& /*global*/) {
  return [] {
    fmt::print("strata version {}\n", STRATA_VERSION);
    return k_exit_ok;
  };
}

} // namespace strata::cli
