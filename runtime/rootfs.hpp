#pragma once
// The container's root filesystem, set up by the child inside its private mount namespace.
//
// Two halves (STYLE.md §3: no allocation between fork and exec):
// - `make_rootfs_plan` (parent, may throw): every string the child will need — the overlayfs
//   option string, the paths of the state files — computed up front;
// - `setup_rootfs` (child, noexcept, no allocation): makes `/` private (recursively) so nothing
//   propagates back to the host, mounts the overlay on the rootfs (or bind-mounts the rootfs
//   copy there, rootfs_copy.hpp, when the plan has one), then inside it /proc (verified
//   with fstatfs), a read-only /sys, a fresh tmpfs /dev with the standard nodes bind-mounted from
//   the host, /dev/pts (newinstance), /dev/shm and /dev/mqueue, the /dev/fd links,
//   the container's cgroup directories read-only under /sys/fs/cgroup,
//   /etc/{hosts,hostname,resolv.conf} from the state dir, Docker's masked and read-only paths,
//   and finally pivot_root(".", ".") + detach. `--read-only` is applied later by the child
//   (`remount_root_readonly`), once the parent has created the working directory.
//
// Security (SECURITY.md §4): the rootfs is untrusted. Top-level mount points (proc, sys, dev)
// must be real directories (checked with AT_SYMLINK_NOFOLLOW, created when missing); the /etc
// targets are resolved in-root (openat2 RESOLVE_IN_ROOT, else no symlinks at all) and a final
// non-regular entry is replaced, and the bind goes onto the resolved fd (open_tree + move_mount),
// never through a path string. Masked files are covered with the host's /dev/null, verified as
// the 1:3 character device by fd before the pivot. No container process runs during setup, so
// the tree cannot change under us.
//
// Thread-safety: `setup_rootfs` changes the calling process's mounts and cwd.

#include "runtime/child_report.hpp"
#include "runtime/container_spec.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace strata::runtime {

// Docker's masked paths (moby `oci.DefaultSpec`): files are covered by /dev/null, directories
// by an empty read-only tmpfs. Missing ones are skipped.
inline constexpr const char* k_masked_paths[] = {
    "/proc/asound",      "/proc/acpi",          "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap",
};

// Docker's read-only paths: bind-mounted onto themselves, read-only.
inline constexpr const char* k_readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

// Host device nodes bind-mounted into the fresh /dev.
inline constexpr const char* k_dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

// The kernel copies at most one page of mount data.
inline constexpr std::size_t k_max_mount_options = 4095;

// The overlayfs mount: `options` for mount(2) and, when the lower dirs had to be made relative
// to fit in a page, the directory to chdir to first (else empty).
struct OverlayOptions {
  std::string chdir;
  std::string options;
  // When not empty: short names ("0", "1", ...) to create in `chdir` first, each a symlink to
  // one lower dir (what Docker's overlay2 driver keeps in `l/`), by `make_overlay_links`.
  std::vector<std::pair<std::string, std::string>> links; // name, target
};

// `lowerdir=A:B,upperdir=U,workdir=W` with absolute paths when that fits `k_max_mount_options`;
// else the lower dirs relative to their common parent; else (hundreds of layers) short symlinks
// in `<state_dir>/l/`. Throws `Error{unsupported}` when even that does not fit (or there is no
// state dir), and `Error{usage}` for no lower dir or a path holding `:` or `,`.
[[nodiscard]] OverlayOptions overlay_mount_options(const ContainerSpec& spec);

// Creates `options.links` (parent side, before the clone); nothing when there are none.
void make_overlay_links(const OverlayOptions& options);

// A `MountSpec` prepared by the parent for the child (rootfs_mounts.cpp): every string the child
// needs, so it allocates nothing.
struct PlannedMount {
  MountSpec::Type type = MountSpec::Type::bind;
  std::string source;                 // bind: host path; tmpfs: "tmpfs"
  std::vector<std::string> prefixes;  // "a", "a/b", "a/b/c": the target and its parents, relative
  bool target_is_file = false;        // a bind of a file needs a file to mount on
  unsigned long flags = 0;            // mount(2) flags (tmpfs), or MS_RDONLY for a read-only bind
  std::string data;                   // tmpfs options; overlay: "lowerdir=...,index=off"
};
[[nodiscard]] std::vector<PlannedMount> plan_mounts(const std::vector<MountSpec>& mounts);
// Child side: creates each target inside `root_fd` (in-root) and mounts it. No allocation.
[[nodiscard]] ChildFailure apply_mounts(int root_fd, const std::vector<PlannedMount>& mounts) noexcept;

struct RootfsPlan {
  std::vector<PlannedMount> mounts;
  OverlayOptions overlay;
  std::string copy; // when set: the rootfs copy (rootfs_copy.hpp), bound instead of the overlay
  std::string rootfs;
  std::string hosts;       // <state>/hosts
  std::string hostname;    // <state>/hostname
  std::string resolv_conf; // <state>/resolv.conf
  ReadOnlyRoot read_only = ReadOnlyRoot::no;
  Privileged privileged = Privileged::no;
  // The container's own cgroup directories, bind-mounted read-only under /sys/fs/cgroup as runc
  // does without a cgroup namespace: (target relative to the rootfs, host directory). On v1 a
  // read-only tmpfs holds one directory per controller; on v2 the one directory is the target.
  std::vector<std::pair<std::string, std::string>> cgroup_binds;
  bool cgroup_tmpfs = false;
};

[[nodiscard]] RootfsPlan make_rootfs_plan(const ContainerSpec& spec);

// Child side, see above. On return with `err == 0` the cwd is the new `/`.
[[nodiscard]] ChildFailure setup_rootfs(const RootfsPlan& plan) noexcept;

// Child side, after `setup_rootfs`: makes the new `/` read-only when the plan says so.
[[nodiscard]] ChildFailure remount_root_readonly(const RootfsPlan& plan) noexcept;

} // namespace strata::runtime
