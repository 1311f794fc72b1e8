// `strata tag SOURCE TARGET` and `strata rmi [-f] IMAGE...`, with docker's messages. rmi refuses
// an image that containers use as docker's daemon does (image_delete.go): the last tag of an
// image a container uses only with -f; by ID, a stopped container's image only with -f, and a
// running container's image never (-f by name then only untags it, leaving it dangling).

#include <optional>

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

// The containers using one image: the first running one and the first stopped one, if any.
struct ImageUsers {
  std::optional<std::string> running; // container ID
  std::optional<std::string> stopped;
  [[nodiscard]] bool any() const { return running || stopped; }
  [[nodiscard]] const std::string& first() const { return running ? *running : *stopped; }
};

ImageUsers users_of(const store::ContainerStore& containers, const store::Digest& image) {
  ImageUsers users;
  for (const auto& record : containers.users_of(image.str())) {
    auto& slot = record.state.effective().is_running() ? users.running : users.stopped;
    if (!slot) {
      slot = record.id;
    }
  }
  return users;
}

std::string short_id(const std::string& id) {
  return id.substr(0, 12);
}

// docker's imageDeleteConflict text.
Error delete_conflict(const store::ImageRecord& image, bool hard, const std::string& why) {
  return Error(ErrorKind::conflict,
               fmt::format("conflict: unable to delete {} ({}) - {}", image.id.short_id(),
                           hard ? "cannot be forced" : "must be forced", why));
}

// Removes one image reference as docker does: a tag of an image with other tags is only
// untagged; the last tag, an ID or a digest deletes the image, unless a container uses it.
void remove_one(store::ImageStore& images, const store::ContainerStore& containers,
                const std::string& text, bool force) {
  const store::ImageRecord image = images.resolve(text);
  const ImageUsers users = users_of(containers, image.id);
  if (names_a_tag(text, image)) {
    if (!force && image.names.size() == 1 && users.any()) {
      throw Error(ErrorKind::conflict,
                  fmt::format("conflict: unable to remove repository reference \"{}\" (must "
                              "force) - container {} is using its referenced image {}",
                              text, short_id(users.first()), image.id.short_id()));
    }
    const store::Reference tag = store::Reference::parse(text).with_default_tag();
    std::ignore = images.untag(tag);
    fmt::print("Untagged: {}\n", tag.familiar());
    if (image.names.size() > 1 || users.running) {
      return; // still named; or in use by a running container: left dangling
    }
  } else {
    if (users.running) {
      throw delete_conflict(image, true,
                            "image is being used by running container " + short_id(*users.running));
    }
    if (image.names.size() > 1 && !force) {
      throw delete_conflict(image, false, "image is referenced in multiple repositories");
    }
    if (users.stopped && !force) {
      throw delete_conflict(image, false,
                            "image is being used by stopped container " + short_id(*users.stopped));
    }
    for (const auto& name : image.names) {
      fmt::print("Untagged: {}\n", name.familiar());
    }
  }
  // A stopped container keeps its layers (`ContainerStore::used_chains`) without the image.
  images.remove(image.manifest.digest);
  fmt::print("Deleted: {}\n", image.id.str());
}

int run_rmi(const GlobalOptions& global, const RmiOptions& options) {
  store::ImageStore images = open_store(global);
  const store::ContainerStore containers = open_containers(global);
  int status = k_exit_ok;
  for (const auto& text : options.images) {
    try {
      remove_one(images, containers, text, options.force);
    } catch (const Error& e) {
      fmt::print(stderr, "Error response from daemon: {}\n", e.what());
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
