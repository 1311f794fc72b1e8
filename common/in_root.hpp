#pragma once
// The one path primitive of strata (SECURITY.md §0 risk 1, §4 "One path primitive, used
// everywhere").
//
// Vocabulary:
// - root: a directory fd (`root_fd`) standing for `/` of an untrusted tree (a rootfs, a layer
//   being extracted, a build context). Everything below it may be controlled by an attacker and
//   may change while we look at it.
// - in-root resolution: resolving a path below `root_fd` exactly as the kernel would after
//   `chroot(root)`: absolute and relative symlinks are followed but re-anchored at the root, `..`
//   at the root stays at the root, and procfs magic links (`/proc/self/fd/N`, `/proc/self/exe`,
//   `/proc/self/root`, ...) are refused with ELOOP because they jump to objects outside any root.
//
// Invariant: no function here ever opens, creates, reads or modifies anything that is not
// reachable from `root_fd` without leaving it, whatever the tree contains and however it changes
// concurrently. Each step works on fds (`openat`/`mkdirat`/`readlinkat` relative to the parent
// fd); a string path is never re-resolved. Callers must therefore keep the returned fds and use
// `*at` calls relative to them instead of joining strings (SECURITY.md CVE-2018-15664).
//
// Resolvers: on Linux >= 5.6 resolution is one `openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)`.
// Without it (ENOSYS or EPERM from a seccomp filter, detected once per process) a user-space
// component walker gives the same answers: `openat(O_PATH|O_NOFOLLOW)` per component, with a stack
// of the directory fds walked so that `..` pops back to a directory we already hold (it can never
// climb above the root, even if a directory is renamed away meanwhile), `readlinkat` on the pinned
// symlink fd, absolute targets restarting at the root, 40 symlinks at most (ELOOP, like the
// kernel's MAXSYMLINKS), and procfs symlinks outside the procfs top level refused as magic links.
// The walker holds one fd per directory level of the path being walked; absurdly deep trees fail
// closed with EMFILE. One known difference: openat2 rejects flag combinations that open(2)
// silently ignores (O_PATH with anything but O_DIRECTORY/O_NOFOLLOW/O_CLOEXEC is EINVAL), so pass
// only meaningful flags. Mount points inside the tree are crossed, as in a chroot.
//
// Proving both resolvers (crun's trick of running the suite again with openat2 blocked):
// - STRATA_NO_OPENAT2=1 in the environment makes the process behave as on a kernel without
//   openat2 (read once, at the first call): run every test binary a second time with it set.
// - `set_in_root_resolver(Resolver::fallback_only)` forces the walker from code; the in_root unit
//   tests run each case under both settings.
//
// Failure: every function throws `Error{io}` from `throw_errno` with the errno of the failing step
// unchanged (ENOENT stays ENOENT, ELOOP, ENOTDIR, EEXIST, ...), so callers may test
// `sys_errno()`. Messages read "open in root etc/passwd under /var/lib/strata/x/rootfs: No such
// file or directory". An empty path is ENOENT (as for open(2)); use "/" or "." for the root
// itself. A path with an embedded NUL is EINVAL; one of PATH_MAX bytes or more is ENAMETOOLONG.
//
// Thread-safety: all functions are safe to call concurrently; `root_fd` is only borrowed and never
// closed. The resolver setting is process-wide and atomic.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/unique_fd.hpp"

namespace strata {

// Which implementation `open_in_root` and friends use.
// - `automatic` (the default): openat2 when the kernel has it (and STRATA_NO_OPENAT2 is not 1),
//   else the walker.
// - `fallback_only`: always the walker, as if openat2 returned ENOSYS. For tests.
enum class Resolver { automatic, fallback_only };

// Sets the process-wide resolver for calls that start afterwards.
void set_in_root_resolver(Resolver resolver) noexcept;
[[nodiscard]] Resolver in_root_resolver() noexcept;

// Opens `path` (absolute or relative, both taken relative to the root) inside the tree at
// `root_fd` with open(2) `flags` (O_CLOEXEC is always added) and `mode` (used only with O_CREAT or
// O_TMPFILE). Symlinks are followed in-root, including the last component unless `flags` has
// O_NOFOLLOW: then a final symlink gives ELOOP, or with O_PATH an fd for the symlink itself. With
// O_CREAT a dangling final symlink creates its target in-root when the target's parent exists
// (ENOENT otherwise), as the kernel does; use `create_in_root` to never follow. A trailing `/`
// requires a directory. openat2 EAGAIN/EINTR (a concurrent rename or mount anywhere on the
// system) is retried a bounded number of times, then the walker answers.
// The caller owns the returned fd.
[[nodiscard]] UniqueFd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// `mkdir -p` inside the root: every missing component is created with `mkdirat` on its parent fd
// with `mode` (minus the umask); modes of existing directories are left alone. Existing
// components must be directories or symlinks resolving (in-root) to directories, else ENOTDIR.
// A dangling symlink component is followed and its target created in-root, which is what BuildKit
// does for `WORKDIR` through `var/run -> /run`. Concurrent creators are tolerated (EEXIST from
// `mkdirat` just means someone else won the race). An empty `path` is ENOENT.
void mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode);

// Whether `create_in_root` may remove what is already at the final component.
enum class Replace { no, yes };

// Creates the file `path` inside the root and returns an fd for it: the parent (everything before
// the last `/`, split before any resolution) is resolved in-root and must exist; the last
// component is created with `openat(parent, name, O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC|flags,
// mode)`, so an existing final symlink is never followed. If something exists there: EEXIST with
// `Replace::no`; with `Replace::yes` a non-directory (file, symlink, socket, ...) is unlinked and
// the creation retried, while a directory gives EISDIR. The last component must be a name (not
// empty, `.` or `..`; EINVAL otherwise). The caller owns the returned fd.
[[nodiscard]] UniqueFd create_in_root(int root_fd, std::string_view path, int flags, mode_t mode,
                                      Replace replace = Replace::no);

// What `fd` currently refers to, read from /proc/self/fd/N, or "fd N" when that fails. For
// messages only: the answer may be stale or attacker-chosen, so never resolve it again.
// Never throws `Error`.
[[nodiscard]] std::string fd_path(int fd);

} // namespace strata
