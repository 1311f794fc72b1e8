// `strata create [OPTIONS] IMAGE [COMMAND [ARG...]]`: creates a container (its config, state and
// rw layer) without running anything, and prints its ID, as `docker create`.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/container_config.hpp"
#include "cli/error_output.hpp"
#include "common/error.hpp"

namespace strata::cli {

Action setup_create(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<CreateOptions>();
  add_create_flags(app, *o);
  return [&global, o, &app] {
    o->command = app.remaining();
    try {
      refuse_flag_as_command(*o, "create");
      const store::ContainerRecord record = create_container(global, *o);
      fmt::print("{}\n", record.id);
      return k_exit_ok;
    } catch (const Error& e) {
      print_error(e);
      return 125;
    }
  };
}

} // namespace strata::cli
