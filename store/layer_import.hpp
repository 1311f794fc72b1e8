#pragma once
// `import_layer`: one layer tar stream (plain, gzip or zstd; from a file, a pipe or stdin) becomes a
// stored blob and an unpacked snapshot in a single pass — the path of `strata import` and of
// `load` for layers it must unpack.
//
//   input fd ──pump thread──┬──▶ BlobWriter (the blob, as given: its digest)
//                           └──▶ pipe ──▶ apply_layer (overlay whiteouts) ──▶ snapshot staging
//
// The blob is published only after the whole stream applied cleanly, so a hostile or broken
// archive leaves the store as it was (the staging directory and ingest are discarded). Callers
// hold `ImageStore::content_lock()` until the layer is referenced by an image.

#include <optional>

#include "store/image.hpp"
#include "store/image_store.hpp"
#include "store/snapshot_store.hpp"

namespace strata::store {

struct ImportedLayer {
  Descriptor blob;       // media type from the stream's magic bytes
  SnapshotInfo snapshot; // its diff ID and chain ID
};

// Reads `input_fd` to its end. Throws `Error{corrupt}` for a bad archive, `Error{usage}` for a
// compression strata does not store (bzip2, xz), `Error{io}` for I/O failures.
[[nodiscard]] ImportedLayer import_layer(ImageStore& store, int input_fd,
                                         const std::optional<Digest>& parent_chain);

} // namespace strata::store
