// The parent half of rootfs.hpp: the strings the child mounts with, computed before the clone.

#include "runtime/rootfs.hpp"

#include "runtime/rootfs_copy.hpp"

#include "common/error.hpp"
#include "common/quote.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <string_view>

namespace strata::runtime {
namespace {

void check_option_path(std::string_view path) {
  // overlayfs splits its options on ',' and lowerdir on ':'; a path holding them cannot be named.
  if (path.empty() || path.find_first_of(",:") != std::string_view::npos) {
    throw Error(ErrorKind::usage, fmt::format("overlay path {} is empty or contains ',' or ':'",
                                              quote_untrusted(path)));
  }
}

std::string join_options(const std::vector<std::string>& lowers, std::string_view prefix_to_drop,
                         const ContainerSpec& spec) {
  std::string options = "lowerdir=";
  for (std::size_t i = 0; i < lowers.size(); ++i) {
    options += i == 0 ? "" : ":";
    options += std::string_view(lowers[i]).substr(prefix_to_drop.size());
  }
  options += ",upperdir=" + spec.upper_dir + ",workdir=" + spec.work_dir;
  return options;
}

// The directory (with its trailing '/') that every lower dir is under, or "" when none.
std::string common_parent(const std::vector<std::string>& lowers) {
  std::string_view parent = lowers.front();
  parent = parent.substr(0, parent.rfind('/') + 1);
  for (const std::string& lower : lowers) {
    while (!parent.empty() && !std::string_view(lower).starts_with(parent)) {
      parent.remove_suffix(1);
      parent = parent.substr(0, parent.rfind('/') + 1);
    }
  }
  return std::string(parent);
}

// Docker's overlay2 answer to long lower lists: one short symlink per layer in `<state>/l/`.
OverlayOptions linked_options(const ContainerSpec& spec) {
  OverlayOptions linked;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < spec.lower_dirs.size(); ++i) {
    names.push_back(std::to_string(i));
    linked.links.emplace_back(names.back(), spec.lower_dirs[i]);
  }
  linked.options = join_options(names, "", spec);
  if (spec.state_dir.empty() || linked.options.size() > k_max_mount_options) {
    throw Error(ErrorKind::unsupported,
                fmt::format("{} layers make an overlayfs option string of {} bytes, over the "
                            "kernel's {}",
                            spec.lower_dirs.size(), linked.options.size(), k_max_mount_options));
  }
  linked.chdir = spec.state_dir + "/l";
  return linked;
}

} // namespace

OverlayOptions overlay_mount_options(const ContainerSpec& spec) {
  if (spec.lower_dirs.empty()) {
    throw Error(ErrorKind::usage, "a container needs at least one lower dir");
  }
  for (const std::string& lower : spec.lower_dirs) {
    check_option_path(lower);
  }
  check_option_path(spec.upper_dir);
  check_option_path(spec.work_dir);
  std::string options = join_options(spec.lower_dirs, "", spec);
  if (options.size() <= k_max_mount_options) {
    return {"", std::move(options), {}};
  }
  const std::string parent = common_parent(spec.lower_dirs);
  if (parent.size() > 1) {
    options = join_options(spec.lower_dirs, parent, spec);
    if (options.size() <= k_max_mount_options) {
      return {parent, std::move(options), {}};
    }
  }
  return linked_options(spec);
}

void make_overlay_links(const OverlayOptions& options) {
  if (options.links.empty()) {
    return;
  }
  if (::mkdir(options.chdir.c_str(), 0700) != 0) {
    throw_errno("mkdir", options.chdir);
  }
  for (const auto& [name, target] : options.links) {
    const std::string link = options.chdir + "/" + name;
    if (::symlink(target.c_str(), link.c_str()) != 0) {
      throw_errno("symlink", link);
    }
  }
}

RootfsPlan make_rootfs_plan(const ContainerSpec& spec) {
  RootfsPlan plan;
  if (!spec.rootfs_copy.empty() && rootfs_copy_exists(spec.rootfs_copy)) {
    plan.copy = spec.rootfs_copy; // it holds the container's files from now on (rootfs_copy.hpp)
  } else {
    plan.overlay = overlay_mount_options(spec);
  }
  plan.rootfs = spec.rootfs;
  plan.hosts = spec.state_dir + "/hosts";
  plan.hostname = spec.state_dir + "/hostname";
  plan.resolv_conf = spec.state_dir + "/resolv.conf";
  plan.read_only = spec.read_only;
  plan.privileged = spec.privileged;
  plan.mounts = plan_mounts(spec.mounts);
  return plan;
}

const char* child_step_name(ChildStep step) noexcept {
  switch (step) {
  case ChildStep::ready:
    return "ready";
  case ChildStep::wait_parent:
    return "wait for the parent";
  case ChildStep::loopback:
    return "bring up loopback";
  case ChildStep::hostname:
    return "sethostname";
  case ChildStep::make_private:
    return "make / private";
  case ChildStep::mount_overlay:
    return "mount overlay";
  case ChildStep::mount_copy:
    return "bind-mount the rootfs copy";
  case ChildStep::host_dev_null:
    return "open host /dev/null";
  case ChildStep::mount_proc:
    return "mount /proc";
  case ChildStep::mount_sys:
    return "mount /sys";
  case ChildStep::mount_cgroup:
    return "mount /sys/fs/cgroup";
  case ChildStep::mount_dev:
    return "mount /dev";
  case ChildStep::mount_devpts:
    return "mount /dev/pts";
  case ChildStep::mount_shm:
    return "mount /dev/shm";
  case ChildStep::mount_mqueue:
    return "mount /dev/mqueue";
  case ChildStep::dev_links:
    return "create /dev links";
  case ChildStep::etc_files:
    return "bind /etc/hosts, /etc/hostname, /etc/resolv.conf";
  case ChildStep::mask_paths:
    return "mask paths";
  case ChildStep::readonly_paths:
    return "make paths read-only";
  case ChildStep::readonly_root:
    return "remount / read-only";
  case ChildStep::pivot_root:
    return "pivot_root";
  case ChildStep::read_user:
    return "receive the user";
  case ChildStep::set_groups:
    return "setgroups/setgid";
  case ChildStep::set_uid:
    return "setuid";
  case ChildStep::chdir:
    return "chdir to the working directory";
  case ChildStep::getcwd:
    return "verify the working directory";
  case ChildStep::no_new_privs:
    return "set no_new_privs";
  case ChildStep::capabilities:
    return "apply capabilities";
  case ChildStep::close_fds:
    return "close file descriptors";
  case ChildStep::stdin_null:
    return "open /dev/null as stdin";
  case ChildStep::mounts:
    return "mount volumes";
  case ChildStep::stdio:
    return "set up stdio";
  case ChildStep::seccomp:
    return "install seccomp filter";
  case ChildStep::exec:
    return "exec";
  }
  return "setup";
}

} // namespace strata::runtime
