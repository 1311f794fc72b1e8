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
    if (left.count() <= 0) {
      return ::poll(&p, 1, 0) > 0;
    }
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30)));
    if (ready > 0) {
      return true;
    }
    if (ready < 0 && errno != EINTR) {
      throw_errno("poll");
    }
  }
}

// A paused container given a signal that should end it is thawed so it can act on it, and is
// then running again, in its state too (docker's).
void thaw_if_frozen(store::ContainerStore& containers, const store::ContainerRecord& record) {
  if (const auto cgroup = runtime::Cgroup::open(cgroup_name(record))) {
    try {
      if (cgroup->is_frozen()) {
        cgroup->thaw();
      }
    } catch (const Error& e) {
      if (e.sys_errno() != ENOENT) {
        throw;
      }
      // the cgroup went away meanwhile: the container ended, nothing to thaw
    }
  }
  try {
    std::ignore = containers.update_state(record.id, [](store::ContainerState& state) {
      if (state.status == store::ContainerStatus::paused) {
        state.status = store::ContainerStatus::running;
      }
    });
  } catch (const Error& e) {
    log::debug("container {}: {}", record.short_id(), e.what()); // it ended meanwhile
  }
}

// The cgroup a monitor that was SIGKILLed could not remove.
void remove_leftover_cgroup(const store::ContainerRecord& record) {
  if (const auto cgroup = runtime::Cgroup::open(cgroup_name(record))) {
    try {
      cgroup->kill_all(SIGKILL);
      cgroup->destroy();
    } catch (const Error& e) {
      log::warn("container {}: remove its cgroup: {}", record.short_id(), e.what());
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

void signal_container(store::ContainerStore& containers, const store::ContainerRecord& record,
                      int sig) {
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
    thaw_if_frozen(containers, record);
  }
}

bool wait_for_monitor(const store::ContainerState& state, std::chrono::milliseconds timeout) {
  if (!state.is_running()) {
    return true;
  }
  const UniqueFd monitor = open_identity(state.monitor);
  return !monitor || wait_pidfd(monitor.get(), timeout);
}

void stop_container(store::ContainerStore& containers, const store::ContainerRecord& record,
                    std::optional<int> timeout, const std::string& signal) {
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
      thaw_if_frozen(containers, record);
    }
    // -1: wait for as long as it takes, as docker's.
    const std::chrono::milliseconds grace =
        *timeout < 0 ? std::chrono::milliseconds(std::chrono::hours(24 * 365 * 100))
                     : std::chrono::milliseconds(std::chrono::seconds(*timeout));
    if (!wait_pidfd(process.get(), grace)) {
      log::debug("container {} did not stop after {}s: SIGKILL", record.short_id(), *timeout);
      ::syscall(SYS_pidfd_send_signal, process.get(), SIGKILL, nullptr, 0);
      thaw_if_frozen(containers, record);
    }
  }
  if (!wait_for_monitor(state, 30s)) {
    throw Error(ErrorKind::io, fmt::format("container {}: the monitor did not record the exit",
                                           record.short_id()));
  }
}

bool remove_container(store::ContainerStore& containers, const store::ContainerRecord& record,
                      bool force) {
  const store::ContainerState seen = record.state.effective();
  if (force && seen.is_running()) {
    if (const UniqueFd process = open_identity(seen.process)) {
      ::syscall(SYS_pidfd_send_signal, process.get(), SIGKILL, nullptr, 0);
    }
    thaw_if_frozen(containers, record);
    std::ignore = wait_for_monitor(seen, 30s);
  }
  // Decided under the container's lock: a `start` racing this one either finished (and the
  // container is running: refused) or waits and then finds it gone.
  const store::FileLock lock = containers.lock_container(record.id);
  const store::ContainerState stored = containers.read_state(record.id);
  if (stored.effective().is_running()) {
    if (!force) {
      throw Error(ErrorKind::conflict,
                  fmt::format("cannot remove container \"/{}\": container is running: stop the "
                              "container before removing or force remove",
                              record.name));
    }
    return false; // started again meanwhile
  }
  if (stored.is_running()) { // its monitor died: the cgroup may be left
    remove_leftover_cgroup(record);
  }
  // Every `wait` in progress reads the exit first (store/container_store.hpp, wait.lock).
  std::ignore = containers.wait_lock(record.id, store::LockMode::exclusive);
  containers.remove(record);
  return true;
}

void clean_up_after_dead_monitor(const store::ContainerRecord& record,
                                 const store::ContainerState& stored) {
  if (stored.is_running() && !stored.effective().is_running()) {
    remove_leftover_cgroup(record);
  }
}

} // namespace strata::cli
