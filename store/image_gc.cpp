// ImageStore's whole-store operations: unpacking into snapshots, garbage collection and the
// consistency check behind `strata system check`.
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "store/image_store.hpp"
#include "store/container_store.hpp"
#include "store/parallel_each.hpp"
#include "store/staging.hpp"
#include "store/tar_apply.hpp"

namespace strata::store {
namespace {

struct Reachable {
  std::set<Digest> blobs;
  std::set<Digest> chains;
};

// Everything the index reaches. Unreadable documents reach nothing beyond themselves (their blobs
// are kept only if named directly); `check` reports them.
Reachable reachable(const ImageStore& store, const std::vector<Digest>& keep_chains) {
  Reachable out;
  out.chains.insert(keep_chains.begin(), keep_chains.end());
  for (const auto& record : store.list()) {
    out.blobs.insert(record.manifest.digest);
    try {
      const ImageDetail image = store.load(record);
      out.blobs.insert(image.manifest.config.digest);
      for (const auto& layer : image.manifest.layers) {
        out.blobs.insert(layer.digest);
      }
      for (const auto& chain : chain_ids(image.config.diff_ids)) {
        out.chains.insert(chain);
      }
    } catch (const Error& e) {
      log::warn("gc: image {}: {}", record.id.short_id(), e.what());
      out.blobs.insert(record.id);
    }
  }
  return out;
}

// AtomicFile temporaries left in the root by a crashed metadata writer (".index.json.tmp.*").
std::size_t remove_stale_temp_files(const std::string& root) {
  std::size_t removed = 0;
  const UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!dir) {
    throw_errno("open directory", root);
  }
  for (const auto& name : list_directory(dir.get(), root)) {
    if (name.starts_with(".") && name.find(".tmp.") != std::string::npos &&
        ::unlinkat(dir.get(), name.c_str(), 0) == 0) {
      ++removed;
    }
  }
  return removed;
}

} // namespace

void ImageStore::unpack_layer(const ImageDetail& image, std::size_t index) {
  const std::vector<Digest> chains = chain_ids(image.config.diff_ids);
  STRATA_CHECK(index < chains.size() && index < image.manifest.layers.size());
  if (snapshots_.get(chains[index])) {
    return;
  }
  const Privileged privileged = ::geteuid() == 0 ? Privileged::yes : Privileged::no;
  const Descriptor& layer = image.manifest.layers[index];
  const std::optional<Digest> parent =
      index == 0 ? std::nullopt : std::optional(chains[index - 1]);
  snapshots_.create(chains[index], parent, image.config.diff_ids[index], [&](int fs_fd) {
    const UniqueFd blob = blobs_.open_blob(layer.digest);
    ApplyOptions options;
    options.privileged = privileged;
    options.whiteouts = WhiteoutMode::overlay;
    const ApplyResult r = apply_layer(blob.get(), fs_fd, options);
    if (r.compressed_digest && *r.compressed_digest != layer.digest) {
      throw Error(ErrorKind::corrupt, fmt::format("layer blob {} is corrupt: it hashes to {}",
                                                  layer.digest.str(),
                                                  r.compressed_digest->str()));
    }
    return FilledLayer{r.diff_id, r.content_bytes};
  });
}

std::vector<Digest> ImageStore::unpack(const ImageDetail& image) {
  const std::vector<Digest> chains = chain_ids(image.config.diff_ids);
  const unsigned threads = std::max(1U, std::thread::hardware_concurrency());
  parallel_each(chains.size(), threads, [&](std::size_t i) { unpack_layer(image, i); });
  return chains;
}

GcResult ImageStore::collect_garbage(const std::vector<Digest>& keep_chains, GcWait wait) {
  const std::string lock_path = root() + "/locks/gc.lock";
  std::optional<FileLock> gc;
  if (wait == GcWait::yes) {
    gc.emplace(lock_path, LockMode::exclusive);
  } else if (gc = FileLock::try_lock(lock_path, LockMode::exclusive); !gc) {
    return GcResult{.deferred = true};
  }
  // Every container's layers stay, running or not (read under the lock: a container being
  // created holds the content lock shared until its record is published).
  std::vector<Digest> keep = ContainerStore(root()).used_chains();
  keep.insert(keep.end(), keep_chains.begin(), keep_chains.end());
  const Reachable live = reachable(*this, keep);
  GcResult result;
  for (const auto& blob : blobs_.list()) {
    if (!live.blobs.contains(blob)) {
      result.bytes += blobs_.size_of(blob).value_or(0);
      result.blobs += blobs_.remove(blob) ? 1 : 0;
    }
  }
  for (const auto& chain : snapshots_.list()) {
    if (!live.chains.contains(chain)) {
      result.snapshots += snapshots_.remove(chain) ? 1 : 0;
    }
  }
  result.staging = blobs_.remove_stale_ingests() + remove_stale_staging(root() + "/tmp");
  const FileLock index(root() + "/locks/index.lock", LockMode::exclusive);
  result.staging += remove_stale_temp_files(root());
  return result;
}

void ImageStore::remove_unreferenced(const std::vector<Digest>& blobs,
                                     const std::vector<Digest>& chains) {
  const FileLock gc(root() + "/locks/gc.lock", LockMode::exclusive);
  const Reachable live = reachable(*this, {});
  for (auto it = chains.rbegin(); it != chains.rend(); ++it) {
    if (!live.chains.contains(*it)) {
      std::ignore = snapshots_.remove(*it);
    }
  }
  for (const auto& blob : blobs) {
    if (!live.blobs.contains(blob)) {
      std::ignore = blobs_.remove(blob);
    }
  }
}

std::vector<std::string> ImageStore::check() const {
  std::vector<std::string> problems;
  for (const auto& blob : blobs_.list()) {
    try {
      blobs_.verify(blob);
    } catch (const Error& e) {
      problems.emplace_back(e.what());
    }
  }
  for (const auto& record : list()) {
    try {
      const ImageDetail image = load(record);
      for (const auto& layer : image.manifest.layers) {
        if (!blobs_.contains(layer.digest)) {
          problems.push_back(fmt::format("image {}: layer {} is missing", record.id.short_id(),
                                         layer.digest.str()));
        }
      }
    } catch (const Error& e) {
      problems.push_back(fmt::format("image {}: {}", record.manifest.digest.str(), e.what()));
    }
  }
  // Entries whose manifest is missing or unreadable are skipped by list(); find them here.
  for (const auto& entry : index_entries()) {
    try {
      std::ignore = Manifest::parse(blobs_.read_blob(entry.digest), entry.digest.str());
    } catch (const Error& e) {
      problems.push_back(fmt::format("index.json entry {}: {}", entry.digest.str(), e.what()));
    }
  }
  const auto snapshot_problems = snapshots_.check();
  problems.insert(problems.end(), snapshot_problems.begin(), snapshot_problems.end());
  return problems;
}

} // namespace strata::store
