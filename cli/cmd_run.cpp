// `strata run [OPTIONS] IMAGE [COMMAND [ARG...]]`: `create` + `start`, as `docker run`.
// Attached (the default) this process is the container's monitor: stdout and stderr are relayed
// apart and logged, signals forwarded, and strata exits with the container's status (125 for
// strata's own errors, 126 when the command cannot be executed, 127 when it is not found).
// `-d` starts it under a forked monitor and prints the ID at once. `--rm` removes it after.
// The container lives in `<root>/containers/<id>/` (store/container_store.hpp).

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/container_config.hpp"
#include "cli/container_start.hpp"
#include "cli/error_output.hpp"
#include "common/error.hpp"

namespace strata::cli {

Action setup_run(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<CreateOptions>();
  auto detach = std::make_shared<bool>(false);
  app.add_flag("-d,--detach", *detach, "Run container in background and print container ID");
  add_create_flags(app, *o);
  return [&global, o, detach, &app] {
    o->command = app.remaining();
    try {
      refuse_flag_as_command(*o, "run");
      if (o->tty && o->interactive && !*detach && ::isatty(STDIN_FILENO) == 0) {
        print_error(Error(ErrorKind::usage, "the input device is not a TTY"));
        return k_exit_failure;
      }
      const store::ContainerRecord record = create_container(global, *o);
      if (*detach) {
        const int status = start_detached(global, record);
        if (status == 0) {
          fmt::print("{}\n", record.id);
        }
        return status;
      }
      return start_attached(global, record, o->interactive);
    } catch (const Error& e) {
      print_error(e);
      return start_failure_status(e);
    }
  };
}

} // namespace strata::cli
