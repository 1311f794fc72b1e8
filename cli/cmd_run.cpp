// `strata run [OPTIONS] IMAGE [COMMAND [ARG...]]`: runs a command in a new container in the
// foreground, as `docker run` does, and exits with its status (125 for strata's own errors, 126
// when the command cannot be executed, 127 when it is not found).
//
// The container lives in `<root>/containers/<64-hex id>/` while it runs: `upper/` and `work/`
// (its overlayfs layer), `rootfs/` (the mount point, mounted only inside the container's own
// mount namespace) and the `hosts`, `hostname` and `resolv.conf` it sees under /etc. Without
// `ps`/`rm` yet, the directory is removed when the container exits, `--rm` or not.

#include <sys/random.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/error_output.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/human.hpp"
#include "common/log.hpp"
#include "common/scope_exit.hpp"
#include "common/temp_dir.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/process.hpp"

namespace strata::cli {
namespace {

constexpr int k_exit_run_failed = 125;

struct RunOptions {
  bool rm = false;
  std::vector<std::string> env;
  std::string workdir;
  std::string user;
  std::optional<std::string> entrypoint;
  std::string hostname;
  std::string network = "host";
  bool read_only = false;
  bool interactive = false;
  bool tty = false;
  bool privileged = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::string memory;
  std::optional<std::int64_t> pids_limit;
  std::vector<std::string> security_opts;
  std::string name;
  std::string image;
  std::vector<std::string> command;
};

std::string new_container_id() {
  unsigned char bytes[32];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    throw_errno("getrandom");
  }
  std::string id;
  for (const unsigned char b : bytes) {
    id += fmt::format("{:02x}", b);
  }
  return id;
}

std::vector<std::string> json_strings(const nlohmann::json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end() || !it->is_array()) {
    return {};
  }
  std::vector<std::string> out;
  for (const auto& value : *it) {
    if (value.is_string()) {
      out.push_back(value.get<std::string>());
    }
  }
  return out;
}

std::string json_string(const nlohmann::json& config, const char* key) {
  const auto it = config.find(key);
  return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// KEY=VALUE set or replaced in place, as docker's ReplaceOrAppendEnvValues.
void set_env(std::vector<std::string>& env, const std::string& entry) {
  const std::string key = entry.substr(0, entry.find('='));
  for (std::string& existing : env) {
    if (existing.substr(0, existing.find('=')) == key) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

// dockerd's order: PATH and HOSTNAME first, then the image's Env, then `-e` (a bare `-e KEY`
// takes the caller's value, or is dropped when the caller has none).
std::vector<std::string> container_env(const nlohmann::json& config, const RunOptions& options,
                                       const std::string& hostname) {
  std::vector<std::string> env = {std::string("PATH=") + runtime::k_default_path,
                                  "HOSTNAME=" + hostname};
  for (const std::string& entry : json_strings(config, "Env")) {
    set_env(env, entry);
  }
  for (const std::string& entry : options.env) {
    if (entry.find('=') != std::string::npos) {
      set_env(env, entry);
    } else if (const char* value = std::getenv(entry.c_str()); value != nullptr) {
      set_env(env, entry + "=" + value);
    }
  }
  return env;
}

std::vector<std::string> container_args(const nlohmann::json& config, const RunOptions& options) {
  std::vector<std::string> args;
  if (options.entrypoint) {
    if (!options.entrypoint->empty()) {
      args.push_back(*options.entrypoint);
    }
    args.insert(args.end(), options.command.begin(), options.command.end());
    return args;
  }
  args = json_strings(config, "Entrypoint");
  const std::vector<std::string> cmd =
      options.command.empty() ? json_strings(config, "Cmd") : options.command;
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty()) {
    throw Error(ErrorKind::usage, "no command specified");
  }
  return args;
}

void apply_security(runtime::ContainerSpec& spec, const RunOptions& options,
                    const std::string& cache_dir) {
  spec.capabilities = runtime::resolve_capabilities(
      runtime::docker_default_capabilities(), options.cap_add, options.cap_drop,
      options.privileged ? runtime::Privileged::yes : runtime::Privileged::no);
  if (options.privileged) {
    spec.seccomp.reset();
    spec.privileged = runtime::Privileged::yes;
  } else {
    spec.default_seccomp_cache = cache_dir;
  }
  for (const std::string& opt : options.security_opts) {
    const auto eq = opt.find_first_of("=:");
    const std::string key = opt.substr(0, eq);
    if (key == "seccomp" && eq != std::string::npos) {
      spec.seccomp = runtime::seccomp_profile_for_option(opt.substr(eq + 1));
      spec.default_seccomp_cache.clear();
    } else if (key != "no-new-privileges") {
      throw Error(ErrorKind::usage, fmt::format("invalid --security-opt: \"{}\"", opt));
    }
  }
}

void apply_limits(runtime::ContainerSpec& spec, const RunOptions& options, const std::string& id) {
  spec.cgroup_name = "strata/" + id;
  if (!options.memory.empty()) {
    spec.limits.memory_bytes = parse_size(options.memory);
  }
  spec.limits.pids_max = options.pids_limit;
}

runtime::ContainerSpec make_spec(const nlohmann::json& config, const RunOptions& options,
                                 const std::string& id, const std::string& store_root) {
  const std::string dir = store_root + "/containers/" + id;
  runtime::ContainerSpec spec;
  spec.upper_dir = dir + "/upper";
  spec.work_dir = dir + "/work";
  spec.rootfs = dir + "/rootfs";
  spec.state_dir = dir;
  spec.hostname = options.hostname.empty() ? id.substr(0, 12) : options.hostname;
  spec.env = container_env(config, options, spec.hostname);
  spec.args = container_args(config, options);
  spec.cwd = options.workdir.empty() ? json_string(config, "WorkingDir") : options.workdir;
  if (spec.cwd.empty()) {
    spec.cwd = "/";
  }
  spec.user = options.user.empty() ? json_string(config, "User") : options.user;
  spec.read_only = options.read_only ? runtime::ReadOnlyRoot::yes : runtime::ReadOnlyRoot::no;
  if (options.tty) {
    throw Error(ErrorKind::unsupported, "-t/--tty is not supported yet");
  }
  spec.stdin_mode =
      options.interactive ? runtime::StdinMode::inherit : runtime::StdinMode::dev_null;
  if (options.network != "host" && options.network != "none") {
    throw Error(ErrorKind::usage,
                fmt::format("network {} not found (strata has host and none)", options.network));
  }
  spec.network =
      options.network == "none" ? runtime::NetworkMode::none : runtime::NetworkMode::host;
  apply_security(spec, options, store_root + "/cache");
  apply_limits(spec, options, id);
  return spec;
}

void make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    throw_errno("mkdir", path);
  }
}

store::ImageRecord find_image(const store::ImageStore& images, const std::string& text) {
  if (std::optional<store::ImageRecord> record = images.try_resolve(text)) {
    return *record;
  }
  const std::optional<store::Reference> ref = store::Reference::try_parse(text);
  fmt::print(stderr, "Unable to find image '{}' locally\n",
             ref ? ref->with_default_tag().familiar() : text);
  throw Error(ErrorKind::not_found,
              fmt::format("{}: not found in the store, and strata cannot pull images yet "
                          "(use strata load or strata import)",
                          text));
}

void print_exec_failure(const std::string& command, int err) {
  std::string why = command.find('/') == std::string::npos && err == ENOENT
                        ? "executable file not found in $PATH"
                        : std::strerror(err);
  if (!why.empty()) {
    why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0]))); // Go's wording
  }
  fmt::print(stderr, "strata: failed to start the container process: exec: \"{}\": {}\n", command,
             why);
}

// docker's CLI (`runStartContainerErr`): a failed start is 127 when the cause is a missing file,
// 126 when it is EACCES or EISDIR, else 125; strata's other errors are 125.
int start_failure_status(const Error& error) {
  if (error.kind() != ErrorKind::child_failed) {
    return k_exit_run_failed;
  }
  switch (error.sys_errno()) {
  case ENOENT:
    return 127;
  case EACCES:
  case EISDIR:
    return 126;
  default:
    return k_exit_run_failed;
  }
}

int run_container_command(const GlobalOptions& global, const RunOptions& options) {
  store::ImageStore images = open_store(global);
  const store::ImageRecord record = find_image(images, options.image);
  const store::ImageDetail detail = images.load(record);
  // Held from the unpack until the container is gone, so garbage collection never removes the
  // layers it runs on (a collection waits for the container).
  const store::FileLock lock = images.content_lock();
  const std::vector<store::Digest> chains = images.unpack(detail);
  const nlohmann::json doc = nlohmann::json::parse(detail.config_bytes, nullptr, false);
  if (!doc.is_object()) {
    throw Error(ErrorKind::corrupt,
                fmt::format("image {}: the config is not a JSON object", detail.record.id.str()));
  }
  const nlohmann::json config = doc.value("config", nlohmann::json::object());
  const std::string id = new_container_id();
  make_dir(images.root() + "/containers", 0700);
  const std::string dir = images.root() + "/containers/" + id;
  runtime::ContainerSpec spec = make_spec(config, options, id, images.root());
  for (auto chain = chains.rbegin(); chain != chains.rend(); ++chain) {
    spec.lower_dirs.push_back(images.snapshots().path_of(*chain) + "/fs");
  }
  make_dir(dir, 0700);
  const ScopeExit remove_dir([&dir] {
    try {
      remove_tree(dir);
    } catch (const Error& e) {
      log::warn("remove {}: {}", dir, e.what());
    }
  });
  for (const char* sub : {"/upper", "/work", "/rootfs"}) {
    make_dir(dir + sub, 0755);
  }
  const runtime::ContainerExit exit = runtime::run_container(spec);
  if (exit.how == runtime::ContainerExit::How::exec_failed) {
    print_exec_failure(spec.args.front(), exit.value);
  }
  return exit.status();
}

} // namespace

Action setup_run(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<RunOptions>();
  app.add_flag("--rm", o->rm, "Automatically remove the container when it exits");
  app.add_option("-e,--env", o->env, "Set environment variables");
  app.add_option("-w,--workdir", o->workdir, "Working directory inside the container");
  app.add_option("-u,--user", o->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  app.add_option("--entrypoint", o->entrypoint, "Overwrite the default ENTRYPOINT of the image");
  app.add_option("--hostname", o->hostname, "Container host name");
  app.add_option("--network", o->network, "Connect a container to a network (host or none)");
  app.add_flag("--read-only", o->read_only, "Mount the container's root filesystem as read only");
  app.add_flag("-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
  app.add_flag("-t,--tty", o->tty, "Allocate a pseudo-TTY (not supported yet)");
  app.add_option("--cap-add", o->cap_add, "Add Linux capabilities");
  app.add_option("--cap-drop", o->cap_drop, "Drop Linux capabilities");
  app.add_flag("--privileged", o->privileged, "Give extended privileges to this container");
  app.add_option("-m,--memory", o->memory, "Memory limit");
  app.add_option("--pids-limit", o->pids_limit, "Tune container pids limit (-1 for unlimited)");
  app.add_option("--security-opt", o->security_opts, "Security Options");
  app.add_option("--name", o->name, "Assign a name to the container");
  app.add_option("image", o->image, "The image to run")->required();
  // Everything after IMAGE is the command, flags included (`run busybox ls -l`).
  app.prefix_command();
  app.fallthrough(false);
  return [&global, o, &app] {
    o->command = app.remaining();
    try {
      // CLI11's prefix mode hands an unknown flag before IMAGE to the command; docker refuses it.
      // (A command whose first word starts with '-' is the price: docker would run it.)
      if (!o->command.empty() && o->command.front().starts_with("-")) {
        throw Error(ErrorKind::usage, fmt::format("unknown flag: {}\nSee 'strata run --help'.",
                                                  o->command.front()));
      }
      return run_container_command(global, *o);
    } catch (const Error& e) {
      print_error(e);
      return start_failure_status(e);
    }
  };
}

} // namespace strata::cli
