// `strata inspect NAME|ID...`: docker-shaped JSON for containers and images, or each object
// rendered through `--format`. Without `--type` a name is looked up as a container first, then as
// an image, as docker does.

#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/container_rows.hpp"
#include "cli/image_rows.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/go_template.hpp"

namespace strata::cli {
namespace {

struct InspectOptions {
  std::vector<std::string> names;
  std::string format;
  std::string type;
};

// The container config Docker shows, its defaults filled in under the image's own values.
nlohmann::ordered_json docker_config(const nlohmann::json& own) {
  nlohmann::ordered_json out = {{"Hostname", ""},      {"Domainname", ""},   {"User", ""},
                        {"AttachStdin", false}, {"AttachStdout", false},
                        {"AttachStderr", false}, {"Tty", false},     {"OpenStdin", false},
                        {"StdinOnce", false},   {"Env", nullptr},    {"Cmd", nullptr},
                        {"Image", ""},          {"Volumes", nullptr}, {"WorkingDir", ""},
                        {"Entrypoint", nullptr}, {"OnBuild", nullptr}, {"Labels", nullptr}};
  if (own.is_object()) {
    for (const auto& [key, value] : own.items()) {
      out[key] = value;
    }
  }
  return out;
}

// Ordered as docker prints it (its struct order), not alphabetically.
nlohmann::ordered_json inspect_image(const store::ImageStore& images,
                                     const store::ImageDetail& image) {
  const nlohmann::json config = nlohmann::json::parse(image.config_bytes);
  nlohmann::json tags = nlohmann::json::array();
  nlohmann::json digests = nlohmann::json::array();
  for (const auto& name : image.record.names) {
    tags.push_back(name.familiar());
    const std::string digest = name.familiar_name() + "@" + image.record.manifest.digest.str();
    if (std::find(digests.begin(), digests.end(), digest) == digests.end()) {
      digests.push_back(digest);
    }
  }
  nlohmann::json layers = nlohmann::json::array();
  std::string lower;
  const auto chains = store::chain_ids(image.config.diff_ids);
  for (std::size_t i = 0; i < chains.size(); ++i) {
    layers.push_back(image.config.diff_ids[i].str());
    lower = images.snapshots().path_of(chains[i]) + "/fs" + (lower.empty() ? "" : ":" + lower);
  }
  return nlohmann::ordered_json{
          {"Id", image.record.id.str()},
          {"RepoTags", tags},
          {"RepoDigests", digests},
          {"Parent", ""},
          {"Comment", config.value("comment", "")},
          {"Created", image.config.created},
          {"DockerVersion", config.value("docker_version", "")},
          {"Author", image.config.author},
          {"Config", docker_config(config.value("config", nlohmann::json::object()))},
          {"Architecture", image.config.architecture},
          {"Os", image.config.os},
          {"Size", image_size(images, image)},
          {"GraphDriver", {{"Name", "overlay"}, {"Data", {{"LowerDir", lower}}}}},
          {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
          {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}},
          {"Descriptor",
           {{"mediaType", image.record.manifest.media_type},
            {"digest", image.record.manifest.digest.str()},
            {"size", image.record.manifest.size}}}};
}

// A container as docker shows it: config.json with "State" inserted after "Args" (strata's own
// keys left out).
nlohmann::ordered_json inspect_container(const store::ContainerRecord& record) {
  const auto config = nlohmann::ordered_json::parse(record.config, nullptr, false);
  if (!config.is_object()) {
    throw Error(ErrorKind::corrupt,
                fmt::format("container {}: config.json is not a JSON object", record.short_id()));
  }
  const nlohmann::ordered_json state = state_json(record.state.effective());
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  const bool has_args = config.contains("Args");
  for (const auto& [key, value] : config.items()) {
    if (key.starts_with("Strata")) {
      continue;
    }
    out[key] = value;
    if (key == (has_args ? "Args" : "Path")) {
      out["State"] = state;
    }
  }
  if (!out.contains("State")) {
    out["State"] = state;
  }
  return out;
}

enum class ObjectType { any, container, image };

ObjectType parse_type(const std::string& text) {
  if (text.empty()) {
    return ObjectType::any;
  }
  if (text == "container" || text == "image") {
    return text == "container" ? ObjectType::container : ObjectType::image;
  }
  for (const char* docker : {"config", "network", "node", "plugin", "secret", "service", "task",
                             "volume"}) {
    if (text == docker) {
      throw Error(ErrorKind::unsupported,
                  fmt::format("--type {}: strata inspects containers and images only", text));
    }
  }
  throw Error(ErrorKind::unsupported, fmt::format("\"{}\" is not a valid value for --type", text));
}

// The stores, opened on first use (a container lookup never opens the image store).
class Objects {
public:
  explicit Objects(const GlobalOptions& global) : global_(global) {}

  std::optional<nlohmann::ordered_json> find(const std::string& name, ObjectType type) {
    if (type != ObjectType::image) {
      if (!containers_) {
        containers_.emplace(open_containers(global_));
      }
      if (const auto record = containers_->try_resolve(name)) {
        return inspect_container(*record);
      }
    }
    if (type != ObjectType::container) {
      if (!images_) {
        images_.emplace(open_store(global_));
      }
      if (const auto record = images_->try_resolve(name)) {
        return inspect_image(*images_, images_->load(*record));
      }
    }
    return std::nullopt;
  }

private:
  const GlobalOptions& global_;
  std::optional<store::ContainerStore> containers_;
  std::optional<store::ImageStore> images_;
};

int run_inspect(const GlobalOptions& global, const InspectOptions& options) {
  const ObjectType type = parse_type(options.type);
  const char* what = type == ObjectType::container ? "container"
                     : type == ObjectType::image   ? "image"
                                                   : "object";
  Objects objects(global);
  nlohmann::ordered_json found = nlohmann::ordered_json::array();
  int status = k_exit_ok;
  for (const auto& name : options.names) {
    try {
      if (auto object = objects.find(name, type)) {
        found.push_back(std::move(*object));
        continue;
      }
      fmt::print(stderr, "Error: No such {}: {}\n", what, name);
    } catch (const Error& e) {
      fmt::print(stderr, "Error: {}\n", e.what());
    }
    status = k_exit_failure;
  }
  if (options.format.empty()) {
    fmt::print("{}\n", found.dump(4));
    return status;
  }
  const FormatSpec spec = parse_format(options.format);
  const GoTemplate tmpl = GoTemplate::parse(spec.body);
  for (const auto& object : found) {
    fmt::print("{}\n", tmpl.render(nlohmann::json::parse(object.dump()), MissingKey::no_value));
  }
  return status;
}

} // namespace

Action setup_inspect(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<InspectOptions>();
  app.add_option("names", options->names, "Containers or images to inspect (name, ID or digest)")
      ->required();
  app.add_option("-f,--format", options->format, "Format output using a Go template");
  app.add_option("--type", options->type, "Only inspect objects of the given type (container, image)");
  return [&global, options] { return run_inspect(global, *options); };
}

} // namespace strata::cli
