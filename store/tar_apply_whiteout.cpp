// Whiteouts for `apply_layer`, in both `WhiteoutMode`s, and the removal helpers they share with
// store/tar_apply_entry.cpp. Removal walks directory fds and never follows a symlink.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/in_root.hpp"
#include "store/tar_apply.hpp"

namespace strata::store::tar_apply_detail {
namespace {

constexpr std::string_view k_opaque_marker = ".wh..wh..opq";
constexpr std::string_view k_opaque_xattr = "trusted.overlay.opaque";

} // namespace

std::pair<std::string, std::string> split_last(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return {std::string{}, path};
  }
  return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : fmt::format("{}/{}", dir, name);
}


void remove_at(int dir_fd, const std::string& name) {
  struct stat st{};
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return;
    }
    throw_errno("stat", name);
  }
  if (S_ISDIR(st.st_mode)) {
    const UniqueFd child(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child) {
      throw_errno("open", name);
    }
    for (const auto& sub : list_directory(child.get(), name)) {
      remove_at(child.get(), sub);
    }
    if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      throw_errno("rmdir", name);
    }
  } else if (unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    throw_errno("unlink", name);
  }
}

void TreeApplier::whiteout(const std::string& path) {
  const auto [dir, marker] = split_last(path);
  if (whiteouts_ == WhiteoutMode::overlay) {
    overlay_whiteout(dir, marker);
    return;
  }
  UniqueFd dir_fd;
  try {
    dir_fd = open_in_root(root_fd_, dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT) {
      return; // nothing below to hide
    }
    throw;
  }
  if (marker == k_opaque_marker) {
    clear_dir(dir_fd.get(), dir);
    return;
  }
  const std::string victim = marker.substr(4);
  if (!keep_.contains(join(dir, victim))) {
    remove_at(dir_fd.get(), victim);
  }
}

// Removes everything below `dir_fd` (whose clean path is `rel`) not written by this layer.
void TreeApplier::clear_dir(int dir_fd, const std::string& rel) {
  for (const auto& name : list_directory(dir_fd, rel)) {
    const auto child = join(rel, name);
    if (!keep_.contains(child)) {
      remove_at(dir_fd, name);
      continue;
    }
    struct stat st{};
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      const UniqueFd sub(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) {
        throw_errno("open", child);
      }
      clear_dir(sub.get(), child);
    }
  }
}

// Stores a whiteout as overlayfs does on disk. The parents exist in the lower layers, so they are
// created here when the layer has no entry for them (their metadata then comes from the lowers'
// copies as far as overlayfs is concerned: a merged directory takes the upper one's, so the
// layer's own entry, if any, wins when it comes).
void TreeApplier::overlay_whiteout(const std::string& dir, const std::string& marker) {
  if (!dir.empty()) {
    mkdir_all_in_root(root_fd_, dir, 0755);
  }
  if (marker == k_opaque_marker) {
    const UniqueFd dir_fd = open_in_root(root_fd_, dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
    if (fsetxattr(dir_fd.get(), k_opaque_xattr.data(), "y", 1, 0) != 0) {
      throw_errno("setxattr", fmt::format("{} on {}", k_opaque_xattr, dir.empty() ? "/" : dir));
    }
    return;
  }
  const std::string victim = marker.substr(4);
  const std::string full = join(dir, victim);
  if (keep_.contains(full)) {
    return; // this layer wrote the name: its entry stays (as in `remove` mode)
  }
  const UniqueFd parent_fd = open_in_root(root_fd_, dir.empty() ? "." : dir, O_PATH | O_DIRECTORY);
  remove_at(parent_fd.get(), victim);
  if (mknodat(parent_fd.get(), victim.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
    throw_errno("mknod whiteout", full);
  }
}

} // namespace strata::store::tar_apply_detail
