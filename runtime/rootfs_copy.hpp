#pragma once
// The rootfs without overlayfs (docker's `vfs` driver): where the overlay cannot be mounted (a
// store on a file system overlayfs refuses as an upper dir, a kernel without it, a nested
// container), the container's layers are merged once into one private directory — the *copy* —
// which the child bind-mounts read-write as the rootfs instead of the overlay (rootfs.hpp).
//
// Vocabulary:
// - layers: directories in overlayfs form (a character device 0/0 NAME removes NAME from the
//   layers below; a directory with xattr `trusted.overlay.opaque` or `user.overlay.opaque` = "y"
//   hides the layers below it), *top first*, as `ContainerSpec::lower_dirs`; the container's
//   upper dir may be the top one (a container that ran on overlayfs before keeps its changes);
// - copy dir: the merged tree, a plain directory with no whiteouts and no overlay xattrs. It is
//   the container's root filesystem from then on: every later start bind-mounts it again, even
//   where overlayfs would work, and `commit`/`export` read it (store/tree_diff.hpp).
//
// On disk: the copy is built in `<dir>.partial` and renamed to `<dir>` once complete, so `<dir>`
// existing means a complete copy; a `.partial` left by a crash is removed and the copy made
// again. The caller names `<dir>` (the CLI: `containers/<id>/rootfs-copy`,
// store/container_store.hpp).
//
// What is copied: regular files (data with copy_file_range), directories, symlinks (target
// verbatim), fifos, sockets and device nodes; owners, modes (set-id bits included), mtimes and
// atimes (nanoseconds), xattrs of files and directories (`security.capability` included; never
// `trusted.overlay.*`, `user.overlay.*` or `security.selinux`; an xattr the target file system
// refuses is skipped). Files linked to one inode within a layer stay hardlinked in the copy.
//
// SECURITY (SECURITY.md §4): the layers are untrusted trees. Both sides are walked by directory
// fds with `openat(O_NOFOLLOW)`/`fstatat(AT_SYMLINK_NOFOLLOW)`, every creation is an `*at` call
// on a directory fd we hold (`mkdirat`, `openat(O_CREAT|O_EXCL|O_NOFOLLOW)`, `symlinkat`,
// `mknodat`), metadata is set on fds or with AT_SYMLINK_NOFOLLOW, replaced entries are removed
// with dirfds and `unlinkat` (`remove_tree_at`), and a hardlink's first path is resolved in-root
// (`open_in_root`). No symlink in a layer is ever followed. No container runs while the copy is
// made (the caller holds the container's lock).
//
// Failure: `Error{io}` naming the path below the layer; the `.partial` directory is left for the
// next attempt to remove. Costs: the image's size in disk space and time, once per container.
// Thread-safety: one call per `dir` at a time (the container's lock).

#include <string>
#include <vector>

namespace strata::runtime {

// Whether a failed overlayfs mount(2) with `err` means "overlayfs cannot be used here" — no
// overlay file system (ENODEV), an upper dir it refuses (EINVAL, EOPNOTSUPP), not allowed in this
// namespace (EPERM) — so the copy would work where the overlay did not.
[[nodiscard]] bool overlay_refused(int err) noexcept;

// Whether the complete copy `dir` exists (the container runs on its copy).
[[nodiscard]] bool rootfs_copy_exists(const std::string& dir);

// Makes the copy `dir` from `layers` (top first) unless it exists already (see above).
void make_rootfs_copy(const std::string& dir, const std::vector<std::string>& layers);

} // namespace strata::runtime
