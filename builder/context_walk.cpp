#include "builder/context_walk.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/in_root.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace strata::builder::detail {
namespace {

// The kernel's MAXSYMLINKS.
constexpr int k_max_links = 40;

// Pushes the components of `path` onto `pending` so that the first component is popped first.
void push_components(std::vector<std::string>& pending, std::string_view path) {
  const std::vector<std::string> parts = split_path(path);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    pending.push_back(std::move(*it));
  }
}

// The target of the symlink `name` in `dir_fd` ("" with an O_PATH fd of the link itself).
std::string read_link_at(int dir_fd, const char* name, std::string_view label) {
  std::string buffer(PATH_MAX, '\0');
  const ssize_t n = ::readlinkat(dir_fd, name, buffer.data(), buffer.size());
  if (n < 0) {
    throw_errno("readlink", label);
  }
  buffer.resize(static_cast<std::size_t>(n));
  return buffer;
}

bool is_dir(const struct stat& st) { return S_ISDIR(st.st_mode); }

struct Lister {
  const SourceTree& tree;
  const parser::PatternMatcher* excludes;
  std::vector<WalkEntry>& out;

  [[nodiscard]] bool skips_subtree(bool ignored, bool excluded, const std::string& root_rel,
                                   const std::string& rel) const {
    return (ignored && !tree.ignore->may_reinclude_under(root_rel)) ||
           (excluded && !excludes->may_reinclude_under(rel));
  }

  void list_dir(int dir_fd, const std::string& rel, const std::string& root_rel) {
    auto names = list_directory(dir_fd, root_rel);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      visit(dir_fd, name, rel.empty() ? name : rel + "/" + name, join_rel(root_rel, name));
    }
  }

  void visit(int dir_fd, const std::string& name, std::string rel, std::string root_rel) {
    WalkEntry entry;
    if (::fstatat(dir_fd, name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        return; // removed while we walk: as if it never was there
      }
      throw_errno("stat", root_rel);
    }
    const bool ignored = tree.ignore != nullptr && tree.ignore->matches_or_parent_matches(root_rel);
    const bool excluded = excludes != nullptr && excludes->matches_or_parent_matches(rel);
    if (!is_dir(entry.st)) {
      if (ignored || excluded) {
        return;
      }
      if (S_ISLNK(entry.st.st_mode)) {
        entry.link_target = read_link_at(dir_fd, name.c_str(), root_rel);
      }
      entry.rel = std::move(rel);
      entry.root_rel = std::move(root_rel);
      out.push_back(std::move(entry));
      return;
    }
    if (skips_subtree(ignored, excluded, root_rel, rel)) {
      return;
    }
    const UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) {
      throw_errno("open", root_rel);
    }
    const std::size_t at = out.size();
    entry.rel = rel;
    entry.root_rel = root_rel;
    out.push_back(std::move(entry));
    list_dir(sub.get(), rel, root_rel);
    if ((ignored || excluded) && out.size() == at + 1) {
      out.pop_back(); // only there for entries an exception might have put back: none was
    }
  }
};

} // namespace

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    if (slash > start) {
      parts.emplace_back(path.substr(start, slash - start));
    }
    start = slash + 1;
  }
  return parts;
}

std::string join_rel(std::string_view base, std::string_view name) {
  if (base.empty() || base == ".") {
    return std::string(name);
  }
  if (name.empty() || name == ".") {
    return std::string(base);
  }
  return fmt::format("{}/{}", base, name);
}

std::optional<ResolvedPath> resolve_canonical(int root_fd, std::string_view path) {
  std::vector<std::string> pending;
  push_components(pending, path);
  std::vector<std::string> names; // resolved components, all real directories but maybe the last
  std::vector<UniqueFd> fds;      // fds[i] is the entry names[0..i]
  int links = 0;
  while (!pending.empty()) {
    const std::string component = std::move(pending.back());
    pending.pop_back();
    if (component == ".") {
      continue;
    }
    if (component == "..") {
      if (!names.empty()) {
        names.pop_back();
        fds.pop_back();
      }
      continue;
    }
    const int parent = fds.empty() ? root_fd : fds.back().get();
    UniqueFd fd(::openat(parent, component.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return std::nullopt;
      }
      throw_errno("open", join_rel(fmt::format("{}", fmt::join(names, "/")), component));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
      throw_errno("stat", component);
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > k_max_links) {
        throw_errno("resolve", path, ELOOP);
      }
      const std::string target = read_link_at(fd.get(), "", component);
      if (target.starts_with('/')) {
        names.clear();
        fds.clear();
      }
      push_components(pending, target);
      continue;
    }
    names.push_back(component);
    fds.push_back(std::move(fd));
  }
  ResolvedPath resolved;
  resolved.canonical = names.empty() ? "." : fmt::format("{}", fmt::join(names, "/"));
  if (::fstat(fds.empty() ? root_fd : fds.back().get(), &resolved.st) != 0) {
    throw_errno("stat", resolved.canonical);
  }
  return resolved;
}

bool is_ignored(const parser::PatternMatcher* ignore, const std::string& path,
                const struct stat& st) {
  if (ignore == nullptr || path == "." || !ignore->matches_or_parent_matches(path)) {
    return false;
  }
  return !is_dir(st) || !ignore->may_reinclude_under(path);
}

std::vector<WalkEntry> list_match(const SourceTree& tree, const ResolvedPath& resolved,
                                  const parser::PatternMatcher* excludes) {
  std::vector<WalkEntry> out;
  WalkEntry top;
  top.root_rel = resolved.canonical;
  top.st = resolved.st;
  out.push_back(std::move(top));
  if (!is_dir(resolved.st)) {
    return out;
  }
  const UniqueFd dir = open_in_root(tree.root_fd, resolved.canonical,
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  Lister lister{tree, excludes, out};
  lister.list_dir(dir.get(), "", resolved.canonical);
  return out;
}

UniqueFd open_regular(int root_fd, const std::string& path) {
  UniqueFd fd = open_in_root(root_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw_errno("stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::io, fmt::format("read {}: not a regular file", path));
  }
  return fd;
}

std::optional<parser::PatternMatcher> exclude_matcher(const std::vector<std::string>& excludes) {
  if (excludes.empty()) {
    return std::nullopt;
  }
  return parser::PatternMatcher(excludes);
}

void throw_source_not_found(const SourceTree& tree, std::string_view source) {
  throw Error(ErrorKind::not_found,
              fmt::format("failed to compute cache key: failed to calculate checksum of ref {}: "
                          "\"/{}\": not found",
                          tree.label, source == "." ? "" : source));
}

} // namespace strata::builder::detail
