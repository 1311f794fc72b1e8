// Container facts as docker words them (container_rows.hpp).

#include "cli/container_rows.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/image_rows.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/human.hpp"
#include "store/image.hpp"
#include "store/reference.hpp"

namespace strata::cli {
namespace {

using Json = nlohmann::ordered_json;

// go-units HumanDuration of `nanos` (negative reads "Less than a second", as in Go).
std::string duration_words(std::int64_t nanos) {
  return human_duration(std::chrono::seconds(std::max<std::int64_t>(0, nanos) / 1'000'000'000));
}

// stringid.TruncateID: the part after "algo:", cut to 12 characters.
std::string truncate_id(const std::string& id) {
  const auto colon = id.find(':');
  const std::string hex = colon == std::string::npos ? id : id.substr(colon + 1);
  return hex.substr(0, 12);
}

// docker's ContainerContext.Image(): the image as the user typed it, a digest dropped and an ID
// cut to 12 unless --no-trunc.
std::string image_column(const ContainerView& view, bool no_trunc) {
  const std::string& image = view.config.image.empty() ? view.record.image_id : view.config.image;
  if (no_trunc) {
    return image;
  }
  if (truncate_id(view.record.image_id) == truncate_id(image)) {
    return truncate_id(image);
  }
  const auto ref = store::Reference::try_parse(image);
  if (!ref) {
    return image;
  }
  return ref->tag() ? ref->familiar_name() + ":" + *ref->tag() : ref->familiar_name();
}

// docker's Mounts(): each mount's Name, else its Source, cut to 15 characters unless --no-trunc.
std::string mounts_column(const ListedConfig& config, bool no_trunc) {
  std::vector<std::string> names;
  for (const auto& mount : config.mounts) {
    const std::string& name = mount.name.empty() ? mount.source : mount.name;
    names.push_back(no_trunc ? name : ellipsis(name, 15));
  }
  return fmt::format("{}", fmt::join(names, ","));
}

// docker's LocalVolumes(): how many mounts are volumes of the "local" driver.
std::string local_volumes_column(const ListedConfig& config) {
  return std::to_string(std::count_if(config.mounts.begin(), config.mounts.end(),
                                      [](const auto& m) { return m.driver == "local"; }));
}

// docker's Size(): "RW" or "RW (virtual ROOTFS)", go-units' HumanSizeWithPrecision(…, 3).
std::string size_column(const SizeInfo* size) {
  if (size == nullptr) {
    return human_size(0);
  }
  const std::string rw = human_size(size->rw);
  return size->rootfs > 0 ? fmt::format("{} (virtual {})", rw, human_size(size->rootfs)) : rw;
}

// Appends the UTF-8 sequence at `text[i]` (advancing `i`) if it is valid, else returns false.
bool copy_utf8(const std::string& text, std::size_t& i, std::string& out) {
  const auto byte = static_cast<unsigned char>(text[i]);
  const std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC2 ? 2 : 0;
  if (length == 0 || byte > 0xF4 || i + length > text.size()) {
    return false;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
      return false;
    }
  }
  if (length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
    out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[i + 1])); // C1 controls
  } else {
    out.append(text, i, length);
  }
  i += length;
  return true;
}

// Collects `ListedConfig` from config.json's SAX events. Each open object or array is a frame
// holding the key it was opened under, so a value's place is the keys of the frames above it.
class ListedConfigReader final : public nlohmann::json_sax<nlohmann::json> {
public:
  explicit ListedConfigReader(ListedConfig& out) : out_(out) {}

  [[nodiscard]] bool root_was_object() const noexcept { return root_was_object_; }

  bool null() override { return at_value(); }
  bool boolean(bool) override { return at_value(); }
  bool number_integer(number_integer_t) override { return at_value(); }
  bool number_unsigned(number_unsigned_t) override { return at_value(); }
  bool number_float(number_float_t, const string_t&) override { return at_value(); }
  bool binary(binary_t&) override { return at_value(); }
  bool string(string_t& text) override {
    at_value();
    take_string(text);
    return true;
  }
  bool start_object(std::size_t) override { return open(false); }
  bool start_array(std::size_t) override { return open(true); }
  bool key(string_t& key) override {
    frames_.back().key = key;
    return true;
  }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

private:
  struct Frame {
    bool array = false;
    std::string key; // of the current member (objects)
  };

  // Whether the frames, from the root, are the objects' members named in `path` ("[]": an
  // array element).
  [[nodiscard]] bool under(std::initializer_list<std::string_view> path) const {
    if (frames_.size() != path.size()) {
      return false;
    }
    std::size_t i = 0;
    for (const std::string_view name : path) {
      const Frame& frame = frames_[i++];
      if (frame.array ? name != "[]" : name != frame.key) {
        return false;
      }
    }
    return true;
  }

  // Every value, containers included: the network names are the keys of Networks' members.
  bool at_value() {
    if (frames_.size() == 3 && !frames_[2].array && frames_[0].key == "NetworkSettings" &&
        frames_[1].key == "Networks" && !frames_[1].array && !frames_[0].array) {
      out_.networks.push_back(frames_[2].key);
    }
    return true;
  }

  bool open(bool array) {
    if (frames_.empty()) {
      root_was_object_ = !array;
    }
    at_value();
    if (!array && under({"Mounts", "[]"})) {
      out_.mounts.emplace_back();
    }
    frames_.push_back(Frame{array, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  void take_string(std::string& text) {
    if (under({"Path"})) {
      out_.path = std::move(text);
    } else if (under({"Args", "[]"})) {
      out_.args.push_back(std::move(text));
    } else if (under({"Config", "Image"})) {
      out_.image = std::move(text);
    } else if (frames_.size() == 3 && !frames_[2].array && frames_[0].key == "Config" &&
               frames_[1].key == "Labels" && !frames_[0].array && !frames_[1].array) {
      out_.labels.emplace_back(frames_[2].key, std::move(text));
    } else if (!out_.mounts.empty() && frames_.size() == 3 && frames_[0].key == "Mounts" &&
               frames_[1].array && !frames_[2].array) {
      auto& mount = out_.mounts.back();
      const std::string& field = frames_[2].key;
      std::string* slot = field == "Name"     ? &mount.name
                          : field == "Source" ? &mount.source
                          : field == "Driver" ? &mount.driver
                                              : nullptr;
      if (slot != nullptr) {
        *slot = std::move(text);
      }
    }
  }

  ListedConfig& out_;
  std::vector<Frame> frames_;
  bool root_was_object_ = false;
};

} // namespace

ListedConfig listed_config(const std::string& text, const std::string& label) {
  ListedConfig out;
  ListedConfigReader reader(out);
  if (!nlohmann::json::sax_parse(text, &reader) || !reader.root_was_object()) {
    throw Error(ErrorKind::corrupt, fmt::format("{}: config.json is not a JSON object", label));
  }
  std::sort(out.labels.begin(), out.labels.end());
  std::sort(out.networks.begin(), out.networks.end());
  return out;
}

ContainerView view_of(store::ContainerRecord record) {
  ListedConfig config = listed_config(record.summary.empty() ? record.config : record.summary,
                                      "container " + record.short_id());
  store::ContainerState state = record.state.effective();
  return ContainerView{std::move(record), std::move(state), std::move(config)};
}

std::int64_t rfc3339_nanos(const std::string& text) {
  if (text.empty() || text == store::k_zero_time) {
    return 0;
  }
  const auto seconds = store::parse_rfc3339(text);
  if (!seconds || *seconds <= 0) {
    return 0;
  }
  std::int64_t nanos = 0;
  if (text.size() > 20 && text[19] == '.') {
    std::int64_t scale = 100'000'000;
    for (std::size_t i = 20; i < text.size() && text[i] >= '0' && text[i] <= '9' && scale > 0;
         ++i, scale /= 10) {
      nanos += (text[i] - '0') * scale;
    }
  }
  return *seconds * 1'000'000'000 + nanos;
}

std::int64_t now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string status_text(const store::ContainerState& state, std::int64_t now) {
  using store::ContainerStatus;
  const std::int64_t started = rfc3339_nanos(state.started_at);
  switch (state.status) {
  case ContainerStatus::running:
    return "Up " + duration_words(now - started);
  case ContainerStatus::paused:
    return "Up " + duration_words(now - started) + " (Paused)";
  case ContainerStatus::dead:
    return "Dead";
  case ContainerStatus::created:
  case ContainerStatus::exited:
    break;
  }
  if (started == 0) {
    return "Created";
  }
  const std::int64_t finished = rfc3339_nanos(state.finished_at);
  if (finished == 0) {
    return "";
  }
  return fmt::format("Exited ({}) {} ago", state.exit_code, duration_words(now - finished));
}

std::string command_line(const ListedConfig& config) {
  std::string out = config.path;
  for (const std::string& arg : config.args) {
    out += arg.find(' ') == std::string::npos ? " " + arg : " '" + arg + "'";
  }
  return out;
}

std::string go_quote(const std::string& text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (!copy_utf8(text, i, out)) {
        out += fmt::format("\\x{:02x}", c);
        ++i;
      }
      continue;
    }
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\a':
      out += "\\a";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\v':
      out += "\\v";
      break;
    default:
      out += c < 0x20 || c == 0x7f ? fmt::format("\\x{:02x}", c) : std::string(1, text[i]);
    }
    ++i;
  }
  return out + "\"";
}

std::string ellipsis(const std::string& text, std::size_t width) {
  std::size_t count = 0;
  std::size_t cut = 0; // byte offset after `width - 1` code points
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == width - 1) {
        cut = i;
      }
      ++count;
    }
  }
  if (count <= width || width == 0) {
    return width == 0 ? "" : text;
  }
  return text.substr(0, cut) + "…";
}

nlohmann::json ps_row(const ContainerView& view, const RowOptions& options, const SizeInfo* size) {
  const std::string command = command_line(view.config);
  std::vector<std::string> labels;
  for (const auto& [key, value] : view.config.labels) {
    labels.push_back(fmt::format("{}={}", key, value));
  }
  const std::string& created = view.record.created;
  return nlohmann::json{{"ID", options.no_trunc ? view.record.id : view.record.short_id()},
                        {"Image", image_column(view, options.no_trunc)},
                        {"Command", go_quote(options.no_trunc ? command : ellipsis(command, 20))},
                        {"CreatedAt", created_at(created)},
                        {"RunningFor", created_since(created)},
                        {"Ports", ""},
                        {"State", store::status_name(view.state.status)},
                        {"Status", status_text(view.state, options.now)},
                        {"Size", size_column(size)},
                        {"Names", view.record.name},
                        {"Labels", fmt::format("{}", fmt::join(labels, ","))},
                        {"Mounts", mounts_column(view.config, options.no_trunc)},
                        {"Networks", fmt::format("{}", fmt::join(view.config.networks, ","))},
                        {"LocalVolumes", local_volumes_column(view.config)}};
}

nlohmann::ordered_json state_json(const store::ContainerState& state) {
  using store::ContainerStatus;
  const bool running = state.is_running();
  return Json{{"Status", store::status_name(state.status)},
              {"Running", running},
              {"Paused", state.status == ContainerStatus::paused},
              {"Restarting", false},
              {"OOMKilled", state.oom_killed},
              {"Dead", state.status == ContainerStatus::dead},
              {"Pid", running ? state.process.pid : 0},
              {"ExitCode", state.exit_code},
              {"Error", state.error},
              {"StartedAt", state.started_at.empty() ? store::k_zero_time : state.started_at},
              {"FinishedAt", state.finished_at.empty() ? store::k_zero_time : state.finished_at}};
}

// docker's directory size: regular files, symlinks and the rest by their own size, a hard link
// counted once, directories not at all; unreadable parts skipped.
std::int64_t tree_size(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::int64_t total = 0;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode) || st.st_size == 0) {
      continue;
    }
    if (seen.emplace(st.st_dev, st.st_ino).second) {
      total += st.st_size;
    }
  }
  return total;
}

} // namespace strata::cli
