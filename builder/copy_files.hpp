#pragma once
// The copy of `COPY`/`ADD`: the matches of `match_sources` (build_context.hpp) written into a
// destination tree with Docker's and BuildKit's rules, and the `--chmod` interpreter.
//
// Safety (SECURITY.md §4): the destination tree (a writable rootfs) is untrusted. The
// destination path given by the user is resolved in-root (`open_in_root`, `mkdir_all_in_root`,
// `create_in_root` relative to `dest_root_fd`), so `evil -> /../../etc` in the image only ever
// leads back into the image. Below a destination directory every entry is created through the
// same functions relative to the directory fd already held, one component at a time and never
// following a final symlink: an existing symlink where a file goes is replaced, and one where a
// directory goes is an error, as in fsutil ("cannot copy to non-directory").
//
// Thread-safety: `copy_sources` may run concurrently on different destinations; two copies into
// the same destination race like two `cp` would. `ChmodSpec` is an immutable value.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/build_context.hpp"

namespace strata::builder {

// A `--chmod` value, parsed once and applied per entry. Octal (`755`, at most 07777) replaces
// the permission bits. Symbolic is a comma list of chmod(1) clauses `[ugoa]*([-+=]([rwxXst]*|
// [ugo]))+`, applied in order to the entry's current bits: no `who` means `a` (no umask, as
// BuildKit); `X` is `x` for a directory or when some `x` is set already; `s` is setuid/setgid for
// `u`/`g`; `t` is the sticky bit for `o`/`a`; `=u` copies the bits `u` had before the clause.
class ChmodSpec {
public:
  // Throws `Error{usage}` naming `text` when it is neither form (the parser already checked a
  // literal value; an expanded `ARG` reaches here unchecked).
  [[nodiscard]] static ChmodSpec parse(std::string_view text);
  // The new permission bits (07777) for an entry whose `st_mode` is `mode` (type bits included:
  // they tell `X` a directory).
  [[nodiscard]] mode_t apply(mode_t mode) const;

private:
  struct Action {
    char op = '+';        // '+', '-' or '='
    mode_t bits = 0;      // from r w x s t
    bool conditional_x = false; // X
    char copy_from = 0;   // 'u', 'g', 'o' or 0
  };
  struct Clause {
    mode_t who = 0; // mask of the u/g/o bits (incl. s/t) the clause acts on
    std::vector<Action> actions;
  };
  std::optional<mode_t> octal_;
  std::vector<Clause> clauses_;
};

struct CopyOptions {
  std::optional<uid_t> uid; // --chown resolved by the caller; nullopt: see `from_context`
  std::optional<gid_t> gid;
  std::optional<std::string> chmod; // --chmod, octal ("755") or symbolic ("u+x,g-w")
  bool from_context = true; // owners reset to 0:0 unless uid/gid given; false: kept from source
};

// Copies `matches` (from `match_sources` on `tree`) into `dest` inside the tree at
// `dest_root_fd` (a writable directory fd, borrowed). `dest` is absolute in the destination root
// (the caller has already joined a relative dest with WORKDIR); "" means "/".
// Docker's rules:
// - the destination is a directory when `dest` ends in "/", when there are several matches, or
//   when a directory (possibly through an in-root symlink) exists at `dest`. A file match then
//   lands at `dest/<basename of the match>`; otherwise at `dest` itself;
// - a directory match copies its *contents* into `dest` (created when missing, taking the source
//   directory's mode, owner and mtime), never the directory itself; an existing directory is
//   merged and keeps its own metadata;
// - several matches into a `dest` not ending in "/" throw `Error{usage}` "When using COPY with
//   more than one source file, the destination must be a directory and end with a /";
// - missing parents of the destination are created 0755, owned by `options`' uid/gid (0:0 when
//   not given);
// - an existing non-directory at a target is replaced; an existing directory there where a file
//   goes throws.
// Preserved: regular file content (copy_file_range, falling back to read/write), permission bits
// (then `--chmod`), atime and mtime, symlink targets (verbatim: a link is copied, never followed),
// empty directories, FIFOs and device nodes (mknod). Sockets are skipped. Hard links become
// separate files; xattrs are not copied. Owners follow `CopyOptions`.
// Failure: `Error{io}` naming the destination path; `Error{not_found}` if a match vanished;
// `Error{usage}` as above or for a bad `chmod`. A failed copy may leave part of it written.
void copy_sources(const SourceTree& tree, const std::vector<SourceMatch>& matches,
                  const std::vector<std::string>& excludes, int dest_root_fd,
                  const std::string& dest, const CopyOptions& options);

} // namespace strata::builder
