#pragma once
// Where a container's files are, for the commands that read them (`commit`, `export`, `ps -s`,
// `system df`) and for `start`'s spec: on overlayfs, its upper dir (`<container>/upper`) over its
// image's snapshots; where overlayfs was refused, the rootfs copy (`<container>/rootfs-copy`,
// runtime/rootfs_copy.hpp), which holds the whole merged tree, its changes included, compared
// against the init layer and the snapshots it was made from (store/tree_diff.hpp).

#include "store/container_store.hpp"
#include "store/snapshot_store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace strata::cli {

// `<container>/rootfs-copy`, whether it exists or not.
[[nodiscard]] std::string rootfs_copy_dir(const store::ContainerRecord& record);

// The rootfs copy when the container runs on one.
[[nodiscard]] std::optional<std::string> rootfs_copy_of(const store::ContainerRecord& record);

// The image's snapshot trees of the container, top first (`lowerdir`'s order).
[[nodiscard]] std::vector<std::string> image_layer_dirs(const store::SnapshotStore& snapshots,
                                                        const store::ContainerRecord& record);

// What the rootfs copy was made from, top first: the init layer, then the image's snapshots.
[[nodiscard]] std::vector<std::string> copy_base_dirs(const store::SnapshotStore& snapshots,
                                                      const store::ContainerRecord& record);

} // namespace strata::cli
