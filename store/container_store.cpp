// `ContainerStore` (container_store.hpp): the containers/ directory of a store root.

#include "store/container_store.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/atomic_file.hpp"
#include "store/container_names.hpp"
#include "store/container_state.hpp"
#include "store/image.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>

namespace strata::store {
namespace {

using Json = nlohmann::ordered_json;

bool is_container_id(std::string_view name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string random_id() {
  unsigned char bytes[32];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    throw_errno("getrandom");
  }
  std::string id;
  id.reserve(64);
  for (const unsigned char b : bytes) {
    id += fmt::format("{:02x}", b);
  }
  // docker never hands out an all-digit short ID (it would read as a number).
  if (std::all_of(id.begin(), id.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })) {
    return random_id();
  }
  return id;
}

void make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    throw_errno("mkdir", path);
  }
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string read_link(const std::string& path) {
  char buffer[256];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

constexpr std::chrono::seconds k_stale_age{60};

// Whether `path` (not followed) was last changed more than `age` ago.
bool older_than(const std::string& path, std::chrono::seconds age) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return false;
  }
  return std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtime) >
         age;
}

// summary.json: config.json's keys a listing needs, in the same shape (container_store.hpp).
Json summary_of(const Json& config) {
  Json summary = Json::object();
  for (const char* key : {"Id", "Created", "Path", "Args", "Image", "Name", "Mounts",
                          "NetworkSettings", "StrataChains"}) {
    if (const auto it = config.find(key); it != config.end()) {
      summary[key] = *it;
    }
  }
  if (const auto it = config.find("Config"); it != config.end() && it->is_object()) {
    Json listed = Json::object();
    for (const char* key : {"Image", "Labels"}) {
      if (const auto field = it->find(key); field != it->end()) {
        listed[key] = *field;
      }
    }
    summary["Config"] = listed;
  }
  return summary;
}

// Write-temp-then-rename without fsync: container metadata must never be torn, but need not
// survive a host crash (the container's processes do not either), and `run --rm … true` cannot
// afford a disk flush per state change.
void replace_file(const std::string& path, std::string_view contents) {
  const std::string temp = path + ".tmp";
  const UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                           0600));
  if (!fd) {
    throw_errno("open", temp);
  }
  write_all(fd.get(), contents, temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    throw_errno("rename", temp);
  }
}

// An RFC 3339 time as (seconds, nanoseconds), for ordering; (0, 0) when unparsable.
std::pair<std::int64_t, long> time_key(const std::string& text) {
  const std::int64_t seconds = parse_rfc3339(text).value_or(0);
  long nanos = 0;
  if (text.size() > 20 && text[19] == '.') {
    long scale = 100'000'000;
    for (std::size_t i = 20; i < text.size() && text[i] >= '0' && text[i] <= '9' && scale > 0;
         ++i, scale /= 10) {
      nanos += (text[i] - '0') * scale;
    }
  }
  return {seconds, nanos};
}

// The top-level fields `load` needs from config.json, taken in one SAX pass: listing reads every
// container's config, and building its whole document costs more than the rest of `ps`.
class ConfigSummary final : public nlohmann::json_sax<nlohmann::json> {
public:
  std::string name, created, image;
  std::vector<std::string> chains;
  bool root_was_object = false;
  bool chains_malformed = false; // a StrataChains element that is not a string

  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t) override { return scalar(); }
  bool number_unsigned(number_unsigned_t) override { return scalar(); }
  bool number_float(number_float_t, const string_t&) override { return scalar(); }
  bool binary(binary_t&) override { return scalar(); }
  bool string(string_t& text) override {
    if (depth_ == 1) {
      std::string* slot = key_ == "Name" ? &name : key_ == "Created" ? &created
                          : key_ == "Image" ? &image : nullptr;
      if (slot != nullptr) {
        *slot = std::move(text);
      }
    } else if (in_chains()) {
      chains.push_back(std::move(text));
    }
    return true;
  }
  bool start_object(std::size_t) override { return open(false); }
  bool start_array(std::size_t) override { return open(true); }
  bool key(string_t& key) override {
    if (depth_ == 1) {
      key_ = key;
    }
    return true;
  }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

private:
  [[nodiscard]] bool in_chains() const { return depth_ == 2 && chains_open_; }
  bool scalar() {
    chains_malformed = chains_malformed || in_chains();
    return true;
  }
  bool open(bool array) {
    if (depth_ == 0) {
      root_was_object = !array;
    }
    chains_malformed = chains_malformed || in_chains();
    chains_open_ = depth_ == 1 && array && key_ == "StrataChains";
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (depth_ == 1) {
      chains_open_ = false;
    }
    return true;
  }

  int depth_ = 0;
  std::string key_; // the current top-level key
  bool chains_open_ = false;
};

} // namespace

ContainerStore::ContainerStore(std::string root) : root_(std::move(root)), dir_(root_ + "/containers") {
  make_dir(dir_, 0700);
  make_dir(dir_ + "/names", 0700);
}

FileLock ContainerStore::lock_container(const std::string& id) const {
  return FileLock(dir_ + "/" + id + "/lock", LockMode::exclusive);
}

FileLock ContainerStore::wait_lock(const std::string& id, LockMode mode) const {
  const std::string dir = dir_ + "/" + id;
  struct stat st {};
  if (!is_container_id(id) || ::stat(dir.c_str(), &st) != 0) {
    throw Error(ErrorKind::not_found, fmt::format("No such container: {}", id));
  }
  return FileLock(dir + "/wait.lock", mode);
}

ContainerRecord ContainerStore::create(const NewContainer& request) {
  if (!request.name.empty() && !valid_container_name(request.name)) {
    throw Error(ErrorKind::usage,
                fmt::format("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                            "allowed",
                            request.name));
  }
  const std::string id = random_id();
  const std::string staging = dir_ + "/.new-" + id;
  const std::string final_dir = dir_ + "/" + id;
  std::string name; // set once claimed
  bool published = false;
  const auto cleanup = [&] {
    if (!published) {
      try {
        remove_tree(staging);
      } catch (const Error&) {
      }
      if (!name.empty()) {
        ::unlink((dir_ + "/names/" + name).c_str());
      }
    }
  };
  try {
    // The staging directory exists before the name is claimed: a claimer that finds the name
    // taken judges the holder alive by its directory (`.new-<id>` or `<id>`), so a claim must
    // never be visible without one, or two creators could both take the name.
    make_dir(staging, 0700);
    const FileLock creating(staging + "/lock", LockMode::exclusive);
    name = claim_name(dir_ + "/names", request.name, id);
    for (const char* sub : {"/upper", "/work", "/rootfs"}) {
      make_dir(staging + sub, 0755);
    }
    ContainerRecord record;
    record.id = id;
    record.name = name;
    record.created = now_rfc3339_nano();
    record.image_id = request.image_id;
    record.chains = request.chains;
    record.dir = final_dir;
    Json config = Json::parse(request.make_config(id, final_dir), nullptr, false);
    if (!config.is_object()) {
      throw Error(ErrorKind::internal, "container config is not a JSON object");
    }
    config["Id"] = id;
    config["Created"] = record.created;
    config["Image"] = request.image_id;
    config["Name"] = "/" + name;
    config["LogPath"] = record.log_path();
    Json chains = Json::array();
    for (const Digest& chain : request.chains) {
      chains.push_back(chain.str());
    }
    config["StrataChains"] = chains;
    record.config = config.dump();
    replace_file(staging + "/config.json", record.config + "\n");
    record.summary = summary_of(config).dump();
    replace_file(staging + "/summary.json", record.summary + "\n");
    record.state.started_at = k_zero_time;
    record.state.finished_at = k_zero_time;
    replace_file(staging + "/state.json", state_to_json(record.state));
    if (::rename(staging.c_str(), final_dir.c_str()) != 0) {
      throw_errno("rename", staging);
    }
    published = true;
    return record;
  } catch (...) {
    cleanup();
    throw;
  }
}

ContainerRecord ContainerStore::load(const std::string& id) const {
  return load_document(id, false);
}

ContainerRecord ContainerStore::load_document(const std::string& id, bool summary) const {
  if (!is_container_id(id)) {
    throw Error(ErrorKind::not_found, fmt::format("No such container: {}", id));
  }
  ContainerRecord record;
  record.id = id;
  record.dir = dir_ + "/" + id;
  std::string& text = summary ? record.summary : record.config;
  try {
    text = read_file(record.dir + (summary ? "/summary.json" : "/config.json"), 16 << 20);
  } catch (const Error& e) {
    if (e.sys_errno() != ENOENT) {
      throw;
    }
    if (!summary) {
      throw Error(ErrorKind::not_found, fmt::format("No such container: {}", id));
    }
    return load_document(id, false); // a store without summaries: the whole config serves
  }
  ConfigSummary config;
  if (!nlohmann::json::sax_parse(text, &config) || !config.root_was_object) {
    throw Error(ErrorKind::corrupt, fmt::format("container {}: config.json is not a JSON object", id));
  }
  record.name = std::move(config.name);
  if (record.name.starts_with('/')) {
    record.name.erase(0, 1);
  }
  record.created = std::move(config.created);
  try {
    if (config.chains_malformed) {
      throw Error(ErrorKind::corrupt, "StrataChains holds a non-string");
    }
    record.image_id = Digest::parse(config.image).str();
    for (const std::string& chain : config.chains) {
      record.chains.push_back(Digest::parse(chain));
    }
  } catch (const std::exception& e) {
    throw Error(ErrorKind::corrupt, fmt::format("container {}: config.json: {}", id, e.what()));
  }
  record.state = read_state(id);
  return record;
}

ContainerState ContainerStore::read_state(const std::string& id) const {
  const std::string path = dir_ + "/" + id + "/state.json";
  return state_from_json(read_file(path, 1 << 20), path);
}

void ContainerStore::write_state(const std::string& id, const ContainerState& state) {
  replace_file(dir_ + "/" + id + "/state.json", state_to_json(state));
}

std::vector<ContainerRecord> ContainerStore::list() const {
  std::vector<ContainerRecord> records;
  for (const std::string& name : list_directory(dir_)) {
    if (!is_container_id(name)) {
      continue;
    }
    try {
      records.push_back(load_document(name, true));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::not_found) { // removed while listing: skip silently
        log::warn("container {}: {}", name, e.what());
      }
    }
  }
  // By time, not text: RFC 3339 drops the fraction's trailing zeros ("05Z" < "05.5Z" in time
  // but not as text). Each time is parsed once.
  std::vector<std::pair<std::pair<std::int64_t, long>, std::size_t>> order;
  order.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    order.emplace_back(time_key(records[i].created), i);
  }
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : records[a.second].id < records[b.second].id;
  });
  std::vector<ContainerRecord> sorted;
  sorted.reserve(records.size());
  for (const auto& entry : order) {
    sorted.push_back(std::move(records[entry.second]));
  }
  records = std::move(sorted);
  return records;
}

std::optional<ContainerRecord> ContainerStore::try_resolve(const std::string& text) const {
  if (text.empty()) {
    return std::nullopt;
  }
  if (is_container_id(text) && exists(dir_ + "/" + text)) {
    return load(text);
  }
  const std::string name = text.starts_with('/') ? text.substr(1) : text;
  if (valid_container_name(name)) {
    const std::string target = read_link(dir_ + "/names/" + name);
    if (is_container_id(target) && exists(dir_ + "/" + target + "/config.json")) {
      return load(target);
    }
  }
  std::optional<std::string> match;
  for (const std::string& entry : list_directory(dir_)) {
    if (is_container_id(entry) && entry.starts_with(text)) {
      if (match) {
        throw Error(ErrorKind::usage,
                    fmt::format("multiple containers found with provided prefix: {}", text));
      }
      match = entry;
    }
  }
  if (match) {
    return load(*match);
  }
  return std::nullopt;
}

ContainerRecord ContainerStore::resolve(const std::string& text) const {
  if (std::optional<ContainerRecord> record = try_resolve(text)) {
    return std::move(*record);
  }
  throw Error(ErrorKind::not_found, fmt::format("No such container: {}", text));
}

void ContainerStore::remove(const ContainerRecord& record) {
  const std::string doomed = dir_ + "/.rm-" + record.id;
  if (::rename(record.dir.c_str(), doomed.c_str()) != 0) {
    if (errno == ENOENT) {
      return;
    }
    throw_errno("rename", record.dir);
  }
  remove_tree(doomed);
  const std::string link = dir_ + "/names/" + record.name;
  if (!record.name.empty() && read_link(link) == record.id) {
    ::unlink(link.c_str());
  }
}

std::vector<Digest> ContainerStore::used_chains() const {
  std::vector<Digest> chains;
  for (const ContainerRecord& record : list()) {
    chains.insert(chains.end(), record.chains.begin(), record.chains.end());
  }
  // A container being created is not listed: its creator holds the content lock shared, so a
  // collection (exclusive) cannot run until it is published.
  return chains;
}

std::vector<ContainerRecord> ContainerStore::users_of(const std::string& image_id) const {
  std::vector<ContainerRecord> users;
  for (ContainerRecord& record : list()) {
    if (record.image_id == image_id) {
      users.push_back(std::move(record));
    }
  }
  return users;
}

void ContainerStore::remove_stale() {
  // Only what is a minute old: a creation between its mkdir and its lock, or a name claimed a
  // moment ago, must not be taken for the remains of a killed one.
  for (const std::string& entry : list_directory(dir_)) {
    const std::string path = dir_ + "/" + entry;
    if (entry.starts_with(".new-") && older_than(path, k_stale_age)) {
      if (auto lock = FileLock::try_lock(path + "/lock", LockMode::exclusive)) {
        remove_tree(path);
      }
    } else if (entry.starts_with(".rm-")) {
      remove_tree(path);
    }
  }
  for (const std::string& name : list_directory(dir_ + "/names")) {
    const std::string link = dir_ + "/names/" + name;
    const std::string target = read_link(link);
    if (older_than(link, k_stale_age) &&
        (!is_container_id(target) ||
         (!exists(dir_ + "/.new-" + target) && !exists(dir_ + "/" + target)))) { // see claim_name
      ::unlink(link.c_str());
    }
  }
}

} // namespace strata::store
