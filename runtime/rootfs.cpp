// The child half of rootfs.hpp: mounts, no allocation, no exceptions. Each helper returns a
// `ChildFailure` (err 0 = fine) so the first failing step reaches the parent with its errno.

#include "runtime/rootfs.hpp"

#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata::runtime {
namespace {

constexpr unsigned long k_proc_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

ChildFailure fail(ChildStep step) noexcept {
  return {step, errno != 0 ? errno : EIO};
}
constexpr ChildFailure k_ok{};

// Binds what `src_fd` (or `src_path` under AT_FDCWD) refers to onto `target_fd`/`target`.
int bind_onto(int src_dirfd, const char* src_path, int target_dirfd, const char* target) noexcept {
  const unsigned src_flags =
      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (*src_path == '\0' ? AT_EMPTY_PATH : 0);
  const UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, src_dirfd, src_path, src_flags)));
  if (tree.get() < 0) {
    return -1;
  }
  const unsigned move_flags =
      MOVE_MOUNT_F_EMPTY_PATH | (*target == '\0' ? MOVE_MOUNT_T_EMPTY_PATH : 0);
  return static_cast<int>(
      ::syscall(SYS_move_mount, tree.get(), "", target_dirfd, target, move_flags));
}

// A top-level mount point of the rootfs: created when missing, and a real directory (a symlink
// `proc -> /` in an image must not redirect the mount).
int ensure_dir(int dirfd, const char* name) noexcept {
  if (::mkdirat(dirfd, name, 0755) != 0 && errno != EEXIST) {
    return -1;
  }
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

// The copy: a plain (non-recursive) bind, read-write; pivot_root needs the mount point.
ChildFailure mount_copy(const RootfsPlan& plan) noexcept {
  if (::mount(plan.copy.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      ::chdir(plan.rootfs.c_str()) != 0) {
    return fail(ChildStep::mount_copy);
  }
  return k_ok;
}

ChildFailure mount_overlay(const RootfsPlan& plan) noexcept {
  if (!plan.overlay.chdir.empty() && ::chdir(plan.overlay.chdir.c_str()) != 0) {
    return fail(ChildStep::mount_overlay);
  }
  if (::mount("overlay", plan.rootfs.c_str(), "overlay", 0, plan.overlay.options.c_str()) != 0 ||
      ::chdir(plan.rootfs.c_str()) != 0) {
    return fail(ChildStep::mount_overlay);
  }
  return k_ok;
}

ChildFailure mount_proc(int root_fd) noexcept {
  if (ensure_dir(root_fd, "proc") != 0 ||
      ::mount("proc", "proc", "proc", k_proc_flags, nullptr) != 0) {
    return fail(ChildStep::mount_proc);
  }
  const UniqueFd proc(::openat(root_fd, "proc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct statfs fs {};
  if (proc.get() < 0 || ::fstatfs(proc.get(), &fs) != 0) {
    return fail(ChildStep::mount_proc);
  }
  if (fs.f_type != PROC_SUPER_MAGIC) {
    return {ChildStep::mount_proc, EXDEV};
  }
  return k_ok;
}

ChildFailure mount_sys(int root_fd, Privileged privileged) noexcept {
  const unsigned long flags = (privileged == Privileged::yes ? 0 : MS_RDONLY) | k_proc_flags;
  if (ensure_dir(root_fd, "sys") != 0 || ::mount("sysfs", "sys", "sysfs", flags, nullptr) != 0) {
    return fail(ChildStep::mount_sys);
  }
  return k_ok;
}

// A read-only bind of `source` (a host path, before the pivot) onto `target` (relative).
int bind_readonly(const char* source, const char* target) noexcept {
  if (::mount(source, target, nullptr, MS_BIND, nullptr) != 0) {
    return -1;
  }
  return ::mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | k_proc_flags,
                 nullptr);
}

ChildFailure mount_cgroups(const RootfsPlan& plan) noexcept {
  if (plan.cgroup_binds.empty()) {
    return k_ok;
  }
  constexpr const char* k_dir = "sys/fs/cgroup";
  if (plan.cgroup_tmpfs &&
      ::mount("tmpfs", k_dir, "tmpfs", k_proc_flags, "mode=755,size=64k") != 0) {
    return fail(ChildStep::mount_cgroup);
  }
  for (const auto& [target, source] : plan.cgroup_binds) {
    if ((plan.cgroup_tmpfs && ::mkdir(target.c_str(), 0755) != 0) ||
        bind_readonly(source.c_str(), target.c_str()) != 0) {
      return fail(ChildStep::mount_cgroup);
    }
  }
  if (plan.cgroup_tmpfs && ::mount(nullptr, k_dir, nullptr, MS_REMOUNT | MS_RDONLY | k_proc_flags,
                                   "mode=755,size=64k") != 0) {
    return fail(ChildStep::mount_cgroup);
  }
  return k_ok;
}

ChildFailure populate_dev(int dev_fd) noexcept {
  char host[32] = "/dev/";
  char target[32] = "dev/";
  for (const char* node : k_dev_nodes) {
    ::strcpy(host + 5, node); // names are short constants
    ::strcpy(target + 4, node);
    const UniqueFd file(::openat(dev_fd, node, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666));
    if (file.get() < 0 || ::mount(host, target, nullptr, MS_BIND, nullptr) != 0) {
      return fail(ChildStep::mount_dev);
    }
  }
  if (::mkdirat(dev_fd, "pts", 0755) != 0 ||
      ::mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620,gid=5") != 0) {
    return fail(ChildStep::mount_devpts);
  }
  if (::mkdirat(dev_fd, "shm", 01777) != 0 ||
      ::mount("shm", "dev/shm", "tmpfs", k_proc_flags, "mode=1777,size=65536k") != 0) {
    return fail(ChildStep::mount_shm);
  }
  if (::mkdirat(dev_fd, "mqueue", 0755) != 0 ||
      ::mount("mqueue", "dev/mqueue", "mqueue", k_proc_flags, nullptr) != 0) {
    return fail(ChildStep::mount_mqueue);
  }
  static constexpr const char* k_links[][2] = {{"/proc/self/fd", "fd"},
                                               {"/proc/self/fd/0", "stdin"},
                                               {"/proc/self/fd/1", "stdout"},
                                               {"/proc/self/fd/2", "stderr"},
                                               {"pts/ptmx", "ptmx"}};
  for (const auto& link : k_links) {
    if (::symlinkat(link[0], dev_fd, link[1]) != 0) {
      return fail(ChildStep::dev_links);
    }
  }
  return k_ok;
}

ChildFailure mount_dev(int root_fd) noexcept {
  if (ensure_dir(root_fd, "dev") != 0 ||
      ::mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") != 0) {
    return fail(ChildStep::mount_dev);
  }
  const UniqueFd dev(::openat(root_fd, "dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dev.get() < 0) {
    return fail(ChildStep::mount_dev);
  }
  return populate_dev(dev.get());
}

// /etc in-root: openat2 RESOLVE_IN_ROOT, or (no openat2) /etc itself must not be a symlink.
int open_etc(int root_fd) noexcept {
  for (int attempt = 0; attempt < 2; ++attempt) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, "etc", &how, sizeof how));
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
      fd = ::openat(root_fd, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd >= 0 || errno != ENOENT || attempt > 0) {
      return fd;
    }
    if (::mkdirat(root_fd, "etc", 0755) != 0) {
      return -1;
    }
  }
  return -1;
}

// An O_PATH fd for the regular file `name` in `etc_fd`, created empty when missing; anything
// else there (a symlink, a device) is replaced, a directory is EISDIR.
int regular_file_target(int etc_fd, const char* name) noexcept {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int fd =
        ::openat(etc_fd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
    } else if (errno != EEXIST) {
      return -1;
    }
    struct stat st {};
    if (::fstatat(etc_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return -1;
    }
    if (S_ISREG(st.st_mode)) {
      return ::openat(etc_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (S_ISDIR(st.st_mode)) {
      errno = EISDIR;
      return -1;
    }
    if (::unlinkat(etc_fd, name, 0) != 0) {
      return -1;
    }
  }
  errno = EAGAIN;
  return -1;
}

ChildFailure bind_etc_files(int root_fd, const RootfsPlan& plan) noexcept {
  const UniqueFd etc(open_etc(root_fd));
  if (etc.get() < 0) {
    return fail(ChildStep::etc_files);
  }
  const char* const files[][2] = {{"hosts", plan.hosts.c_str()},
                                  {"hostname", plan.hostname.c_str()},
                                  {"resolv.conf", plan.resolv_conf.c_str()}};
  for (const auto& file : files) {
    const UniqueFd target(regular_file_target(etc.get(), file[0]));
    if (target.get() < 0 || bind_onto(AT_FDCWD, file[1], target.get(), "") != 0) {
      return fail(ChildStep::etc_files);
    }
  }
  return k_ok;
}

ChildFailure mask_paths(int null_fd) noexcept {
  for (const char* path : k_masked_paths) {
    const char* relative = path + 1;
    struct stat st {};
    if (::fstatat(AT_FDCWD, relative, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        continue;
      }
      return fail(ChildStep::mask_paths);
    }
    const int rc = S_ISDIR(st.st_mode)
                       ? ::mount("tmpfs", relative, "tmpfs", MS_RDONLY | k_proc_flags, "size=0")
                       : bind_onto(null_fd, "", AT_FDCWD, relative);
    if (rc != 0) {
      return fail(ChildStep::mask_paths);
    }
  }
  return k_ok;
}

ChildFailure readonly_paths() noexcept {
  for (const char* path : k_readonly_paths) {
    const char* relative = path + 1;
    if (::mount(relative, relative, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) {
        continue;
      }
      return fail(ChildStep::readonly_paths);
    }
    if (::mount(nullptr, relative, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | k_proc_flags,
                nullptr) != 0) {
      return fail(ChildStep::readonly_paths);
    }
  }
  return k_ok;
}

// The host's /dev/null, verified by fd to be the 1:3 character device.
int open_host_null() noexcept {
  const int fd = ::open("/dev/null", O_PATH | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    return -1;
  }
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    ::close(fd);
    errno = ENODEV;
    return -1;
  }
  return fd;
}

ChildFailure mount_inside(int root_fd, int null_fd, const RootfsPlan& plan) noexcept {
  ChildFailure f = mount_proc(root_fd);
  if (f.err == 0) {
    f = mount_sys(root_fd, plan.privileged);
  }
  if (f.err == 0) {
    f = mount_cgroups(plan);
  }
  if (f.err == 0) {
    f = mount_dev(root_fd);
  }
  if (f.err == 0) {
    f = bind_etc_files(root_fd, plan);
  }
  if (f.err == 0) {
    f = apply_mounts(root_fd, plan.mounts);
  }
  if (f.err != 0 || plan.privileged == Privileged::yes) {
    return f;
  }
  f = mask_paths(null_fd);
  return f.err != 0 ? f : readonly_paths();
}

} // namespace

ChildFailure setup_rootfs(const RootfsPlan& plan) noexcept {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail(ChildStep::make_private);
  }
  const UniqueFd null_fd(open_host_null());
  if (null_fd.get() < 0) {
    return fail(ChildStep::host_dev_null);
  }
  if (const ChildFailure f = plan.copy.empty() ? mount_overlay(plan) : mount_copy(plan);
      f.err != 0) {
    return f;
  }
  const UniqueFd root(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) {
    return fail(ChildStep::mount_overlay);
  }
  if (const ChildFailure f = mount_inside(root.get(), null_fd.get(), plan); f.err != 0) {
    return f;
  }
  if (::syscall(SYS_pivot_root, ".", ".") != 0 || ::umount2(".", MNT_DETACH) != 0 ||
      ::chdir("/") != 0) {
    return fail(ChildStep::pivot_root);
  }
  return k_ok;
}

ChildFailure remount_root_readonly(const RootfsPlan& plan) noexcept {
  if (plan.read_only == ReadOnlyRoot::yes &&
      ::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    return fail(ChildStep::readonly_root);
  }
  return k_ok;
}

} // namespace strata::runtime
