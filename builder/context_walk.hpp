#pragma once
// Internal to builder/ (build_context.cpp, copy_files.cpp): resolving a source path in a
// `SourceTree` to its canonical form, and listing what a match would copy. The vocabulary
// (tree, match, canonical, ignored, excluded) is defined in `build_context.hpp`.
//
// Safety: every open is either `open_in_root` on the tree's root or an `openat`/`fstatat`/
// `readlinkat` of a single component (a name from `readdir`, or a component we split ourselves)
// with `O_NOFOLLOW` relative to a directory fd already held, so a hostile tree cannot make us
// read outside it (SECURITY.md §4). Symlinks are resolved by reading their text and walking it
// ourselves from the root: that is what yields the canonical path that ignore patterns need.

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/build_context.hpp"
#include "common/unique_fd.hpp"
#include "parser/dockerignore.hpp"

namespace strata::builder::detail {

// A source path after resolving every symlink in it, the last component included.
struct ResolvedPath {
  std::string canonical; // relative to the root, "." for the root; no symlink components
  struct stat st {};     // of the final entry (never a symlink)
};

// Resolves the clean relative `path` below `root_fd`, following symlinks in-root (absolute
// targets restart at the root, `..` stops at the root, at most 40 links). Returns nullopt when a
// component is missing or not a directory (ENOENT/ENOTDIR), throws `Error{io}` otherwise.
[[nodiscard]] std::optional<ResolvedPath> resolve_canonical(int root_fd, std::string_view path);

// Joins two relative paths where "." or "" stands for the root.
[[nodiscard]] std::string join_rel(std::string_view base, std::string_view name);

// The non-empty components of a slash-separated path ("/a//b/" → a, b).
[[nodiscard]] std::vector<std::string> split_path(std::string_view path);

// Whether `path` (canonical, relative to the context root) is absent from the context because of
// `.dockerignore`. A directory that an exception may put something back into is present.
[[nodiscard]] bool is_ignored(const parser::PatternMatcher* ignore, const std::string& path,
                              const struct stat& st);

// One entry of a match, as `list_match` reports it.
struct WalkEntry {
  std::string rel;       // relative to the match: "" for the match itself, else "a/b"
  std::string root_rel;  // canonical path relative to the tree root
  struct stat st {};     // lstat of the entry
  std::string link_target; // for a symlink
};

// Lists the match `resolved` (canonical) in pre-order, each directory's children sorted by name:
// the match itself first (rel ""), then for a directory every entry below it that is neither
// ignored (by `ignore`, on `root_rel`) nor excluded (by `excludes`, on `rel`). Symlinks below the
// match are reported, never followed. A directory that is excluded but may hold re-included
// entries is listed only when something below it is. Throws `Error{io}` naming the path.
[[nodiscard]] std::vector<WalkEntry> list_match(const SourceTree& tree,
                                                const ResolvedPath& resolved,
                                                const parser::PatternMatcher* excludes);

// Opens the regular file at the canonical `path` for reading, in-root and without following a
// final symlink; `O_NONBLOCK` so a FIFO swapped in meanwhile cannot hang us, then checked to be
// a regular file (`Error{io}` otherwise).
[[nodiscard]] UniqueFd open_regular(int root_fd, const std::string& path);

// A matcher for `--exclude` patterns, or nullopt when there are none.
[[nodiscard]] std::optional<parser::PatternMatcher>
exclude_matcher(const std::vector<std::string>& excludes);

// BuildKit's not-found error for `source` (cleaned, relative) in `tree`.
[[noreturn]] void throw_source_not_found(const SourceTree& tree, std::string_view source);

} // namespace strata::builder::detail
