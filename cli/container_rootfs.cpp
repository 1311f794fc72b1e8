// Where a container's files are (container_rootfs.hpp).

#include "cli/container_rootfs.hpp"

#include "runtime/rootfs_copy.hpp"

namespace strata::cli {

std::string rootfs_copy_dir(const store::ContainerRecord& record) {
  return record.dir + "/rootfs-copy";
}

std::optional<std::string> rootfs_copy_of(const store::ContainerRecord& record) {
  std::string dir = rootfs_copy_dir(record);
  if (!runtime::rootfs_copy_exists(dir)) {
    return std::nullopt;
  }
  return dir;
}

std::vector<std::string> image_layer_dirs(const store::SnapshotStore& snapshots,
                                          const store::ContainerRecord& record) {
  std::vector<std::string> dirs;
  for (auto chain = record.chains.rbegin(); chain != record.chains.rend(); ++chain) {
    dirs.push_back(snapshots.path_of(*chain) + "/fs");
  }
  return dirs;
}

std::vector<std::string> copy_base_dirs(const store::SnapshotStore& snapshots,
                                        const store::ContainerRecord& record) {
  std::vector<std::string> dirs = image_layer_dirs(snapshots, record);
  dirs.insert(dirs.begin(), record.dir + "/init");
  return dirs;
}

} // namespace strata::cli
