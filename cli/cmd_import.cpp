// `strata import FILE|- [REPOSITORY[:TAG]]`: a root filesystem tarball (plain, gzip or zstd)
// becomes a one-layer image, as `docker import` does. Prints the new image ID.

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/config_change.hpp"
#include "cli/command.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "store/layer_import.hpp"

namespace strata::cli {
namespace {

struct ImportOptions {
  std::string source;
  std::string reference;
  std::vector<std::string> changes;
  std::string message;
  std::string platform = "linux/amd64";
};

UniqueFd open_source(const std::string& source) {
  if (source == "-") {
    return UniqueFd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3));
  }
  if (source.starts_with("http://") || source.starts_with("https://")) {
    throw Error(ErrorKind::usage, "importing from a URL is not supported; download the file first");
  }
  UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", source);
  }
  return fd;
}

std::string image_config(const ImportOptions& options, const store::Digest& diff_id) {
  const auto slash = options.platform.find('/');
  const std::string created = creation_time();
  nlohmann::json history = {{"created", created}};
  history["comment"] = options.message.empty() ? "Imported from " + options.source
                                               : options.message;
  const nlohmann::json config = {
      {"architecture", slash == std::string::npos ? "amd64" : options.platform.substr(slash + 1)},
      {"os", options.platform.substr(0, slash)},
      {"created", created},
      {"config", nlohmann::json::object()},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}},
      {"history", {history}}};
  return builder::apply_changes(config.dump(), options.changes);
}

int run_import(const GlobalOptions& global, const ImportOptions& options) {
  std::vector<store::Reference> tags;
  if (!options.reference.empty()) {
    tags.push_back(parse_reference_argument(options.reference));
  }
  // Validate the changes before reading anything.
  std::ignore = builder::apply_changes(R"({"config":{}})", options.changes);
  store::ImageStore images = open_store(global);
  const store::FileLock lock = images.content_lock();
  const UniqueFd input = open_source(options.source);
  const store::ImportedLayer layer = store::import_layer(images, input.get(), std::nullopt);
  const std::string config = image_config(options, layer.snapshot.diff_id);
  const store::ImageRecord image = images.commit_image(config, {layer.blob}, tags);
  fmt::print("{}\n", image.id.str());
  return k_exit_ok;
}

} // namespace

Action setup_import(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ImportOptions>();
  app.add_option("file", options->source, "Tarball to import (plain, gzip or zstd), or - for stdin")
      ->required();
  app.add_option("reference", options->reference, "REPOSITORY[:TAG] to tag the image with");
  app.add_option("-c,--change", options->changes, "Apply Dockerfile instruction to the created image");
  app.add_option("-m,--message", options->message, "Set commit message for imported image");
  app.add_option("--platform", options->platform, "Set platform (os/arch) of the image");
  return [&global, options] { return run_import(global, *options); };
}

} // namespace strata::cli
