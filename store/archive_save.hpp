#pragma once
// `save_archive`: images out of the store as one tar stream, in the combined format Docker 25+
// writes for `docker save`, which `docker load`, `podman load`, skopeo's `docker-archive:` and
// `oci-archive:` transports and `strata load` all read:
//
//   blobs/sha256/<hex>   every manifest, config and layer of the saved images, once each, with
//                        exactly the stored bytes (layers stay as stored: plain, gzip or zstd), so
//                        image IDs and manifest digests survive a round trip
//   index.json           OCI index: one manifest descriptor per saved tag, annotated with
//                        `io.containerd.image.name` (the full reference) and
//                        `org.opencontainers.image.ref.name` (the tag alone, as Docker writes
//                        it); an image saved without a tag gets one descriptor without annotations
//   manifest.json        Docker's list: [{"Config":"blobs/sha256/<hex>","RepoTags":[...],
//                        "Layers":["blobs/sha256/<hex>",...]}], one item per image
//   oci-layout           {"imageLayoutVersion":"1.0.0"}
//   repositories         the legacy {"<familiar name>":{"<tag>":"<top diff ID hex>"}}, if tagged
//
// Entries come in the order Docker's sorted walk gives (blobs, then the documents), with fixed
// modes and times, so saving the same images twice gives identical bytes.
//
// SECURITY.md §4 "verify digests when reading blobs for save": each blob is hashed while it is
// streamed out and its size checked; a blob that no longer matches its digest aborts the save with
// `Error{corrupt}` naming the digest. What was already written is then garbage the caller discards
// (`strata save -o` writes to a temporary file and renames it only on success).
//
// Memory is bounded (1 MiB buffers) whatever the layer sizes. The store's content lock is held
// shared for the whole save, so garbage collection cannot remove a blob being read.

#include <string>
#include <string_view>
#include <vector>

#include "store/image_store.hpp"
#include "store/reference.hpp"

namespace strata::store {

// One image to save and the tags to record for it (none: saved by ID, loaded back untagged).
struct SaveImage {
  ImageRecord image;
  std::vector<Reference> tags;
};

// Resolves command-line names as `docker save` does: NAME:TAG saves that tag; a bare NAME saves
// every tag of that repository (or, if none exists, is looked up as an ID prefix); an ID or
// NAME@DIGEST saves the image without a tag. The same image named twice is merged (its tags
// united). Throws `Error{not_found}` "No such image: X".
[[nodiscard]] std::vector<SaveImage> resolve_save_names(const ImageStore& store,
                                                        const std::vector<std::string>& names);

// Writes the archive to `out_fd` (borrowed; `label` names it in errors). Throws `Error{corrupt}`
// for a blob that fails verification, `Error{io}` for read or write failures.
void save_archive(const ImageStore& store, const std::vector<SaveImage>& images, int out_fd,
                  std::string_view label);

} // namespace strata::store
