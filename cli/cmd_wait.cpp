// `strata wait CONTAINER...`: blocks until each container stops, then prints its exit code, as
// `docker wait`. A created container is waited for until it has run. The state is re-read every
// 50 ms while the monitor lives (it writes the exit just before it ends).

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "cli/command.hpp"
#include "cli/container_control.hpp"
#include "common/error.hpp"

namespace strata::cli {
namespace {

using namespace std::chrono_literals;

// Holds `<dir>/wait.lock` shared while waiting: the monitor of a `--rm` container takes it
// exclusive between recording the exit and removing the container, so the exit code is read
// before the container is gone (docker's `wait` on a `--rm` container prints it too).
// The state, or docker's "No such container" once it is gone (removed by someone else).
store::ContainerState current(const store::ContainerStore& containers,
                              const store::ContainerRecord& record) {
  try {
    return containers.read_state(record.id).effective();
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT) {
      throw Error(ErrorKind::not_found, fmt::format("No such container: {}", record.name));
    }
    throw;
  }
}

void wait_one(store::ContainerStore& containers, const store::ContainerRecord& record) {
  const store::FileLock waiting = containers.wait_lock(record.id, store::LockMode::shared);
  store::ContainerState state = current(containers, record);
  while (state.is_running() || state.status == store::ContainerStatus::created) {
    if (!state.is_running() || !wait_for_monitor(state, 50ms)) {
      std::this_thread::sleep_for(state.is_running() ? 0ms : 50ms);
    }
    state = current(containers, record);
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
