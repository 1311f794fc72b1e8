// Signalling and waiting for containers (container_control.hpp).

#include "cli/container_control.hpp"

#include "cli/container_config.hpp"
#include "cli/error_output.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/signals.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

namespace strata::cli {
namespace {

using namespace std::chrono_literals;

// A pidfd for `identity`, or an empty fd when that process is gone.
UniqueFd open_identity(const store::ProcessIdentity& identity) {
  if (identity.pid <= 0 || !identity.alive()) {
    return UniqueFd();
  }
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, identity.pid, 0)));
  // Checked again once the pidfd pins the process: the PID cannot be recycled now.
  if (fd && !identity.alive()) {
    return UniqueFd();
  }
  return fd;
}

bool wait_pidfd(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (ready > 0) {
      return true;
    }
    if (ready == 0) {
      return false;
    }
    if (errno != EINTR) {
      throw_errno("poll");
    }
  }
}

void thaw_if_frozen(const store::ContainerRecord& record) {
  if (const auto cgroup = runtime::Cgroup::open(cgroup_name(record))) {
    if (cgroup->is_frozen()) {
      cgroup->thaw();
    }
  }
}

} // namespace

int for_each_container(
    const GlobalOptions& global, const std::vector<std::string>& names, bool print_names,
    const std::function<void(store::ContainerStore&, const store::ContainerRecord&)>& action) {
  store::ContainerStore containers = open_containers(global);
  int status = k_exit_ok;
  for (const std::string& name : names) {
    try {
      action(containers, containers.resolve(name));
      if (print_names) {
        fmt::print("{}\n", name);
        std::fflush(stdout);
      }
    } catch (const Error& e) {
      print_error(e);
      status = k_exit_failure;
    }
  }
  return status;
}

std::string cgroup_name(const store::ContainerRecord& record) {
  return "strata/" + record.id;
}

void throw_not_running(const store::ContainerRecord& record) {
  throw Error(ErrorKind::conflict, fmt::format("container {} is not running", record.id));
}

void signal_container(const store::ContainerRecord& record, int sig) {
  const store::ContainerState state = record.state.effective();
  if (!state.is_running()) {
    throw_not_running(record);
  }
  const UniqueFd process = open_identity(state.process);
  if (!process) {
    throw_not_running(record);
  }
  if (::syscall(SYS_pidfd_send_signal, process.get(), sig, nullptr, 0) != 0 && errno != ESRCH) {
    throw_errno("signal the container");
  }
  if (state.status == store::ContainerStatus::paused && (sig == SIGKILL || sig == SIGTERM)) {
    thaw_if_frozen(record);
  }
}

bool wait_for_monitor(const store::ContainerState& state, std::chrono::milliseconds timeout) {
  if (!state.is_running()) {
    return true;
  }
  const UniqueFd monitor = open_identity(state.monitor);
  return !monitor || wait_pidfd(monitor.get(), timeout);
}

void stop_container(const store::ContainerRecord& record, std::optional<int> timeout,
                    const std::string& signal) {
  const store::ContainerState state = record.state.effective();
  if (!state.is_running()) {
    return;
  }
  const nlohmann::json config = parse_config(record).value("Config", nlohmann::json::object());
  std::string name = signal;
  if (name.empty()) {
    name = config.value("StopSignal", std::string("SIGTERM"));
  }
  if (!timeout) {
    timeout = config.value("StopTimeout", 10);
  }
  const UniqueFd process = open_identity(state.process);
  if (process) {
    ::syscall(SYS_pidfd_send_signal, process.get(), runtime::parse_signal(name), nullptr, 0);
    if (state.status == store::ContainerStatus::paused) {
      thaw_if_frozen(record);
    }
    const auto grace = std::chrono::seconds(std::max(*timeout, 0));
    if (*timeout < 0 || !wait_pidfd(process.get(), *timeout < 0 ? 24h : grace)) {
      log::debug("container {} did not stop after {}s: SIGKILL", record.short_id(), *timeout);
      ::syscall(SYS_pidfd_send_signal, process.get(), SIGKILL, nullptr, 0);
      thaw_if_frozen(record);
    }
  }
  if (!wait_for_monitor(state, 30s)) {
    throw Error(ErrorKind::io, fmt::format("container {}: the monitor did not record the exit",
                                           record.short_id()));
  }
}

void kill_and_reap(const store::ContainerRecord& record) {
  const store::ContainerState state = record.state.effective();
  if (state.is_running()) {
    if (const UniqueFd process = open_identity(state.process)) {
      ::syscall(SYS_pidfd_send_signal, process.get(), SIGKILL, nullptr, 0);
    }
    thaw_if_frozen(record);
    std::ignore = wait_for_monitor(state, 30s);
  }
  if (const auto cgroup = runtime::Cgroup::open(cgroup_name(record))) {
    try {
      cgroup->kill_all(SIGKILL);
      cgroup->destroy();
    } catch (const Error& e) {
      log::warn("container {}: remove its cgroup: {}", record.short_id(), e.what());
    }
  }
}

} // namespace strata::cli
