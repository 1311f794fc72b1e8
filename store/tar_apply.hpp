#pragma once
// `apply_layer`: unpack one OCI/Docker layer tar stream into a target directory, hashing it on the
// way (SECURITY.md §2.2 and §4 "Extraction").
//
// Vocabulary: the *digest* is the sha256 of the bytes read from the input (compressed or not, the
// blob's name in the store); the *diff ID* is the sha256 of the uncompressed tar stream.
//
// One streaming pass, one thread, pulled on demand:
//   input fd → sha256 (digest) → libarchive decompression (gzip, zstd or none; autodetected,
//   in-process, never an external program) → sha256 (diff ID) → libarchive tar parser → apply.
// libarchive is used as a reader only; every filesystem write is an fd-relative `*at` call below
// a parent resolved in-root (common/in_root.hpp), so nothing outside `target_dir_fd` is ever
// created, modified or removed, whatever the archive or the existing tree contain.
//
// Semantics (those of Docker's ApplyLayer / containerd's apply on overlay snapshots):
// - Names: leading `/` and `./` stripped, cleaned lexically; a name that climbs above the root is
//   `Error{corrupt}`. Missing parents are created (0755). The final component is never followed:
//   what is there is replaced (a directory stays only if the entry is a directory).
// - Regular files, directories, symlinks (target stored verbatim), hardlinks (target resolved
//   in-root, must exist and must not be a directory; a link to a symlink links the symlink),
//   fifos; char/block devices only with `Privileged::yes` (else skipped and counted).
// - Numeric uid/gid only. Ownership errors are fatal with `Privileged::yes` and ignored without.
// - Directory mode/owner/times are deferred and applied at the end, deepest first, without
//   following symlinks (a directory later replaced by a symlink is skipped: CVE-2021-31566).
// - PAX `SCHILY.xattr.*` are set on the opened fd; `trusted.overlay.*`/`user.overlay.*` are
//   dropped, `security.selinux` ignored. Symlinks get no xattrs.
// - Whiteouts (`WhiteoutMode`). Other `.wh..wh.*` aufs metadata is always ignored, and a whiteout
//   of a name this layer itself wrote (before or after the marker) keeps the layer's entry.
//   - `remove` (applying onto a merged tree, e.g. a flattened rootfs): `.wh.<name>` removes
//     `<name>` (never following symlinks); `.wh..wh..opq` empties its directory of everything not
//     written by this layer, wherever the marker appears in the archive. Whiteout files are never
//     created.
//   - `overlay` (a snapshot, later an overlayfs lower dir over its parent snapshots): nothing is
//     removed; the whiteouts are stored the way overlayfs reads them. `.wh.<name>` becomes a char
//     device 0/0 at `<name>` (missing parents created 0755; no privilege needed on Linux >= 5.8);
//     `.wh..wh..opq` sets xattr `trusted.overlay.opaque` = "y" on its directory (creating it if
//     the layer has no entry for it; needs CAP_SYS_ADMIN, as any overlayfs lower dir does).
//     `store/layer_writer.hpp` converts back (`LayerSource::overlay_upper`).
// - Limits (`ApplyLimits`) and malformed input (truncation, GNU sparse entries, bad names, bad
//   checksums) throw `Error{corrupt}` naming the entry. libarchive itself refuses special headers
//   (PAX/GNU long names) above 1 MiB before allocating; `max_header` additionally bounds the
//   decoded per-entry metadata (path + link target + xattrs).
//
// Failure leaves the target partially written (callers extract into a fresh snapshot directory
// and discard it on error). I/O failures throw `Error{io}` with the errno of the failed call.
// Thread-safety: independent calls on different targets may run concurrently. `input_fd` and
// `target_dir_fd` are borrowed, never closed; `input_fd` is read to its end.

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/unique_fd.hpp"
#include "store/digest.hpp"

namespace strata::store {

struct ApplyLimits {
  std::uint64_t max_entries = 1'000'000;
  std::uint64_t max_bytes = 64ULL << 30; // uncompressed tar stream size
  std::size_t max_header = 1 << 20;      // decoded path + link target + xattrs of one entry
  std::size_t max_name = 4096;           // path or link target length
  double max_ratio = 1000;               // uncompressed / compressed, checked past 1 MiB
};

enum class Privileged { no, yes };

struct ApplyResult {
  Digest diff_id;                          // sha256 of the uncompressed tar stream
  std::optional<Digest> compressed_digest; // sha256 of the input bytes (always set here)
  std::uint64_t entries = 0;               // tar entries read, whiteouts included
  std::uint64_t bytes = 0;                 // uncompressed tar stream size
  std::uint64_t skipped_devices = 0;       // device nodes not created (unprivileged)
  std::uint64_t content_bytes = 0;         // regular-file content (docker's layer SIZE)
};

// How whiteout entries are applied (see "Whiteouts" above).
enum class WhiteoutMode { remove, overlay };

struct ApplyOptions {
  ApplyLimits limits;
  Privileged privileged = Privileged::no;
  WhiteoutMode whiteouts = WhiteoutMode::remove;
};

// Applies the layer read from `input_fd` (until EOF) to the directory `target_dir_fd`.
[[nodiscard]] ApplyResult apply_layer(int input_fd, int target_dir_fd,
                                      const ApplyOptions& options);
// Whether the file `fd` (a regular file; read with pread, its offset unchanged) is a tar stream
// `apply_layer` reads — plain, gzip or zstd — with a valid first header (Docker's ADD test for
// "an archive to unpack"; a compressed file that is not a tar is not one).
[[nodiscard]] bool is_tar_stream(int fd);

// The same with `WhiteoutMode::remove`.
[[nodiscard]] ApplyResult apply_layer(int input_fd, int target_dir_fd, const ApplyLimits& limits,
                                      Privileged privileged);

} // namespace strata::store

// ------------------------------------------------------------------------------------------------
// Internal: shared between store/tar_apply.cpp (stream, hashing, libarchive) and
// store/tar_apply_entry.cpp (filesystem writes). Not for use outside store/tar_apply*.cpp.


struct archive_entry;

namespace strata::store::tar_apply_detail {

enum class EntryType { file, directory, symlink, hardlink, fifo, char_device, block_device };

// One decoded tar entry, already validated: `path` is clean and relative ("" = the root).
struct Entry {
  std::string path;
  EntryType type = EntryType::file;
  std::string link; // symlink target (verbatim) or hardlink target (clean, relative)
  std::uint32_t mode = 0; // permission bits, 07777
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  timespec atime{};
  timespec mtime{};
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// Cleans a tar name: strips leading `/`, `./` and empty or `.` components, resolves `..`
// lexically. Returns `std::nullopt` if the name climbs above the root.
[[nodiscard]] std::optional<std::string> clean_name(std::string_view name);

// Printable, truncated form of a hostile name for messages.
[[nodiscard]] std::string quote_name(std::string_view name);

// Decodes and validates the current libarchive entry (store/tar_apply_decode.cpp).
[[nodiscard]] Entry decode_entry(archive_entry* e, const ApplyLimits& limits);

// Filesystem helpers shared by store/tar_apply_entry.cpp and store/tar_apply_whiteout.cpp.
// `{parent, last}` of a clean path ("" parent for a top-level name).
[[nodiscard]] std::pair<std::string, std::string> split_last(const std::string& path);
[[nodiscard]] std::string join(const std::string& dir, std::string_view name);
// Names in a directory (not "." or ".."), read completely before anything is changed.
[[nodiscard]] std::vector<std::string> list_dir(int dir_fd, const std::string& what);
// Removes `name` below `dir_fd` and everything under it, never following symlinks; missing is
// fine.
void remove_at(int dir_fd, const std::string& name);

// Applies entries to the tree at `root_fd` (borrowed). One per `apply_layer` call.
class TreeApplier {
public:
  TreeApplier(int root_fd, Privileged privileged, WhiteoutMode whiteouts)
      : root_fd_(root_fd), privileged_(privileged), whiteouts_(whiteouts) {}

  // Creates the entry; for a regular file `write_content` is called with the new file's fd.
  void apply(const Entry& entry, const std::function<void(int fd)>& write_content);
  // `path` is the clean path of a `.wh.*` entry.
  void whiteout(const std::string& path);
  // Applies deferred directory metadata, deepest first, never following symlinks.
  void finish();

  [[nodiscard]] std::uint64_t skipped_devices() const noexcept { return skipped_devices_; }

private:
  struct DirMeta {
    std::uint32_t mode, uid, gid;
    timespec atime, mtime;
  };

  void mark_written(const std::string& path);
  [[nodiscard]] UniqueFd open_parent(const std::string& path, bool create);
  void apply_file(const Entry& entry, const std::function<void(int fd)>& write_content);
  void apply_directory(const Entry& entry);
  void apply_symlink(const Entry& entry);
  void apply_hardlink(const Entry& entry);
  void apply_node(const Entry& entry);
  void clear_dir(int dir_fd, const std::string& rel);
  void overlay_whiteout(const std::string& dir, const std::string& marker);
  void chown_fd(int fd, std::uint32_t uid, std::uint32_t gid, const std::string& path) const;
  void set_xattrs(int fd, const Entry& entry) const;

  int root_fd_;
  Privileged privileged_;
  WhiteoutMode whiteouts_;
  std::unordered_set<std::string> keep_; // written paths and all their ancestors
  std::unordered_map<std::string, DirMeta> deferred_;
  std::uint64_t skipped_devices_ = 0;
};

} // namespace strata::store::tar_apply_detail
