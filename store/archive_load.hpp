#pragma once
// `load_archive`: images into the store from a tar archive, as `docker load` takes them.
//
// Accepted: Docker 25's combined archive (what `save_archive` writes), the legacy `docker save`
// format (`<id>/layer.tar`, `<id>/json`, `<hex>.json` configs, `manifest.json`, `repositories`;
// duplicate layers as symlinks), skopeo's `docker-archive:` (`<hex>.tar` layers), plain OCI
// archives (`index.json` only; tags from `io.containerd.image.name`, or from
// `org.opencontainers.image.ref.name` when that holds a whole reference; an entry naming an index
// picks its linux/amd64 manifest), each optionally gzip- or zstd-compressed as a whole.
//
// Steps, all-or-nothing:
//   1. read the archive once, streaming (`manifest.json` may come last): layer-sized files go
//      straight into `BlobWriter` ingests, hashed (digest, and diff ID through an in-process
//      gzip/zstd decoder) while written, finished but not published; small JSON documents go to
//      memory (4 MiB each, 64 MiB in all); symlinks are aliases resolved lexically inside the
//      archive; directories are ignored; anything else, `..` or absolute names, more than 10,000
//      entries or absurd sizes are rejected. No file is ever created from an archive name.
//   2. validate everything: blobs hash to their names, documents parse, every referenced blob is
//      present with its declared size, every config's diff IDs equal its layers' decompressed
//      sha256. Legacy images get an OCI manifest built over their files (config bytes kept
//      exactly, so the image ID is unchanged; plain layers typed `...layer.v1.tar`).
//   3. publish the blobs, unpack every image into snapshots (the secure applier: a hostile layer
//      fails here), and only then register the tags in `index.json`.
// If anything fails, the blobs and snapshots this load created are removed again, so the store is
// as it was; the content lock is held (shared) throughout so gc cannot interfere.
//
// Failure: `Error{corrupt}` naming the entry or digest at fault for bad archives; `Error{io}` for
// I/O failures. Thread-safety: as the store's (cross-process safe).

#include <vector>

#include "store/image_store.hpp"
#include "store/reference.hpp"

namespace strata::store {

struct LoadedImage {
  Digest id;                   // config digest
  Digest manifest;             // manifest digest
  std::vector<Reference> tags; // empty: loaded untagged (docker prints "Loaded image ID")
};

// Loads every image of the archive read from `fd` (to its end). Returns them in archive order.
[[nodiscard]] std::vector<LoadedImage> load_archive(ImageStore& store, int fd);

} // namespace strata::store
