// `strata tag SOURCE TARGET` and `strata rmi [-f] IMAGE...`, with docker's messages.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"

namespace strata::cli {
namespace {

struct TagOptions {
  std::string source;
  std::string target;
};

int run_tag(const GlobalOptions& global, const TagOptions& options) {
  store::ImageStore images = open_store(global);
  const store::Reference target = parse_reference_argument(options.target);
  images.tag(images.resolve(options.source), target);
  return k_exit_ok;
}

struct RmiOptions {
  std::vector<std::string> images;
  bool force = false;
};

bool names_a_tag(const std::string& text, const store::ImageRecord& image) {
  const auto ref = store::Reference::try_parse(text);
  return ref && !ref->digest() &&
         std::find(image.names.begin(), image.names.end(), ref->with_default_tag()) !=
             image.names.end();
}

// Removes one image reference as docker does: a tag of an image with other tags is only
// untagged; the last tag, an ID or a digest deletes the image.
void remove_one(store::ImageStore& images, const std::string& text, bool force) {
  const store::ImageRecord image = images.resolve(text);
  if (names_a_tag(text, image)) {
    const store::Reference tag = store::Reference::parse(text).with_default_tag();
    std::ignore = images.untag(tag);
    fmt::print("Untagged: {}\n", tag.familiar());
    if (image.names.size() > 1) {
      return;
    }
  } else if (image.names.size() > 1 && !force) {
    throw Error(ErrorKind::conflict,
                fmt::format("conflict: unable to delete {} (must be forced) - image is referenced "
                            "in multiple repositories",
                            image.id.short_id()));
  } else {
    for (const auto& name : image.names) {
      fmt::print("Untagged: {}\n", name.familiar());
    }
  }
  images.remove(image.manifest.digest);
  fmt::print("Deleted: {}\n", image.id.str());
}

int run_rmi(const GlobalOptions& global, const RmiOptions& options) {
  store::ImageStore images = open_store(global);
  int status = k_exit_ok;
  for (const auto& text : options.images) {
    try {
      remove_one(images, text, options.force);
    } catch (const Error& e) {
      fmt::print(stderr, "Error: {}\n", e.what());
      status = k_exit_failure;
    }
  }
  // Never wait for running containers: what they use stays, the rest goes at the next collection.
  std::ignore = images.collect_garbage({}, store::ImageStore::GcWait::no);
  return status;
}

} // namespace

Action setup_tag(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<TagOptions>();
  app.add_option("source", options->source, "SOURCE_IMAGE[:TAG] or ID")->required();
  app.add_option("target", options->target, "TARGET_IMAGE[:TAG]")->required();
  return [&global, options] { return run_tag(global, *options); };
}

Action setup_rmi(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<RmiOptions>();
  app.add_option("images", options->images, "Images to remove (name, ID or digest)")->required();
  app.add_flag("-f,--force", options->force, "Force removal of the image");
  return [&global, options] { return run_rmi(global, *options); };
}

} // namespace strata::cli
