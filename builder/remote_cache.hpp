#pragma once
// The build cache between machines (`--cache-to`, `--cache-from`): the records (build_cache.hpp)
// of the steps a build used, exported as one OCI artifact, and imported records that serve
// lookups this store cannot.
//
// THE ARTIFACT (store/registry_artifact.hpp): an OCI image manifest whose config blob, of media
// type `application/vnd.strata.buildcache.config.v1+json`, is
//   {"schemaVersion": 1,
//    "records": [{"key": "sha256:<step cache key>",
//                 "config": <the image config after the step>,
//                 "layers": [{"mediaType", "digest", "size", "diff_id"}, ...]}, ...]}  bottom first
// and whose `layers` are every layer blob the records name, once each. Chain IDs are not in it:
// the importer computes them from the diff IDs. `mode=min` exports the final stage's steps,
// `mode=max` every stage's (BuildKit's meaning). The keys are machine-independent (cache_key.hpp:
// content digests, instruction text, the base image's ID), so another store finds them.
//
// Import: the manifest and config are read at the start of the build and validated strictly
// (digests parsed, sizes and counts bounded, every record's layers named by the manifest, its
// config's `rootfs.diff_ids` equal to its layers'); anything wrong — or a missing reference or
// directory — is a warning and that source is ignored (BuildKit ignores a missing cache ref
// too). A lookup that misses locally but matches an imported key downloads only the layers it
// needs (verified), unpacks them into snapshots (which check the diff IDs), writes the local
// record and serves the step as CACHED; a failure there is a warning and a miss.
//
// Thread-safety: `ImportedCache::materialize` may run on several stages' threads at once (blobs
// and snapshots tolerate concurrent identical writers).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/build.hpp"
#include "builder/build_state.hpp"
#include "store/image_store.hpp"
#include "store/registry_artifact.hpp"

namespace strata::builder {

class ImportedCache {
public:
  struct Layer {
    store::Descriptor blob;
    store::Digest diff_id;
  };
  struct Record {
    nlohmann::json config;
    std::vector<Layer> layers;
    store::ArtifactReader* source = nullptr; // owned by `sources_`
  };

  // Reads every `--cache-from` source (a vertex each; failures are warnings).
  [[nodiscard]] static ImportedCache load(const std::vector<CacheSpec>& specs, Progress& progress);

  [[nodiscard]] bool is_empty() const noexcept { return records_.empty(); }
  // The state an imported record gives for `key`, its layers now blobs and snapshots of `images`;
  // nullopt if no source has it (or it could not be fetched: a warning).
  [[nodiscard]] std::optional<ImageState> materialize(const store::Digest& key,
                                                      store::ImageStore& images) const;

private:
  std::vector<std::unique_ptr<store::ArtifactReader>> sources_;
  std::map<store::Digest, Record> records_;
};

class BuildCache;

// Exports the local records of `all_keys` (mode=max) or `final_keys` (the final stage's steps,
// mode=min) to every `--cache-to` destination, a vertex each. Failures throw (the build asked
// for the export); the caller holds the store's content lock.
void export_caches(const std::vector<CacheSpec>& specs, store::ImageStore& images,
                   const BuildCache& cache, const std::vector<store::Digest>& all_keys,
                   const std::vector<store::Digest>& final_keys, Progress& progress);

} // namespace strata::builder
