#pragma once
// Starting a created or exited container, for `run`, `start` (and their attached and detached
// forms). The process that waits for the container is its monitor: it records the state
// (`running` with the PID's identity, then `exited` with the status), relays or logs its output
// (docker's json-file log), and removes it afterwards with `--rm` (HostConfig.AutoRemove).
// - attached (`run`, `start -a`): this process is the monitor; stdout and stderr are relayed
//   apart (a pty with `-t`, the terminal in raw mode with `-i`), signals forwarded;
// - detached (`run -d`, `start`): a forked monitor (setsid, stdio on /dev/null, every other fd
//   closed) runs it; the caller returns once the command runs, or with the start error.
// A SIGKILLed monitor takes the container with it (PR_SET_PDEATHSIG) and `ps` shows it exited
// (`ContainerState::effective`).

#include "cli/command.hpp"
#include "common/error.hpp"
#include "store/container_store.hpp"

namespace strata::cli {

// Runs the container in this process until it exits; returns docker's status (the command's,
// 125/126/127 for a failed start — the error is printed).
[[nodiscard]] int start_attached(const GlobalOptions& global, const store::ContainerRecord& record,
                                 bool interactive);

// Starts the container under a forked monitor; returns 0 once the command runs, or docker's
// status for a failed start after printing why.
[[nodiscard]] int start_detached(const GlobalOptions& global, const store::ContainerRecord& record);

// docker's CLI: a failed start is 127 when the cause is a missing file, 126 when it is EACCES or
// EISDIR, else 125.
[[nodiscard]] int start_failure_status(const Error& error);

} // namespace strata::cli
