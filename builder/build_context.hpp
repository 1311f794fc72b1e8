#pragma once
// The source side of `COPY`/`ADD`: the trees files are copied from, the ignore file of the build
// context, BuildKit's source resolution (cleaning, wildcards, `.dockerignore`, `--exclude`) and
// the content digest of what a source would copy (the cache-key input). The copy itself is in
// `copy_files.hpp`.
//
// Vocabulary:
// - tree: a directory fd standing for `/` of the files to copy from (`SourceTree`): the build
//   context, or another stage's or image's rootfs. Untrusted: everything below it may be a
//   hostile symlink and may change while we look. Nothing here ever builds a string path under
//   it; every open goes through `common/in_root.hpp` or an `*at` call on an fd obtained that way
//   (SECURITY.md §4).
// - source: one `COPY` argument as written ("src/*.c", "/a/../b", ".").
// - match: one path a source resolved to (`SourceMatch`): the cleaned source (or the wildcard's
//   expansion) relative to the tree root, spelled as written ("." for the root), so that its last
//   component names a copied file. A match's own symlink components, the last included, are
//   followed in-root whenever it is used (BuildKit's `FollowSymlinks` for `COPY`): the entry it
//   leads to is its *canonical* path, with no symlink left in it. Symlinks *below* a directory
//   match are copied as links, never followed.
// - ignored: excluded by the context's `.dockerignore` (`SourceTree::ignore`), so absent from the
//   context as BuildKit transfers it. Ignore patterns apply to canonical root-relative paths.
// - excluded: matched by a `COPY --exclude` pattern (same syntax as `.dockerignore`). An exclude
//   applies to a wildcard's candidates by their root-relative path, and to the entries below a
//   directory match by their path relative to that match (fsutil's `srcComponents`). A source
//   named without wildcards is never excluded itself.
//
// Thread-safety: every function is safe to call concurrently on the same tree; the tree's fd is
// only borrowed. Failure: `Error{not_found}` for sources that resolve to nothing (BuildKit's
// wording), `Error{io}` naming the path for I/O errors, `Error{parse}` for a bad ignore or
// exclude pattern.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "builder/file_hash_cache.hpp"
#include "parser/dockerignore.hpp"
#include "store/digest.hpp"

namespace strata::builder {

// A tree files are copied from: the build context (with .dockerignore) or another stage's or
// image's rootfs. `root_fd` is borrowed (a directory fd, possibly on a detached overlay mount) and
// must outlive every call that takes the tree; `ignore` likewise.
struct SourceTree {
  int root_fd = -1;
  const parser::PatternMatcher* ignore = nullptr; // .dockerignore of the context; null for a stage
  std::string label; // for messages: "context" or "stage builder"
};

// Reads the context's ignore file: `<dockerfile>.dockerignore` next to the Dockerfile when
// present (BuildKit), else `<context>/.dockerignore`; none → a matcher that matches nothing.
// `dockerfile_path` is the Dockerfile's host path as the user gave it (absolute, or relative to
// the working directory; it may lie outside the context); "" or "-" (stdin) means there is no
// Dockerfile-specific file. As in BuildKit, where the Dockerfile's directory is a source of its
// own, that directory is opened as given and the ignore file in-root below it; `.dockerignore`
// is opened in-root below `context_fd`. Throws `Error{parse}` naming the file for a bad pattern,
// `Error{io}` for a read failure.
[[nodiscard]] parser::PatternMatcher read_context_ignore(int context_fd,
                                                         const std::string& dockerfile_path);

// One source of a COPY after wildcard matching: a path relative to the tree root ("src/main.c",
// "." for the root; see "match" above), and whether it is a directory (after following it).
struct SourceMatch {
  std::string path;
  bool is_dir = false;
  friend bool operator==(const SourceMatch&, const SourceMatch&) = default;
};

// BuildKit's source resolution. Each source is cleaned (a leading "/" and ".." cannot leave the
// root). The components before the first wildcard resolve in-root (symlinks followed); the rest
// (Go `filepath.Match` per component: `*` `?` `[..]` `\`) expand, as fsutil's walk does, to
// the matching paths in sorted order, not descending into symlinked directories, leaving out
// ignored and excluded candidates. Results keep the order of `sources`.
// Failure (`Error{not_found}`):
// - a source without wildcards that does not exist or is ignored: `failed to compute cache key:
//   failed to calculate checksum of ref <label>: "/missing.txt": not found`;
// - every source a wildcard and none matched: `no source files were specified`. A wildcard
//   that matches nothing is otherwise fine (BuildKit's `AllowEmptyWildcard`).
// A bad exclude pattern throws `Error{parse}`.
[[nodiscard]] std::vector<SourceMatch> match_sources(const SourceTree& tree,
                                                     const std::vector<std::string>& sources,
                                                     const std::vector<std::string>& excludes);

// Content digest of what `matches` would copy (the cache-key input). For each match, in order:
// its path, then a sorted walk (itself for a file, every non-ignored, non-excluded entry below it
// for a directory) recording per entry: path relative to the match, type, permission bits
// (07777), uid, gid, symlink target and the SHA-256 of a regular file's content. Never mtime,
// atime, ctime, size alone or inode numbers, so a `touch` or a fresh checkout keeps the key.
// File contents are hashed in parallel (oneTBB); records are combined in walk order, so the
// digest is deterministic. `read_paths`, when given, receives every regular file and symlink
// read, relative to the tree root (for `--depfile`), in walk order.
// Format (version 2): "strata-copy-sources-v2\n", then per match the record "M" + path + "\0",
// then one record per entry: relative path ("" for the match itself), type letter (f d l o),
// octal mode, uid, gid, each followed by "\0", then the link target or the content digest
// ("sha256:...", empty for others); every record is preceded by its length as 8 bytes,
// little-endian (names and link targets may contain '\n': no separator is unambiguous).
[[nodiscard]] store::Digest digest_sources(const SourceTree& tree,
                                           const std::vector<SourceMatch>& matches,
                                           const std::vector<std::string>& excludes,
                                           std::vector<std::string>* read_paths = nullptr);

// What `digest_sources` may also do, each optional: `read_paths` as above; `entries` receives
// each entry's own record digest by root-relative path (what `--explain` names: "src/a.c
// changed"); `hashes` supplies and remembers content digests by stat identity
// (file_hash_cache.hpp), so unchanged files are not read again.
struct DigestExtras {
  std::vector<std::string>* read_paths = nullptr;
  std::map<std::string, std::string>* entries = nullptr;
  FileHashCache* hashes = nullptr;
};
[[nodiscard]] store::Digest digest_sources(const SourceTree& tree,
                                           const std::vector<SourceMatch>& matches,
                                           const std::vector<std::string>& excludes,
                                           const DigestExtras& extras);

// Go's `filepath.Match` for one path component on Unix (no separator in `name`): `*`, `?`,
// `[...]` with ranges and `^`, `\` escapes; characters are UTF-8 runes. A malformed pattern
// matches nothing (fsutil ignores `ErrBadPattern` while walking).
[[nodiscard]] bool go_path_match(std::string_view pattern, std::string_view name);

// Whether `source` holds a wildcard (`*`, `?` or `[`, not escaped by `\`), as fsutil decides.
[[nodiscard]] bool has_wildcards(std::string_view source);

} // namespace strata::builder
