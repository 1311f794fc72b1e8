#include "cli/image_rows.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "cli/store_access.hpp"
#include "common/human.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

namespace strata::cli {

std::vector<std::uint64_t> layer_sizes(const store::ImageStore& images,
                                       const store::ImageDetail& image) {
  std::vector<std::uint64_t> out;
  const auto chains = store::chain_ids(image.config.diff_ids);
  const auto& snapshots = images.snapshots();
  for (std::size_t i = 0; i < chains.size(); ++i) {
    std::optional<store::SnapshotInfo> info;
    try {
      info = snapshots.get(chains[i]);
    } catch (const Error&) {
    }
    out.push_back(info ? info->size : image.manifest.layers[i].size);
  }
  return out;
}

std::uint64_t image_size(const store::ImageStore& images, const store::ImageDetail& image) {
  std::uint64_t total = 0;
  for (const auto size : layer_sizes(images, image)) {
    total += size;
  }
  return total;
}

std::string created_at(const std::string& rfc3339) {
  const auto when = store::parse_rfc3339(rfc3339);
  if (!when) {
    return "";
  }
  const std::time_t t = static_cast<std::time_t>(*when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} +0000 UTC", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::vector<nlohmann::json> image_rows(const store::ImageStore& images, bool no_trunc) {
  struct Item {
    std::int64_t created;
    nlohmann::json row;
  };
  std::vector<Item> items;
  for (const auto& record : images.list()) {
    std::optional<store::ImageDetail> loaded;
    try {
      loaded = images.load(record);
    } catch (const Error& e) {
      log::warn("image {}: {}", record.id.short_id(), e.what());
      continue;
    }
    const store::ImageDetail& image = *loaded;
    const std::string size = human_size(static_cast<std::int64_t>(image_size(images, image)));
    nlohmann::json base = {
        {"ID", no_trunc ? record.id.str() : record.id.short_id()},
        {"Digest", record.manifest.digest.str()},
        {"CreatedSince", created_since(image.config.created)},
        {"CreatedAt", created_at(image.config.created)},
        {"Size", size},
        {"VirtualSize", size},
        {"SharedSize", "N/A"},
        {"UniqueSize", "N/A"},
        {"Containers", "N/A"}};
    const std::int64_t created = store::parse_rfc3339(image.config.created).value_or(0);
    if (record.names.empty()) {
      base["Repository"] = "<none>";
      base["Tag"] = "<none>";
      items.push_back({created, base});
    }
    for (const auto& name : record.names) {
      nlohmann::json row = base;
      row["Repository"] = name.familiar_name();
      row["Tag"] = name.tag().value_or("<none>");
      items.push_back({created, row});
    }
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.created > b.created; });
  std::vector<nlohmann::json> rows;
  for (auto& item : items) {
    rows.push_back(std::move(item.row));
  }
  return rows;
}

} // namespace strata::cli
