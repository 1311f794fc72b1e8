#include "store/archive_load.hpp"

#include <set>

#include "common/error.hpp"
#include "common/log.hpp"
#include "store/archive_load_internal.hpp"

namespace strata::store {
namespace {

using archive_detail::ArchiveContents;
using archive_detail::ArchiveFile;
using archive_detail::PlannedImage;

// What this load added to the store: removed again by the destructor unless `commit` ran, so a
// failed load leaves the store as it was. Blobs and snapshots that existed before are never
// touched (a blob `publish` reports `already_present`, a snapshot that `get` found beforehand).
class LoadRollback {
public:
  // Holds the store's content lock (shared) for the whole load.
  explicit LoadRollback(ImageStore& store) : store_(store), lock_(store.content_lock()) {}
  LoadRollback(const LoadRollback&) = delete;
  LoadRollback& operator=(const LoadRollback&) = delete;
  ~LoadRollback() {
    if (!committed_) {
      undo();
    }
  }

  void published(const PutResult& result) {
    if (!result.already_present) {
      blobs_.push_back(result.digest);
    }
  }
  void will_create(const Digest& chain) { snapshots_.push_back(chain); }
  void commit() noexcept { committed_ = true; }

private:
  // A concurrent load may have found one of our blobs "already present" and be about to reference
  // it, so nothing is removed under the shared lock: the lock is dropped, and the removal runs
  // under the exclusive gc lock, sparing whatever an image references by then.
  void undo() noexcept {
    lock_.reset();
    try {
      store_.remove_unreferenced(blobs_, snapshots_);
    } catch (const std::exception& e) {
      log::warn("load: could not roll back: {} (`strata system prune` removes the rest)", e.what());
    }
  }

  ImageStore& store_;
  std::optional<FileLock> lock_;
  std::vector<Digest> blobs_;
  std::vector<Digest> snapshots_;
  bool committed_ = false;
};

// Publishes the image's layers (each digest once per load), then its config and manifest, so a
// crash in between leaves only unreferenced blobs for gc.
void publish(ImageStore& store, ArchiveContents& contents, const PlannedImage& image,
             std::set<Digest>& done, LoadRollback& rollback) {
  for (const auto& name : image.layers) {
    ArchiveFile* file = contents.find(name);
    STRATA_CHECK(file != nullptr && file->digest);
    if (!done.insert(*file->digest).second) {
      continue;
    }
    rollback.published(file->writer ? file->writer->publish(file->digest, file->size)
                                     : store.blobs().put_bytes(file->bytes, file->digest));
  }
  for (const auto* bytes : {&image.config_bytes, &image.manifest_bytes}) {
    const PutResult stored = store.blobs().put_bytes(*bytes);
    if (done.insert(stored.digest).second) {
      rollback.published(stored);
    }
  }
}

// Unpacks the image's layers into snapshots, noting which ones this call creates.
void unpack(ImageStore& store, const PlannedImage& image, LoadRollback& rollback) {
  for (const auto& chain : chain_ids(image.config.diff_ids)) {
    if (!store.snapshots().get(chain)) {
      rollback.will_create(chain);
    }
  }
  const ImageRecord record{image.manifest, image.parsed.config.digest, {}};
  std::ignore = store.unpack(ImageDetail{record, image.parsed, image.config, image.config_bytes});
}

} // namespace

std::vector<LoadedImage> load_archive(ImageStore& store, int fd) {
  LoadRollback rollback(store);
  ArchiveContents contents = archive_detail::read_archive(store.blobs(), fd);
  const std::vector<PlannedImage> images = archive_detail::plan_images(contents);
  if (images.empty()) {
    archive_detail::fail("the archive contains no images");
  }
  std::set<Digest> published;
  for (const auto& image : images) {
    publish(store, contents, image, published, rollback);
  }
  for (const auto& image : images) {
    unpack(store, image, rollback);
  }
  // Everything is stored and valid now. Keep it even if registering fails half-way (an I/O
  // error): removing blobs an earlier `add` already made an index entry point to would be worse
  // than unreferenced content that gc collects.
  rollback.commit();
  std::vector<LoadedImage> out;
  for (const auto& image : images) {
    std::ignore = store.add(image.manifest, image.tags);
    out.push_back({image.parsed.config.digest, image.manifest.digest, image.tags});
  }
  return out;
}

} // namespace strata::store
