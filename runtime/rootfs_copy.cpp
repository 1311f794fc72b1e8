// The rootfs copy (rootfs_copy.hpp): layers applied bottom to top onto one directory, by fds.

#include "runtime/rootfs_copy.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/in_root.hpp"
#include "common/log.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

namespace strata::runtime {
namespace {

constexpr std::size_t k_buffer_size = 1UL << 20;

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool skipped_xattr(std::string_view name) {
  return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.") ||
         name == "security.selinux";
}

// The xattr names of `fd` (NUL-separated in the kernel's answer); none where unsupported.
std::vector<std::string> xattr_names(int fd, const std::string& path) {
  std::string names;
  for (;;) {
    const ssize_t size = ::flistxattr(fd, nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) {
        return {};
      }
      throw_errno("listxattr", path);
    }
    names.assign(static_cast<std::size_t>(size), '\0');
    const ssize_t got = ::flistxattr(fd, names.data(), names.size());
    if (got >= 0) {
      names.resize(static_cast<std::size_t>(got));
      break;
    }
    if (errno != ERANGE) {
      throw_errno("listxattr", path);
    }
  }
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < names.size();) {
    const std::size_t end = std::min(names.find('\0', pos), names.size());
    if (end > pos) {
      out.emplace_back(names, pos, end - pos);
    }
    pos = end + 1;
  }
  return out;
}

// The value of xattr `name` on `fd`, or nullopt when it is not there.
std::optional<std::string> xattr_value(int fd, const std::string& name, const std::string& path) {
  for (;;) {
    const ssize_t size = ::fgetxattr(fd, name.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENODATA || errno == ENOTSUP) {
        return std::nullopt;
      }
      throw_errno("getxattr " + name, path);
    }
    std::string value(static_cast<std::size_t>(size), '\0');
    const ssize_t got = ::fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (got >= 0) {
      value.resize(static_cast<std::size_t>(got));
      return value;
    }
    if (errno != ERANGE) {
      throw_errno("getxattr " + name, path);
    }
  }
}

bool is_opaque(int dir_fd, const std::string& path) {
  for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    if (xattr_value(dir_fd, name, path) == "y") {
      return true;
    }
  }
  return false;
}

void copy_xattrs(int src_fd, int dst_fd, const std::string& path) {
  for (const std::string& name : xattr_names(src_fd, path)) {
    if (skipped_xattr(name)) {
      continue;
    }
    const std::optional<std::string> value = xattr_value(src_fd, name, path);
    if (value && ::fsetxattr(dst_fd, name.c_str(), value->data(), value->size(), 0) != 0) {
      log::debug("rootfs copy: {} on {} not copied: {}", name, path, std::strerror(errno));
    }
  }
}

// Owner, then mode (chown clears set-id bits), xattrs (after chown, which drops capabilities),
// times last. `dst_fd` is a real fd (not O_PATH).
void set_metadata(int src_fd, int dst_fd, const struct stat& st, const std::string& path) {
  if (::fchown(dst_fd, st.st_uid, st.st_gid) != 0) {
    throw_errno("chown", path);
  }
  if (::fchmod(dst_fd, st.st_mode & 07777) != 0) {
    throw_errno("chmod", path);
  }
  copy_xattrs(src_fd, dst_fd, path);
  const timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(dst_fd, times) != 0) {
    throw_errno("utimes", path);
  }
}

// Opens `name` in `dir_fd` without following a symlink and checks it is the inode stat'ed.
UniqueFd open_same(int dir_fd, const std::string& name, int flags, const struct stat& st,
                   const std::string& path) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  struct stat now {};
  if (!fd || ::fstat(fd.get(), &now) != 0) {
    throw_errno("open", path);
  }
  if (now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
      (now.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
    throw Error(ErrorKind::io, "rootfs copy: " + path + " changed while being copied");
  }
  return fd;
}

// One layer applied onto the copy. Hardlinks are found within the layer only (an inode cannot
// be shared between layers).
class LayerCopier {
public:
  LayerCopier(int copy_root_fd, std::vector<char>& buffer)
      : root_fd_(copy_root_fd), buffer_(buffer) {}

  void copy_children(int src_fd, int dst_fd, const std::string& prefix) {
    for (const std::string& name : list_directory(src_fd, prefix.empty() ? "/" : prefix)) {
      const std::string path = prefix + "/" + name;
      struct stat st {};
      if (::fstatat(src_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        throw_errno("stat", path);
      }
      if (is_whiteout(st)) {
        remove_tree_at(dst_fd, name, prefix);
      } else if (S_ISDIR(st.st_mode)) {
        copy_directory(src_fd, dst_fd, name, st, path);
      } else {
        remove_tree_at(dst_fd, name, prefix);
        copy_node(src_fd, dst_fd, name, st, path);
      }
    }
  }

private:
  void copy_directory(int src_fd, int dst_fd, const std::string& name, const struct stat& st,
                      const std::string& path) {
    const UniqueFd src = open_same(src_fd, name, O_RDONLY | O_DIRECTORY, st, path);
    struct stat existing {};
    const bool exists = ::fstatat(dst_fd, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && (!S_ISDIR(existing.st_mode) || is_opaque(src.get(), path))) {
      remove_tree_at(dst_fd, name, path);
    }
    if (::mkdirat(dst_fd, name.c_str(), 0700) != 0 && errno != EEXIST) {
      throw_errno("mkdir", path);
    }
    const UniqueFd dst(
        ::openat(dst_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst) {
      throw_errno("open", path);
    }
    copy_children(src.get(), dst.get(), path);
    set_metadata(src.get(), dst.get(), st, path); // after the children changed its mtime
  }

  void copy_node(int src_fd, int dst_fd, const std::string& name, const struct stat& st,
                 const std::string& path) {
    if (st.st_nlink > 1 && link_again(dst_fd, name, st, path)) {
      return;
    }
    if (S_ISREG(st.st_mode)) {
      copy_file(src_fd, dst_fd, name, st, path);
    } else if (S_ISLNK(st.st_mode)) {
      copy_symlink(src_fd, dst_fd, name, st, path);
    } else {
      copy_special(dst_fd, name, st, path);
    }
  }

  // A later name of an inode this layer has already copied: linked to the first copy, which is
  // found in-root. False (copy it instead) for the first name or when linking fails.
  bool link_again(int dst_fd, const std::string& name, const struct stat& st,
                  const std::string& path) {
    const auto [it, first] = first_links_.try_emplace({st.st_dev, st.st_ino}, path);
    if (first) {
      return false;
    }
    try {
      const UniqueFd target = open_in_root(root_fd_, it->second, O_PATH | O_NOFOLLOW);
      if (::linkat(target.get(), "", dst_fd, name.c_str(), AT_EMPTY_PATH) == 0) {
        return true;
      }
      log::debug("rootfs copy: link {} to {}: {}", path, it->second, std::strerror(errno));
    } catch (const Error& e) {
      log::debug("rootfs copy: link {}: {}", path, e.what());
    }
    return false;
  }

  void copy_file(int src_fd, int dst_fd, const std::string& name, const struct stat& st,
                 const std::string& path) {
    // O_NONBLOCK: a fifo swapped in after the stat must not hang the open (open_same rejects it).
    const UniqueFd src = open_same(src_fd, name, O_RDONLY | O_NONBLOCK, st, path);
    const UniqueFd dst(::openat(dst_fd, name.c_str(),
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!dst) {
      throw_errno("create", path);
    }
    copy_data(src.get(), dst.get(), static_cast<std::uint64_t>(st.st_size), path);
    set_metadata(src.get(), dst.get(), st, path);
  }

  void copy_data(int src_fd, int dst_fd, std::uint64_t size, const std::string& path) {
    std::uint64_t done = 0;
    bool in_kernel = true;
    while (done < size) {
      ssize_t n = -1;
      if (in_kernel) {
        n = ::copy_file_range(src_fd, nullptr, dst_fd, nullptr, size - done, 0);
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                      errno == EOPNOTSUPP)) {
          in_kernel = false;
          continue;
        }
      } else {
        n = ::read(src_fd, buffer_.data(), std::min<std::uint64_t>(buffer_.size(), size - done));
        if (n > 0 && write_all(dst_fd, n) != 0) {
          throw_errno("write", path);
        }
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        throw_errno("copy", path);
      }
      if (n == 0) {
        throw Error(ErrorKind::io, "rootfs copy: " + path + " shrank while being copied");
      }
      done += static_cast<std::uint64_t>(n);
    }
  }

  int write_all(int fd, ssize_t size) {
    for (ssize_t off = 0; off < size;) {
      const ssize_t n = ::write(fd, buffer_.data() + off, static_cast<std::size_t>(size - off));
      if (n < 0 && errno != EINTR) {
        return -1;
      }
      off += std::max<ssize_t>(n, 0);
    }
    return 0;
  }

  void copy_symlink(int src_fd, int dst_fd, const std::string& name, const struct stat& st,
                    const std::string& path) {
    const ssize_t n = ::readlinkat(src_fd, name.c_str(), buffer_.data(), buffer_.size() - 1);
    if (n < 0) {
      throw_errno("readlink", path);
    }
    const std::string target(buffer_.data(), static_cast<std::size_t>(n));
    if (::symlinkat(target.c_str(), dst_fd, name.c_str()) != 0) {
      throw_errno("symlink", path);
    }
    set_node_metadata(dst_fd, name, st, path, true);
  }

  // Fifos, sockets and devices: made with mknodat, their metadata set by name, never followed.
  void copy_special(int dst_fd, const std::string& name, const struct stat& st,
                    const std::string& path) {
    if (::mknodat(dst_fd, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
      throw_errno("mknod", path);
    }
    set_node_metadata(dst_fd, name, st, path, false);
  }

  static void set_node_metadata(int dst_fd, const std::string& name, const struct stat& st,
                                const std::string& path, bool symlink) {
    if (::fchownat(dst_fd, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_errno("chown", path);
    }
    // The node was just made by us in a directory we hold, so a name is not re-resolved into
    // anything else; symlinks have no mode of their own.
    if (!symlink && ::fchmodat(dst_fd, name.c_str(), st.st_mode & 07777, 0) != 0) {
      throw_errno("chmod", path);
    }
    const timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_errno("utimes", path);
    }
  }

  int root_fd_;
  std::vector<char>& buffer_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_links_; // path of an inode's first copy
};

UniqueFd open_directory(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", path);
  }
  return fd;
}

// One layer onto the copy; its root's metadata too, so the topmost layer's root wins (overlay's).
void apply_layer(const std::string& layer, int copy_fd, std::vector<char>& buffer) {
  const UniqueFd src = open_directory(layer);
  struct stat st {};
  if (::fstat(src.get(), &st) != 0) {
    throw_errno("stat", layer);
  }
  LayerCopier(copy_fd, buffer).copy_children(src.get(), copy_fd, "");
  set_metadata(src.get(), copy_fd, st, layer);
}

} // namespace

bool overlay_refused(int err) noexcept {
  return err == EINVAL || err == EPERM || err == ENODEV || err == EOPNOTSUPP || err == ENOTSUP ||
         err == ENOSYS;
}

bool rootfs_copy_exists(const std::string& dir) {
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void make_rootfs_copy(const std::string& dir, const std::vector<std::string>& layers) {
  if (rootfs_copy_exists(dir)) {
    return;
  }
  const std::string partial = dir + ".partial";
  remove_tree(partial); // a crash's leftover
  if (::mkdir(partial.c_str(), 0700) != 0) {
    throw_errno("mkdir", partial);
  }
  const UniqueFd copy = open_directory(partial);
  std::vector<char> buffer(k_buffer_size);
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
    apply_layer(*layer, copy.get(), buffer);
  }
  if (::rename(partial.c_str(), dir.c_str()) != 0) {
    throw_errno("rename", partial);
  }
  log::debug("rootfs copy {} made from {} layers", dir, layers.size());
}

} // namespace strata::runtime
