// `strata commit [-a AUTHOR] [-c CHANGE]... [-m MSG] [-p=true|false] CONTAINER [REPO[:TAG]]`:
// a container's changes become a new image, as `docker commit` makes it. Prints the image ID.
//
// The recipe:
// 1. a running container is paused (its cgroup frozen) unless `-p=false` or already paused, for
//    as long as its upper dir is read;
// 2. the upper dir becomes one gzip layer (`write_layer`, overlay whiteouts → `.wh.` entries);
//    a container running on a rootfs copy (overlayfs refused, cli/container_rootfs.hpp) has no
//    upper dir: its copy is compared with what it was made from (`write_diff_layer`, docker's
//    naive diff); no change (a container never started) adds no layer, only an `empty_layer`
//    history row (docker's rule);
// 3. the image config is the base image's, with "config" replaced by the container's Config
//    (the image part of it: Env, Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts, ...;
//    Env without the HOSTNAME and default PATH `create` added), then the `-c` changes, the new
//    diff ID, a history row {created, created_by: the container's Cmd joined by spaces (as
//    docker), author, comment: MSG}, and docker's "author", "comment" and "container" fields;
// 4. the manifest is the base image's layers plus the new one, registered (and tagged) under
//    the image store's content lock, which is held from the first blob on so gc keeps them.
// When the base image has been removed from the store, its layers are rebuilt from the
// container's snapshots (kept by gc) and the config starts from the container's config.json.

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/config_change.hpp"
#include "cli/command.hpp"
#include "cli/container_rootfs.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/exec_path.hpp"
#include "store/layer_writer.hpp"
#include "store/tree_diff.hpp"

namespace strata::cli {
namespace {

using nlohmann::json;

// The diff ID of an empty tar (1024 zero bytes): docker's `layer.IsEmpty`.
constexpr std::string_view k_empty_layer_diff_id =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

// The image-config keys of docker's container Config (the rest — Hostname, Attach*, Tty, Image,
// ... — describe one container, not an image).
constexpr const char* k_image_config_keys[] = {
    "User",   "ExposedPorts", "Env",   "Entrypoint", "Cmd",         "Volumes",     "WorkingDir",
    "Labels", "OnBuild",      "Shell", "StopSignal", "Healthcheck", "ArgsEscaped",
};

struct CommitOptions {
  std::string author;
  std::vector<std::string> changes;
  std::string message;
  bool pause = true;
  std::string container;
  std::string reference;
};

// Freezes a running container's cgroup for its lifetime; thaws only what it froze.
class PauseGuard {
public:
  explicit PauseGuard(const store::ContainerRecord& record) {
    const std::string name = "strata/" + record.id;
    std::optional<runtime::Cgroup> cgroup = runtime::Cgroup::open(name);
    if (!cgroup) {
      log::warn("container {} has no cgroup {}; committing it without pausing", record.short_id(),
                name);
      return;
    }
    if (cgroup->is_frozen()) {
      return; // `strata pause`d: it stays paused
    }
    cgroup->freeze();
    frozen_ = std::move(cgroup);
  }
  PauseGuard(const PauseGuard&) = delete;
  PauseGuard& operator=(const PauseGuard&) = delete;
  ~PauseGuard() {
    if (!frozen_) {
      return;
    }
    try {
      frozen_->thaw();
    } catch (const Error& e) {
      log::warn("unpause after commit: {}", e.what());
    }
  }

private:
  std::optional<runtime::Cgroup> frozen_;
};

store::Descriptor descriptor_of(const store::LayerBlob& blob) {
  return {blob.media_type, blob.digest, blob.size, {}, std::nullopt};
}

store::LayerBlob write_tree_layer(store::ImageStore& images, const std::string& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", dir);
  }
  store::LayerWriteOptions options;
  options.compression = store::Compression::gzip;
  options.source = store::LayerSource::overlay_upper;
  return store::write_layer(images.blobs(), fd.get(), options);
}

// The changes of the rootfs copy `dir` against the init layer and the image's snapshots.
store::LayerBlob write_copy_layer(store::ImageStore& images, const store::ContainerRecord& record,
                                  const std::string& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", dir);
  }
  store::LayerWriteOptions options;
  options.compression = store::Compression::gzip;
  return store::write_diff_layer(images.blobs(), fd.get(),
                                 copy_base_dirs(images.snapshots(), record), options);
}

// The container's changes as a layer, the container paused meanwhile (see the file comment).
store::LayerBlob write_container_layer(store::ImageStore& images,
                                       const store::ContainerRecord& record, bool pause) {
  std::optional<PauseGuard> paused;
  if (pause && record.state.effective().is_running()) {
    paused.emplace(record);
  }
  if (const std::optional<std::string> copy = rootfs_copy_of(record)) {
    return write_copy_layer(images, record, *copy);
  }
  return write_tree_layer(images, record.dir + "/upper");
}

// docker's GOARCH for this machine.
std::string host_architecture() {
  utsname name{};
  if (::uname(&name) != 0) {
    throw_errno("uname");
  }
  const std::string machine = name.machine;
  if (machine == "x86_64") {
    return "amd64";
  }
  if (machine == "aarch64") {
    return "arm64";
  }
  return machine;
}

// What the new image starts from: a config document and the layers under the new one.
struct BaseImage {
  json config;
  std::vector<store::Descriptor> layers;
};

// The base image's layers rebuilt from the container's snapshots (the image was removed).
BaseImage base_from_snapshots(store::ImageStore& images, const store::ContainerRecord& record) {
  BaseImage base;
  base.config = {{"architecture", host_architecture()},
                 {"os", "linux"},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
                 {"history", json::array()}};
  for (const store::Digest& chain : record.chains) {
    const std::optional<store::SnapshotInfo> snapshot = images.snapshots().get(chain);
    if (!snapshot) {
      throw Error(ErrorKind::not_found,
                  fmt::format("container {}: layer {} of its removed image {} is gone",
                              record.short_id(), chain.str(), record.image_id));
    }
    const store::LayerBlob blob = write_tree_layer(images, snapshot->fs_path);
    base.layers.push_back(descriptor_of(blob));
    base.config["rootfs"]["diff_ids"].push_back(blob.diff_id.str());
    base.config["history"].push_back(
        {{"created", record.created},
         {"comment", fmt::format("layer of the removed image {}", record.image_id)}});
  }
  return base;
}

BaseImage load_base(store::ImageStore& images, const store::ContainerRecord& record) {
  const std::optional<store::ImageRecord> image = images.try_resolve(record.image_id);
  if (!image) {
    log::debug("commit: image {} is gone; rebuilding its layers from the container's snapshots",
               record.image_id);
    return base_from_snapshots(images, record);
  }
  const store::ImageDetail detail = images.load(*image);
  return {json::parse(detail.config_bytes), detail.manifest.layers};
}

bool has_env(const json& env, std::string_view name) {
  return env.is_array() && std::any_of(env.begin(), env.end(), [name](const json& entry) {
           return entry.is_string() &&
                  entry.get<std::string>().starts_with(std::string(name) + "=");
         });
}

// config.json's Env is the final one (container_config.hpp): it holds what `create` added for the
// process — HOSTNAME, and PATH when the image has none — which docker adds at start and so never
// commits. Those two are dropped; everything the image or `-e` set stays.
json image_env(const json& container_config, const json& base_config) {
  const json env = container_config.value("Env", json::array());
  const std::string hostname = "HOSTNAME=" + container_config.value("Hostname", std::string());
  const bool base_has_path =
      has_env(base_config.value("config", json::object()).value("Env", json::array()), "PATH");
  json out = json::array();
  for (const json& entry : env) {
    const bool added_hostname = entry == hostname;
    const bool added_path =
        !base_has_path && entry == std::string("PATH=") + runtime::k_default_path;
    if (!added_hostname && !added_path) {
      out.push_back(entry);
    }
  }
  return out;
}

// The image part of the container's Config.
json image_section(const json& container_config, const json& base_config) {
  json section = json::object();
  for (const char* key : k_image_config_keys) {
    if (const auto it = container_config.find(key);
        it != container_config.end() && !it->is_null()) {
      section[key] = *it;
    }
  }
  if (section.contains("Env")) {
    section["Env"] = image_env(container_config, base_config);
  }
  return section;
}

std::string created_by(const json& container_config) {
  std::string out;
  if (const auto cmd = container_config.find("Cmd");
      cmd != container_config.end() && cmd->is_array()) {
    for (const json& word : *cmd) {
      out += (out.empty() ? "" : " ") + (word.is_string() ? word.get<std::string>() : word.dump());
    }
  }
  return out;
}

json history_row(const std::string& created, const json& container_config,
                 const CommitOptions& options, bool empty_layer) {
  json row = {{"created", created}};
  // docker's NewHistory: every field but `created` omitted when empty.
  if (const std::string by = created_by(container_config); !by.empty()) {
    row["created_by"] = by;
  }
  if (!options.author.empty()) {
    row["author"] = options.author;
  }
  if (!options.message.empty()) {
    row["comment"] = options.message;
  }
  if (empty_layer) {
    row["empty_layer"] = true;
  }
  return row;
}

std::string image_config(BaseImage& base, const json& container, const store::LayerBlob& layer,
                         const CommitOptions& options, const std::string& container_id) {
  const json container_config = container.value("Config", json::object());
  json& config = base.config;
  config["config"] = image_section(container_config, config);
  config = json::parse(builder::apply_changes(config.dump(), options.changes));
  const std::string created = creation_time();
  const bool empty_layer = layer.diff_id.str() == k_empty_layer_diff_id;
  if (!empty_layer) {
    config["rootfs"]["diff_ids"].push_back(layer.diff_id.str());
  }
  if (!config.contains("history") || !config["history"].is_array()) {
    config["history"] = json::array();
  }
  config["history"].push_back(history_row(created, container_config, options, empty_layer));
  config["created"] = created;
  config["container"] = container_id;
  config.erase("container_config"); // the base image's, stale (docker 25+ no longer fills it)
  config.erase("author");           // the base image's are not the new image's
  config.erase("comment");
  if (!options.author.empty()) {
    config["author"] = options.author;
  }
  if (!options.message.empty()) {
    config["comment"] = options.message; // docker's image-level Comment, as `inspect` shows it
  }
  return config.dump();
}

json parse_container_config(const store::ContainerRecord& record) {
  json parsed = json::parse(record.config, nullptr, false);
  if (!parsed.is_object()) {
    throw Error(ErrorKind::corrupt,
                fmt::format("container {}: config.json is not a JSON object", record.short_id()));
  }
  return parsed;
}

int run_commit(const GlobalOptions& global, const CommitOptions& options) {
  std::vector<store::Reference> tags;
  if (!options.reference.empty()) {
    tags.push_back(parse_reference_argument(options.reference));
  }
  std::ignore = builder::apply_changes(R"({"config":{}})", options.changes); // fail early
  const store::ContainerRecord record = open_containers(global).resolve(options.container);
  const json container = parse_container_config(record);
  store::ImageStore images = open_store(global);
  const store::FileLock lock = images.content_lock();
  const store::LayerBlob layer = write_container_layer(images, record, options.pause);
  BaseImage base = load_base(images, record);
  const std::string config = image_config(base, container, layer, options, record.id);
  if (layer.diff_id.str() != k_empty_layer_diff_id) {
    base.layers.push_back(descriptor_of(layer));
  }
  const store::ImageRecord image = images.commit_image(config, base.layers, tags);
  fmt::print("{}\n", image.id.str());
  return k_exit_ok;
}

// Go's strconv.ParseBool, as docker's flags read `-p=VALUE`.
bool parse_bool_flag(const std::string& value) {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (value == yes) {
      return true;
    }
  }
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (value == no) {
      return false;
    }
  }
  throw Error(ErrorKind::usage,
              fmt::format("invalid argument \"{}\" for \"-p, --pause\" flag: strconv.ParseBool: "
                          "parsing \"{}\": invalid syntax",
                          value, value));
}

// docker's `-p=false`: CLI11 reads what follows a short flag as more short flags and leaves
// "-=false" over (kept by `allow_extras`, and by `fallthrough(false)` in this subcommand rather
// than handed to the global options). Anything else left over is an error, as it would be
// without `allow_extras`.
bool pause_from_extras(const CLI::App& app, bool parsed) {
  bool pause = parsed;
  for (const std::string& extra : app.remaining()) {
    if (!extra.starts_with("-=")) {
      throw Error(ErrorKind::usage,
                  fmt::format("The following argument was not expected: {}", extra));
    }
    pause = parse_bool_flag(extra.substr(2));
  }
  return pause;
}

} // namespace

Action setup_commit(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<CommitOptions>();
  app.add_option("-a,--author", options->author,
                 "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  app.add_option("-c,--change", options->changes,
                 "Apply Dockerfile instruction to the created image");
  app.add_option("-m,--message", options->message, "Commit message");
  app.add_flag("-p,--pause{true}", options->pause, "Pause container during commit (default true)");
  app.add_option("container", options->container, "The container to commit")->required();
  app.add_option("reference", options->reference, "REPOSITORY[:TAG] to tag the image with");
  app.allow_extras();
  app.fallthrough(false); // global flags go before `commit`, as docker's
  return [&global, &app, options] {
    options->pause = pause_from_extras(app, options->pause);
    return run_commit(global, *options);
  };
}

} // namespace strata::cli
