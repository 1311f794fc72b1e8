#include "builder/copy_files.hpp"

#include "builder/context_walk.hpp"
#include "common/error.hpp"
#include "common/in_root.hpp"
#include "parser/dockerignore.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::builder {
namespace {

using detail::join_rel;
using detail::WalkEntry;

constexpr std::string_view k_many_sources =
    "When using COPY with more than one source file, the destination must be a directory and "
    "end with a /";

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "/" + path, for messages about destination paths.
std::string shown(const std::string& rel) { return rel == "." ? "/" : "/" + rel; }

// The fd of the directory at `path` (in-root, followed), or an empty fd when nothing is there.
UniqueFd open_dir_if_exists(int root_fd, const std::string& path) {
  try {
    return open_in_root(root_fd, path, O_RDONLY | O_DIRECTORY);
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT) {
      return {};
    }
    if (e.sys_errno() == ENOTDIR) {
      throw Error(ErrorKind::io, fmt::format("cannot copy to non-directory: {}", shown(path)),
                  ENOTDIR);
    }
    throw;
  }
}

bool is_existing_dir(int root_fd, const std::string& path) {
  try {
    const UniqueFd fd = open_in_root(root_fd, path, O_PATH);
    struct stat st {};
    return ::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode);
  } catch (const Error&) {
    return false; // missing or not reachable: not a directory
  }
}

void copy_content(int from, int to, const std::string& label) {
  bool use_range = true;
  std::array<char, 65536> buffer{};
  for (;;) {
    if (use_range) {
      const ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1U << 30U, 0);
      if (n == 0) {
        return;
      }
      if (n > 0) {
        continue;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP &&
          errno != EPERM) {
        throw_errno("copy", label);
      }
      use_range = false; // file offsets are still where the kernel stopped: go on by hand
    }
    const ssize_t n = ::read(from, buffer.data(), buffer.size());
    if (n == 0) {
      return;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("read", label);
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw_errno("write", label);
      }
      done += w;
    }
  }
}

class Copier {
public:
  Copier(const SourceTree& tree, int dest_root_fd, const CopyOptions& options)
      : tree_(tree), dest_root_(dest_root_fd), options_(options) {
    if (options.chmod) {
      chmod_ = ChmodSpec::parse(*options.chmod);
    }
  }

  // Creates the missing parents of `path` (relative to the destination root) 0755 with the
  // copy's owner, as BuildKit's `MkdirAll` with a chown does.
  void make_parents(const std::string& path) {
    if (path == ".") {
      return;
    }
    std::vector<std::string> prefixes;
    for (std::string p = path; p != "."; p = parent_of(p)) {
      if (open_dir_if_exists(dest_root_, p)) {
        break;
      }
      prefixes.push_back(p);
    }
    if (prefixes.empty()) {
      return;
    }
    mkdir_all_in_root(dest_root_, path, 0755);
    for (const auto& p : prefixes) {
      const UniqueFd fd = open_in_root(dest_root_, p, O_RDONLY | O_DIRECTORY);
      set_owner(fd.get(), "", owner(0, 0), p);
      if (::fchmod(fd.get(), 0755) != 0) {
        throw_errno("chmod", shown(p));
      }
    }
  }

  // Copies a non-directory match to `target` (a destination path whose parent exists).
  void copy_top_file(const detail::ResolvedPath& resolved, const std::string& target) {
    const UniqueFd parent = open_in_root(dest_root_, parent_of(target), O_RDONLY | O_DIRECTORY);
    WalkEntry entry;
    entry.root_rel = resolved.canonical;
    entry.st = resolved.st;
    copy_entry(parent.get(), base_of(target), entry, shown(target));
  }

  // Copies the contents of a directory match into `target`, creating it when missing.
  void copy_top_dir(const std::vector<WalkEntry>& entries, const std::string& target) {
    UniqueFd top = open_dir_if_exists(dest_root_, target);
    const bool created = !top;
    if (created) {
      mkdir_all_in_root(dest_root_, target, 0700);
      top = open_in_root(dest_root_, target, O_RDONLY | O_DIRECTORY);
    }
    // Directory fds along the current pre-order path: stack[i] is entries' dir at depth i.
    std::vector<std::pair<std::string, UniqueFd>> stack;
    std::vector<std::pair<std::string, const WalkEntry*>> created_dirs;
    // The root of a tree has no meaningful mode of its own (a context directory is often 0700
    // on the host): a destination made for it is 0755, as BuildKit's snapshot root is.
    WalkEntry top_entry = entries.front();
    if (top_entry.root_rel == ".") {
      top_entry.st.st_mode = S_IFDIR | 0755;
    }
    if (created) {
      created_dirs.emplace_back(".", &top_entry);
    }
    stack.emplace_back("", std::move(top));
    for (std::size_t i = 1; i < entries.size(); ++i) {
      const WalkEntry& entry = entries[i];
      const std::string parent_rel = entry.rel.rfind('/') == std::string::npos
                                         ? std::string()
                                         : entry.rel.substr(0, entry.rel.rfind('/'));
      while (stack.size() > 1 && stack.back().first != parent_rel) {
        stack.pop_back();
      }
      STRATA_CHECK(stack.back().first == parent_rel); // `list_match` lists parents first
      const std::string label = shown(join_rel(target, entry.rel));
      if (S_ISDIR(entry.st.st_mode)) {
        auto [fd, made] = enter_dir(stack.back().second.get(), base_of(entry.rel), label);
        if (made) {
          created_dirs.emplace_back(entry.rel, &entry);
        }
        stack.emplace_back(entry.rel, std::move(fd));
      } else {
        copy_entry(stack.back().second.get(), base_of(entry.rel), entry, label);
      }
    }
    stack.clear();
    // Directory metadata last, deepest first, so writing children does not bump their mtime.
    const UniqueFd root = open_in_root(dest_root_, target, O_RDONLY | O_DIRECTORY);
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) {
      const UniqueFd fd = open_in_root(root.get(), it->first, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      apply_metadata(fd.get(), *it->second, shown(join_rel(target, it->first)));
    }
  }

private:
  struct Owner {
    uid_t uid;
    gid_t gid;
  };

  [[nodiscard]] Owner owner(uid_t source_uid, gid_t source_gid) const {
    const bool keep = !options_.from_context;
    return Owner{options_.uid.value_or(keep ? source_uid : 0),
                 options_.gid.value_or(keep ? source_gid : 0)};
  }

  static void set_owner(int fd, const char* name, Owner who, const std::string& label) {
    const int flags = name[0] == '\0' ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;
    if (::fchownat(fd, name, who.uid, who.gid, flags) != 0) {
      throw_errno("chown", label);
    }
  }

  // Owner, then mode (chown clears setuid bits), then times, on an entry opened as `fd`.
  void apply_metadata(int fd, const WalkEntry& entry, const std::string& label) const {
    set_owner(fd, "", owner(entry.st.st_uid, entry.st.st_gid), label);
    const mode_t mode = chmod_ ? chmod_->apply(entry.st.st_mode) : entry.st.st_mode & 07777;
    if (::fchmod(fd, mode) != 0) {
      throw_errno("chmod", label);
    }
    const std::array<timespec, 2> times{entry.st.st_atim, entry.st.st_mtim};
    if (::futimens(fd, times.data()) != 0) {
      throw_errno("set times of", label);
    }
  }

  // The directory `name` in `parent`, created (0700 until its metadata is applied) when missing.
  std::pair<UniqueFd, bool> enter_dir(int parent, const std::string& name,
                                      const std::string& label) {
    bool made = false;
    if (::mkdirat(parent, name.c_str(), 0700) == 0) {
      made = true;
    } else if (errno != EEXIST) {
      throw_errno("mkdir", label);
    }
    try {
      return {open_in_root(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), made};
    } catch (const Error& e) {
      if (e.sys_errno() == ENOTDIR || e.sys_errno() == ELOOP) {
        throw Error(ErrorKind::io, fmt::format("cannot copy to non-directory: {}", label),
                    ENOTDIR);
      }
      throw;
    }
  }

  // Removes a non-directory at `name` so a symlink or node can be created there.
  static void clear_slot(int parent, const std::string& name, const std::string& label) {
    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      throw Error(ErrorKind::io, fmt::format("cannot replace directory {}", label), EISDIR);
    }
    if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT) {
      throw_errno("remove", label);
    }
  }

  // Copies one non-directory entry to `name` in the destination directory `parent`.
  void copy_entry(int parent, const std::string& name, const WalkEntry& entry,
                  const std::string& label) {
    const mode_t type = entry.st.st_mode & S_IFMT;
    if (type == S_IFREG) {
      const UniqueFd from = detail::open_regular(tree_.root_fd, entry.root_rel);
      const UniqueFd to = create_in_root(parent, name, O_WRONLY, 0600, Replace::yes);
      copy_content(from.get(), to.get(), label);
      apply_metadata(to.get(), entry, label);
      return;
    }
    if (type == S_IFSOCK) {
      return; // BuildKit's transfer drops sockets too
    }
    clear_slot(parent, name, label);
    if (type == S_IFLNK) {
      if (::symlinkat(entry.link_target.c_str(), parent, name.c_str()) != 0) {
        throw_errno("symlink", label);
      }
      set_owner(parent, name.c_str(), owner(entry.st.st_uid, entry.st.st_gid), label);
      const std::array<timespec, 2> times{entry.st.st_atim, entry.st.st_mtim};
      if (::utimensat(parent, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
        throw_errno("set times of", label);
      }
      return;
    }
    if (::mknodat(parent, name.c_str(), type | 0600, entry.st.st_rdev) != 0) {
      throw_errno("mknod", label);
    }
    const UniqueFd fd = open_in_root(parent, name, O_PATH | O_NOFOLLOW);
    // fchmod and futimens need a real fd, which opening a FIFO or device would not give safely.
    const std::string proc = fmt::format("/proc/self/fd/{}", fd.get());
    set_owner(fd.get(), "", owner(entry.st.st_uid, entry.st.st_gid), label);
    const mode_t mode = chmod_ ? chmod_->apply(entry.st.st_mode) : entry.st.st_mode & 07777;
    if (::fchmodat(AT_FDCWD, proc.c_str(), mode, 0) != 0) {
      throw_errno("chmod", label);
    }
    const std::array<timespec, 2> times{entry.st.st_atim, entry.st.st_mtim};
    if (::utimensat(AT_FDCWD, proc.c_str(), times.data(), 0) != 0) {
      throw_errno("set times of", label);
    }
  }

  const SourceTree& tree_;
  int dest_root_;
  const CopyOptions& options_;
  std::optional<ChmodSpec> chmod_;
};

} // namespace

void copy_sources(const SourceTree& tree, const std::vector<SourceMatch>& matches,
                  const std::vector<std::string>& excludes, int dest_root_fd,
                  const std::string& dest, const CopyOptions& options) {
  const bool ends_with_slash = dest.empty() || dest.ends_with('/') || dest.ends_with("/.");
  if (matches.size() > 1 && !ends_with_slash) {
    throw Error(ErrorKind::usage, std::string(k_many_sources));
  }
  std::string target_dir = parser::clean_path(fmt::format("/{}", dest)).substr(1);
  if (target_dir.empty()) {
    target_dir = ".";
  }
  const auto exclude = detail::exclude_matcher(excludes);
  Copier copier(tree, dest_root_fd, options);
  const bool dest_is_dir = ends_with_slash || is_existing_dir(dest_root_fd, target_dir);
  for (const auto& match : matches) {
    auto resolved = detail::resolve_canonical(tree.root_fd, match.path);
    if (!resolved || detail::is_ignored(tree.ignore, resolved->canonical, resolved->st)) {
      detail::throw_source_not_found(tree, match.path);
    }
    if (S_ISDIR(resolved->st.st_mode)) {
      copier.make_parents(parent_of(target_dir));
      copier.copy_top_dir(detail::list_match(tree, *resolved, exclude ? &*exclude : nullptr),
                          target_dir);
      continue;
    }
    const std::string target =
        dest_is_dir ? join_rel(target_dir, base_of(match.path)) : target_dir;
    copier.make_parents(parent_of(target));
    copier.copy_top_file(*resolved, target);
  }
}

} // namespace strata::builder
