#include "store/snapshot_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/atomic_file.hpp"
#include "store/image.hpp"
#include "store/staging.hpp"

namespace strata::store {
namespace {

using json = nlohmann::json;

constexpr const char* k_meta = "meta.json";

UniqueFd open_dir_at(int dirfd, const std::string& name, const std::string& label) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    throw_errno("open directory", label);
  }
  return fd;
}

std::string meta_json(const SnapshotInfo& info) {
  json doc = {{"chain_id", info.chain_id.str()},
              {"diff_id", info.diff_id.str()},
              {"size", info.size}};
  doc["parent"] = info.parent ? json(info.parent->str()) : json(nullptr);
  return doc.dump();
}

SnapshotInfo parse_meta(const std::string& bytes, const std::string& label) {
  const json doc = json::parse(bytes, nullptr, false);
  auto digest = [&](const char* key) -> std::optional<Digest> {
    if (!doc.is_object() || !doc.contains(key) || !doc[key].is_string()) {
      return std::nullopt;
    }
    return Digest::try_parse(doc[key].get<std::string>());
  };
  const auto chain = digest("chain_id");
  const auto diff = digest("diff_id");
  if (!chain || !diff || !doc.contains("size") || !doc["size"].is_number_unsigned()) {
    throw Error(ErrorKind::corrupt, fmt::format("snapshot metadata {} is malformed", label));
  }
  return {*chain, *diff, digest("parent"), doc["size"].get<std::uint64_t>(), {}};
}

} // namespace

SnapshotStore SnapshotStore::open(const std::string& root) {
  ensure_directory(root + "/snapshots", 0700);
  ensure_directory(root + "/tmp", 0700);
  return SnapshotStore(root);
}

std::string SnapshotStore::path_of(const Digest& chain_id) const {
  return root_ + "/snapshots/" + chain_id.hex();
}

std::optional<SnapshotInfo> SnapshotStore::get(const Digest& chain_id) const {
  const std::string dir = path_of(chain_id);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw_errno("stat snapshot", dir);
  }
  SnapshotInfo info = parse_meta(read_file(dir + "/" + k_meta, 64 * 1024), dir + "/" + k_meta);
  if (info.chain_id != chain_id) {
    throw Error(ErrorKind::corrupt,
                fmt::format("snapshot {} records chain ID {}", dir, info.chain_id.str()));
  }
  info.fs_path = dir + "/fs";
  return info;
}

SnapshotInfo SnapshotStore::create(const Digest& chain_id, const std::optional<Digest>& parent,
                                   const Digest& diff_id,
                                   const std::function<FilledLayer(int fs_dir_fd)>& fill) {
  if (auto existing = get(chain_id)) {
    return *existing;
  }
  StagingDir staging(root_ + "/tmp", "snapshot-");
  if (::mkdirat(staging.fd(), "fs", 0755) != 0) {
    throw_errno("create", staging.path() + "/fs");
  }
  const UniqueFd fs = open_dir_at(staging.fd(), "fs", staging.path() + "/fs");
  const FilledLayer filled = fill(fs.get());
  if (filled.diff_id != diff_id) {
    throw Error(ErrorKind::corrupt,
                fmt::format("layer content hashes to diff ID {}, expected {}",
                            filled.diff_id.str(), diff_id.str()));
  }
  return publish(staging, fs.get(), SnapshotInfo{chain_id, diff_id, parent, filled.size, {}});
}

SnapshotInfo SnapshotStore::create_streamed(const std::optional<Digest>& parent,
                                            const std::function<FilledLayer(int fs_dir_fd)>& fill) {
  StagingDir staging(root_ + "/tmp", "snapshot-");
  if (::mkdirat(staging.fd(), "fs", 0755) != 0) {
    throw_errno("create", staging.path() + "/fs");
  }
  const UniqueFd fs = open_dir_at(staging.fd(), "fs", staging.path() + "/fs");
  const FilledLayer filled = fill(fs.get());
  const Digest chain = parent ? chain_ids({*parent, filled.diff_id}).back() : filled.diff_id;
  if (auto existing = get(chain)) {
    return *existing;
  }
  return publish(staging, fs.get(), SnapshotInfo{chain, filled.diff_id, parent, filled.size, {}});
}

SnapshotInfo SnapshotStore::adopt(const Digest& chain_id, const std::optional<Digest>& parent,
                                  const Digest& diff_id, std::uint64_t size,
                                  const std::string& tree) {
  if (auto existing = get(chain_id)) {
    return *existing;
  }
  StagingDir staging(root_ + "/tmp", "snapshot-");
  const std::string fs_path = staging.path() + "/fs";
  if (::rename(tree.c_str(), fs_path.c_str()) != 0) {
    throw_errno("move layer tree into", fs_path);
  }
  const UniqueFd fs = open_dir_at(staging.fd(), "fs", fs_path);
  return publish(staging, fs.get(), SnapshotInfo{chain_id, diff_id, parent, size, {}});
}

SnapshotInfo SnapshotStore::publish(StagingDir& staging, int fs_fd, SnapshotInfo info) {
  write_file_atomically(staging.path() + "/" + k_meta, meta_json(info), 0644);
  if (::syncfs(fs_fd) != 0) {
    throw_errno("sync file system of", staging.path());
  }
  if (!staging.publish_as(path_of(info.chain_id))) {
    log::debug("snapshot {} was created concurrently; discarding this copy", info.chain_id.str());
  }
  info.fs_path = path_of(info.chain_id) + "/fs";
  return info;
}

std::vector<Digest> SnapshotStore::list() const {
  std::vector<Digest> out;
  for (const auto& name : list_directory(root_ + "/snapshots")) {
    if (auto d = Digest::try_parse("sha256:" + name)) {
      out.push_back(*d);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool SnapshotStore::remove(const Digest& chain_id) {
  const std::string dir = path_of(chain_id);
  const StagingDir trash(root_ + "/tmp", "removing-");
  const std::string target = trash.path() + "/snapshot";
  if (::rename(dir.c_str(), target.c_str()) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    throw_errno("remove snapshot", dir);
  }
  return true; // `trash` removes the tree
}

std::vector<std::string> SnapshotStore::check() const {
  std::vector<std::string> problems;
  for (const auto& chain : list()) {
    try {
      const auto info = get(chain);
      struct stat st {};
      if (!info || ::lstat(info->fs_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        problems.push_back(fmt::format("snapshot {}: missing fs/ directory", chain.str()));
      }
    } catch (const Error& e) {
      problems.push_back(fmt::format("snapshot {}: {}", chain.str(), e.what()));
    }
  }
  return problems;
}

} // namespace strata::store
