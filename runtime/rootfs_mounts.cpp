// `-v` and `--tmpfs` mounts (rootfs.hpp `PlannedMount`): planned by the parent, applied by the
// child before pivot_root. The target is resolved inside the rootfs with openat2
// RESOLVE_IN_ROOT, so a symlink in the image (`/data -> /etc`) can never put a mount on the host;
// the mount goes onto the opened target through /proc/self/fd (runc's way).

#include "runtime/rootfs.hpp"

#include "common/error.hpp"
#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace strata::runtime {
namespace {

ChildFailure fail_mount() noexcept {
  return {ChildStep::mounts, errno != 0 ? errno : EINVAL};
}

int open_in_root_fd(int root_fd, const char* path, int flags) noexcept {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, path, &how, sizeof how));
}

// The last component of `prefix` and its parent, opened in-root.
ChildFailure create_component(int root_fd, const std::string& prefix, bool file) noexcept {
  const char* slash = std::strrchr(prefix.c_str(), '/');
  char parent_path[PATH_MAX];
  const char* name = prefix.c_str();
  if (slash != nullptr) {
    const auto length = static_cast<std::size_t>(slash - prefix.c_str());
    if (length >= sizeof parent_path) {
      return {ChildStep::mounts, ENAMETOOLONG};
    }
    std::memcpy(parent_path, prefix.c_str(), length);
    parent_path[length] = '\0';
    name = slash + 1;
  } else {
    parent_path[0] = '.';
    parent_path[1] = '\0';
  }
  const UniqueFd parent(open_in_root_fd(root_fd, parent_path, O_PATH | O_DIRECTORY));
  if (parent.get() < 0) {
    return fail_mount();
  }
  if (file) {
    const int fd = ::openat(parent.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                            0644);
    if (fd < 0 && errno != EEXIST) {
      return fail_mount();
    }
    if (fd >= 0) {
      ::close(fd);
    }
  } else if (::mkdirat(parent.get(), name, 0755) != 0 && errno != EEXIST) {
    return fail_mount();
  }
  return {};
}

ChildFailure apply_one(int root_fd, const PlannedMount& m) noexcept {
  for (std::size_t i = 0; i < m.prefixes.size(); ++i) {
    const bool last = i + 1 == m.prefixes.size();
    const UniqueFd existing(open_in_root_fd(root_fd, m.prefixes[i].c_str(), O_PATH));
    if (existing.get() >= 0) {
      continue;
    }
    if (errno != ENOENT) {
      return fail_mount();
    }
    if (const ChildFailure f = create_component(root_fd, m.prefixes[i], last && m.target_is_file);
        f.err != 0) {
      return f;
    }
  }
  // A symlink as the last component is followed (in-root), as runc does: `--tmpfs /var/run` on
  // an image whose /var/run -> /run mounts on /run.
  const UniqueFd target(open_in_root_fd(root_fd, m.prefixes.back().c_str(), O_PATH));
  if (target.get() < 0) {
    return fail_mount();
  }
  char target_path[64];
  std::snprintf(target_path, sizeof target_path, "/proc/self/fd/%d", target.get());
  if (m.type == MountSpec::Type::tmpfs || m.type == MountSpec::Type::overlay) {
    if (::mount(m.source.c_str(), target_path, m.source.c_str(), m.flags, m.data.c_str()) != 0) {
      return fail_mount();
    }
    return {};
  }
  if (::mount(m.source.c_str(), target_path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return fail_mount();
  }
  if ((m.flags & MS_RDONLY) != 0) {
    // The new mount is now on top of the fd's old one: reopen the path to reach it.
    const UniqueFd mounted(open_in_root_fd(root_fd, m.prefixes.back().c_str(), O_PATH));
    char mounted_path[64];
    std::snprintf(mounted_path, sizeof mounted_path, "/proc/self/fd/%d", mounted.get());
    if (mounted.get() < 0 || ::mount(nullptr, mounted_path, nullptr,
                                     MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, nullptr) != 0) {
      return fail_mount();
    }
  }
  return {};
}

// docker's --tmpfs options: mount flags plus the data string tmpfs takes (size, mode, ...).
void parse_tmpfs_options(const std::string& options, PlannedMount& m) {
  m.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC; // docker's defaults
  std::string data;
  std::size_t start = 0;
  while (start <= options.size() && !options.empty()) {
    const auto comma = options.find(',', start);
    const std::string option =
        options.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (option == "ro") {
      m.flags |= MS_RDONLY;
    } else if (option == "rw") {
      m.flags &= ~static_cast<unsigned long>(MS_RDONLY);
    } else if (option == "exec") {
      m.flags &= ~static_cast<unsigned long>(MS_NOEXEC);
    } else if (option == "noexec") {
      m.flags |= MS_NOEXEC;
    } else if (option == "suid") {
      m.flags &= ~static_cast<unsigned long>(MS_NOSUID);
    } else if (option == "dev") {
      m.flags &= ~static_cast<unsigned long>(MS_NODEV);
    } else if (option == "nosuid" || option == "nodev" || option.empty()) {
    } else if (option.starts_with("size=") || option.starts_with("mode=") ||
               option.starts_with("uid=") || option.starts_with("gid=") ||
               option.starts_with("nr_inodes=")) {
      data += (data.empty() ? "" : ",") + option;
    } else {
      throw Error(ErrorKind::usage, fmt::format("invalid --tmpfs option: \"{}\"", option));
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  m.data = data;
}

std::vector<std::string> path_prefixes(const std::string& destination) {
  if (!destination.starts_with('/')) {
    throw Error(ErrorKind::usage,
                fmt::format("invalid mount config: the mount path must be absolute: \"{}\"",
                            destination));
  }
  std::vector<std::string> prefixes;
  std::string current;
  std::size_t start = 1;
  while (start < destination.size()) {
    auto end = destination.find('/', start);
    if (end == std::string::npos) {
      end = destination.size();
    }
    const std::string part = destination.substr(start, end - start);
    if (part == "..") {
      throw Error(ErrorKind::usage,
                  fmt::format("invalid mount config: \"{}\" contains \"..\"", destination));
    }
    if (!part.empty() && part != ".") {
      current += (current.empty() ? "" : "/") + part;
      prefixes.push_back(current);
    }
    start = end + 1;
  }
  if (prefixes.empty()) {
    throw Error(ErrorKind::usage,
                fmt::format("invalid mount config: destination can't be '/': \"{}\"", destination));
  }
  return prefixes;
}

// "lowerdir=a:b" (one lower dir is allowed read-only only with a second: repeat it), with
// overlayfs's escapes for ':' and ','; at most a page, the limit of mount(2) data.
std::string overlay_lower_option(const MountSpec& spec) {
  if (spec.lower_dirs.empty()) {
    throw Error(ErrorKind::usage, fmt::format("overlay mount {} has no layers", spec.destination));
  }
  std::vector<std::string> dirs = spec.lower_dirs;
  if (dirs.size() == 1) {
    dirs.push_back(dirs.front());
  }
  std::string data = "lowerdir=";
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    data += i == 0 ? "" : ":";
    for (const char c : dirs[i]) {
      if (c == ':' || c == ',' || c == '\\') {
        data += '\\';
      }
      data += c;
    }
  }
  data += ",index=off";
  if (data.size() >= 4096) {
    throw Error(ErrorKind::unsupported,
                fmt::format("overlay mount {}: {} layers do not fit in one page of mount options",
                            spec.destination, dirs.size()));
  }
  return data;
}

} // namespace

std::vector<PlannedMount> plan_mounts(const std::vector<MountSpec>& mounts) {
  std::vector<PlannedMount> planned;
  for (const MountSpec& spec : mounts) {
    PlannedMount m;
    m.type = spec.type;
    m.prefixes = path_prefixes(spec.destination);
    if (spec.type == MountSpec::Type::tmpfs) {
      m.source = "tmpfs";
      parse_tmpfs_options(spec.options, m);
    } else if (spec.type == MountSpec::Type::overlay) {
      m.source = "overlay";
      m.flags = MS_RDONLY | MS_NOSUID | MS_NODEV;
      m.data = overlay_lower_option(spec);
    } else {
      struct stat st {};
      if (::stat(spec.source.c_str(), &st) != 0) {
        throw_errno("bind mount source", spec.source);
      }
      m.source = spec.source;
      m.target_is_file = !S_ISDIR(st.st_mode);
      m.flags = spec.read_only ? MS_RDONLY : 0;
    }
    planned.push_back(std::move(m));
  }
  return planned;
}

ChildFailure apply_mounts(int root_fd, const std::vector<PlannedMount>& mounts) noexcept {
  for (const PlannedMount& m : mounts) {
    if (const ChildFailure f = apply_one(root_fd, m); f.err != 0) {
      return f;
    }
  }
  return {};
}

} // namespace strata::runtime
