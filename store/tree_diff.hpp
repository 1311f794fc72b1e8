#pragma once
// `write_diff_layer`: the changes of a tree against the layers it was copied from, as one layer
// blob — docker's "naive diff" (the vfs driver's), used to commit a container whose rootfs is a
// private copy of its layers (runtime/rootfs_copy.hpp) rather than an overlay with an upper dir.
//
// Vocabulary:
// - tree: the container's copy, a plain directory (no whiteouts);
// - lower dirs: the layers the copy started from, *top first*, in overlayfs form (a character
//   device 0/0 NAME removes NAME from the layers below; a directory with xattr
//   `trusted.overlay.opaque` or `user.overlay.opaque` = "y" hides the layers below it). The
//   *merged lower* entry of a path is the one overlayfs would show.
//
// The layer holds, in the layer writer's order and format (store/layer_writer.hpp,
// `LayerSource::tree`):
// - every tree entry missing from the merged lower, with everything below it;
// - every tree entry that differs from its merged lower entry: another type, mode, owner or
//   device number, or, for a non-directory, another size or mtime (nanoseconds) — docker's
//   `statDifferent` (a directory's size and mtime say nothing; contents are not compared, so
//   a change that restores the mtime goes unseen, as in docker);
// - every unchanged directory holding such an entry (before its children, so permissions are
//   restored when the layer is applied);
// - `.wh.NAME` (an empty regular file, mode 0600, owner 0, mtime 0) at NAME's place in the order
//   for every merged lower entry the tree no longer has.
// Identical trees give identical bytes; a tree equal to its lowers gives the empty tar.
//
// SECURITY: both sides may have been written by a container. Everything is opened with
// `openat(O_NOFOLLOW)` relative to directory fds we hold and stat'ed with AT_SYMLINK_NOFOLLOW; no
// symlink is followed and no path string is resolved again.
//
// Failure: `Error{io}` naming the path below the tree; nothing is published. Holds one fd per
// directory level per layer. Thread-safety: as `write_layer`; the trees must not change during
// the call (the caller pauses a running container).

#include <string>
#include <vector>

#include "store/blob_store.hpp"
#include "store/layer_writer.hpp"

namespace strata::store {

// The changes of the tree `tree_fd` (borrowed) against `lower_dirs` (top first) as one blob.
// `options.source` is ignored (the tree has no whiteouts of its own).
[[nodiscard]] LayerBlob write_diff_layer(BlobStore& store, int tree_fd,
                                         const std::vector<std::string>& lower_dirs,
                                         const LayerWriteOptions& options);

} // namespace strata::store
