#pragma once
// `LayerPipeline`: a step's layer is compressed while the next step already runs (internal).
//
// `commit_upper` measures the upper dir's tar (diff ID: one SHA-256 pass, no compression), adopts
// it as a snapshot under its chain ID at once — the next step mounts it as a lower dir — and
// hands the snapshot to `start`, which writes the gzip blob on a thread of its own. The blob's
// descriptor is known only when that finishes: `descriptor` waits for it (and rethrows its
// failure), and cache records and the final image are written only from resolved descriptors.
// A blob whose tar does not hash to the measured diff ID is `Error{corrupt}` (the snapshot is
// immutable once adopted, so it never should).
//
// Ownership: the pipeline owns its threads; the destructor waits for them (a failed build still
// leaves no half-written blob: `BlobWriter` removes its ingest). Thread-safety: any thread.

#include <future>
#include <map>
#include <mutex>
#include <string>

#include "store/blob_store.hpp"
#include "store/digest.hpp"
#include "store/image.hpp"
#include "store/layer_writer.hpp"

namespace strata::builder {

class LayerPipeline {
public:
  LayerPipeline(store::BlobStore& blobs, store::LayerWriteOptions options)
      : blobs_(&blobs), options_(options) {}
  LayerPipeline(const LayerPipeline&) = delete;
  LayerPipeline& operator=(const LayerPipeline&) = delete;
  ~LayerPipeline();

  [[nodiscard]] const store::LayerWriteOptions& options() const noexcept { return options_; }
  // Starts writing the blob of the snapshot tree `fs_path` (chain `chain`, diff ID `diff_id`).
  void start(const store::Digest& chain, const store::Digest& diff_id, const std::string& fs_path);
  // The blob's descriptor, once written; `nullopt` if `chain` was never started here.
  [[nodiscard]] std::optional<store::Descriptor> descriptor(const store::Digest& chain);

private:
  store::BlobStore* blobs_;
  store::LayerWriteOptions options_;
  std::mutex mutex_;
  std::map<store::Digest, std::shared_future<store::Descriptor>> jobs_;
};

} // namespace strata::builder
