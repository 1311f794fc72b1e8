// Starting containers: the monitor's recipe (container_start.hpp).

#include "cli/container_start.hpp"

#include "cli/container_config.hpp"
#include "cli/container_control.hpp"
#include "cli/error_output.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "runtime/container_log.hpp"
#include "runtime/io_relay.hpp"
#include "runtime/process.hpp"
#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cstring>
#include <functional>
#include <optional>

namespace strata::cli {
namespace {

constexpr int k_exit_start_failed = 125;

struct PipeFds {
  UniqueFd read_end;
  UniqueFd write_end;
};

PipeFds make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw_errno("pipe");
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string exec_failure_text(const std::string& command, int err) {
  std::string why = command.find('/') == std::string::npos && err == ENOENT
                        ? "executable file not found in $PATH"
                        : std::strerror(err);
  if (!why.empty()) {
    why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0]))); // Go's wording
  }
  return fmt::format("failed to start the container process: exec: \"{}\": {}", command, why);
}

// How the container's stdio is wired, and the descriptors that must outlive the start.
struct Wiring {
  runtime::IoRelay relay;
  UniqueFd pty_master;              // -t: the container's pty
  std::vector<UniqueFd> child_ends; // closed in this process once the child has them
  UniqueFd held_stdin;              // detached -i: a stdin that never reaches EOF
  std::optional<runtime::RawTerminal> raw;
};

// -t, once the container runs: its pty master relayed (to the log only when detached; a
// detached container keeps its terminal open, as docker's `-dt`).
void wire_tty(Wiring& w, UniqueFd master, bool interactive, bool attached) {
  w.pty_master = std::move(master);
  UniqueFd reader(::fcntl(w.pty_master.get(), F_DUPFD_CLOEXEC, 3));
  if (!reader) {
    throw_errno("dup");
  }
  w.relay.add_output(std::move(reader), attached ? STDOUT_FILENO : -1,
                     runtime::LogStream::stdout_stream);
  if (attached) {
    runtime::copy_window_size(STDIN_FILENO, w.pty_master.get());
    w.relay.set_resize(STDIN_FILENO, w.pty_master.get());
    if (interactive) {
      w.relay.add_input(STDIN_FILENO, w.pty_master.get());
      w.raw.emplace(STDIN_FILENO);
    }
  }
}

// Attached: output to our stdout/stderr; detached: to the log only (`to` = -1).
void wire(Wiring& w, runtime::ContainerSpec& spec, bool tty, bool interactive, bool attached) {
  const int out = attached ? STDOUT_FILENO : -1;
  const int err = attached ? STDERR_FILENO : -1;
  if (tty) {
    spec.tty = true; // wired by `wire_tty` once the container's pty exists
    return;
  }
  PipeFds stdout_pipe = make_pipe();
  PipeFds stderr_pipe = make_pipe();
  spec.stdout_fd = stdout_pipe.write_end.get();
  spec.stderr_fd = stderr_pipe.write_end.get();
  w.relay.add_output(std::move(stdout_pipe.read_end), out, runtime::LogStream::stdout_stream);
  w.relay.add_output(std::move(stderr_pipe.read_end), err, runtime::LogStream::stderr_stream);
  w.child_ends.push_back(std::move(stdout_pipe.write_end));
  w.child_ends.push_back(std::move(stderr_pipe.write_end));
  if (interactive) {
    PipeFds stdin_pipe = make_pipe();
    spec.stdin_fd = stdin_pipe.read_end.get();
    w.child_ends.push_back(std::move(stdin_pipe.read_end));
    if (attached) {
      w.relay.add_input(STDIN_FILENO, stdin_pipe.write_end.get());
    } else {
      w.held_stdin = std::move(stdin_pipe.write_end);
    }
  }
}

store::ContainerState failed_state(store::ContainerState state, int status,
                                   const std::string& why) {
  state.status = state.started_at == store::k_zero_time ? store::ContainerStatus::created
                                                        : store::ContainerStatus::exited;
  state.exit_code = status;
  state.error = why;
  state.process = {};
  state.monitor = {};
  return state;
}

// `--rm` (HostConfig.AutoRemove): after the exit is recorded, and also after a failed start (as
// moby's containerStart). Every `wait` in progress reads the exit first (wait.lock).
void remove_if_auto(store::ContainerStore& containers, const store::ContainerRecord& record,
                    const nlohmann::json& doc) {
  if (!doc.value("HostConfig", nlohmann::json::object()).value("AutoRemove", false)) {
    return;
  }
  try {
    std::ignore = containers.wait_lock(record.id, store::LockMode::exclusive);
    containers.remove(record);
  } catch (const Error& e) {
    log::debug("remove {}: {}", record.short_id(), e.what()); // `rm -f` was first
  }
}

// Called once the command runs (or failed to start) with 0 or the failure status and message.
using StartedHook = std::function<void(int status, const std::string& message)>;

// The monitor's recipe, in the monitor process. Returns the container's status.
int supervise(const GlobalOptions& global, const store::ContainerRecord& record, bool attached,
              const StartedHook& started) {
  store::ContainerStore containers = open_containers(global);
  const nlohmann::json doc = parse_config(record);
  const nlohmann::json config = doc.value("Config", nlohmann::json::object());
  const bool tty = config.value("Tty", false);
  const bool interactive = config.value("OpenStdin", false);
  std::optional<runtime::ContainerProcess> container;
  std::optional<runtime::JsonLog> log;
  Wiring wiring;
  runtime::ContainerSpec spec;
  {
    const store::FileLock lock = containers.lock_container(record.id);
    const store::ContainerState stored = containers.read_state(record.id);
    const store::ContainerState before = stored.effective();
    if (before.is_running()) {
      started(0, "");
      return 0;
    }
    clean_up_after_dead_monitor(record, stored);
    try {
      const store::ImageStore images = open_store(global);
      spec = spec_from_config(record, images.root(), images.snapshots());
      wire(wiring, spec, tty, interactive, attached);
      log.emplace(record.log_path());
      wiring.relay.set_log(&*log);
      container.emplace(runtime::ContainerProcess::start(spec));
    } catch (const Error& e) {
      const int status = start_failure_status(e);
      containers.write_state(record.id, failed_state(before, status, e.what()));
      remove_if_auto(containers, record, doc);
      started(status, e.what());
      return status;
    }
    wiring.child_ends.clear();
    if (tty && !container->exec_failure()) {
      wire_tty(wiring, container->take_pty_master(), interactive, attached);
    }
    if (const auto& failure = container->exec_failure()) {
      const int status = failure->status();
      const std::string why = exec_failure_text(spec.args.front(), failure->value);
      containers.write_state(record.id, failed_state(before, status, why));
      remove_if_auto(containers, record, doc);
      started(status, why);
      return status;
    }
    store::ContainerState running;
    running.status = store::ContainerStatus::running;
    running.process = store::ProcessIdentity::of(container->pid()).value_or(store::ProcessIdentity{});
    running.monitor = store::ProcessIdentity::of(::getpid()).value_or(store::ProcessIdentity{});
    running.started_at = store::now_rfc3339_nano();
    running.finished_at = store::k_zero_time;
    containers.write_state(record.id, running);
  }
  started(0, "");
  const runtime::ContainerExit exit = container->wait(&wiring.relay);
  wiring.raw.reset();
  const int status = exit.status();
  try {
    std::ignore = containers.update_state(record.id, [&](store::ContainerState& state) {
      state.status = store::ContainerStatus::exited;
      state.exit_code = status;
      state.oom_killed = exit.oom_killed;
      state.process = {};
      state.monitor = {};
      state.finished_at = store::now_rfc3339_nano();
    });
    remove_if_auto(containers, record, doc);
  } catch (const Error& e) {
    // `rm -f` removed it meanwhile: nothing left to record.
    log::debug("record the exit of {}: {}", record.short_id(), e.what());
  }
  return status;
}

// The monitor's report to the CLI: "<status> <message>" in one write.
void report(int fd, int status, const std::string& message) {
  const std::string text = fmt::format("{} {}", status, message);
  std::ignore = ::write(fd, text.data(), text.size());
}

[[noreturn]] void monitor_main(const GlobalOptions& global, const store::ContainerRecord& record,
                               UniqueFd report_fd) {
  ::setsid();
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int target = 0; target < 3; ++target) {
    ::dup2(null_fd, target);
  }
  // Nothing of the CLI's survives (locks, the caller's pipes): only the report pipe.
  const int keep = report_fd.get();
  if (keep > 3) {
    ::syscall(SYS_close_range, 3U, static_cast<unsigned>(keep - 1), 0U);
  }
  ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0U, 0U);
  int status = 0;
  try {
    status = supervise(global, record, false, [&](int s, const std::string& message) {
      report(report_fd.get(), s, message);
      report_fd = UniqueFd();
    });
  } catch (const std::exception& e) {
    if (report_fd) {
      report(report_fd.get(), k_exit_start_failed, e.what());
    }
    status = k_exit_start_failed;
  }
  ::_exit(status == 0 ? 0 : 1);
}

} // namespace

int start_failure_status(const Error& error) {
  if (error.kind() != ErrorKind::child_failed) {
    return k_exit_start_failed;
  }
  switch (error.sys_errno()) {
  case ENOENT:
    return 127;
  case EACCES:
  case EISDIR:
    return 126;
  default:
    return k_exit_start_failed;
  }
}

int start_attached(const GlobalOptions& global, const store::ContainerRecord& record,
                   bool interactive) {
  (void)interactive; // config.json's OpenStdin decides, as docker's AttachStdin
  return supervise(global, record, true, [](int status, const std::string& message) {
    if (status != 0) {
      fmt::print(stderr, "strata: {}\n", message);
    }
  });
}

int start_detached(const GlobalOptions& global, const store::ContainerRecord& record) {
  PipeFds channel = make_pipe();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw_errno("fork");
  }
  if (pid == 0) {
    channel.read_end = UniqueFd();
    monitor_main(global, record, std::move(channel.write_end));
  }
  channel.write_end = UniqueFd();
  std::string text;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(channel.read_end.get(), buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      break;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  const auto space = text.find(' ');
  if (space == std::string::npos) {
    print_error(Error(ErrorKind::child_failed, "the container's monitor process died"));
    return k_exit_start_failed;
  }
  const int status = std::atoi(text.substr(0, space).c_str());
  if (status != 0) {
    fmt::print(stderr, "strata: {}\n", text.substr(space + 1));
  }
  return status;
}

} // namespace strata::cli
