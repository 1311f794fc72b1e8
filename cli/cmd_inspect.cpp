// `strata inspect NAME|ID...`: docker-shaped JSON for images (containers come with the runtime),
// or each object rendered through `--format`.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
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

int run_inspect(const GlobalOptions& global, const InspectOptions& options) {
  if (!options.type.empty() && options.type != "image") {
    throw Error(ErrorKind::usage,
                fmt::format("unsupported --type \"{}\": strata inspects images", options.type));
  }
  const store::ImageStore images = open_store(global);
  nlohmann::ordered_json found = nlohmann::ordered_json::array();
  int status = k_exit_ok;
  for (const auto& name : options.names) {
    const auto record = images.try_resolve(name);
    if (!record) {
      fmt::print(stderr, "Error: No such object: {}\n", name);
      status = k_exit_failure;
      continue;
    }
    found.push_back(inspect_image(images, images.load(*record)));
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
  app.add_option("names", options->names, "Images to inspect (name, ID or digest)")->required();
  app.add_option("-f,--format", options->format, "Format output using a Go template");
  app.add_option("--type", options->type, "Only inspect objects of the given type (image)");
  return [&global, options] { return run_inspect(global, *options); };
}

} // namespace strata::cli
