// `strata stop [-t N] [-s SIGNAL] CONTAINER...`: the stop signal, then SIGKILL after the grace
// period, as `docker stop`; prints each name once its exit is recorded.

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/container_control.hpp"

namespace strata::cli {

Action setup_stop(CLI::App& app, const GlobalOptions& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<std::optional<int>>();
  auto signal = std::make_shared<std::string>();
  app.add_option("-t,--time,--timeout", *timeout, "Seconds to wait before killing the container");
  app.add_option("-s,--signal", *signal, "Signal to send to the container");
  app.add_option("containers", *names, "Containers to stop")->required();
  return [&global, names, timeout, signal] {
    return for_each_container(global, *names, true,
                              [&](store::ContainerStore& containers,
                                  const store::ContainerRecord& record) {
                                stop_container(containers, record, *timeout, *signal);
                              });
  };
}

} // namespace strata::cli
