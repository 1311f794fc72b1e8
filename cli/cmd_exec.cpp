// `strata exec [OPTIONS] CONTAINER COMMAND [ARG...]`: runs a command in a running container, as
// `docker exec` does (runtime/exec_process.hpp does the joining).
//
// What the command gets, as dockerd gives it: the container's `Config.Env` (over a default PATH
// and HOSTNAME), then `--env-file` and `-e` (a bare `KEY` takes the caller's value, or unsets
// KEY when the caller has none); `-u` or the container's `Config.User`; `-w` or its
// `Config.WorkingDir`; the container's capabilities (`HostConfig.CapAdd/CapDrop/Privileged`,
// every one with `--privileged`) under the container's seccomp profile (`StrataSeccomp`).
// Output goes straight to the caller's stdout and stderr (it is not logged); stdin is the
// caller's with `-i`, else /dev/null. With `-t` the command's stdio is a new pty, relayed to the
// caller's terminal (raw with `-i`; TERM=xterm). `-d` starts the command under a monitor
// process in its own session, stdio on /dev/null and no terminal, and returns once it runs.
//
// Exit status (docker's): the command's own; 126/127 when it cannot be started ("OCI runtime
// exec failed: ..."); 1 for "No such container", a container that is not running or is paused,
// and `-d` failures; 125 for an unknown flag before CONTAINER.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/env_file.hpp"
#include "cli/error_output.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/exec_process.hpp"
#include "runtime/io_relay.hpp"
#include "runtime/terminal.hpp"

namespace strata::cli {
namespace {

constexpr int k_exit_flag_error = 125;
constexpr int k_exit_cannot_execute = 126;
constexpr int k_exit_not_found = 127;

struct ExecOptions {
  bool interactive = false;
  bool tty = false;
  bool detach = false;
  bool privileged = false;
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string workdir;
  std::string user;
  std::string container;
  std::vector<std::string> command;
};

std::vector<std::string> json_strings(const nlohmann::json& object, const char* key) {
  std::vector<std::string> out;
  const auto it = object.find(key);
  if (it != object.end() && it->is_array()) {
    for (const auto& value : *it) {
      if (value.is_string()) {
        out.push_back(value.get<std::string>());
      }
    }
  }
  return out;
}

std::string json_string(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json json_object(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : nlohmann::json::object();
}

// KEY=VALUE set or replaced in place; a bare KEY removes it (docker's ReplaceOrAppendEnvValues).
void override_env(std::vector<std::string>& env, const std::string& entry) {
  const std::size_t eq = entry.find('=');
  const std::string key = entry.substr(0, eq);
  for (auto it = env.begin(); it != env.end(); ++it) {
    if (it->substr(0, it->find('=')) == key) {
      if (eq == std::string::npos) {
        env.erase(it);
      } else {
        *it = entry;
      }
      return;
    }
  }
  if (eq != std::string::npos) {
    env.push_back(entry);
  }
}

// A bare KEY takes the caller's value; without one it stays bare (`-e`: unset) or is dropped
// (`--env-file`), as docker's `ReadKVEnvStrings`.
std::optional<std::string> with_caller_value(const std::string& key) {
  if (const char* value = std::getenv(key.c_str()); value != nullptr) {
    return key + "=" + value;
  }
  return std::nullopt;
}

// dockerd's `CreateDaemonEnvironment` + `ReplaceOrAppendEnvValues`: PATH and HOSTNAME, TERM with
// a tty, the container's Env, then the env files and `-e`.
std::vector<std::string> exec_env(const nlohmann::json& config, const ExecOptions& options) {
  std::vector<std::string> env = {std::string("PATH=") + runtime::k_default_path,
                                  "HOSTNAME=" + json_string(config, "Hostname")};
  if (options.tty) {
    env.emplace_back("TERM=xterm");
  }
  for (const std::string& entry : json_strings(config, "Env")) {
    override_env(env, entry);
  }
  std::vector<std::string> overrides;
  for (const std::string& file : options.env_files) {
    const std::vector<std::string> entries = read_env_file(file);
    overrides.insert(overrides.end(), entries.begin(), entries.end());
  }
  for (const std::string& entry : options.env) {
    overrides.push_back(
        entry.find('=') != std::string::npos ? entry : with_caller_value(entry).value_or(entry));
  }
  for (const std::string& entry : overrides) {
    override_env(env, entry);
  }
  return env;
}

// The container's capabilities and seccomp profile (config.json's HostConfig and
// StrataSeccomp); `exec --privileged` adds every capability, under the container's filter.
void apply_security(runtime::ExecSpec& spec, const nlohmann::json& doc, const ExecOptions& options,
                    const std::string& store_root) {
  const nlohmann::json host = json_object(doc, "HostConfig");
  const bool privileged = host.value("Privileged", false);
  spec.seccomp_capabilities = runtime::resolve_capabilities(
      runtime::docker_default_capabilities(), json_strings(host, "CapAdd"),
      json_strings(host, "CapDrop"),
      privileged ? runtime::Privileged::yes : runtime::Privileged::no);
  spec.capabilities = options.privileged ? runtime::all_capabilities() : spec.seccomp_capabilities;
  std::string seccomp = json_string(doc, "StrataSeccomp");
  if (seccomp.empty()) {
    seccomp = privileged ? "unconfined" : "default";
  }
  if (seccomp == "unconfined") {
    spec.seccomp.reset();
  } else if (seccomp == "default") {
    spec.seccomp = runtime::default_seccomp_profile();
    spec.default_seccomp_cache = store_root + "/cache";
  } else {
    spec.seccomp = runtime::parse_seccomp_profile(seccomp, "the container's seccomp profile");
  }
}

runtime::ExecSpec make_spec(const store::ContainerRecord& record,
                            const store::ContainerState& state, const ExecOptions& options,
                            const std::string& store_root) {
  const nlohmann::json doc = nlohmann::json::parse(record.config, nullptr, false);
  if (!doc.is_object()) {
    throw Error(ErrorKind::corrupt,
                fmt::format("container {}: config.json is not a JSON object", record.id));
  }
  const nlohmann::json config = json_object(doc, "Config");
  runtime::ExecSpec spec;
  spec.target = state.process.pid;
  spec.target_start_time = state.process.start_time;
  spec.cgroup_name = "strata/" + record.id;
  spec.args = options.command;
  spec.env = exec_env(config, options);
  spec.user = options.user.empty() ? json_string(config, "User") : options.user;
  spec.cwd = options.workdir.empty() ? json_string(config, "WorkingDir") : options.workdir;
  if (spec.cwd.empty()) {
    spec.cwd = "/";
  }
  if (!spec.cwd.starts_with('/')) {
    throw Error(ErrorKind::usage, fmt::format("the working directory '{}' is invalid, it "
                                              "needs to be an absolute path",
                                              spec.cwd));
  }
  spec.stdin_mode =
      options.interactive ? runtime::StdinMode::inherit : runtime::StdinMode::dev_null;
  apply_security(spec, doc, options, store_root);
  return spec;
}

// The running container named `text`, or docker's daemon errors.
store::ContainerRecord running_container(const store::ContainerStore& containers,
                                         const std::string& text, store::ContainerState& state) {
  store::ContainerRecord record = containers.resolve(text);
  state = record.state.effective();
  if (!state.is_running() || !state.process.alive()) {
    throw Error(ErrorKind::conflict, fmt::format("container {} is not running", record.id));
  }
  if (state.status == store::ContainerStatus::paused) {
    throw Error(ErrorKind::conflict,
                fmt::format("Container {} is paused, unpause the container before exec", text));
  }
  return record;
}

// Go's error text: strerror with a lower-case first letter.
std::string go_strerror(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// What the command could not do, as runc words it after "unable to start container process: ".
std::string start_failure_text(const runtime::ContainerExit& exit, const std::string& command) {
  const bool searched = command.find('/') == std::string::npos;
  return fmt::format("exec: \"{}\": {}", command,
                     searched && exit.value == ENOENT ? "executable file not found in $PATH"
                                                      : go_strerror(exit.value));
}

std::string setup_failure_text(const Error& error) {
  if (error.kind() == ErrorKind::child_failed && error.sys_errno() != 0) {
    return fmt::format("{}: {}", error.message(), go_strerror(error.sys_errno()));
  }
  return error.what();
}

// docker's `translateContainerdStartErr`: a missing file is 127, anything else 126.
int setup_failure_status(const Error& error) {
  const int err = error.kind() == ErrorKind::child_failed ? error.sys_errno() : 0;
  return err == ENOENT || err == ENOTDIR ? k_exit_not_found : k_exit_cannot_execute;
}

std::string oci_message(const std::string& text) {
  return fmt::format("OCI runtime exec failed: exec failed: unable to start container process: "
                     "{}: unknown",
                     text);
}

// A started command, or docker's message and status for one that could not start.
struct Started {
  std::optional<runtime::ExecProcess> process;
  std::string message;
  int status = 0;
};

// Starts the command in container `id` (whose state was `state`).
Started start(const runtime::ExecSpec& spec, const std::string& id,
              const store::ContainerState& state) {
  Started started;
  try {
    runtime::ExecProcess process = runtime::ExecProcess::start(spec);
    if (const auto& failure = process.exec_failure()) {
      started.message = oci_message(start_failure_text(*failure, spec.args.front()));
      started.status = failure->status();
    } else {
      started.process.emplace(std::move(process));
    }
  } catch (const Error& e) {
    if (!state.process.alive()) {
      throw Error(ErrorKind::conflict, fmt::format("container {} is not running", id));
    }
    started.message = oci_message(setup_failure_text(e));
    started.status = setup_failure_status(e);
  }
  return started;
}

int run_attached(const runtime::ExecSpec& spec, const std::string& id,
                 const store::ContainerState& state) {
  Started started = start(spec, id, state);
  if (!started.process) {
    fmt::print(stderr, "{}\n", started.message);
    return started.status;
  }
  return started.process->wait().status();
}

// `-t`: the command's stdio is a new pty of the container, whose master is relayed to the
// caller's stdout (and from its stdin with `-i`, in raw mode); SIGWINCH resizes it.
int run_with_tty(runtime::ExecSpec spec, const std::string& id, const store::ContainerState& state,
                 bool interactive) {
  if (interactive && ::isatty(STDIN_FILENO) == 0) {
    throw Error(ErrorKind::usage, "the input device is not a TTY");
  }
  spec.tty = runtime::ExecTty::yes;
  Started started = start(spec, id, state);
  if (!started.process) {
    fmt::print(stderr, "{}\n", started.message);
    return started.status;
  }
  UniqueFd master = started.process->take_pty_master();
  const int terminal = interactive ? STDIN_FILENO : STDOUT_FILENO;
  runtime::copy_window_size(terminal, master.get());
  std::optional<runtime::RawTerminal> raw;
  if (interactive) {
    raw.emplace(STDIN_FILENO);
  }
  runtime::IoRelay io;
  if (interactive) {
    io.add_input(STDIN_FILENO, master.get());
  }
  io.set_resize(terminal, master.get());
  io.add_output(std::move(master), STDOUT_FILENO, runtime::LogStream::stdout_stream);
  return started.process->wait(&io).status();
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0 && errno != EINTR) {
      return;
    }
    if (n > 0) {
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }
}

// The monitor of `exec -d`: its own session, stdio on /dev/null; reports the start on
// `report` (nothing = started), then waits for the command (its exit kills the command:
// PR_SET_PDEATHSIG) and exits.
[[noreturn]] void detached_monitor(const runtime::ExecSpec& spec, const std::string& id,
                                   const store::ContainerState& state, UniqueFd report) {
  ::setsid();
  const UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  for (int fd = 0; fd < 3 && null; ++fd) {
    ::dup2(null.get(), fd);
  }
  try {
    Started started = start(spec, id, state);
    write_all(report.get(), started.message);
    report = UniqueFd();
    if (started.process) {
      std::ignore = started.process->wait();
    }
  } catch (const Error& e) {
    write_all(report.get(), e.what());
  }
  ::_exit(0);
}

// `-d`: returns 0 once the command runs; a failure to start it is docker's daemon error (1).
int run_detached(const runtime::ExecSpec& spec, const std::string& id,
                 const store::ContainerState& state) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw_errno("pipe2");
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t monitor = ::fork();
  if (monitor < 0) {
    throw_errno("fork");
  }
  if (monitor == 0) {
    read_end = UniqueFd();
    detached_monitor(spec, id, state, std::move(write_end));
  }
  write_end = UniqueFd();
  std::string message;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(read_end.get(), buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno != EINTR) {
      throw_errno("read the exec monitor's report");
    }
    if (n > 0) {
      message.append(buffer, static_cast<std::size_t>(n));
    }
  }
  if (!message.empty()) {
    throw Error(ErrorKind::child_failed, message);
  }
  return k_exit_ok;
}

int exec_command(const GlobalOptions& global, const ExecOptions& options) {
  if (options.container.empty() || options.command.empty()) {
    throw Error(ErrorKind::usage,
                "\"strata exec\" requires at least 2 arguments.\nSee 'strata exec --help'."
                "\n\nUsage:  strata exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
                "Execute a command in a running container");
  }
  const store::ContainerStore containers = open_containers(global);
  store::ContainerState state;
  const store::ContainerRecord record = running_container(containers, options.container, state);
  const runtime::ExecSpec spec = make_spec(record, state, options, global.root);
  if (options.detach) {
    return run_detached(spec, record.id, state); // a detached command gets no terminal
  }
  return options.tty ? run_with_tty(spec, record.id, state, options.interactive)
                     : run_attached(spec, record.id, state);
}

} // namespace

Action setup_exec(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ExecOptions>();
  app.add_flag("-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
  app.add_flag("-t,--tty", o->tty, "Allocate a pseudo-TTY");
  app.add_flag("-d,--detach", o->detach, "Detached mode: run command in the background");
  app.add_option("-e,--env", o->env, "Set environment variables");
  app.add_option("--env-file", o->env_files, "Read in a file of environment variables");
  app.add_option("-w,--workdir", o->workdir, "Working directory inside the container");
  app.add_option("-u,--user", o->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  app.add_flag("--privileged", o->privileged, "Give extended privileges to the command");
  app.add_option("container", o->container, "The container");
  // Everything after CONTAINER is the command, flags included (`exec box ls -l`).
  app.prefix_command();
  app.fallthrough(false);
  return [&global, o, &app] {
    o->command = app.remaining();
    try {
      // CLI11's prefix mode hands an unknown flag before CONTAINER to the command; docker
      // refuses it (a command whose first word starts with '-' is the price, as in `run`).
      if (!o->command.empty() && o->command.front().starts_with("-")) {
        print_error(Error(ErrorKind::usage, fmt::format("unknown flag: {}\nSee 'strata exec "
                                                        "--help'.",
                                                        o->command.front())));
        return k_exit_flag_error;
      }
      return exec_command(global, *o);
    } catch (const Error& e) {
      print_error(e);
      return k_exit_failure;
    }
  };
}

} // namespace strata::cli
