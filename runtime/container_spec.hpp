#pragma once
// `ContainerSpec`: everything the runtime needs to run one container, as plain paths and strings.
// The runtime knows nothing of images: the caller (the CLI, later the builder) turns an image
// config and flags into a spec (STYLE.md §1, "Input is a RunSpec of plain paths + argv").
//
// Vocabulary:
// - lower dirs: read-only layer trees (whiteouts in overlayfs form), *top first*, exactly as
//   overlayfs's `lowerdir=top:...:bottom` wants them;
// - upper/work dirs: the container's own writable layer and overlayfs's scratch dir (same
//   filesystem, work dir empty);
// - rootfs: the empty directory the overlay is mounted on, inside the child's private mount
//   namespace only (the host never sees the mount);
// - state dir: a private directory holding the files bind-mounted into the container
//   (`hosts`, `hostname`, `resolv.conf`; see `write_etc_files`).
// - rootfs copy: overlayfs's fallback (rootfs_copy.hpp), the layers (init, lowers and upper)
//   merged once into a private directory that is bind-mounted instead of the overlay. Used
//   whenever it exists; made when the overlay mount is refused (or STRATA_NO_OVERLAY=1).
//
// A spec is a value: build it, then pass it to `run_container` (process.hpp).

#include "runtime/capabilities.hpp"
#include "runtime/cgroup_layout.hpp"
#include "runtime/seccomp.hpp"

#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

enum class NetworkMode { host, none };
enum class ReadOnlyRoot { no, yes };
// `run -i`: the caller's stdin is passed through; otherwise the container reads /dev/null.
enum class StdinMode { dev_null, inherit };

// `-v HOST:CTR[:ro]` (bind, recursive) and `--tmpfs CTR[:OPTIONS]`; the destination is an
// absolute path in the container, resolved inside the rootfs and created when missing.
// `overlay` (the builder's `RUN --mount=type=bind,from=STAGE`): a read-only overlayfs of the
// layer directories in `lower_dirs` (top first) — a stage's tree without flattening it.
struct MountSpec {
  enum class Type { bind, tmpfs, overlay };
  Type type = Type::bind;
  std::string source; // bind: an absolute host path
  std::string destination;
  bool read_only = false;
  std::string options; // tmpfs: docker's --tmpfs options ("size=64m,mode=1777,noexec", ...)
  std::vector<std::string> lower_dirs; // overlay: top first, at least one
};

struct ContainerSpec {
  std::vector<std::string> lower_dirs; // top first; at least one
  // When set: the init layer (init_layer.hpp), made here and stacked on top of `lower_dirs`.
  std::string init_dir;
  std::string upper_dir;
  std::string work_dir;
  std::string rootfs;    // mount point (an empty directory)
  // Where the rootfs copy is (or would be made); empty: no fallback, a refused overlay mount
  // fails the start.
  std::string rootfs_copy;
  std::string state_dir; // holds hosts, hostname, resolv.conf

  std::vector<std::string> args; // argv; args[0] is looked up in the container's PATH
  std::vector<std::string> env;  // KEY=VALUE, final (HOME is added from passwd when absent)
  std::string cwd = "/";         // absolute; created when missing, as docker does
  std::string user;              // USER[:GROUP] resolved in the rootfs; "" = root
  std::string hostname;
  std::vector<MountSpec> mounts; // applied in order, after /dev and the /etc files
  ReadOnlyRoot read_only = ReadOnlyRoot::no;
  NetworkMode network = NetworkMode::host;

  CapabilitySet capabilities = docker_default_capabilities();
  // `--privileged`: no masked or read-only /proc paths and a writable /sys (capabilities and
  // seccomp are set by the caller: every capability, unconfined).
  Privileged privileged = Privileged::no;
  std::optional<SeccompProfile> seccomp = default_seccomp_profile(); // nullopt = unconfined
  // Non-empty: `seccomp` is Docker's default profile and its compiled program may be cached in
  // this directory (seccomp_cache.hpp).
  std::string default_seccomp_cache;

  std::string cgroup_name; // "strata/<id>"; empty = no cgroup
  CgroupLimits limits;

  StdinMode stdin_mode = StdinMode::dev_null;
  // The container's stdio: descriptors of the caller, duplicated onto 0, 1 and 2 in the child;
  // -1 keeps the caller's (stdin: /dev/null unless `stdin_mode` is inherit). The caller keeps
  // ownership; `ContainerProcess::start` does not close them.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // `-t`: a pty of the container's own devpts (so the command sees /dev/pts/0, as with runc's
  // console socket) is its controlling terminal and 0, 1 and 2; the caller gets the master from
  // `ContainerProcess::take_pty_master` once it started.
  bool tty = false;
  // false (the builder's RUN steps): `wait` forwards no signals — the caller handles SIGINT
  // itself, with those signals blocked in every thread — and the command starts with no signal
  // blocked whatever the caller's mask.
  bool forward_signals = true;
};

} // namespace strata::runtime
