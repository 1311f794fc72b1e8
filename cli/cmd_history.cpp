// `strata history IMAGE`: the rows of an image's history, newest first, as `docker history`.

#include <algorithm>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/image_rows.hpp"
#include "cli/listing.hpp"
#include "cli/store_access.hpp"
#include "common/human.hpp"
#include "common/tab_writer.hpp"

namespace strata::cli {
namespace {

struct HistoryOptions {
  std::string image;
  bool no_trunc = false;
  bool quiet = false;
  bool human = true;
  std::string format;
};

// docker's stringutils.Ellipsis: at most `max` runes, the last one "…" when cut.
std::string ellipsis(const std::string& text, std::size_t max) {
  if (rune_count(text) <= max) {
    return text;
  }
  std::string out;
  std::size_t runes = 0;
  for (std::size_t i = 0; i < text.size() && runes < max - 1; ++runes) {
    std::size_t len = 1;
    const auto c = static_cast<unsigned char>(text[i]);
    len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    out.append(text, i, len);
    i += len;
  }
  return out + "…";
}

std::vector<nlohmann::json> history_rows(const store::ImageStore& images,
                                         const store::ImageDetail& image,
                                         const HistoryOptions& options) {
  const auto sizes = layer_sizes(images, image);
  std::vector<store::HistoryEntry> history = image.config.history;
  if (history.empty()) { // no history recorded: one anonymous row per layer
    history.resize(sizes.size());
  }
  std::vector<nlohmann::json> rows;
  std::size_t layer = 0;
  for (const auto& entry : history) {
    std::uint64_t size = 0;
    if (!entry.empty_layer && layer < sizes.size()) {
      size = sizes[layer++];
    }
    std::string created_by = entry.created_by;
    std::replace(created_by.begin(), created_by.end(), '\t', ' ');
    rows.push_back({{"ID", "<missing>"},
                    {"CreatedSince", options.human ? created_since(entry.created) : entry.created},
                    {"CreatedAt", entry.created},
                    {"CreatedBy", options.no_trunc ? created_by : ellipsis(created_by, 45)},
                    {"Size", options.human ? human_size(static_cast<std::int64_t>(size))
                                           : std::to_string(size)},
                    {"Comment", entry.comment}});
  }
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty()) {
    rows.front()["ID"] = options.no_trunc ? image.record.id.str() : image.record.id.short_id();
  }
  return rows;
}

int run_history(const GlobalOptions& global, const HistoryOptions& options) {
  const store::ImageStore images = open_store(global);
  const store::ImageDetail image = images.load(images.resolve(options.image));
  const Listing listing{options.quiet
                            ? "{{.ID}}"
                            : "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                        {{"ID", "IMAGE"},
                         {"CreatedSince", "CREATED"},
                         {"CreatedAt", "CREATED AT"},
                         {"CreatedBy", "CREATED BY"},
                         {"Size", "SIZE"},
                         {"Comment", "COMMENT"}}};
  print_rows(history_rows(images, image, options), options.quiet ? "" : options.format, listing);
  return k_exit_ok;
}

} // namespace

Action setup_history(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<HistoryOptions>();
  app.add_option("image", options->image, "Image name or ID")->required();
  app.add_flag("--no-trunc", options->no_trunc, "Don't truncate output");
  app.add_flag("-q,--quiet", options->quiet, "Only show image IDs");
  app.add_option("-H,--human", options->human, "Print sizes and dates in human readable format");
  app.add_option("--format", options->format, "Format output using a Go template, or 'json'");
  return [&global, options] { return run_history(global, *options); };
}

} // namespace strata::cli
