// `strata kill [-s SIGNAL] CONTAINER...`: a signal (SIGKILL by default) to each container's PID 1,
// as `docker kill`; it does not wait for the exit.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/container_control.hpp"
#include "common/error.hpp"
#include "runtime/signals.hpp"

namespace strata::cli {

Action setup_kill(CLI::App& app, const GlobalOptions& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto signal = std::make_shared<std::string>("KILL");
  app.add_option("-s,--signal", *signal, "Signal to send to the container");
  app.add_option("containers", *names, "Containers to kill")->required();
  return [&global, names, signal] {
    return for_each_container(
        global, *names, true,
        [&](store::ContainerStore& containers, const store::ContainerRecord& record) {
          const int sig = runtime::parse_signal(*signal);
          try {
            signal_container(containers, record, sig);
          } catch (const Error& e) {
            if (e.kind() != ErrorKind::conflict) {
              throw;
            }
            throw Error(ErrorKind::conflict, fmt::format("cannot kill container: {}: {}",
                                                         record.name, e.what()));
          }
        });
  };
}

} // namespace strata::cli
