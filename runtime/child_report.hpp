#pragma once
// The report a container's child sends its parent over a close-on-exec pipe (STYLE.md §3,
// crun's sync-socket pattern): `{step, errno}`. EOF without a report means execve succeeded.
// `ChildStep::ready` is not a failure: the rootfs is set up and the child waits for its user.

#include <cstdint>

namespace strata::runtime {

enum class ChildStep : std::int32_t {
  ready,
  wait_parent,
  loopback,
  hostname,
  make_private,
  mount_overlay,
  mount_copy,
  host_dev_null,
  mount_proc,
  mount_sys,
  mount_cgroup,
  mount_dev,
  mount_devpts,
  mount_shm,
  mount_mqueue,
  dev_links,
  etc_files,
  mask_paths,
  readonly_paths,
  readonly_root,
  pivot_root,
  read_user,
  set_groups,
  set_uid,
  chdir,
  getcwd,
  no_new_privs,
  capabilities,
  close_fds,
  stdin_null,
  stdio,
  mounts,
  seccomp,
  exec,
};

// A step and the errno it failed with; `err == 0` means success.
struct ChildFailure {
  ChildStep step = ChildStep::ready;
  std::int32_t err = 0;
};

// "mount overlay", "pivot_root", ... for messages.
[[nodiscard]] const char* child_step_name(ChildStep step) noexcept;

} // namespace strata::runtime
