// `strata system check|df|prune` and `strata image prune`: the store's health, disk use and
// cleanup, with docker's output.

#include <unistd.h>

#include <iostream>
#include <memory>

#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/container_control.hpp"
#include "cli/container_rows.hpp"
#include "cli/image_rows.hpp"
#include "cli/listing.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/human.hpp"
#include "common/log.hpp"

namespace strata::cli {
namespace {

int run_check(const GlobalOptions& global) {
  const store::ImageStore images = open_store(global);
  const auto problems = images.check();
  for (const auto& problem : problems) {
    fmt::print("{}\n", problem);
  }
  if (!problems.empty()) {
    fmt::print(stderr, "strata: the store at {} has {} problem(s)\n", images.root(),
               problems.size());
    return k_exit_failure;
  }
  fmt::print("ok: {} images, {} blobs, {} snapshots verified\n", images.list().size(),
             images.blobs().list().size(), images.snapshots().list().size());
  return k_exit_ok;
}

// docker's `system df`: images used by a container are active, the others reclaimable;
// containers' sizes are their writable layers, a stopped one's reclaimable.
int run_df(const GlobalOptions& global, const std::string& format) {
  const store::ImageStore images = open_store(global);
  std::size_t containers = 0;
  std::size_t running = 0;
  std::uint64_t rw = 0;
  std::uint64_t rw_stopped = 0;
  std::set<std::string> used;
  for (const store::ContainerRecord& record : store::ContainerStore(images.root()).list()) {
    const auto bytes = static_cast<std::uint64_t>(tree_size(record.dir + "/upper"));
    ++containers;
    rw += bytes;
    used.insert(record.image_id);
    if (record.state.effective().is_running()) {
      ++running;
    } else {
      rw_stopped += bytes;
    }
  }
  std::uint64_t size = 0;
  std::uint64_t reclaimable = 0;
  std::size_t active = 0;
  const auto records = images.list();
  for (const auto& record : records) {
    try {
      const std::uint64_t s = image_size(images, images.load(record));
      size += s;
      if (used.contains(record.id.str())) {
        ++active;
      } else {
        reclaimable += s;
      }
    } catch (const Error&) {
    }
  }
  auto row = [](const char* type, std::size_t total, std::size_t in_use, std::uint64_t bytes,
                std::uint64_t free) {
    const std::string percent =
        bytes == 0 ? "" : fmt::format(" ({}%)", free * 100 / std::max<std::uint64_t>(bytes, 1));
    return nlohmann::json{{"Type", type},
                          {"TotalCount", std::to_string(total)},
                          {"Active", std::to_string(in_use)},
                          {"Size", human_size(static_cast<std::int64_t>(bytes))},
                          {"Reclaimable", human_size(static_cast<std::int64_t>(free)) + percent}};
  };
  const std::vector<nlohmann::json> rows = {
      row("Images", records.size(), active, size, reclaimable),
      row("Containers", containers, running, rw, rw_stopped),
      row("Local Volumes", 0, 0, 0, 0), row("Build Cache", 0, 0, 0, 0)};
  print_rows(rows, format,
             {"table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
              {{"Type", "TYPE"},
               {"TotalCount", "TOTAL"},
               {"Active", "ACTIVE"},
               {"Size", "SIZE"},
               {"Reclaimable", "RECLAIMABLE"}}});
  return k_exit_ok;
}

bool confirm(const std::string& warning) {
  fmt::print("{}\nAre you sure you want to continue? [y/N] ", warning);
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

// `system prune`'s first step (docker's `container prune`): every container not running.
void prune_containers(store::ContainerStore& containers) {
  std::vector<std::string> deleted;
  for (const store::ContainerRecord& record : containers.list()) {
    if (!record.state.effective().is_running()) {
      try {
        if (remove_container(containers, record, false)) {
          deleted.push_back(record.id);
        }
      } catch (const Error& e) { // started meanwhile, or removed by someone else
        log::debug("prune: container {}: {}", record.short_id(), e.what());
      }
    }
  }
  if (!deleted.empty()) {
    fmt::print("Deleted Containers:\n");
    for (const auto& id : deleted) {
      fmt::print("{}\n", id);
    }
    fmt::print("\n");
  }
}

struct PruneOptions {
  bool all = false;
  bool force = false;
};

// Removes dangling images (every image with `all`), then everything nothing references.
int run_prune(const GlobalOptions& global, const PruneOptions& options, bool system) {
  const std::string what =
      system ? "WARNING! This will remove:\n  - all stopped containers\n  - all dangling "
               "images\n  - unused snapshots and partial writes"
             : (options.all ? "WARNING! This will remove all images without at least one "
                              "container associated to them."
                            : "WARNING! This will remove all dangling images.");
  if (!options.force && !confirm(what)) {
    return k_exit_ok;
  }
  store::ImageStore images = open_store(global);
  store::ContainerStore containers(images.root());
  if (system) {
    prune_containers(containers);
  }
  containers.remove_stale();
  std::set<std::string> in_use;
  for (const store::ContainerRecord& container : containers.list()) {
    in_use.insert(container.image_id);
  }
  std::vector<std::string> deleted;
  for (const auto& record : images.list()) {
    if ((record.names.empty() || options.all) && !in_use.contains(record.id.str())) {
      for (const auto& name : record.names) {
        deleted.push_back("untagged: " + name.familiar());
      }
      images.remove(record.manifest.digest);
      deleted.push_back("deleted: " + record.id.str());
    }
  }
  const store::GcResult gc = images.collect_garbage({}, store::ImageStore::GcWait::no);
  if (gc.deferred) {
    fmt::print(stderr, "strata: the store is in use (a running container or a build); unused "
                       "layers are kept until the next prune\n");
  }
  if (!deleted.empty()) {
    fmt::print("Deleted Images:\n");
    for (const auto& line : deleted) {
      fmt::print("{}\n", line);
    }
    fmt::print("\n");
  }
  fmt::print("Total reclaimed space: {}\n", human_size(static_cast<std::int64_t>(gc.bytes)));
  return k_exit_ok;
}

// Adds a nested subcommand whose action becomes the group's.
void add_sub(CLI::App& group, const std::shared_ptr<Action>& chosen, const char* name,
             const char* summary, const std::function<Action(CLI::App&)>& setup) {
  CLI::App* sub = group.add_subcommand(name, summary);
  Action action = setup(*sub);
  sub->callback([chosen, action] { *chosen = action; });
}

} // namespace

Action setup_system(CLI::App& app, const GlobalOptions& global) {
  auto chosen = std::make_shared<Action>();
  app.require_subcommand(1);
  add_sub(app, chosen, "check", "Verify every blob, reference and snapshot in the store",
          [&global](CLI::App&) -> Action { return [&global] { return run_check(global); }; });
  add_sub(app, chosen, "df", "Show disk usage", [&global](CLI::App& sub) -> Action {
    auto format = std::make_shared<std::string>();
    sub.add_option("--format", *format, "Format output using a Go template");
    return [&global, format] { return run_df(global, *format); };
  });
  add_sub(app, chosen, "prune", "Remove unused data", [&global](CLI::App& sub) -> Action {
    auto options = std::make_shared<PruneOptions>();
    sub.add_flag("-a,--all", options->all, "Remove all unused images, not just dangling ones");
    sub.add_flag("-f,--force", options->force, "Do not prompt for confirmation");
    return [&global, options] { return run_prune(global, *options, true); };
  });
  return [chosen] { return *chosen ? (*chosen)() : k_exit_usage; };
}

Action setup_image(CLI::App& app, const GlobalOptions& global) {
  auto chosen = std::make_shared<Action>();
  app.require_subcommand(1);
  add_sub(app, chosen, "prune", "Remove unused images", [&global](CLI::App& sub) -> Action {
    auto options = std::make_shared<PruneOptions>();
    sub.add_flag("-a,--all", options->all, "Remove all unused images, not just dangling ones");
    sub.add_flag("-f,--force", options->force, "Do not prompt for confirmation");
    return [&global, options] { return run_prune(global, *options, false); };
  });
  const std::pair<const char*, Action (*)(CLI::App&, const GlobalOptions&)> aliases[] = {
      {"ls", setup_images},       {"rm", setup_rmi},           {"tag", setup_tag},
      {"inspect", setup_inspect}, {"history", setup_history}, {"import", setup_import},
      {"save", setup_save},       {"load", setup_load}};
  for (const auto& [name, setup] : aliases) {
    add_sub(app, chosen, name, "Same as the top-level command",
            [&global, setup](CLI::App& sub) { return setup(sub, global); });
  }
  return [chosen] { return *chosen ? (*chosen)() : k_exit_usage; };
}

} // namespace strata::cli
