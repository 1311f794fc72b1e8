#pragma once
// Signalling and waiting for containers from any strata process (`stop`, `kill`, `rm -f`,
// `wait`, `pause`). A container's PID 1 and its monitor are known by `ProcessIdentity` (PID,
// start time, boot ID); each is opened as a pidfd and checked again after opening, so a
// recycled PID is never signalled, and waiting polls the pidfd (no busy loop).

#include "cli/command.hpp"
#include "store/container_store.hpp"

#include <functional>
#include <vector>

#include <chrono>
#include <optional>
#include <string>

namespace strata::cli {

// docker's "container <id> is not running" (`Error{conflict}`).
[[noreturn]] void throw_not_running(const store::ContainerRecord& record);

// Sends `sig` to the container's PID 1 (thawing a paused container afterwards for SIGKILL and
// the stop signal, so it can act on it). `Error{conflict}` when it is not running.
void signal_container(const store::ContainerRecord& record, int sig);

// Waits up to `timeout` for the container's monitor to finish (it records the exit, and with
// --rm removes the container). True when it did, or was not running.
bool wait_for_monitor(const store::ContainerState& state, std::chrono::milliseconds timeout);

// `docker stop`: the stop signal (`-s`, else Config.StopSignal, else SIGTERM), then SIGKILL
// after `timeout` seconds (else Config.StopTimeout, else 10); returns once the exit is recorded.
// A container that is not running is fine.
void stop_container(const store::ContainerRecord& record, std::optional<int> timeout,
                    const std::string& signal);

// Kills a running container (SIGKILL to every process of its cgroup), waits for its monitor,
// and removes a leftover cgroup (a monitor that was SIGKILLed could not).
void kill_and_reap(const store::ContainerRecord& record);

// docker's bulk commands (stop, kill, rm, pause, ...): `action` on each named container in turn,
// printing the name as given after each success (`print_names`) and the error after a failure;
// returns 0, or 1 when any failed.
[[nodiscard]] int for_each_container(
    const GlobalOptions& global, const std::vector<std::string>& names, bool print_names,
    const std::function<void(store::ContainerStore&, const store::ContainerRecord&)>& action);

// The container's cgroup name ("strata/<id>").
[[nodiscard]] std::string cgroup_name(const store::ContainerRecord& record);

} // namespace strata::cli
