#pragma once
// `ImageStore`: images and tags over the blob and snapshot stores — the store's front door for the
// CLI, the runtime and the builder.
//
// ON-DISK FORMAT (beyond blob_store.hpp and snapshot_store.hpp)
//   <root>/index.json   the OCI layout's index: one manifest descriptor per tag, annotated with
//                       `org.opencontainers.image.ref.name` (the familiar reference, e.g.
//                       "busybox:latest", so `skopeo inspect oci:ROOT:busybox:latest` and
//                       `umoci` find it) and `io.containerd.image.name` (the full normalised
//                       reference, "docker.io/library/busybox:latest", what strata reads back).
//                       An image that lost its last tag stays as one entry without annotations:
//                       Docker's dangling `<none>:<none>` image, until `image prune` or `rmi`.
//                       Rewritten with AtomicFile under `locks/index.lock` (exclusive); readers
//                       read it without a lock (renames are atomic).
//   <root>/locks/gc.lock
//                       held shared by every operation that adds content (from its first blob to
//                       its index update) and exclusive by garbage collection, so a sweep never
//                       removes a blob, snapshot or staging dir that a writer is about to reference.
//
// Vocabulary: an image's *ID* is its config digest; its *manifest digest* names the manifest blob.
// Several index entries (tags) may share one manifest.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/blob_store.hpp"
#include "store/file_lock.hpp"
#include "store/image.hpp"
#include "store/reference.hpp"
#include "store/snapshot_store.hpp"

namespace strata::store {

// One image as `index.json` lists it.
struct ImageRecord {
  Descriptor manifest;            // the index entry's descriptor (annotations dropped)
  Digest id;                      // config digest
  std::vector<Reference> names;   // tags, sorted by str(); empty for a dangling image
};

// An image with its documents loaded and verified.
struct ImageDetail {
  ImageRecord record;
  Manifest manifest;
  ImageConfig config;
  std::string config_bytes;
};

struct GcResult {
  bool deferred = false; // another strata process held the content lock (a running container)
  std::size_t blobs = 0;
  std::size_t snapshots = 0;
  std::size_t staging = 0; // stale ingests and tmp entries
  std::uint64_t bytes = 0; // freed, approximately (blob sizes)
};

class ImageStore {
public:
  [[nodiscard]] static ImageStore open(const std::string& root);

  [[nodiscard]] BlobStore& blobs() noexcept { return blobs_; }
  [[nodiscard]] const BlobStore& blobs() const noexcept { return blobs_; }
  [[nodiscard]] SnapshotStore& snapshots() noexcept { return snapshots_; }
  [[nodiscard]] const SnapshotStore& snapshots() const noexcept { return snapshots_; }
  [[nodiscard]] const std::string& root() const noexcept { return blobs_.root(); }

  // Held (shared) by writers for the duration of an operation that adds content; see above.
  [[nodiscard]] FileLock content_lock() const;

  // The raw entries of `index.json`.
  [[nodiscard]] std::vector<Descriptor> index_entries() const;
  // Every image in `index.json`, one record per manifest digest, in index order.
  [[nodiscard]] std::vector<ImageRecord> list() const;
  // Loads and verifies an image's manifest and config. Throws `Error{corrupt|not_found}`.
  [[nodiscard]] ImageDetail load(const ImageRecord& record) const;
  // Finds what a user typed: NAME[:TAG] (familiar or full), NAME@DIGEST, an image ID or a unique
  // prefix of one (with or without "sha256:"), or a manifest digest. Throws `Error{not_found}`
  // ("No such image: X") or `Error{usage}` for an ambiguous prefix.
  [[nodiscard]] ImageRecord resolve(std::string_view text) const;
  [[nodiscard]] std::optional<ImageRecord> try_resolve(std::string_view text) const;

  // Stores the config and a manifest over `layers` (all already stored), then registers the image
  // under `tags` (moved from whatever image had them). Returns the new record.
  ImageRecord commit_image(std::string_view config_bytes, const std::vector<Descriptor>& layers,
                           const std::vector<Reference>& tags);
  // Registers a stored manifest (and its stored config and layers) under `tags`.
  ImageRecord add(const Descriptor& manifest, const std::vector<Reference>& tags);
  // Points `tag` at the image (moving it from any other image).
  void tag(const ImageRecord& image, const Reference& tag);
  // Removes `tag`. Returns the image it named, if any; that image stays (dangling) if it has no
  // other tags — callers decide whether to delete it.
  std::optional<ImageRecord> untag(const Reference& tag);
  // Removes every index entry of the image.
  void remove(const Digest& manifest_digest);

  // Unpacks every layer of the image into snapshots (idempotent), several layers at once (each
  // snapshot holds only its own layer's tree). Returns the chain IDs.
  std::vector<Digest> unpack(const ImageDetail& image);
  // Unpacks layer `index` of the image into its snapshot unless it is there (idempotent): for a
  // pull that unpacks each layer as soon as it is downloaded.
  void unpack_layer(const ImageDetail& image, std::size_t index);

  // Removes blobs and snapshots no image references (and no chain in `keep_chains`, e.g. those
  // containers use), plus stale ingest and staging entries. Takes the gc lock exclusively; with
  // `GcWait::no`, returns at once with `deferred` set if a writer or a running container holds it
  // (what it would collect stays for a later collection).
  enum class GcWait { yes, no };
  GcResult collect_garbage(const std::vector<Digest>& keep_chains = {}, GcWait wait = GcWait::yes);
  // Removes those of `blobs` and `chains` that no image references, under the exclusive gc lock
  // (the caller must not hold `content_lock()`): an aborted writer's undo that cannot hurt a
  // concurrent writer who found the same content already present.
  void remove_unreferenced(const std::vector<Digest>& blobs, const std::vector<Digest>& chains);
  // Verifies the whole store; returns the list of problems (empty = healthy).
  [[nodiscard]] std::vector<std::string> check() const;

private:
  ImageStore(BlobStore blobs, SnapshotStore snapshots)
      : blobs_(std::move(blobs)), snapshots_(std::move(snapshots)) {}
  template <typename F> void update_index(F&& change);

  BlobStore blobs_;
  SnapshotStore snapshots_;
};

} // namespace strata::store
