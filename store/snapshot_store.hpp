#pragma once
// `SnapshotStore`: unpacked layers, one directory per chain ID, shared by every image and container
// that needs them (DESIGN.md "The store on disk").
//
// ON-DISK FORMAT
//   <root>/snapshots/<chain-hex>/fs/         the layer's own tree, whiteouts in overlayfs form
//                                            (char device 0/0, trusted.overlay.opaque="y"), so
//                                            the stack of a chain's fs/ dirs mounts as overlay
//                                            lower dirs.
//   <root>/snapshots/<chain-hex>/meta.json   {"chain_id","diff_id","parent","size"}
// A snapshot is built in a `StagingDir` under `<root>/tmp/`, synced (syncfs), and renamed into
// place in one step: a directory named by a chain ID is complete by construction ("marked complete
// only when fully applied"); a crash leaves only staging garbage. `meta.json` written inside it
// before the rename is what `system check` verifies.
//
// Concurrency: two processes creating the same snapshot both unpack; the first rename wins and
// the other discards its copy. Callers hold the store's gc lock shared while creating (so the
// sweep cannot remove a staging dir or a snapshot they are about to reference).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/digest.hpp"

namespace strata::store {

class StagingDir;

struct SnapshotInfo {
  Digest chain_id;
  Digest diff_id;
  std::optional<Digest> parent; // chain ID of the layer below
  std::uint64_t size = 0;       // bytes of regular-file content in this layer
  std::string fs_path;          // <root>/snapshots/<hex>/fs
};

// What a fill function reports about the tree it wrote.
struct FilledLayer {
  Digest diff_id;
  std::uint64_t size = 0;
};

class SnapshotStore {
public:
  // Opens (creating `snapshots/` if missing) the snapshots of the store at `root`.
  [[nodiscard]] static SnapshotStore open(const std::string& root);

  // The snapshot's metadata, or nullopt if it does not exist. Throws `Error{corrupt}` if its
  // metadata is unreadable.
  [[nodiscard]] std::optional<SnapshotInfo> get(const Digest& chain_id) const;
  // Returns the snapshot, creating it if missing: `fill(fs_dir_fd)` writes the layer's tree into
  // an empty directory and returns its diff ID, which must equal `diff_id` (else `Error{corrupt}`
  // and nothing is kept).
  SnapshotInfo create(const Digest& chain_id, const std::optional<Digest>& parent,
                      const Digest& diff_id, const std::function<FilledLayer(int fs_dir_fd)>& fill);
  // As above when the diff ID is only known once the layer is written (a tar streamed in once):
  // the chain ID is computed from `parent` and what `fill` reports. If that snapshot exists
  // already, the new copy is discarded.
  SnapshotInfo create_streamed(const std::optional<Digest>& parent,
                               const std::function<FilledLayer(int fs_dir_fd)>& fill);
  // Adopts a finished tree — a build step's overlay upper dir, already in overlayfs form — as the
  // snapshot `chain_id` by renaming `tree` (a directory under this store's `tmp/`, so on the same
  // file system; nothing may be using it) into a staging dir and publishing it. If the snapshot
  // exists already, `tree` is discarded. `size` is the layer's content size.
  SnapshotInfo adopt(const Digest& chain_id, const std::optional<Digest>& parent,
                     const Digest& diff_id, std::uint64_t size, const std::string& tree);
  // Every snapshot directory name that is a valid chain ID, sorted.
  [[nodiscard]] std::vector<Digest> list() const;
  // Removes the snapshot (renamed away first, so it disappears at once). False if absent.
  bool remove(const Digest& chain_id);
  // Problems found by checking every snapshot's metadata (for `system check`).
  [[nodiscard]] std::vector<std::string> check() const;

  [[nodiscard]] const std::string& root() const noexcept { return root_; }
  [[nodiscard]] std::string path_of(const Digest& chain_id) const;

private:
  SnapshotInfo publish(StagingDir& staging, int fs_fd, SnapshotInfo info);
  explicit SnapshotStore(std::string root) : root_(std::move(root)) {}
  std::string root_; // the store root
};

} // namespace strata::store
