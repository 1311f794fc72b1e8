// Artifacts (registry_artifact.hpp): pushed with the registry client's pieces, written into and
// read from OCI image layouts through `BlobStore`.

#include "store/registry_artifact.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "store/atomic_file.hpp"
#include "store/media_types.hpp"
#include "store/registry_http.hpp"
#include "store/sha256.hpp"

namespace strata::store {
namespace {

using nlohmann::json;
using namespace registry_detail;

constexpr std::size_t k_max_layers = 100000;
constexpr std::uint64_t k_max_blob = 1ULL << 40;

[[noreturn]] void malformed(std::string_view what, std::string_view why) {
  throw Error(ErrorKind::corrupt, fmt::format("{}: malformed artifact manifest: {}", what, why));
}

Descriptor descriptor_of(const json& d, std::string_view what) {
  if (!d.is_object()) {
    malformed(what, "a descriptor is not an object");
  }
  const auto type = d.find("mediaType");
  const auto digest = d.find("digest");
  const auto size = d.find("size");
  if (type == d.end() || !type->is_string() || digest == d.end() || !digest->is_string() ||
      size == d.end() || !size->is_number_unsigned() || size->get<std::uint64_t>() > k_max_blob) {
    malformed(what, "a descriptor lacks mediaType, digest or a valid size");
  }
  return Descriptor{type->get<std::string>().substr(0, 256),
                    Digest::parse(digest->get<std::string>()), size->get<std::uint64_t>(), {},
                    std::nullopt};
}

// The manifest's config and layers; anything but an OCI image manifest is refused.
Manifest parse_manifest(std::string_view bytes, std::string_view what) {
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::exception&) {
    malformed(what, "not JSON");
  }
  if (!doc.is_object() || doc.value("schemaVersion", 0) != 2) {
    malformed(what, "not a schemaVersion 2 object");
  }
  if (doc.value("mediaType", std::string(media_type::oci_manifest)) != media_type::oci_manifest) {
    malformed(what, "not an OCI image manifest");
  }
  const auto config = doc.find("config");
  const auto layers = doc.find("layers");
  if (config == doc.end() || layers == doc.end() || !layers->is_array() ||
      layers->size() > k_max_layers) {
    malformed(what, "no config, or no layers array");
  }
  Manifest m{std::string(media_type::oci_manifest), descriptor_of(*config, what), {}, {}};
  for (const json& layer : *layers) {
    m.layers.push_back(descriptor_of(layer, what));
  }
  return m;
}

void check_config(const Descriptor& config, std::string_view type, std::size_t max,
                  std::string_view what) {
  if (config.media_type != type) {
    throw Error(ErrorKind::corrupt, fmt::format("{}: the config's media type is \"{}\", not {}",
                                                what, config.media_type, type));
  }
  if (config.size > max) {
    throw Error(ErrorKind::corrupt,
                fmt::format("{}: the config is larger than {} bytes", what, max));
  }
}

Artifact artifact_of(const Manifest& m, std::string config) {
  return Artifact{m.config.media_type, std::move(config), m.layers};
}

// The manifest and its config descriptor, the config stored (push_blob reads from the store).
std::pair<std::string, Descriptor> manifest_of(BlobStore& blobs, const Artifact& artifact) {
  const PutResult config = blobs.put_bytes(artifact.config);
  const Descriptor descriptor{artifact.config_media_type, config.digest, config.size, {},
                              std::nullopt};
  const Manifest m{std::string(media_type::oci_manifest), descriptor, artifact.layers, {}};
  return {m.serialize(), descriptor};
}

// Copies the blob `fd` holds into `to`, verified.
void copy_fd(BlobStore& to, int fd, const Descriptor& blob) {
  std::ignore = to.put(
      [fd](std::span<char> buffer) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
          throw_errno("read blob");
        }
        return static_cast<std::size_t>(n);
      },
      blob.digest, blob.size);
}

class RegistryReader final : public ArtifactReader {
public:
  RegistryReader(const Reference& ref, const RegistryOptions& options)
      : options_(options), ref_(ref.with_default_tag()), what_(ref_.str()),
        session_(ref_, Access::pull, options_) {}

  Artifact read(std::string_view config_media_type, std::size_t max_config) override {
    const std::string tag_or_digest = ref_.digest() ? ref_.digest()->str() : *ref_.tag();
    const FetchedManifest fetched = fetch_manifest(session_, tag_or_digest, ref_.digest(), what_);
    const Manifest m = parse_manifest(fetched.bytes, what_);
    check_config(m.config, config_media_type, max_config, what_);
    Request request;
    request.url = session_.endpoint().repository_url + "/blobs/" + m.config.digest.str();
    request.max_body = max_config;
    const Response response = session_.send("pull " + what_, request);
    if (!response.ok()) {
      fail(fmt::format("pull {}: config {}", what_, m.config.digest.str()), response);
    }
    if (response.body.size() != m.config.size || sha256_of(response.body) != m.config.digest) {
      throw Error(ErrorKind::corrupt, fmt::format("pull {}: the config does not match its digest",
                                                  what_));
    }
    return artifact_of(m, response.body);
  }

  void copy_blob(ImageStore& store, const Descriptor& blob) override {
    std::ignore = download_blob(store, session_, blob, what_);
  }

private:
  RegistryOptions options_; // before `session_`, which borrows it
  Reference ref_;
  std::string what_;
  Session session_;
};

class LayoutReader final : public ArtifactReader {
public:
  LayoutReader(std::string dir, std::string tag) : dir_(std::move(dir)), tag_(std::move(tag)) {}

  Artifact read(std::string_view config_media_type, std::size_t max_config) override {
    if (::access((dir_ + "/oci-layout").c_str(), F_OK) != 0) {
      throw Error(ErrorKind::not_found, fmt::format("{}: no OCI image layout there", dir_));
    }
    blobs_.emplace(BlobStore::open(dir_));
    const Index index = Index::parse(read_file(dir_ + "/index.json", k_max_document), dir_);
    const Descriptor entry = pick(index);
    const std::string bytes = blobs_->read_blob(entry.digest, k_max_document);
    if (bytes.size() != entry.size) {
      throw Error(ErrorKind::corrupt, fmt::format("{}: manifest size mismatch", dir_));
    }
    const Manifest m = parse_manifest(bytes, dir_);
    check_config(m.config, config_media_type, max_config, dir_);
    std::string config = blobs_->read_blob(m.config.digest, max_config);
    if (config.size() != m.config.size) {
      throw Error(ErrorKind::corrupt, fmt::format("{}: config size mismatch", dir_));
    }
    return artifact_of(m, std::move(config));
  }

  void copy_blob(ImageStore& store, const Descriptor& blob) override {
    STRATA_CHECK(blobs_.has_value());
    const UniqueFd fd = blobs_->open_blob(blob.digest);
    copy_fd(store.blobs(), fd.get(), blob);
  }

private:
  Descriptor pick(const Index& index) const {
    for (const Descriptor& d : index.manifests) {
      const auto name = d.annotations.find(annotation::ref_name);
      if (tag_.empty() ? index.manifests.size() == 1
                       : name != d.annotations.end() && name->second == tag_) {
        return d;
      }
    }
    throw Error(ErrorKind::not_found,
                fmt::format("{}: no manifest named \"{}\" in index.json", dir_, tag_));
  }

  std::string dir_;
  std::string tag_;
  std::optional<BlobStore> blobs_;
};

} // namespace

Digest push_artifact(ImageStore& store, const Artifact& artifact, const Reference& target,
                     const RegistryOptions& options) {
  STRATA_CHECK(target.tag().has_value());
  const std::string what = target.str();
  Session session(target, Access::push, options);
  const auto [manifest, config] = manifest_of(store.blobs(), artifact);
  for (const Descriptor& layer : artifact.layers) {
    std::ignore = push_blob(store, session, layer, what);
  }
  std::ignore = push_blob(store, session, config, what);
  const Digest digest = sha256_of(manifest);
  put_manifest(session, *target.tag(), std::string(media_type::oci_manifest), manifest, digest,
               what);
  return digest;
}

Digest write_artifact_layout(const ImageStore& store, const Artifact& artifact,
                             const std::string& dir, const std::string& tag) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("create", dir);
  }
  BlobStore out = BlobStore::open(dir);
  for (const Descriptor& layer : artifact.layers) {
    const UniqueFd fd = store.blobs().open_blob(layer.digest);
    copy_fd(out, fd.get(), layer);
  }
  const auto [manifest, config] = manifest_of(out, artifact);
  const PutResult stored = out.put_bytes(manifest);
  Index index = Index::parse(read_file(dir + "/index.json", k_max_document), dir);
  std::erase_if(index.manifests, [&](const Descriptor& d) {
    const auto name = d.annotations.find(annotation::ref_name);
    return name != d.annotations.end() && name->second == tag;
  });
  index.manifests.push_back(Descriptor{std::string(media_type::oci_manifest),
                                       stored.digest,
                                       stored.size,
                                       {{annotation::ref_name, tag}},
                                       std::nullopt});
  write_file_atomically(dir + "/index.json", index.serialize(), 0644);
  return stored.digest;
}

std::unique_ptr<ArtifactReader> registry_artifact(const Reference& ref,
                                                  const RegistryOptions& options) {
  return std::make_unique<RegistryReader>(ref, options);
}

std::unique_ptr<ArtifactReader> layout_artifact(const std::string& dir, const std::string& tag) {
  return std::make_unique<LayoutReader>(dir, tag);
}

} // namespace strata::store
