// config.json from `create`/`run` flags, and back to a `ContainerSpec` (container_config.hpp).

#include "cli/container_config.hpp"

#include "cli/container_rootfs.hpp"
#include "cli/env_file.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/human.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/seccomp.hpp"
#include "runtime/signals.hpp"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace strata::cli {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> strings_of(const nlohmann::json& config, const char* key) {
  const auto it = config.find(key);
  std::vector<std::string> out;
  if (it != config.end() && it->is_array()) {
    for (const auto& value : *it) {
      if (value.is_string()) {
        out.push_back(value.get<std::string>());
      }
    }
  }
  return out;
}

std::string string_of(const nlohmann::json& config, const char* key) {
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

// `-e KEY=VAL`, or a bare `-e KEY` taking the caller's value (dropped when the caller has none).
void add_user_env(std::vector<std::string>& env, const std::string& entry) {
  if (entry.find('=') != std::string::npos) {
    set_env(env, entry);
  } else if (const char* value = std::getenv(entry.c_str()); value != nullptr) {
    set_env(env, entry + "=" + value);
  }
}

// dockerd's order: PATH and HOSTNAME first, then the image's Env, then --env-file, then -e.
std::vector<std::string> container_env(const nlohmann::json& image_config,
                                       const CreateOptions& options, const std::string& hostname) {
  std::vector<std::string> env = {std::string("PATH=") + runtime::k_default_path,
                                  "HOSTNAME=" + hostname};
  for (const std::string& entry : strings_of(image_config, "Env")) {
    set_env(env, entry);
  }
  for (const std::string& file : options.env_files) {
    for (const std::string& entry : read_env_file(file)) {
      add_user_env(env, entry);
    }
  }
  for (const std::string& entry : options.env) {
    add_user_env(env, entry);
  }
  return env;
}

struct Argv {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> all;
};

Argv container_args(const nlohmann::json& image_config, const CreateOptions& options) {
  Argv argv;
  if (options.entrypoint) {
    if (!options.entrypoint->empty()) {
      argv.entrypoint = {*options.entrypoint};
    }
    argv.cmd = options.command;
  } else {
    argv.entrypoint = strings_of(image_config, "Entrypoint");
    argv.cmd = options.command.empty() ? strings_of(image_config, "Cmd") : options.command;
  }
  argv.all = argv.entrypoint;
  argv.all.insert(argv.all.end(), argv.cmd.begin(), argv.cmd.end());
  if (argv.all.empty()) {
    throw Error(ErrorKind::usage, "no command specified");
  }
  return argv;
}

Json json_array(const std::vector<std::string>& values) {
  Json array = Json::array();
  for (const std::string& value : values) {
    array.push_back(value);
  }
  return array;
}

Json optional_array(const std::vector<std::string>& values) {
  return values.empty() ? Json(nullptr) : json_array(values);
}

// -v HOST:CTR[:ro|rw]: (Binds entry, Mounts entry). Named volumes are not supported.
std::pair<std::string, Json> parse_volume(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos
                                                                  : colon - start));
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    throw Error(ErrorKind::usage, fmt::format("invalid volume specification: '{}'", text));
  }
  if (!parts[0].starts_with('/')) {
    throw Error(ErrorKind::unsupported,
                fmt::format("invalid volume specification: '{}': strata has no named volumes; "
                            "the source must be an absolute host path",
                            text));
  }
  if (!parts[1].starts_with('/')) {
    throw Error(ErrorKind::usage,
                fmt::format("invalid volume specification: '{}': mount path must be absolute",
                            text));
  }
  const std::string mode = parts.size() == 3 ? parts[2] : "";
  if (!mode.empty() && mode != "ro" && mode != "rw") {
    throw Error(ErrorKind::usage, fmt::format("invalid mode: {}", mode));
  }
  // docker creates a missing bind source directory.
  if (::mkdir(parts[0].c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("create the bind source", parts[0]);
  }
  const Json mount = {{"Type", "bind"},       {"Source", parts[0]}, {"Destination", parts[1]},
                      {"Mode", mode},         {"RW", mode != "ro"}, {"Propagation", "rprivate"}};
  return {text, mount};
}

Json host_config(const CreateOptions& options, Json& mounts) {
  Json binds = Json::array();
  for (const std::string& volume : options.volumes) {
    auto [bind, mount] = parse_volume(volume);
    binds.push_back(bind);
    mounts.push_back(mount);
  }
  Json tmpfs = Json::object();
  for (const std::string& entry : options.tmpfs) {
    const auto colon = entry.find(':');
    const std::string path = entry.substr(0, colon);
    if (!path.starts_with('/')) {
      throw Error(ErrorKind::usage, fmt::format("invalid --tmpfs \"{}\": the path must be "
                                                "absolute",
                                                entry));
    }
    tmpfs[path] = colon == std::string::npos ? "" : entry.substr(colon + 1);
  }
  std::int64_t nano_cpus = 0;
  if (!options.cpus.empty()) {
    char* end = nullptr;
    const double cpus = std::strtod(options.cpus.c_str(), &end);
    if (end == options.cpus.c_str() || *end != '\0' || !(cpus > 0) || cpus > 1e6) {
      throw Error(ErrorKind::usage,
                  fmt::format("invalid argument \"{}\" for \"--cpus\" flag", options.cpus));
    }
    nano_cpus = std::llround(cpus * 1e9);
  }
  return Json{{"Binds", options.volumes.empty() ? Json(nullptr) : binds},
              {"NetworkMode", options.network},
              {"AutoRemove", options.rm},
              {"Privileged", options.privileged},
              {"ReadonlyRootfs", options.read_only},
              {"CapAdd", optional_array(options.cap_add)},
              {"CapDrop", optional_array(options.cap_drop)},
              {"SecurityOpt", optional_array(options.security_opts)},
              {"Memory", options.memory.empty() ? 0 : parse_size(options.memory)},
              {"NanoCpus", nano_cpus},
              {"PidsLimit", options.pids_limit ? Json(*options.pids_limit) : Json(nullptr)},
              {"Tmpfs", options.tmpfs.empty() ? Json(nullptr) : tmpfs}};
}

// "default", "unconfined", or the profile's JSON text (read now, as docker does).
std::string seccomp_setting(const CreateOptions& options) {
  std::string setting = options.privileged ? "unconfined" : "default";
  for (const std::string& opt : options.security_opts) {
    const auto eq = opt.find_first_of("=:");
    const std::string key = opt.substr(0, eq);
    if (key == "seccomp" && eq != std::string::npos) {
      const std::string value = opt.substr(eq + 1);
      if (value == "unconfined" || value == "default" || value == "builtin") {
        setting = value == "unconfined" ? "unconfined" : "default";
      } else {
        setting = read_file(value, 1 << 20);
        std::ignore = runtime::parse_seccomp_profile(setting, value);
      }
    } else if (key != "no-new-privileges" && key != "label" && key != "apparmor") {
      throw Error(ErrorKind::usage, fmt::format("invalid --security-opt: \"{}\"", opt));
    }
  }
  return setting;
}

Json labels_of(const nlohmann::json& image_config, const CreateOptions& options) {
  Json labels = Json::object();
  if (const auto it = image_config.find("Labels"); it != image_config.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      labels[key] = value;
    }
  }
  for (const std::string& label : options.labels) {
    const auto eq = label.find('=');
    labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
  }
  return labels;
}

void validate(const CreateOptions& options) {
  if (options.network != "host" && options.network != "none") {
    throw Error(ErrorKind::usage,
                fmt::format("network {} not found (strata has host and none)", options.network));
  }
  if (!options.workdir.empty() && !options.workdir.starts_with('/')) {
    throw Error(ErrorKind::usage, fmt::format("the working directory '{}' is invalid, it needs to "
                                              "be an absolute path",
                                              options.workdir));
  }
  if (!options.stop_signal.empty()) {
    std::ignore = runtime::parse_signal(options.stop_signal);
  }
}

Json container_document(const nlohmann::json& image_config, const CreateOptions& options,
                        const std::string& image_id) {
  validate(options);
  const Argv argv = container_args(image_config, options);
  const std::string hostname = options.hostname; // empty: the short ID, filled in at start
  Json mounts = Json::array();
  Json host = host_config(options, mounts);
  for (const std::string& entry : options.tmpfs) {
    const auto colon = entry.find(':');
    mounts.push_back({{"Type", "tmpfs"},
                      {"Source", ""},
                      {"Destination", entry.substr(0, colon)},
                      {"Mode", colon == std::string::npos ? "" : entry.substr(colon + 1)},
                      {"RW", true},
                      {"Propagation", ""}});
  }
  Json config = {{"Hostname", hostname},
                 {"Domainname", ""},
                 {"User", options.user.empty() ? string_of(image_config, "User") : options.user},
                 {"AttachStdin", options.interactive},
                 {"AttachStdout", true},
                 {"AttachStderr", true},
                 {"Tty", options.tty},
                 {"OpenStdin", options.interactive},
                 {"StdinOnce", options.interactive},
                 {"Env", json_array({})},
                 {"Cmd", optional_array(argv.cmd)},
                 {"Image", options.image},
                 {"Volumes", nullptr},
                 {"WorkingDir", options.workdir.empty() ? string_of(image_config, "WorkingDir")
                                                        : options.workdir},
                 {"Entrypoint", optional_array(argv.entrypoint)},
                 {"OnBuild", nullptr},
                 {"Labels", labels_of(image_config, options)}};
  const std::string stop_signal =
      options.stop_signal.empty() ? string_of(image_config, "StopSignal") : options.stop_signal;
  if (!stop_signal.empty()) {
    config["StopSignal"] = stop_signal;
  }
  if (options.stop_timeout) {
    config["StopTimeout"] = *options.stop_timeout;
  }
  const std::vector<std::string> args(argv.all.begin() + 1, argv.all.end());
  Json doc = {{"Id", ""},
              {"Created", ""},
              {"Path", argv.all.front()},
              {"Args", json_array(args)},
              {"Image", image_id},
              {"ResolvConfPath", ""},
              {"HostnamePath", ""},
              {"HostsPath", ""},
              {"LogPath", ""},
              {"Name", ""},
              {"RestartCount", 0},
              {"Driver", "overlay2"},
              {"Platform", "linux"},
              {"MountLabel", ""},
              {"ProcessLabel", ""},
              {"AppArmorProfile", ""},
              {"HostConfig", host},
              {"GraphDriver", {{"Data", nullptr}, {"Name", "overlay2"}}},
              {"Mounts", mounts},
              {"Config", config},
              {"NetworkSettings", {{"Networks", {{options.network, Json::object()}}}}},
              {"StrataSeccomp", seccomp_setting(options)}};
  return doc;
}

// Fills in what depends on the ID: hostname, env (HOSTNAME), the paths of the state dir.
void finish_document(Json& doc, const nlohmann::json& image_config, const CreateOptions& options,
                     const std::string& id, const std::string& dir) {
  Json& config = doc["Config"];
  if (config["Hostname"].get<std::string>().empty()) {
    config["Hostname"] = id.substr(0, 12);
  }
  config["Env"] = json_array(container_env(image_config, options, config["Hostname"]));
  doc["ResolvConfPath"] = dir + "/resolv.conf";
  doc["HostnamePath"] = dir + "/hostname";
  doc["HostsPath"] = dir + "/hosts";
  doc["GraphDriver"]["Data"] = {{"MergedDir", dir + "/rootfs"},
                                {"UpperDir", dir + "/upper"},
                                {"WorkDir", dir + "/work"}};
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

} // namespace

nlohmann::json parse_config(const store::ContainerRecord& record) {
  nlohmann::json doc = nlohmann::json::parse(record.config, nullptr, false);
  if (!doc.is_object()) {
    throw Error(ErrorKind::corrupt,
                fmt::format("container {}: config.json is not a JSON object", record.id));
  }
  return doc;
}

store::ContainerRecord create_container(const GlobalOptions& global,
                                        const CreateOptions& options) {
  store::ImageStore images = open_store(global);
  const store::ImageRecord image = find_image(images, options.image);
  const store::ImageDetail detail = images.load(image);
  const store::FileLock content = images.content_lock(); // gc keeps what we unpack
  const std::vector<store::Digest> chains = images.unpack(detail);
  const nlohmann::json image_doc = nlohmann::json::parse(detail.config_bytes, nullptr, false);
  if (!image_doc.is_object()) {
    throw Error(ErrorKind::corrupt,
                fmt::format("image {}: the config is not a JSON object", image.id.str()));
  }
  const nlohmann::json image_config = image_doc.value("config", nlohmann::json::object());
  Json doc = container_document(image_config, options, image.id.str());
  store::ContainerStore containers(images.root());
  store::NewContainer request;
  request.name = options.name;
  request.image_id = image.id.str();
  request.chains = chains;
  request.make_config = [&](const std::string& id, const std::string& dir) {
    finish_document(doc, image_config, options, id, dir);
    return doc.dump();
  };
  store::ContainerRecord record = containers.create(request);
  return record;
}

namespace {

std::vector<std::string> strings_at(const nlohmann::json& doc, const char* key) {
  return strings_of(doc, key);
}

void apply_security(runtime::ContainerSpec& spec, const nlohmann::json& doc,
                    const std::string& store_root) {
  const nlohmann::json host = doc.value("HostConfig", nlohmann::json::object());
  const bool privileged = host.value("Privileged", false);
  spec.capabilities = runtime::resolve_capabilities(
      runtime::docker_default_capabilities(), strings_at(host, "CapAdd"),
      strings_at(host, "CapDrop"), privileged ? runtime::Privileged::yes : runtime::Privileged::no);
  spec.privileged = privileged ? runtime::Privileged::yes : runtime::Privileged::no;
  const std::string seccomp = doc.value("StrataSeccomp", std::string("default"));
  if (seccomp == "unconfined") {
    spec.seccomp.reset();
  } else if (seccomp == "default") {
    spec.default_seccomp_cache = store_root + "/cache";
  } else {
    spec.seccomp = runtime::parse_seccomp_profile(seccomp, "the container's seccomp profile");
  }
}

void apply_limits(runtime::ContainerSpec& spec, const nlohmann::json& host,
                  const std::string& id) {
  spec.cgroup_name = "strata/" + id;
  if (const std::int64_t memory = host.value("Memory", std::int64_t{0}); memory > 0) {
    spec.limits.memory_bytes = memory;
  }
  if (const auto it = host.find("PidsLimit"); it != host.end() && it->is_number_integer() &&
                                              it->get<std::int64_t>() > 0) {
    spec.limits.pids_max = it->get<std::int64_t>();
  }
  if (const std::int64_t nano = host.value("NanoCpus", std::int64_t{0}); nano > 0) {
    spec.limits.cpus = static_cast<double>(nano) / 1e9;
  }
}

void apply_mounts(runtime::ContainerSpec& spec, const nlohmann::json& doc) {
  const auto mounts = doc.find("Mounts");
  if (mounts == doc.end() || !mounts->is_array()) {
    return;
  }
  for (const auto& m : *mounts) {
    runtime::MountSpec mount;
    const std::string type = m.value("Type", std::string());
    mount.type = type == "tmpfs" ? runtime::MountSpec::Type::tmpfs : runtime::MountSpec::Type::bind;
    mount.source = m.value("Source", std::string());
    mount.destination = m.value("Destination", std::string());
    mount.read_only = !m.value("RW", true);
    if (mount.type == runtime::MountSpec::Type::tmpfs) {
      mount.options = m.value("Mode", std::string());
    }
    spec.mounts.push_back(std::move(mount));
  }
}

} // namespace

runtime::ContainerSpec spec_from_config(const store::ContainerRecord& record,
                                        const std::string& store_root,
                                        const store::SnapshotStore& snapshots) {
  const nlohmann::json doc = parse_config(record);
  const nlohmann::json config = doc.value("Config", nlohmann::json::object());
  const nlohmann::json host = doc.value("HostConfig", nlohmann::json::object());
  runtime::ContainerSpec spec;
  spec.lower_dirs = image_layer_dirs(snapshots, record);
  spec.init_dir = record.dir + "/init";
  spec.upper_dir = record.dir + "/upper";
  spec.work_dir = record.dir + "/work";
  spec.rootfs = record.dir + "/rootfs";
  spec.rootfs_copy = rootfs_copy_dir(record); // overlayfs's fallback
  spec.state_dir = record.dir;
  spec.args.push_back(doc.value("Path", std::string()));
  for (const std::string& arg : strings_of(doc, "Args")) {
    spec.args.push_back(arg);
  }
  spec.env = strings_of(config, "Env");
  spec.cwd = string_of(config, "WorkingDir");
  if (spec.cwd.empty()) {
    spec.cwd = "/";
  }
  spec.user = string_of(config, "User");
  spec.hostname = string_of(config, "Hostname");
  spec.read_only = host.value("ReadonlyRootfs", false) ? runtime::ReadOnlyRoot::yes
                                                       : runtime::ReadOnlyRoot::no;
  spec.network = host.value("NetworkMode", std::string("host")) == "none"
                     ? runtime::NetworkMode::none
                     : runtime::NetworkMode::host;
  apply_security(spec, doc, store_root);
  apply_limits(spec, host, record.id);
  apply_mounts(spec, doc);
  return spec;
}

void refuse_flag_as_command(const CreateOptions& options, const char* command) {
  if (!options.command.empty() && options.command.front().starts_with("-")) {
    throw Error(ErrorKind::usage, fmt::format("unknown flag: {}\nSee 'strata {} --help'.",
                                              options.command.front(), command));
  }
}

void add_create_flags(CLI::App& app, CreateOptions& o) {
  app.set_help_flag("--help", "Print this help message and exit");
  app.add_option("--name", o.name, "Assign a name to the container");
  app.add_option("-e,--env", o.env, "Set environment variables");
  app.add_option("--env-file", o.env_files, "Read in a file of environment variables");
  app.add_option("-w,--workdir", o.workdir, "Working directory inside the container");
  app.add_option("-u,--user", o.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  app.add_option("--entrypoint", o.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  app.add_option("-v,--volume", o.volumes, "Bind mount a volume (HOST:CONTAINER[:ro])");
  app.add_option("--tmpfs", o.tmpfs, "Mount a tmpfs directory (PATH[:OPTIONS])");
  app.add_option("-h,--hostname", o.hostname, "Container host name");
  app.add_option("--network,--net", o.network, "Connect a container to a network (host or none)");
  app.add_flag("--read-only", o.read_only, "Mount the container's root filesystem as read only");
  app.add_flag("-i,--interactive", o.interactive, "Keep STDIN open even if not attached");
  app.add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
  app.add_flag("--rm", o.rm, "Automatically remove the container when it exits");
  app.add_flag("--privileged", o.privileged, "Give extended privileges to this container");
  app.add_option("--cap-add", o.cap_add, "Add Linux capabilities");
  app.add_option("--cap-drop", o.cap_drop, "Drop Linux capabilities");
  app.add_option("-m,--memory", o.memory, "Memory limit");
  app.add_option("--pids-limit", o.pids_limit, "Tune container pids limit (-1 for unlimited)");
  app.add_option("--cpus", o.cpus, "Number of CPUs");
  app.add_option("--security-opt", o.security_opts, "Security Options");
  app.add_option("-l,--label", o.labels, "Set meta data on a container");
  app.add_option("--stop-signal", o.stop_signal, "Signal to stop the container");
  app.add_option("--stop-timeout", o.stop_timeout, "Timeout (in seconds) to stop a container");
  app.add_option("image", o.image, "The image to run")->required();
  // Everything after IMAGE is the command, flags included (`run busybox ls -l`).
  app.prefix_command();
  app.fallthrough(false);
}

} // namespace strata::cli
