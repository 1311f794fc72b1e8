#include "builder/file_hash_cache.hpp"

#include <unistd.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "store/atomic_file.hpp"
#include "store/sha256.hpp"

namespace strata::builder {
namespace {

using nlohmann::json;

constexpr long long k_racy_ns = 2'000'000'000LL;
constexpr std::size_t k_max_cache_file = 256 * 1024 * 1024;

long long ns_of(const timespec& t) {
  return static_cast<long long>(t.tv_sec) * 1'000'000'000LL + t.tv_nsec;
}

long long now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return ns_of(t);
}

} // namespace

FileHashCache::FileHashCache(const std::string& store_root, const std::string& context_dir) {
  char* absolute = ::realpath(context_dir.c_str(), nullptr);
  const std::string key = absolute != nullptr ? absolute : context_dir;
  std::free(absolute);
  store::ensure_directory(store_root + "/cache", 0700);
  store::ensure_directory(store_root + "/cache/hashes", 0700);
  file_ = store_root + "/cache/hashes/" + store::sha256_of(key).hex() + ".json";
  if (::access(file_.c_str(), F_OK) != 0) {
    return;
  }
  try {
    const json doc = json::parse(read_file(file_, k_max_cache_file));
    if (doc.value("version", 0) != 1) {
      return;
    }
    for (const auto& [path, v] : doc.at("files").items()) {
      entries_[path] = Entry{v.at(0).get<dev_t>(),     v.at(1).get<ino_t>(),
                             v.at(2).get<off_t>(),     v.at(3).get<long long>(),
                             v.at(4).get<long long>(), v.at(5).get<std::string>()};
    }
  } catch (const std::exception& e) {
    log::debug("file hash cache {} ignored: {}", file_, e.what());
    entries_.clear();
  }
}

std::optional<std::string> FileHashCache::find(const std::string& path, const struct stat& st) const {
  const std::shared_lock lock(mutex_);
  const auto it = entries_.find(path);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  const Entry& e = it->second;
  if (e.dev != st.st_dev || e.ino != st.st_ino || e.size != st.st_size ||
      e.mtime_ns != ns_of(st.st_mtim) || e.ctime_ns != ns_of(st.st_ctim)) {
    return std::nullopt;
  }
  return e.digest;
}

void FileHashCache::put(const std::string& path, const struct stat& st, const std::string& digest) {
  if (file_.empty()) {
    return;
  }
  const long long newest = std::max(ns_of(st.st_mtim), ns_of(st.st_ctim));
  if (now_ns() - newest < k_racy_ns) {
    return; // racily clean: the file may change again within this timestamp tick
  }
  const std::unique_lock lock(mutex_);
  entries_[path] = Entry{st.st_dev, st.st_ino, st.st_size, ns_of(st.st_mtim), ns_of(st.st_ctim), digest};
  dirty_ = true;
}

void FileHashCache::save() const {
  const std::shared_lock lock(mutex_);
  if (!dirty_ || file_.empty()) {
    return;
  }
  json files = json::object();
  for (const auto& [path, e] : entries_) {
    files[path] = json::array({e.dev, e.ino, e.size, e.mtime_ns, e.ctime_ns, e.digest});
  }
  try {
    store::write_file_atomically(file_, json{{"version", 1}, {"files", files}}.dump(), 0600);
  } catch (const Error& e) {
    log::warn("could not save the file hash cache {}: {}", file_, e.what());
  }
}

} // namespace strata::builder
