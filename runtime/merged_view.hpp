#pragma once
// `open_merged_view`: a read-only view of a stack of overlayfs layer directories (a container's
// upper dir over its image's lower dirs), as one directory fd — what `strata export` tars.
//
// The layers are all mounted as overlayfs *lower* dirs (`lowerdir=<upper>:<top>:...:<bottom>`)
// with no upper and no work dir, so overlayfs itself honours whiteouts and opaque directories
// and nothing is ever written (a running container's upper dir may be one of the layers: the
// kernel warns that it is in use elsewhere and allows it with `index=off`). The mount is
// read-only, nosuid, nodev and noexec.
//
// No mount is ever visible on the host, and none is left behind:
// - Linux 6.5+: the new mount API — `fsopen("overlay")`, one `fsconfig("lowerdir+")` per layer
//   (no length limit, any character in a path), `fsmount` — gives a *detached* mount that no
//   mount namespace contains; it lives exactly as long as the returned fd (and fds opened
//   through it).
// - Older kernels (no `fsopen`, or no `lowerdir+`), or `STRATA_NO_FSMOUNT=1` (tests): a child
//   cloned into a new mount namespace makes `/` private, mounts a tmpfs on `mount_point` holding
//   one short symlink per layer (Docker's overlay2 `l/` links, so hundreds of layers fit in the
//   one page of mount(2) data and no path needs escaping), mounts the overlay on a directory in
//   it and passes an `O_PATH` fd of that back over a socket (SCM_RIGHTS), then exits. Its
//   namespace dies with it, which detaches the mounts (as `umount -l` would); the fd keeps the
//   overlay usable. Over a page of options (about a thousand layers): `Error{unsupported}`.
// Why not `unshare(CLONE_NEWNS)` in the calling process: it would change the caller's mounts
// for the rest of its life, and with other threads running it affects only the calling thread.
//
// Failure: `Error{usage}` for fewer than two layers (overlayfs needs two lower dirs when there is
// no upper dir); `Error{io}` naming the step and errno otherwise (EPERM without CAP_SYS_ADMIN),
// with the kernel's own message when the new mount API gives one.
// Thread-safety: any thread; the child never allocates.

#include <string>
#include <vector>

#include "common/unique_fd.hpp"

namespace strata::runtime {

// `layers`: directories, top first, at least two. `mount_point`: an existing directory, used only
// by the fallback inside the child's private mount namespace (the host never sees a mount on it).
// Returns an `O_PATH` directory fd of the merged tree's root.
[[nodiscard]] UniqueFd open_merged_view(const std::vector<std::string>& layers,
                                        const std::string& mount_point);

// A writable view for a build step's file changes (COPY, ADD, WORKDIR): `lowers` (top first, at
// least one) under `upper`, with overlayfs's `work` dir (empty, same file system as `upper`), as a
// detached mount (the new mount API only: `Error{unsupported}` without "lowerdir+") that lives as
// long as the returned fd and any fd opened through it. nosuid, nodev, noexec. Writes land in
// `upper` in overlayfs form (whiteouts, opaque dirs), ready to become a layer.
[[nodiscard]] UniqueFd open_writable_view(const std::vector<std::string>& lowers,
                                          const std::string& upper, const std::string& work);

} // namespace strata::runtime
