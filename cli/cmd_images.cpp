// `strata images [REPOSITORY[:TAG]]`: the image list with docker's columns, flags and templates.

#include <fnmatch.h>

#include <algorithm>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/image_rows.hpp"
#include "cli/listing.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"

namespace strata::cli {
namespace {

struct ImagesOptions {
  std::string repository;
  bool all = false;
  bool quiet = false;
  bool no_trunc = false;
  bool digests = false;
  std::string format;
  std::vector<std::string> filters;
};

struct Filters {
  std::optional<bool> dangling;
  std::vector<std::string> references;
};

Filters parse_filters(const std::vector<std::string>& specs) {
  Filters out;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    const std::string key = spec.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : spec.substr(eq + 1);
    if (key == "dangling" && (value == "true" || value == "false")) {
      out.dangling = value == "true";
    } else if (key == "reference" && !value.empty()) {
      out.references.push_back(value);
    } else {
      throw Error(ErrorKind::usage, fmt::format("invalid filter '{}' (supported: dangling=true|false, "
                                                "reference=PATTERN)",
                                                spec));
    }
  }
  return out;
}

bool reference_matches(const std::vector<std::string>& patterns, const nlohmann::json& row) {
  if (patterns.empty()) {
    return true;
  }
  const std::string repo = row["Repository"];
  const std::string full = repo + ":" + row["Tag"].get<std::string>();
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return ::fnmatch(p.c_str(), repo.c_str(), 0) == 0 || ::fnmatch(p.c_str(), full.c_str(), 0) == 0;
  });
}

std::string default_format(const ImagesOptions& options) {
  if (options.quiet) {
    return "{{.ID}}";
  }
  return options.digests
             ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
             : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
}

int run_images(const GlobalOptions& global, const ImagesOptions& options) {
  Filters filters = parse_filters(options.filters);
  if (!options.repository.empty()) {
    filters.references.push_back(options.repository.find(':') == std::string::npos
                                     ? options.repository
                                     : options.repository);
  }
  const store::ImageStore images = open_store(global);
  std::vector<nlohmann::json> rows;
  for (const auto& row : image_rows(images, options.no_trunc)) {
    const bool dangling = row["Repository"] == "<none>";
    if ((filters.dangling && *filters.dangling != dangling) ||
        !reference_matches(filters.references, row)) {
      continue;
    }
    rows.push_back(row);
  }
  const Listing listing{default_format(options),
                        {{"Repository", "REPOSITORY"},
                         {"Tag", "TAG"},
                         {"Digest", "DIGEST"},
                         {"ID", "IMAGE ID"},
                         {"CreatedSince", "CREATED"},
                         {"CreatedAt", "CREATED AT"},
                         {"Size", "SIZE"},
                         {"Containers", "CONTAINERS"},
                         {"SharedSize", "SHARED SIZE"},
                         {"UniqueSize", "UNIQUE SIZE"},
                         {"VirtualSize", "VIRTUAL SIZE"}}};
  print_rows(rows, options.quiet ? "" : options.format, listing);
  return k_exit_ok;
}

} // namespace

Action setup_images(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ImagesOptions>();
  app.add_option("repository", options->repository, "Show only images of REPOSITORY[:TAG]");
  app.add_flag("-a,--all", options->all, "Show all images (strata keeps no intermediate images)");
  app.add_flag("-q,--quiet", options->quiet, "Only show image IDs");
  app.add_flag("--no-trunc", options->no_trunc, "Don't truncate output");
  app.add_flag("--digests", options->digests, "Show digests");
  app.add_option("--format", options->format, "Format output using a Go template, or 'json'");
  app.add_option("-f,--filter", options->filters, "Filter output (dangling=, reference=)");
  return [&global, options] { return run_images(global, *options); };
}

} // namespace strata::cli
