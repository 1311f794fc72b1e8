#pragma once
// `write_tree_tar`: a directory tree as one uncompressed tar stream, the output of `strata export`
// (a container's merged filesystem, runtime/merged_view.hpp).
//
// The tar is the layer writer's (store/layer_writer.hpp, `LayerSource::tree`): depth-first, each
// directory's entries sorted bytewise, the root not an entry, PAX only where needed, numeric
// uid/gid, mtimes in whole seconds, xattrs as `SCHILY.xattr.*` (never `trusted.overlay.*`,
// `user.overlay.*` or `security.selinux`), hardlinks within the tree as hardlink entries, sockets
// skipped. A character device 0/0 is written as the device it is: a merged overlayfs view has no
// whiteouts left to convert. The same tree gives the same bytes.
//
// SECURITY: the tree may be a container's. It is walked by fd, never following a symlink
// (see layer_writer.hpp).
//
// Failure: `Error{io}` naming the path below the tree, or what `sink` throws; the stream stops
// there (a reader sees a truncated tar). Thread-safety: none needed; `source_dir_fd` is borrowed
// (O_PATH is fine) and should not change during the call.

#include <cstdint>
#include <string>

#include "store/compress.hpp"

namespace strata::store {

struct TreeTarStats {
  std::uint64_t tar_size = 0;     // bytes handed to the sink
  std::uint64_t content_size = 0; // sum of regular file sizes (hardlinks once)
};

// Writes the tar of the tree below `source_dir_fd` to `sink`, in order.
TreeTarStats write_tree_tar(int source_dir_fd, const ByteSink& sink);

// A sink writing every byte to `fd` (borrowed), retrying short writes and EINTR; a failure throws
// `Error{io}` naming `label`.
[[nodiscard]] ByteSink fd_sink(int fd, std::string label);

} // namespace strata::store
