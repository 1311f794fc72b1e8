// Filesystem side of `apply_layer`: every write is an `*at` call on a parent directory fd that
// was resolved in-root, and the final component is never followed (SECURITY.md §4 "Extraction").

#include "store/tar_apply.hpp"

#include <dirent.h>
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
#include "common/in_root.hpp"
#include "common/log.hpp"

namespace strata::store::tar_apply_detail {
namespace {

[[noreturn]] void throw_corrupt(std::string_view path, std::string_view why) {
  throw Error(ErrorKind::corrupt, fmt::format("layer entry {}: {}", quote_name(path), why));
}

// Makes room for a new entry `name` below `parent_fd`. Returns true when an existing directory
// is kept (only when the new entry is a directory too).
bool prepare_final(int parent_fd, const std::string& name, bool entry_is_dir) {
  struct stat st{};
  if (fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    throw_errno("stat", name);
  }
  if (S_ISDIR(st.st_mode) && entry_is_dir) {
    return true;
  }
  remove_at(parent_fd, name);
  return false;
}

bool is_ignored_xattr(std::string_view name) {
  return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.") ||
         name == "security.selinux";
}

} // namespace

std::optional<std::string> clean_name(std::string_view name) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    auto end = name.find('/', pos);
    if (end == std::string_view::npos) {
      end = name.size();
    }
    const auto part = name.substr(pos, end - pos);
    if (part == "..") {
      if (parts.empty()) {
        return std::nullopt;
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = end + 1;
  }
  std::string out;
  for (const auto part : parts) {
    if (!out.empty()) {
      out += '/';
    }
    out += part;
  }
  return out;
}

std::string quote_name(std::string_view name) {
  std::string out = "\"";
  for (std::size_t i = 0; i < name.size() && i < 200; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += name.size() > 200 ? "\"..." : "\"";
  return out;
}

void TreeApplier::mark_written(const std::string& path) {
  std::string prefix = path;
  for (;;) {
    if (!keep_.insert(prefix).second) {
      return; // its ancestors are already there
    }
    const auto slash = prefix.rfind('/');
    if (slash == std::string::npos) {
      return;
    }
    prefix.resize(slash);
  }
}

UniqueFd TreeApplier::open_parent(const std::string& path, bool create) {
  const auto parent = split_last(path).first;
  if (parent.empty()) {
    return open_in_root(root_fd_, ".", O_PATH | O_DIRECTORY);
  }
  if (create) {
    mkdir_all_in_root(root_fd_, parent, 0755);
  }
  return open_in_root(root_fd_, parent, O_PATH | O_DIRECTORY);
}

void TreeApplier::apply(const Entry& entry, const std::function<void(int fd)>& write_content) {
  if (entry.path.empty() && entry.type != EntryType::directory) {
    throw_corrupt("/", "the root must be a directory");
  }
  switch (entry.type) {
  case EntryType::file:
    apply_file(entry, write_content);
    break;
  case EntryType::directory:
    apply_directory(entry);
    break;
  case EntryType::symlink:
    apply_symlink(entry);
    break;
  case EntryType::hardlink:
    apply_hardlink(entry);
    break;
  case EntryType::fifo:
  case EntryType::char_device:
  case EntryType::block_device:
    apply_node(entry);
    break;
  }
  mark_written(entry.path);
}

void TreeApplier::chown_fd(int fd, std::uint32_t uid, std::uint32_t gid,
                           const std::string& path) const {
  if (fchown(fd, uid, gid) != 0) {
    const int err = errno;
    if (privileged_ == Privileged::yes || (err != EPERM && err != EINVAL)) {
      throw_errno("chown", path, err);
    }
  }
}

void TreeApplier::set_xattrs(int fd, const Entry& entry) const {
  for (const auto& [name, value] : entry.xattrs) {
    if (is_ignored_xattr(name)) {
      continue;
    }
    if (fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0) {
      const int err = errno;
      if (err == ENOTSUP || (err == EPERM && privileged_ == Privileged::no)) {
        log::warn("layer entry {}: xattr {} not set", quote_name(entry.path), quote_name(name));
        continue;
      }
      throw_errno("setxattr", fmt::format("{} on {}", name, entry.path), err);
    }
  }
}

void TreeApplier::apply_file(const Entry& entry, const std::function<void(int fd)>& write_content) {
  const auto parent_fd = open_parent(entry.path, true);
  prepare_final(parent_fd.get(), split_last(entry.path).second, false);
  auto fd = create_in_root(root_fd_, entry.path, O_WRONLY, 0600, Replace::yes);
  write_content(fd.get());
  chown_fd(fd.get(), entry.uid, entry.gid, entry.path);
  if (fchmod(fd.get(), entry.mode) != 0) {
    throw_errno("chmod", entry.path);
  }
  set_xattrs(fd.get(), entry);
  const timespec times[2] = {entry.atime, entry.mtime};
  if (futimens(fd.get(), times) != 0) {
    throw_errno("utimens", entry.path);
  }
  fd.close();
}

void TreeApplier::apply_directory(const Entry& entry) {
  UniqueFd dir_fd;
  if (entry.path.empty()) {
    dir_fd = open_in_root(root_fd_, ".", O_RDONLY | O_DIRECTORY);
  } else {
    const auto parent_fd = open_parent(entry.path, true);
    const auto name = split_last(entry.path).second;
    if (!prepare_final(parent_fd.get(), name, true) &&
        mkdirat(parent_fd.get(), name.c_str(), 0700) != 0) {
      throw_errno("mkdir", entry.path);
    }
    dir_fd = UniqueFd(
        openat(parent_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir_fd) {
      throw_errno("open", entry.path);
    }
  }
  set_xattrs(dir_fd.get(), entry);
  deferred_[entry.path] = DirMeta{entry.mode, entry.uid, entry.gid, entry.atime, entry.mtime};
}

void TreeApplier::apply_symlink(const Entry& entry) {
  const auto parent_fd = open_parent(entry.path, true);
  const auto name = split_last(entry.path).second;
  prepare_final(parent_fd.get(), name, false);
  if (symlinkat(entry.link.c_str(), parent_fd.get(), name.c_str()) != 0) {
    throw_errno("symlink", entry.path);
  }
  if (fchownat(parent_fd.get(), name.c_str(), entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    const int err = errno;
    if (privileged_ == Privileged::yes || (err != EPERM && err != EINVAL)) {
      throw_errno("lchown", entry.path, err);
    }
  }
  const timespec times[2] = {entry.atime, entry.mtime};
  if (utimensat(parent_fd.get(), name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("lutimens", entry.path);
  }
}

void TreeApplier::apply_hardlink(const Entry& entry) {
  if (entry.link.empty()) {
    throw_corrupt(entry.path, "hardlink to the root directory");
  }
  const auto [target_parent, target_name] = split_last(entry.link);
  UniqueFd target_parent_fd;
  struct stat target{};
  try {
    target_parent_fd = open_in_root(root_fd_, target_parent.empty() ? "." : target_parent,
                                    O_PATH | O_DIRECTORY);
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT || e.sys_errno() == ENOTDIR) {
      throw_corrupt(entry.path, fmt::format("hardlink target {} does not exist",
                                            quote_name(entry.link)));
    }
    throw_corrupt(entry.path,
                  fmt::format("hardlink target {}: {}", quote_name(entry.link), e.what()));
  }
  if (fstatat(target_parent_fd.get(), target_name.c_str(), &target, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_corrupt(entry.path, fmt::format("hardlink target {} does not exist",
                                          quote_name(entry.link)));
  }
  if (S_ISDIR(target.st_mode)) {
    throw_corrupt(entry.path,
                  fmt::format("hardlink target {} is a directory", quote_name(entry.link)));
  }
  const auto parent_fd = open_parent(entry.path, true);
  const auto name = split_last(entry.path).second;
  struct stat existing{};
  if (fstatat(parent_fd.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
      existing.st_dev == target.st_dev && existing.st_ino == target.st_ino) {
    return; // already that inode (e.g. a link to itself)
  }
  prepare_final(parent_fd.get(), name, false);
  if (linkat(target_parent_fd.get(), target_name.c_str(), parent_fd.get(), name.c_str(), 0) != 0) {
    throw_errno("link", fmt::format("{} to {}", entry.path, entry.link));
  }
}

void TreeApplier::apply_node(const Entry& entry) {
  mode_t type = S_IFIFO;
  dev_t dev = 0;
  if (entry.type != EntryType::fifo) {
    if (privileged_ == Privileged::no) {
      ++skipped_devices_;
      log::warn("layer entry {}: device node skipped (unprivileged)", quote_name(entry.path));
      return;
    }
    type = entry.type == EntryType::char_device ? S_IFCHR : S_IFBLK;
    dev = makedev(entry.dev_major, entry.dev_minor);
  }
  const auto parent_fd = open_parent(entry.path, true);
  const auto name = split_last(entry.path).second;
  prepare_final(parent_fd.get(), name, false);
  if (mknodat(parent_fd.get(), name.c_str(), type | 0600, dev) != 0) {
    throw_errno("mknod", entry.path);
  }
  if (fchownat(parent_fd.get(), name.c_str(), entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    const int err = errno;
    if (privileged_ == Privileged::yes || (err != EPERM && err != EINVAL)) {
      throw_errno("chown", entry.path, err);
    }
  }
  if (fchmodat(parent_fd.get(), name.c_str(), entry.mode, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("chmod", entry.path);
  }
  const timespec times[2] = {entry.atime, entry.mtime};
  if (utimensat(parent_fd.get(), name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("utimens", entry.path);
  }
}

void TreeApplier::finish() {
  std::vector<std::pair<const std::string*, const DirMeta*>> order;
  order.reserve(deferred_.size());
  for (const auto& [path, meta] : deferred_) {
    order.emplace_back(&path, &meta);
  }
  const auto depth = [](const std::string& p) {
    return p.empty() ? -1 : static_cast<long>(std::count(p.begin(), p.end(), '/'));
  };
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return depth(*a.first) > depth(*b.first);
  });
  for (const auto& [path, meta] : order) {
    UniqueFd fd;
    if (path->empty()) {
      fd = open_in_root(root_fd_, ".", O_RDONLY | O_DIRECTORY);
    } else {
      UniqueFd parent_fd;
      try {
        parent_fd = open_parent(*path, false);
      } catch (const Error& e) {
        if (e.sys_errno() == ENOENT || e.sys_errno() == ENOTDIR || e.sys_errno() == ELOOP) {
          continue; // removed or replaced later in the archive
        }
        throw;
      }
      const auto name = split_last(*path).second;
      // O_NOFOLLOW: a directory replaced by a symlink later in the archive is left alone.
      fd = UniqueFd(
          openat(parent_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
          continue;
        }
        throw_errno("open", *path);
      }
    }
    chown_fd(fd.get(), meta->uid, meta->gid, *path);
    if (fchmod(fd.get(), meta->mode) != 0) {
      throw_errno("chmod", *path);
    }
    const timespec times[2] = {meta->atime, meta->mtime};
    if (futimens(fd.get(), times) != 0) {
      throw_errno("utimens", *path);
    }
  }
}

} // namespace strata::store::tar_apply_detail
