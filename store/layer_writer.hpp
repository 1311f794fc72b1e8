#pragma once
// `write_layer`: turns a directory tree (a container's overlayfs upper dir, or any tree) into one
// compressed layer blob in the `BlobStore` — the "commit" step of DESIGN.md's data flow. It is the
// inverse of `apply_layer` (store/tar_apply.hpp).
//
// Vocabulary (DESIGN.md): the *digest* is the sha256 of the compressed blob (its name in the
// store); the *diff ID* is the sha256 of the uncompressed tar.
//
// One pass, bounded memory (independent of the layer's size):
//   walk the tree with fds → libarchive tar writer (PAX) → sha256 (diff ID) → compressor
//   (store/compress.hpp) → `BlobWriter` (sha256 = digest, ingest file) → publish.
//
// The tar, written the way Docker/containerd write layers, so identical trees give identical
// bytes:
// - Entries are depth-first, each directory's entries sorted by name (bytewise), a directory
//   before its children. The root itself is not an entry. Names are relative, with no `./`
//   prefix; directories end in `/`.
// - PAX format (`pax_restricted`: a ustar header, plus a PAX header only when needed: long names,
//   xattrs, big ids or sizes). Numeric uid/gid only (no user or group names). mtime in whole
//   seconds; no atime/ctime. With `source_date_epoch`, mtimes later than it are clamped to it.
// - Regular files, directories, symlinks (target verbatim), fifos, char and block devices.
//   Sockets are skipped (they cannot be carried in a tar). A non-directory with nlink > 1 whose
//   inode already appeared in this layer is written as a hardlink entry to that first path.
// - Extended attributes of regular files and directories as `SCHILY.xattr.<name>` (this includes
//   `security.capability`). `trusted.overlay.*` and `user.overlay.*` are never written.
//   Symlinks, devices and fifos carry no xattrs (they cannot be read without opening the node).
//
// `LayerSource::overlay_upper` additionally converts overlayfs's on-disk whiteouts into the OCI
// ones (as Docker's overlay2 driver does):
// - a char device 0/0 `NAME` → an empty regular file `.wh.NAME` (mode 0600, the device's
//   owner and mtime) at NAME's place in the order; never a hardlink (overlayfs may share one
//   whiteout inode between many names);
// - a directory with xattr `trusted.overlay.opaque` (or `user.overlay.opaque`) = "y" → its entry,
//   immediately followed by an empty regular file `DIR/.wh..wh..opq` (the directory's mode bits
//   and owner, mtime 0).
// - An upper dir written with overlayfs's `metacopy` or `redirect_dir` features holds files whose
//   data or contents live in the lower layers (`trusted.overlay.metacopy`/`.redirect`); tarring it
//   would silently lose data, so it throws `Error{unsupported}`. The runtime mounts without them.
//
// SECURITY: the tree may have been written by a container. It is walked with `openat(O_NOFOLLOW)`
// and `fstatat(AT_SYMLINK_NOFOLLOW)` relative to directory fds, never by path string, so no
// symlink is ever followed; symlinks are recorded, not read through. Files are opened
// `O_NONBLOCK` and checked to still be regular files, so a fifo swapped in cannot block us.
//
// Failure: I/O errors throw `Error{io}` naming the path below the tree (a full disk is the ENOSPC
// error of the ingest file); a file that shrinks while being read throws `Error{io}`. Nothing is
// published on failure (the `BlobWriter` discards its ingest). Deep trees hold one fd per level.
// Thread-safety: concurrent calls are fine (separate ingests); `source_dir_fd` is borrowed and
// must not be modified during the call. The gzip compressor uses TBB worker threads.

#include <cstdint>
#include <optional>
#include <string>

#include "store/blob_store.hpp"
#include "store/compress.hpp"
#include "store/digest.hpp"

namespace strata::store {

enum class LayerSource { tree, overlay_upper };

struct LayerWriteOptions {
  Compression compression = Compression::gzip;
  std::optional<int> level;                      // `--compression-level`; nullopt: fast default
  std::optional<std::int64_t> source_date_epoch; // clamp mtimes to this (reproducible builds)
  LayerSource source = LayerSource::tree;
};

struct LayerBlob {
  Digest digest;                  // sha256 of the compressed blob (its name in the store)
  Digest diff_id;                 // sha256 of the uncompressed tar
  std::uint64_t size = 0;         // compressed size
  std::uint64_t tar_size = 0;     // uncompressed size
  std::uint64_t content_size = 0; // sum of regular file sizes (hardlinks once): docker's SIZE
  std::string media_type;         // `layer_media_type(options.compression)`
  bool already_present = false;   // the store already had this blob
};

// What a layer's tar would be, without compressing or storing it: the diff ID and sizes (one
// walk and one SHA-256 pass; the builder names a snapshot by it before the blob is written).
struct LayerMeasure {
  Digest diff_id;
  std::uint64_t tar_size = 0;
  std::uint64_t content_size = 0;
};
[[nodiscard]] LayerMeasure measure_layer(int source_dir_fd, const LayerWriteOptions& options);

// Tars the tree under `source_dir_fd` (borrowed) and stores it as one blob.
[[nodiscard]] LayerBlob write_layer(BlobStore& store, int source_dir_fd,
                                    const LayerWriteOptions& options);

} // namespace strata::store
