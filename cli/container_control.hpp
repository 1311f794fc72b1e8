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
// SIGTERM, so it can act on it; it is then running again). `Error{conflict}` when it is not
// running.
void signal_container(store::ContainerStore& containers, const store::ContainerRecord& record,
                      int sig);

// Waits up to `timeout` for the container's monitor to finish (it records the exit, and with
// --rm removes the container). True when it did, or was not running.
bool wait_for_monitor(const store::ContainerState& state, std::chrono::milliseconds timeout);

// `docker stop`: the stop signal (`-s`, else Config.StopSignal, else SIGTERM), then SIGKILL
// after `timeout` seconds (else Config.StopTimeout, else 10; -1 waits for ever); returns once the
// exit is recorded. A container that is not running is fine.
void stop_container(store::ContainerStore& containers, const store::ContainerRecord& record,
                    std::optional<int> timeout, const std::string& signal);

// `docker rm [-f]`: with `force` a running container is killed and its exit recorded first;
// then, under the container's lock, a container (still, or again) running is refused
// (`Error{conflict}` without `force`, false with it), a dead monitor's cgroup is removed, every
// `wait` in progress is let finish, and the container is removed (true).
bool remove_container(store::ContainerStore& containers, const store::ContainerRecord& record,
                      bool force);

// Before a start: a stored state still "running" whose monitor is dead (SIGKILLed) may have
// left its cgroup behind; it is removed so the new start can make its own.
void clean_up_after_dead_monitor(const store::ContainerRecord& record,
                                 const store::ContainerState& stored);

// docker's bulk commands (stop, kill, rm, pause, ...): `action` on each named container in turn,
// printing the name as given after each success (`print_names`) and the error after a failure;
// returns 0, or 1 when any failed.
[[nodiscard]] int for_each_container(
    const GlobalOptions& global, const std::vector<std::string>& names, bool print_names,
    const std::function<void(store::ContainerStore&, const store::ContainerRecord&)>& action);

// The container's cgroup name ("strata/<id>").
[[nodiscard]] std::string cgroup_name(const store::ContainerRecord& record);

} // namespace strata::cli
