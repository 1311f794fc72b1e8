#include "builder/build_context.hpp"

#include "builder/context_walk.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/in_root.hpp"
#include "store/sha256.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <array>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::builder {
namespace {

using detail::join_rel;
using detail::ResolvedPath;

// An ignore file is small; a huge one is a mistake, not something to allocate for.
constexpr std::size_t k_max_ignore_file = 16UL * 1024 * 1024;

// A source cleaned as BuildKit does: rooted, `..` stopped at the root, then made relative.
std::string clean_source(std::string_view source) {
  std::string cleaned = parser::clean_path(fmt::format("/{}", source));
  cleaned.erase(0, 1);
  return cleaned.empty() ? "." : cleaned;
}


// Expands one wildcard source, as fsutil's `ResolveWildcards` walks: below the directory the
// non-wildcard prefix names, each remaining component is matched against sorted entry names;
// only real directories (not symlinks) are descended into before the last component.
struct WildcardExpander {
  const SourceTree& tree;
  const parser::PatternMatcher* excludes;
  const std::vector<std::string>& components;
  std::vector<SourceMatch>& out;

  void expand(int dir_fd, std::size_t index, const std::string& written,
              const std::string& canonical) {
    auto names = list_directory(dir_fd, canonical);
    std::sort(names.begin(), names.end());
    const bool last = index + 1 == components.size();
    for (const auto& name : names) {
      if (!go_path_match(components[index], name)) {
        continue;
      }
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        continue; // gone meanwhile
      }
      const std::string entry_written = join_rel(written, name);
      const std::string entry_canonical = join_rel(canonical, name);
      if (detail::is_ignored(tree.ignore, entry_canonical, st)) {
        continue;
      }
      if (last) {
        add_candidate(entry_written, st);
      } else if (S_ISDIR(st.st_mode)) {
        const UniqueFd sub(
            ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) {
          throw_errno("open", entry_canonical);
        }
        expand(sub.get(), index + 1, entry_written, entry_canonical);
      }
    }
  }

  void add_candidate(const std::string& written, const struct stat& st) {
    if (excludes != nullptr && excludes->matches_or_parent_matches(written)) {
      return;
    }
    bool is_dir = S_ISDIR(st.st_mode);
    if (S_ISLNK(st.st_mode)) {
      const auto target = detail::resolve_canonical(tree.root_fd, written);
      if (!target || detail::is_ignored(tree.ignore, target->canonical, target->st)) {
        return; // dangling in the context as transferred
      }
      is_dir = S_ISDIR(target->st.st_mode);
    }
    out.push_back(SourceMatch{written, is_dir});
  }
};

void expand_wildcard(const SourceTree& tree, const parser::PatternMatcher* excludes,
                     const std::string& source, std::vector<SourceMatch>& out) {
  const auto components = detail::split_path(source);
  std::size_t first = 0;
  while (first < components.size() && !has_wildcards(components[first])) {
    ++first;
  }
  std::string prefix = ".";
  for (std::size_t i = 0; i < first; ++i) {
    prefix = join_rel(prefix, components[i]);
  }
  const auto dir = detail::resolve_canonical(tree.root_fd, prefix);
  if (!dir || !S_ISDIR(dir->st.st_mode) ||
      detail::is_ignored(tree.ignore, dir->canonical, dir->st)) {
    return;
  }
  const UniqueFd fd =
      open_in_root(tree.root_fd, dir->canonical, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  const std::vector<std::string> rest(components.begin() + static_cast<std::ptrdiff_t>(first),
                                      components.end());
  WildcardExpander expander{tree, excludes, rest, out};
  expander.expand(fd.get(), 0, prefix, dir->canonical);
}

// Resolves a match again (see `SourceMatch`), throwing BuildKit's not-found error if it went.
ResolvedPath resolve_match(const SourceTree& tree, const SourceMatch& match) {
  auto resolved = detail::resolve_canonical(tree.root_fd, match.path);
  if (!resolved || detail::is_ignored(tree.ignore, resolved->canonical, resolved->st)) {
    detail::throw_source_not_found(tree, match.path);
  }
  return std::move(*resolved);
}

char type_letter(mode_t mode) {
  if (S_ISREG(mode)) {
    return 'f';
  }
  if (S_ISDIR(mode)) {
    return 'd';
  }
  if (S_ISLNK(mode)) {
    return 'l';
  }
  return 'o';
}

// One entry's record, minus the content digest of a regular file (filled in later, in parallel).
struct DigestRecord {
  std::string text;
  std::string file_to_hash; // root-relative canonical path; empty unless a regular file
  struct stat st {};        // of that file (for the hash cache)
  std::string path;         // root-relative path of the entry; empty for a match record
};

// The text of `name` in-root below `dir_fd`, or nullopt when there is none.
std::optional<std::string> read_optional(int dir_fd, const std::string& name,
                                         const std::string& label) {
  UniqueFd fd;
  try {
    fd = open_in_root(dir_fd, name, O_RDONLY);
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT || e.sys_errno() == ENOTDIR) {
      return std::nullopt;
    }
    throw;
  }
  return read_fd(fd.get(), label, k_max_ignore_file);
}

// The Dockerfile-specific ignore file, read from the Dockerfile's own directory.
std::optional<std::string> read_dockerfile_ignore(const std::string& dockerfile_path) {
  if (dockerfile_path.empty() || dockerfile_path == "-") {
    return std::nullopt;
  }
  const auto slash = dockerfile_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : dockerfile_path.substr(0, slash + 1);
  const std::string name = dockerfile_path.substr(slash == std::string::npos ? 0 : slash + 1);
  const UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return std::nullopt;
    }
    throw_errno("open", dir);
  }
  return read_optional(dir_fd.get(), name + ".dockerignore", dockerfile_path + ".dockerignore");
}

} // namespace

parser::PatternMatcher read_context_ignore(int context_fd, const std::string& dockerfile_path) {
  std::string label = dockerfile_path + ".dockerignore";
  std::optional<std::string> text = read_dockerfile_ignore(dockerfile_path);
  if (!text) {
    label = ".dockerignore";
    text = read_optional(context_fd, label, label);
  }
  if (!text) {
    return parser::PatternMatcher({});
  }
  try {
    return parser::PatternMatcher(parser::read_ignore_file(*text));
  } catch (const Error& e) {
    throw Error(ErrorKind::parse, fmt::format("{}: {}", label, e.message()));
  }
}

std::vector<SourceMatch> match_sources(const SourceTree& tree,
                                       const std::vector<std::string>& sources,
                                       const std::vector<std::string>& excludes) {
  const auto exclude = detail::exclude_matcher(excludes);
  const parser::PatternMatcher* exclude_ptr = exclude ? &*exclude : nullptr;
  std::vector<SourceMatch> out;
  for (const auto& raw : sources) {
    const std::string source = clean_source(raw);
    if (has_wildcards(source)) {
      expand_wildcard(tree, exclude_ptr, source, out);
      continue;
    }
    const ResolvedPath resolved = resolve_match(tree, SourceMatch{source, false});
    out.push_back(SourceMatch{source, S_ISDIR(resolved.st.st_mode)});
  }
  if (out.empty() && !sources.empty()) {
    // Only reachable when every source is a wildcard: a plain source is found or throws.
    throw Error(ErrorKind::not_found, "no source files were specified");
  }
  return out;
}

store::Digest digest_sources(const SourceTree& tree, const std::vector<SourceMatch>& matches,
                             const std::vector<std::string>& excludes,
                             std::vector<std::string>* read_paths) {
  return digest_sources(tree, matches, excludes, DigestExtras{read_paths, nullptr, nullptr});
}

store::Digest digest_sources(const SourceTree& tree, const std::vector<SourceMatch>& matches,
                             const std::vector<std::string>& excludes,
                             const DigestExtras& extras) {
  std::vector<std::string>* read_paths = extras.read_paths;
  const auto exclude = detail::exclude_matcher(excludes);
  std::vector<DigestRecord> records;
  for (const auto& match : matches) {
    DigestRecord header;
    header.text = fmt::format("M{}{}", match.path, '\0');
    records.push_back(std::move(header));
    const ResolvedPath resolved = resolve_match(tree, match);
    for (auto& entry : detail::list_match(tree, resolved, exclude ? &*exclude : nullptr)) {
      const mode_t mode = entry.st.st_mode;
      DigestRecord record;
      record.text = fmt::format("{}{}{}{}{:o}{}{}{}{}{}", entry.rel, '\0', type_letter(mode),
                                '\0', mode & 07777, '\0', entry.st.st_uid, '\0', entry.st.st_gid,
                                '\0');
      if (S_ISLNK(mode)) {
        record.text += entry.link_target;
      } else if (S_ISREG(mode)) {
        record.file_to_hash = entry.root_rel;
        record.st = entry.st;
      }
      record.path = entry.root_rel;
      if (read_paths != nullptr && (S_ISLNK(mode) || S_ISREG(mode))) {
        read_paths->push_back(entry.root_rel);
      }
      records.push_back(std::move(record));
    }
  }
  // Contents are the expensive part: hash them in parallel; each task writes only its record.
  // Isolated: a thread waiting here must not pick up another stage's node of the flow graph.
  tbb::this_task_arena::isolate([&] { tbb::parallel_for(std::size_t{0}, records.size(), [&](std::size_t i) {
    DigestRecord& record = records[i];
    if (record.file_to_hash.empty()) {
      return;
    }
    if (extras.hashes != nullptr) {
      if (const auto known = extras.hashes->find(record.file_to_hash, record.st)) {
        record.text += *known;
        return;
      }
    }
    const UniqueFd fd = detail::open_regular(tree.root_fd, record.file_to_hash);
    const std::string digest = store::sha256_of_fd(fd.get(), record.file_to_hash).str();
    if (extras.hashes != nullptr) {
      extras.hashes->put(record.file_to_hash, record.st, digest);
    }
    record.text += digest;
  }); });
  if (extras.entries != nullptr) {
    for (const auto& record : records) {
      if (!record.path.empty()) {
        (*extras.entries)[record.path] = store::sha256_of(record.text).str();
      }
    }
  }
  store::Sha256 hash;
  hash.update(std::string_view("strata-copy-sources-v2\n"));
  for (const auto& record : records) {
    // Each record preceded by its length (8 bytes, little-endian): names and link targets may
    // hold any byte but NUL, '\n' included, so no separator alone keeps two trees apart.
    std::array<char, 8> size{};
    for (std::size_t b = 0; b < size.size(); ++b) {
      size[b] = static_cast<char>((record.text.size() >> (8 * b)) & 0xff);
    }
    hash.update(std::string_view(size.data(), size.size()));
    hash.update(record.text);
  }
  return hash.finish();
}

} // namespace strata::builder
