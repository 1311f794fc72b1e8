// `strata pause CONTAINER...` / `strata unpause CONTAINER...`: freezes or thaws every process of
// the container through its cgroup's freezer (v1 freezer or v2 cgroup.freeze), as docker's.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/container_control.hpp"
#include "common/error.hpp"
#include "runtime/cgroup.hpp"

namespace strata::cli {
namespace {

runtime::Cgroup container_cgroup(const store::ContainerRecord& record) {
  std::optional<runtime::Cgroup> cgroup = runtime::Cgroup::open(cgroup_name(record));
  if (!cgroup) {
    throw Error(ErrorKind::not_found,
                fmt::format("container {}: its cgroup is gone", record.short_id()));
  }
  return std::move(*cgroup);
}

void pause(store::ContainerStore& containers, const store::ContainerRecord& record) {
  const store::FileLock lock = containers.lock_container(record.id);
  store::ContainerState state = containers.read_state(record.id).effective();
  if (state.status == store::ContainerStatus::paused) {
    throw Error(ErrorKind::conflict, fmt::format("container {} is already paused", record.id));
  }
  if (state.status != store::ContainerStatus::running) {
    throw_not_running(record);
  }
  container_cgroup(record).freeze();
  state.status = store::ContainerStatus::paused;
  containers.write_state(record.id, state);
}

void unpause(store::ContainerStore& containers, const store::ContainerRecord& record) {
  const store::FileLock lock = containers.lock_container(record.id);
  store::ContainerState state = containers.read_state(record.id).effective();
  if (state.status != store::ContainerStatus::paused) {
    throw Error(ErrorKind::conflict, fmt::format("container {} is not paused", record.id));
  }
  container_cgroup(record).thaw();
  state.status = store::ContainerStatus::running;
  containers.write_state(record.id, state);
}

} // namespace

Action setup_pause(CLI::App& app, const GlobalOptions& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("containers", *names, "Containers to pause")->required();
  return [&global, names] { return for_each_container(global, *names, true, pause); };
}

Action setup_unpause(CLI::App& app, const GlobalOptions& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("containers", *names, "Containers to unpause")->required();
  return [&global, names] { return for_each_container(global, *names, true, unpause); };
}

} // namespace strata::cli
