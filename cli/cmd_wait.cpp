// `strata wait CONTAINER...`: blocks until each container stops, then prints its exit code, as
// `docker wait`. A created container is waited for until it has run.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "cli/command.hpp"
#include "cli/container_control.hpp"

namespace strata::cli {
namespace {

using namespace std::chrono_literals;

void wait_one(store::ContainerStore& containers, const store::ContainerRecord& record) {
  store::ContainerState state = record.state.effective();
  while (true) {
    if (state.is_running()) {
      std::ignore = wait_for_monitor(state, std::chrono::hours(24 * 365));
    } else if (state.status != store::ContainerStatus::created) {
      break;
    } else {
      std::this_thread::sleep_for(100ms);
    }
    state = containers.read_state(record.id).effective();
  }
  fmt::print("{}\n", state.exit_code);
  std::fflush(stdout);
}

} // namespace

Action setup_wait(CLI::App& app, const GlobalOptions& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("containers", *names, "Containers to wait for")->required();
  return [&global, names] { return for_each_container(global, *names, false, wait_one); };
}

} // namespace strata::cli
