// The tree side of the layer writer: a depth-first walk over directory fds, sorted, never
// following a symlink, with overlayfs whiteout conversion (see store/layer_writer.hpp).

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/unique_fd.hpp"
#include "store/layer_writer_internal.hpp"

namespace strata::store::layer_writer_detail {
namespace {

constexpr std::size_t k_read_size = 1UL << 20;
constexpr std::string_view k_opaque_marker = ".wh..wh..opq";
constexpr std::string_view k_whiteout_prefix = ".wh.";

// The names in the directory `dir_fd`, sorted bytewise, without "." and "..".
std::vector<std::string> sorted_names(int dir_fd, const std::string& path) {
  std::vector<std::string> names = list_directory(dir_fd, path);
  std::sort(names.begin(), names.end());
  return names;
}

bool is_overlay_xattr(std::string_view name) {
  return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
}

// overlayfs features whose upper-dir files are not self-contained (data or content in lowers).
bool is_incomplete_marker(std::string_view name) {
  for (const std::string_view prefix : {"trusted.overlay.", "user.overlay."}) {
    if (name.starts_with(prefix)) {
      const auto rest = name.substr(prefix.size());
      return rest == "metacopy" || rest == "redirect";
    }
  }
  return false;
}

// The xattr names of `fd`, NUL-separated; retried if they grow between the two calls.
std::string list_xattr_names(int fd, const std::string& path) {
  for (;;) {
    const ssize_t size = flistxattr(fd, nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) {
        return {};
      }
      throw_errno("listxattr", path);
    }
    std::string names(static_cast<std::size_t>(size), '\0');
    const ssize_t got = flistxattr(fd, names.data(), names.size());
    if (got >= 0) {
      names.resize(static_cast<std::size_t>(got));
      return names;
    }
    if (errno != ERANGE) {
      throw_errno("listxattr", path);
    }
  }
}

std::string read_xattr(int fd, const std::string& name, const std::string& path) {
  for (;;) {
    const ssize_t size = fgetxattr(fd, name.c_str(), nullptr, 0);
    if (size < 0) {
      throw_errno("getxattr", fmt::format("{} on {}", name, path));
    }
    std::string value(static_cast<std::size_t>(size), '\0');
    const ssize_t got = fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (got >= 0) {
      value.resize(static_cast<std::size_t>(got));
      return value;
    }
    if (errno != ERANGE) {
      throw_errno("getxattr", fmt::format("{} on {}", name, path));
    }
  }
}

// Opens `name` below `dir_fd` without following a symlink and checks it is still the inode that
// was stat'ed (the tree must not change under us, but a swap must not make us read elsewhere).
UniqueFd open_same(int dir_fd, const std::string& name, int flags, const struct stat& st,
                   const std::string& path) {
  UniqueFd fd(openat(dir_fd, name.c_str(), flags | O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", path);
  }
  struct stat now{};
  if (fstat(fd.get(), &now) != 0) {
    throw_errno("stat", path);
  }
  if (now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
      (now.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
    throw Error(ErrorKind::io, fmt::format("read {}: changed while the layer was written", path));
  }
  return fd;
}

} // namespace

TreeWalker::TreeWalker(TarStream& tar, const LayerWriteOptions& options)
    : tar_(tar), options_(options), buffer_(k_read_size) {}

void TreeWalker::walk(int root_fd) {
  walk_dir(root_fd, "");
}

std::int64_t TreeWalker::clamp(std::int64_t mtime) const noexcept {
  if (options_.source_date_epoch && mtime > *options_.source_date_epoch) {
    return *options_.source_date_epoch;
  }
  return mtime;
}

void TreeWalker::walk_dir(int dir_fd, const std::string& prefix) {
  for (const auto& name : sorted_names(dir_fd, prefix.empty() ? "." : prefix)) {
    const std::string path = prefix + name;
    struct stat st{};
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_errno("stat", path);
    }
    add(dir_fd, name, path, st);
  }
}

void TreeWalker::add(int dir_fd, const std::string& name, const std::string& path,
                     const struct stat& st) {
  TarEntry entry;
  entry.name = path;
  entry.mode = st.st_mode & 07777;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  entry.mtime = clamp(st.st_mtim.tv_sec);
  const bool overlay = options_.source == LayerSource::overlay_upper;
  switch (st.st_mode & S_IFMT) {
  case S_IFDIR:
    add_directory(dir_fd, name, st, entry);
    return;
  case S_IFREG:
    add_file(dir_fd, name, st, entry);
    return;
  case S_IFSOCK:
    return; // a tar cannot carry sockets; they are recreated by whoever listens
  case S_IFCHR:
    if (overlay && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) {
      // An overlayfs whiteout. Its link count is overlayfs sharing one inode, not a hardlink.
      const auto slash = path.rfind('/');
      entry.name = path.substr(0, slash == std::string::npos ? 0 : slash + 1) +
                   std::string(k_whiteout_prefix) + name;
      entry.mode = 0600;
      tar_.begin(entry);
      tar_.end();
      return;
    }
    entry.type = TarType::char_device;
    break;
  case S_IFBLK:
    entry.type = TarType::block_device;
    break;
  case S_IFIFO:
    entry.type = TarType::fifo;
    break;
  case S_IFLNK: {
    entry.type = TarType::symlink;
    const ssize_t n = readlinkat(dir_fd, name.c_str(), buffer_.data(), buffer_.size());
    if (n < 0) {
      throw_errno("readlink", path);
    }
    entry.link.assign(buffer_.data(), static_cast<std::size_t>(n));
    break;
  }
  default:
    throw Error(ErrorKind::unsupported, fmt::format("layer: {} has an unknown file type", path));
  }
  entry.dev_major = major(st.st_rdev);
  entry.dev_minor = minor(st.st_rdev);
  if (add_as_hardlink(st, entry)) {
    return;
  }
  tar_.begin(entry);
  tar_.end();
}

void TreeWalker::add_directory(int dir_fd, const std::string& name, const struct stat& st,
                               TarEntry& entry) {
  const UniqueFd child = open_same(dir_fd, name, O_DIRECTORY, st, entry.name);
  write_directory(child.get(), entry);
  walk_dir(child.get(), entry.name);
}

void TreeWalker::add_directory_entry(int fd, const std::string& path, const struct stat& st) {
  TarEntry entry;
  entry.name = path;
  entry.mode = st.st_mode & 07777;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  entry.mtime = clamp(st.st_mtim.tv_sec);
  write_directory(fd, entry);
}

void TreeWalker::write_directory(int fd, TarEntry& entry) {
  const std::string path = entry.name;
  entry.type = TarType::directory;
  entry.name = path + "/";
  const bool opaque = read_xattrs(fd, path, entry);
  tar_.begin(entry);
  tar_.end();
  if (opaque) {
    // Docker's overlay2 differ: the marker inherits the directory's permissions and owner.
    TarEntry marker;
    marker.name = entry.name + std::string(k_opaque_marker);
    marker.mode = entry.mode & 0777;
    marker.uid = entry.uid;
    marker.gid = entry.gid;
    tar_.begin(marker);
    tar_.end();
  }
}

bool TreeWalker::add_as_hardlink(const struct stat& st, TarEntry& entry) {
  if (st.st_nlink <= 1) {
    return false;
  }
  const auto [it, first] = first_link_.try_emplace({st.st_dev, st.st_ino}, entry.name);
  if (first) {
    return false;
  }
  entry.type = TarType::hardlink;
  entry.link = it->second;
  entry.xattrs.clear();
  tar_.begin(entry);
  tar_.end();
  return true;
}

void TreeWalker::add_file(int dir_fd, const std::string& name, const struct stat& st,
                          TarEntry& entry) {
  entry.type = TarType::file;
  if (add_as_hardlink(st, entry)) {
    return;
  }
  // O_NONBLOCK: if a fifo was swapped in after the stat, open must not hang (open_same rejects
  // it right after).
  const UniqueFd fd = open_same(dir_fd, name, O_NONBLOCK, st, entry.name);
  read_xattrs(fd.get(), entry.name, entry);
  entry.size = static_cast<std::uint64_t>(st.st_size);
  tar_.begin(entry);
  std::uint64_t left = entry.size;
  while (left > 0) {
    const ssize_t n = read(fd.get(), buffer_.data(), std::min<std::uint64_t>(left, buffer_.size()));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("read", entry.name);
    }
    if (n == 0) {
      throw Error(ErrorKind::io,
                  fmt::format("read {}: file shrank while the layer was written", entry.name));
    }
    tar_.data(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
    left -= static_cast<std::uint64_t>(n);
  }
  tar_.end();
  content_size_ += entry.size;
}

bool TreeWalker::read_xattrs(int fd, const std::string& path, TarEntry& entry) const {
  const std::string names = list_xattr_names(fd, path);
  std::vector<std::string> sorted;
  for (std::size_t pos = 0; pos < names.size();) {
    const auto end = names.find('\0', pos);
    const auto len = (end == std::string::npos ? names.size() : end) - pos;
    if (len > 0) {
      sorted.emplace_back(names, pos, len);
    }
    pos += len + 1;
  }
  std::sort(sorted.begin(), sorted.end());
  const bool overlay = options_.source == LayerSource::overlay_upper;
  bool opaque = false;
  for (const auto& name : sorted) {
    if (overlay && is_incomplete_marker(name)) {
      throw Error(ErrorKind::unsupported,
                  fmt::format("layer: {} has overlayfs xattr {} (metacopy/redirect_dir upper dirs "
                              "are not self-contained)",
                              path, name));
    }
    if (is_overlay_xattr(name)) {
      const bool marker = name == "trusted.overlay.opaque" || name == "user.overlay.opaque";
      opaque = opaque || (overlay && marker && read_xattr(fd, name, path) == "y");
      continue;
    }
    if (name == "security.selinux") {
      continue; // a host label, meaningless in an image (and ignored by the applier)
    }
    entry.xattrs.emplace_back(name, read_xattr(fd, name, path));
  }
  return opaque;
}

} // namespace strata::store::layer_writer_detail
