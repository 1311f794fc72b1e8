#pragma once
// Runs one of Docker's credential helpers, `docker-credential-<name> <action>` (the protocol of
// github.com/docker/docker-credential-helpers): found on PATH (posix_spawnp, no shell), `input`
// written to its stdin, its stdout and stderr collected (each capped at 1 MiB), killed after
// `timeout`. Used by credentials.cpp.
//
// Its stdin is one end of a socketpair, not a pipe: a helper that exits without reading cannot
// kill strata with SIGPIPE (the input is sent with MSG_NOSIGNAL).
//
// Failure: `Error{not_found}` when no such program is on PATH; `Error{child_failed}` when it
// times out (it is killed and reaped); `Error{io}` for a failed system call. A helper that runs
// and exits non-zero is not an error here: its status and output are returned.
// Thread-safety: safe to call from several threads (no shared state; every fd is O_CLOEXEC).

#include <chrono>
#include <string>
#include <string_view>

namespace strata::store {

struct HelperOutput {
  int exit_status = 0; // the exit code, or 128 + the signal that killed it
  std::string out;
  std::string err;
};

[[nodiscard]] HelperOutput run_credential_helper(std::string_view name, std::string_view action,
                                                 std::string_view input,
                                                 std::chrono::milliseconds timeout);

} // namespace strata::store
