#pragma once
// OCI artifacts that are not images (the builder's exported build cache): an OCI image manifest
// whose config blob is a document of the artifact's own media type and whose layers are blobs of
// the store. Written to a registry (`push_artifact`) or to an OCI image layout directory
// (`write_artifact_layout`: oci-layout, index.json, blobs/sha256/ — the layout `BlobStore` owns);
// read back through an `ArtifactReader`.
//
// Defences when reading (the artifact comes from elsewhere): the manifest goes through
// `registry_detail::fetch_manifest` (capped, media type checked) or is read from the layout
// verified against its index entry's digest; its config must have exactly the expected media type
// and at most `max_config` bytes, and hash to its digest; every digest is `Digest::parse`d;
// layers are only ever copied into the store as verified blobs (digest and size).
//
// Failure: `Error` — `not_found` when there is no such artifact (tag, repository or directory),
// `corrupt` for a malformed or mismatching document, `io` for transport failures.
// Thread-safety: `ArtifactReader::copy_blob` may be called from several threads at once.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/image.hpp"
#include "store/image_store.hpp"
#include "store/reference.hpp"
#include "store/registry_client.hpp"

namespace strata::store {

struct Artifact {
  std::string config_media_type;
  std::string config;             // the config document's exact bytes
  std::vector<Descriptor> layers; // blobs (stored, for writing), each once
};

// Pushes the layers (each skipped if the registry has it), the config, then the manifest under
// `target`'s tag. Returns the manifest's digest. `target` must have a tag.
Digest push_artifact(ImageStore& store, const Artifact& artifact, const Reference& target,
                     const RegistryOptions& options = {});

// Writes the artifact into the OCI image layout at `dir` (created if missing; other entries of
// its index.json stay, an entry with the same `org.opencontainers.image.ref.name` is replaced).
// Returns the manifest's digest.
Digest write_artifact_layout(const ImageStore& store, const Artifact& artifact,
                             const std::string& dir, const std::string& tag);

class ArtifactReader {
public:
  ArtifactReader() = default;
  ArtifactReader(const ArtifactReader&) = delete;
  ArtifactReader& operator=(const ArtifactReader&) = delete;
  virtual ~ArtifactReader() = default;

  // The manifest's config (checked as above) and its layers' descriptors.
  [[nodiscard]] virtual Artifact read(std::string_view config_media_type,
                                      std::size_t max_config) = 0;
  // Copies one of the artifact's blobs into `store`, verified against `blob`'s digest and size.
  virtual void copy_blob(ImageStore& store, const Descriptor& blob) = 0;
};

// The artifact `ref` (NAME:TAG or NAME@DIGEST) names in its registry.
[[nodiscard]] std::unique_ptr<ArtifactReader> registry_artifact(const Reference& ref,
                                                                const RegistryOptions& options = {});
// The artifact the layout at `dir` names with `tag` (or its only entry when `tag` is empty).
[[nodiscard]] std::unique_ptr<ArtifactReader> layout_artifact(const std::string& dir,
                                                              const std::string& tag);

} // namespace strata::store
