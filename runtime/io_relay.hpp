#pragma once
// `IoRelay`: the container's stdio while `ContainerProcess::wait` (process.hpp) waits for it.
// Output streams are copied from the container's pipe (or pty master) to the caller's stdout and
// stderr and to the log (`JsonLog`); the caller's stdin is copied to the container's (`-i`). The
// wait loop polls these descriptors next to the pidfd and the signalfd, in one thread.
//
// Ownership: the relay owns the container-side ends it is given and closes them; the caller's
// descriptors (0, 1, 2) are never closed. A destination that fails (EPIPE: `strata run … | head`)
// is dropped and the stream keeps going to the log; stdin's EOF closes the container's stdin
// once what was read is written.

#include "common/unique_fd.hpp"
#include "runtime/container_log.hpp"

#include <poll.h>

#include <string>
#include <vector>

namespace strata::runtime {

class IoRelay {
public:
  // `from` (owned: a pipe's read end or a pty master) → `to` (the caller's, -1 = log only) and the
  // log as `stream`.
  void add_output(UniqueFd from, int to, LogStream stream);
  // `from` (the caller's, usually 0) → `to` (owned: the container's stdin pipe or a pty master,
  // which may be the same descriptor as an output's: it is duplicated).
  void add_input(int from, int to);
  void set_log(JsonLog* log) noexcept { log_ = log; }
  // With a tty: SIGWINCH resizes `pty_master` from the caller's terminal `terminal`.
  void set_resize(int terminal, int pty_master) noexcept {
    terminal_ = terminal;
    pty_master_ = pty_master;
  }

  // The wait loop's side (`ChildProcess::wait_forwarding`): descriptors to poll, appended to
  // `fds`.
  void add_pollfds(std::vector<pollfd>& fds) const;
  // `fds` points at the entries `add_pollfds` appended, now with revents.
  void handle(const pollfd* fds);
  // After PID 1 exited: copies what is left until every output reaches EOF (bounded by time:
  // the PID namespace is gone, so every writer is too).
  void drain();
  // True when the relay consumed the signal (SIGWINCH with a tty).
  [[nodiscard]] bool on_signal(int sig);

private:
  struct Output {
    UniqueFd from;
    int to = -1;
    LogStream stream = LogStream::stdout_stream;
  };
  // The container's side is non-blocking: what it does not take yet waits in `pending` while
  // the caller's side is not read, so a container that does not read its stdin while it fills
  // its stdout (`… | strata run -i busybox cat`) never deadlocks the one relay thread.
  struct Input {
    int from = -1;
    UniqueFd to;
    std::string pending;
    bool eof = false; // `from` ended: `to` closes once `pending` is written
  };
  // Reads one chunk; false at EOF or error (the output is then closed).
  bool pump(Output& output);
  void read_input(Input& input);
  void flush_input(Input& input);

  std::vector<Output> outputs_;
  std::vector<Input> inputs_;
  JsonLog* log_ = nullptr;
  int terminal_ = -1;
  int pty_master_ = -1;
};

} // namespace strata::runtime
