// `strata ps`: the containers with docker's columns, flags, filters and `--format` templates.
// The image store is opened only when a filter (`ancestor=`) or the size needs it.

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/container_rows.hpp"
#include "cli/listing.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "store/snapshot_store.hpp"

namespace strata::cli {
namespace {

struct PsOptions {
  bool all = false;
  bool quiet = false;
  bool no_trunc = false;
  bool size = false;
  bool latest = false;
  int last = -1;
  std::string format;
  std::vector<std::string> filters;
};

struct Filters {
  std::set<std::string> statuses;
  std::vector<std::regex> names; // matched against "/name", as docker (`name=^/web$`)
  std::vector<std::regex> ids;
  std::vector<std::string> ancestors;
  std::vector<std::pair<std::string, std::optional<std::string>>> labels;
  std::set<int> exited;
  std::optional<std::string> before;
  std::optional<std::string> since;
};

constexpr std::array k_valid_statuses = {"created", "restarting", "running", "removing",
                                         "paused",  "exited",     "dead"};

// Adds one `--filter KEY=VALUE`; a refused one returns docker's message for it.
[[nodiscard]] std::optional<std::string> add_filter(Filters& out, const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) {
    return fmt::format("invalid filter '{}'", spec);
  }
  const std::string key = spec.substr(0, eq);
  const std::string value = spec.substr(eq + 1);
  if (key == "status") {
    if (std::find(k_valid_statuses.begin(), k_valid_statuses.end(), value) ==
        k_valid_statuses.end()) {
      return fmt::format("invalid filter 'status={}'", value);
    }
    out.statuses.insert(value);
  } else if (key == "name" || key == "id") {
    try {
      (key == "name" ? out.names : out.ids).emplace_back(value, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return fmt::format("invalid filter '{}'", spec);
    }
  } else if (key == "ancestor") {
    out.ancestors.push_back(value);
  } else if (key == "label") {
    const auto inner = value.find('=');
    out.labels.emplace_back(value.substr(0, inner),
                            inner == std::string::npos
                                ? std::nullopt
                                : std::optional<std::string>(value.substr(inner + 1)));
  } else if (key == "exited") {
    char* end = nullptr;
    const long code = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0') {
      return fmt::format("strconv.Atoi: parsing \"{}\": invalid syntax", value);
    }
    out.exited.insert(static_cast<int>(code));
  } else if (key == "before") {
    out.before = value;
  } else if (key == "since") {
    out.since = value;
  } else {
    return fmt::format("invalid filter '{}'", key);
  }
  return std::nullopt;
}

bool any_match(const std::vector<std::regex>& patterns, const std::string& text) {
  return patterns.empty() ||
         std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::regex& p) { return std::regex_search(text, p); });
}

bool labels_match(const Filters& filters, const ContainerView& view) {
  if (filters.labels.empty()) {
    return true;
  }
  const auto& labels = view.config.labels;
  return std::all_of(filters.labels.begin(), filters.labels.end(), [&](const auto& want) {
    return std::any_of(labels.begin(), labels.end(), [&](const auto& have) {
      return have.first == want.first && (!want.second || have.second == *want.second);
    });
  });
}

// docker's exited=N: only containers that ran and stopped with one of the codes.
bool exited_match(const Filters& filters, const ContainerView& view) {
  return filters.exited.empty() ||
         (!view.state.is_running() && rfc3339_nanos(view.state.started_at) != 0 &&
          filters.exited.count(view.state.exit_code) > 0);
}

// ---- ancestor= -------------------------------------------------------------------------------

// Whether `child` is `ancestor` or was built from it: its layers and its history begin with the
// ancestor's (an image built FROM another keeps both; a sibling built FROM the same base differs
// in its history).
bool descends_from(const store::ImageDetail& child, const store::ImageDetail& ancestor) {
  if (child.record.id == ancestor.record.id) {
    return true;
  }
  const auto& mine = child.config;
  const auto& theirs = ancestor.config;
  if (theirs.diff_ids.size() > mine.diff_ids.size() ||
      theirs.history.size() > mine.history.size() ||
      !std::equal(theirs.diff_ids.begin(), theirs.diff_ids.end(), mine.diff_ids.begin())) {
    return false;
  }
  return std::equal(theirs.history.begin(), theirs.history.end(), mine.history.begin(),
                    [](const store::HistoryEntry& a, const store::HistoryEntry& b) {
                      return a.created == b.created && a.created_by == b.created_by &&
                             a.empty_layer == b.empty_layer && a.comment == b.comment;
                    });
}

// The image IDs of every local image that is one of `names` or descends from one. A name that
// resolves to nothing matches nothing, as in docker.
std::set<std::string> ancestor_image_ids(const GlobalOptions& global,
                                         const std::vector<std::string>& names) {
  const store::ImageStore images = open_store(global);
  std::vector<store::ImageDetail> ancestors;
  for (const auto& name : names) {
    if (const auto record = images.try_resolve(name)) {
      ancestors.push_back(images.load(*record));
    }
  }
  std::set<std::string> ids;
  if (ancestors.empty()) {
    return ids;
  }
  for (const auto& record : images.list()) {
    try {
      const store::ImageDetail image = images.load(record);
      if (std::any_of(ancestors.begin(), ancestors.end(),
                      [&](const auto& a) { return descends_from(image, a); })) {
        ids.insert(record.id.str());
      }
    } catch (const Error& e) {
      log::warn("image {}: {}", record.id.short_id(), e.what());
    }
  }
  return ids;
}

// ---- selection -------------------------------------------------------------------------------

// The position of the container `text` names in `views` (before=/since=).
std::size_t position_of(const store::ContainerStore& containers,
                        const std::vector<ContainerView>& views, const std::string& text) {
  const std::string id = containers.resolve(text).id;
  const auto it = std::find_if(views.begin(), views.end(),
                               [&](const ContainerView& v) { return v.record.id == id; });
  if (it == views.end()) {
    throw Error(ErrorKind::not_found, fmt::format("No such container: {}", text));
  }
  return static_cast<std::size_t>(it - views.begin());
}

// docker's daemon list: newest first; stopped ones only with -a, -n or a status filter; `before`
// and `since` bound the range; the limit counts what the filters let through.
std::vector<const ContainerView*> select(const GlobalOptions& global,
                                         const store::ContainerStore& containers,
                                         const std::vector<ContainerView>& views,
                                         const Filters& filters, bool all, int limit) {
  std::size_t first = 0;
  std::size_t end = views.size();
  if (filters.since) {
    end = position_of(containers, views, *filters.since);
  }
  if (filters.before) {
    first = position_of(containers, views, *filters.before) + 1;
  }
  std::optional<std::set<std::string>> ancestors;
  if (!filters.ancestors.empty()) {
    ancestors = ancestor_image_ids(global, filters.ancestors);
  }
  std::vector<const ContainerView*> out;
  for (std::size_t i = first; i < end && (limit <= 0 || out.size() < std::size_t(limit)); ++i) {
    const ContainerView& view = views[i];
    const std::string status = store::status_name(view.state.status);
    if ((!view.state.is_running() && !all && limit <= 0) ||
        (!filters.statuses.empty() && filters.statuses.count(status) == 0) ||
        !any_match(filters.names, "/" + view.record.name) ||
        !any_match(filters.ids, view.record.id) || !labels_match(filters, view) ||
        !exited_match(filters, view) ||
        (ancestors && ancestors->count(view.record.image_id) == 0)) {
      continue;
    }
    out.push_back(&view);
  }
  return out;
}

// ---- size ------------------------------------------------------------------------------------

std::map<std::string, SizeInfo> sizes_of(const GlobalOptions& global,
                                         const std::vector<const ContainerView*>& views) {
  std::map<std::string, SizeInfo> out;
  if (views.empty()) {
    return out;
  }
  const store::SnapshotStore snapshots = store::SnapshotStore::open(global.root);
  for (const ContainerView* view : views) {
    SizeInfo size;
    size.rw = tree_size(view->record.dir + "/upper");
    size.rootfs = size.rw;
    for (const auto& chain : view->record.chains) {
      if (const auto info = snapshots.get(chain)) {
        size.rootfs += static_cast<std::int64_t>(info->size);
      }
    }
    out[view->record.id] = size;
  }
  return out;
}

// ---- `{{.Label "key"}}` ----------------------------------------------------------------------

// docker's `.Label "key"` is a method call, which `GoTemplate` does not have: inside actions it
// becomes `(index .StrataLabels "key")`, and each row (and the header) gets a `StrataLabels`
// object holding every key the template names. Returns the keys.
std::vector<std::string> rewrite_label_calls(std::string& format) {
  static const std::regex call(R"re((^|[\s({|])\.Label\s+("(?:[^"\\]|\\.)*"|`[^`]*`))re");
  std::vector<std::string> keys;
  std::string out;
  std::size_t pos = 0;
  while (pos < format.size()) {
    const auto open = format.find("{{", pos);
    const auto close = open == std::string::npos ? open : format.find("}}", open);
    if (close == std::string::npos) {
      break;
    }
    out += format.substr(pos, open - pos);
    std::string action = format.substr(open, close + 2 - open);
    std::smatch m;
    std::string rewritten;
    while (std::regex_search(action, m, call)) {
      const std::string literal = m[2].str();
      std::string key = literal.substr(1, literal.size() - 2);
      if (literal.front() == '"') {
        key = std::regex_replace(key, std::regex(R"(\\(.))"), "$1");
      }
      keys.push_back(key);
      rewritten += m.prefix().str() + m[1].str() + "(index .StrataLabels " + literal + ")";
      action = m.suffix().str();
    }
    out += rewritten + action;
    pos = close + 2;
  }
  format = out + format.substr(std::min(pos, format.size()));
  return keys;
}

// docker's header for `.Label "com.example.some-key"`: "some key".
std::string label_header(const std::string& key) {
  std::string h = key.substr(key.rfind('.') + 1);
  std::replace(h.begin(), h.end(), '-', ' ');
  std::replace(h.begin(), h.end(), '_', ' ');
  return h;
}

// The `StrataLabels` object of a row: each key the template names, "" when the container lacks it
// (docker's `.Label` returns "" then).
nlohmann::json named_labels(const ContainerView& view, const std::vector<std::string>& keys) {
  const auto& labels = view.config.labels;
  nlohmann::json named = nlohmann::json::object();
  for (const auto& key : keys) {
    const auto it = std::find_if(labels.begin(), labels.end(),
                                 [&](const auto& label) { return label.first == key; });
    named[key] = it == labels.end() ? "" : it->second;
  }
  return named;
}

// ---- output ----------------------------------------------------------------------------------

Listing ps_listing(const PsOptions& options, bool with_size) {
  std::string format = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t"
                       "{{.Ports}}\t{{.Names}}";
  if (options.quiet) {
    format = "{{.ID}}";
  } else if (with_size) {
    format += "\t{{.Size}}";
  }
  return Listing{format,
                 {{"ID", "CONTAINER ID"},
                  {"Image", "IMAGE"},
                  {"Command", "COMMAND"},
                  {"CreatedAt", "CREATED AT"},
                  {"RunningFor", "CREATED"},
                  {"Ports", "PORTS"},
                  {"State", "STATE"},
                  {"Status", "STATUS"},
                  {"Size", "SIZE"},
                  {"Names", "NAMES"},
                  {"Labels", "LABELS"},
                  {"Mounts", "MOUNTS"},
                  {"Networks", "NETWORKS"},
                  {"LocalVolumes", "LOCAL VOLUMES"}}};
}

int run_ps(const GlobalOptions& global, const PsOptions& options) {
  Filters filters;
  for (const auto& spec : options.filters) {
    if (const auto refused = add_filter(filters, spec)) {
      fmt::print(stderr, "Error response from daemon: {}\n", *refused);
      return k_exit_failure;
    }
  }
  std::string format = options.format;
  const std::vector<std::string> label_keys = rewrite_label_calls(format);
  const bool with_size =
      options.size || (!options.quiet && format.find(".Size") != std::string::npos);
  const int limit = options.latest ? 1 : options.last;

  const store::ContainerStore containers = open_containers(global);
  std::vector<ContainerView> views;
  for (auto& record : containers.list()) {
    views.push_back(view_of(std::move(record)));
  }
  const auto chosen =
      select(global, containers, views, filters, options.all || !filters.statuses.empty(), limit);
  const auto sizes = with_size ? sizes_of(global, chosen) : std::map<std::string, SizeInfo>{};

  const RowOptions row_options{options.no_trunc, now_nanos()};
  std::vector<nlohmann::json> rows;
  rows.reserve(chosen.size());
  for (const ContainerView* view : chosen) {
    const auto size = sizes.find(view->record.id);
    nlohmann::json row = ps_row(*view, row_options, size == sizes.end() ? nullptr : &size->second);
    if (!label_keys.empty()) {
      row["StrataLabels"] = named_labels(*view, label_keys);
    }
    rows.push_back(std::move(row));
  }
  Listing listing = ps_listing(options, with_size);
  for (const auto& key : label_keys) {
    listing.headers["StrataLabels"][key] = label_header(key);
  }
  print_rows(rows, format, listing);
  return k_exit_ok;
}

} // namespace

Action setup_ps(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<PsOptions>();
  app.add_flag("-a,--all", options->all, "Show all containers (default shows just running)");
  app.add_flag("-q,--quiet", options->quiet, "Only display container IDs");
  app.add_flag("--no-trunc", options->no_trunc, "Don't truncate output");
  app.add_flag("-s,--size", options->size, "Display total file sizes");
  app.add_flag("-l,--latest", options->latest,
               "Show the latest created container (includes all states)");
  app.add_option("-n,--last", options->last,
                 "Show n last created containers (includes all states)");
  app.add_option("--format", options->format, "Format output using a Go template, or 'json'");
  app.add_option("-f,--filter", options->filters,
                 "Filter output based on conditions provided (status=, name=, id=, ancestor=, "
                 "label=, exited=, before=, since=)");
  return [&global, options] { return run_ps(global, *options); };
}

} // namespace strata::cli
