// `pull_image` (registry_client.hpp): the manifest (an index's child for the chosen platform),
// then the config and the layers streamed into verified blob ingests (several at once), then the
// snapshots, then the index entry — all under the store's content lock, rolled back on failure.

#include <algorithm>
#include <future>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/scope_exit.hpp"
#include "store/blob_sources.hpp"
#include "store/media_types.hpp"
#include "store/parallel_each.hpp"
#include "store/registry_client.hpp"
#include "store/registry_http.hpp"
#include "store/sha256.hpp"

namespace strata::store {
namespace {

using namespace registry_detail;

const std::string k_accept =
    fmt::format("Accept: {}, {}, {}, {}", media_type::oci_manifest, media_type::oci_index,
                media_type::docker_manifest, media_type::docker_manifest_list);

// What this pull added to the store, removed again unless `commit` ran (as archive_load.cpp's
// LoadRollback): blobs it published (not those already present) and snapshots it created.
class PullRollback {
public:
  explicit PullRollback(ImageStore& store) : store_(store), lock_(store.content_lock()) {}
  PullRollback(const PullRollback&) = delete;
  PullRollback& operator=(const PullRollback&) = delete;
  ~PullRollback() {
    if (committed_) {
      return;
    }
    lock_.reset(); // the removal runs under the exclusive gc lock
    try {
      store_.remove_unreferenced(blobs_, snapshots_);
    } catch (const std::exception& e) {
      log::warn("pull: could not roll back: {} (`strata system prune` removes the rest)", e.what());
    }
  }
  void published(const PutResult& result) {
    const std::lock_guard guard(mutex_);
    if (!result.already_present) {
      blobs_.push_back(result.digest);
    }
  }
  void will_create(const Digest& chain) { snapshots_.push_back(chain); }
  void commit() noexcept { committed_ = true; }

private:
  ImageStore& store_;
  std::optional<FileLock> lock_;
  std::mutex mutex_;
  std::vector<Digest> blobs_;
  std::vector<Digest> snapshots_;
  bool committed_ = false;
};

using Fetched = FetchedManifest;

std::string content_type(const Response& response) {
  std::string type = response.header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.pop_back();
  }
  return type;
}

bool known_document_type(std::string_view type) {
  return media_type::is_manifest(type) || media_type::is_index(type);
}

} // namespace

namespace registry_detail {

Fetched fetch_manifest(Session& session, const std::string& tag_or_digest,
                       const std::optional<Digest>& expected, const std::string& what) {
  Request request;
  request.url = session.endpoint().repository_url + "/manifests/" + tag_or_digest;
  request.headers = {k_accept};
  const Response response = session.send("pull " + what, request);
  if (response.status == 404) {
    throw Error(ErrorKind::not_found,
                fmt::format("manifest for {} not found: {}", what, error_text(response)));
  }
  if (!response.ok()) {
    fail("pull " + what, response);
  }
  Fetched out{response.body, sha256_of(response.body), ""};
  if (expected && out.digest != *expected) {
    throw Error(ErrorKind::corrupt,
                fmt::format("pull {}: the manifest's digest is {}, not the requested {}", what,
                            out.digest.str(), expected->str()));
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(out.bytes);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::corrupt, fmt::format("pull {}: the manifest is not JSON", what));
  }
  if (!doc.is_object()) {
    throw Error(ErrorKind::corrupt, fmt::format("pull {}: the manifest is not an object", what));
  }
  const std::string header_type = content_type(response);
  if (const auto it = doc.find("mediaType"); it != doc.end() && it->is_string()) {
    out.media_type = it->get<std::string>();
    if (known_document_type(header_type) && header_type != out.media_type) {
      throw Error(ErrorKind::corrupt,
                  fmt::format("pull {}: the manifest's mediaType {} disagrees with its "
                              "Content-Type {}",
                              what, out.media_type.substr(0, 100), header_type));
    }
  } else if (known_document_type(header_type)) {
    out.media_type = header_type;
  } else {
    out.media_type =
        std::string(doc.contains("manifests") ? media_type::oci_index : media_type::oci_manifest);
  }
  if (!known_document_type(out.media_type)) {
    throw Error(ErrorKind::unsupported,
                fmt::format("pull {}: unsupported manifest media type \"{}\" (Docker's schema 1 "
                            "manifests are not supported)",
                            what, out.media_type.substr(0, 100)));
  }
  return out;
}

} // namespace registry_detail

namespace {

bool platform_matches(const Descriptor& d, const Platform& want) {
  if (!d.platform || !media_type::is_manifest(d.media_type)) {
    return false;
  }
  return d.platform->os == want.os && d.platform->architecture == want.architecture &&
         (want.variant.empty() || d.platform->variant == want.variant);
}

} // namespace

namespace registry_detail {

// A transport failure restarts the download from scratch.
PutResult download_blob(ImageStore& store, Session& session, const Descriptor& blob,
                        const std::string& what) {
  std::optional<BlobWriter> writer;
  Request request;
  request.url = session.endpoint().repository_url + "/blobs/" + blob.digest.str();
  request.on_try = [&] { writer.emplace(store.blobs().writer()); };
  request.sink = [&](std::string_view bytes) {
    if (writer->size() + bytes.size() > blob.size) {
      throw Error(ErrorKind::corrupt,
                  fmt::format("pull {}: blob {} is larger than the {} bytes its descriptor says",
                              what, blob.digest.str(), blob.size));
    }
    writer->write(bytes);
    if (session.options().transfer_progress) {
      session.options().transfer_progress(blob.digest, writer->size(), blob.size);
    }
  };
  const Response response = session.send("pull " + what, request);
  if (!response.ok()) {
    fail(fmt::format("pull {}: blob {}", what, blob.digest.str()), response);
  }
  try {
    return writer->publish(blob.digest, blob.size);
  } catch (Error& e) {
    e.add_context(fmt::format("pull {}: blob {}", what, blob.digest.str()));
    throw;
  }
}

} // namespace registry_detail

namespace {

class Progress {
public:
  explicit Progress(const RegistryOptions& options) : options_(options) {}
  void say(const std::string& line) {
    if (options_.progress) {
      const std::lock_guard guard(mutex_);
      options_.progress(line);
    }
  }

private:
  const RegistryOptions& options_;
  std::mutex mutex_;
};

// Unpacks downloaded layers beside the downloads — a download thread never waits for an unpack —
// at most one per core at once. The destructor waits for every unpack started.
class Unpacker {
public:
  Unpacker(ImageStore& store, const ImageDetail& detail, Progress& progress)
      : store_(store), detail_(detail), progress_(progress),
        slots_(std::clamp<std::ptrdiff_t>(std::thread::hardware_concurrency(), 1, 64)) {}
  Unpacker(const Unpacker&) = delete;
  Unpacker& operator=(const Unpacker&) = delete;
  ~Unpacker() = default; // std::async's futures join in their destructors

  void start(const Descriptor& blob) {
    const std::lock_guard guard(mutex_);
    running_.push_back(std::async(std::launch::async, [this, blob] {
      slots_.acquire();
      const ScopeExit release([this] { slots_.release(); });
      const auto& layers = detail_.manifest.layers;
      for (std::size_t layer = 0; layer < layers.size(); ++layer) {
        if (layers[layer].digest == blob.digest) {
          store_.unpack_layer(detail_, layer);
        }
      }
      progress_.say(fmt::format("{}: Pull complete", blob.digest.short_id()));
    }));
  }
  // Waits for every unpack; rethrows the first failure.
  void finish() {
    for (auto& unpack : running_) {
      unpack.get();
    }
  }

private:
  ImageStore& store_;
  const ImageDetail& detail_;
  Progress& progress_;
  std::counting_semaphore<64> slots_;
  std::mutex mutex_;
  std::vector<std::future<void>> running_;
};

// Downloads the layers not stored yet, `parallel` at a time; the first failure stops the rest.
// Each layer is unpacked into its snapshot as soon as it is downloaded, while the others still
// download. Returns the layers downloaded.
std::vector<Descriptor> download_layers(ImageStore& store, Session& session,
                                        const ImageDetail& detail, const RegistryOptions& options,
                                        const std::string& what, PullRollback& rollback,
                                        Progress& progress) {
  const Manifest& manifest = detail.manifest;
  std::vector<Descriptor> missing;
  for (const auto& layer : manifest.layers) {
    const bool seen = std::any_of(missing.begin(), missing.end(),
                                  [&](const Descriptor& d) { return d.digest == layer.digest; });
    if (seen) {
      continue;
    }
    if (store.blobs().size_of(layer.digest) == layer.size) {
      progress.say(fmt::format("{}: Already exists", layer.digest.short_id()));
    } else {
      progress.say(fmt::format("{}: Pulling fs layer", layer.digest.short_id()));
      missing.push_back(layer);
    }
  }
  Unpacker unpacker(store, detail, progress);
  parallel_each(missing.size(), options.parallel_downloads, [&](std::size_t i) {
    rollback.published(download_blob(store, session, missing[i], what));
    progress.say(fmt::format("{}: Download complete", missing[i].digest.short_id()));
    unpacker.start(missing[i]);
  });
  unpacker.finish();
  return missing;
}

// The image config's bytes: downloaded unless stored, capped like a manifest.
std::string fetch_config(ImageStore& store, Session& session, const Manifest& manifest,
                         const std::string& what, PullRollback& rollback) {
  if (manifest.config.size > k_max_document) {
    throw Error(ErrorKind::corrupt, fmt::format("pull {}: the image config is larger than {} bytes",
                                                what, k_max_document));
  }
  if (store.blobs().size_of(manifest.config.digest) != manifest.config.size) {
    rollback.published(download_blob(store, session, manifest.config, what));
  }
  return store.blobs().read_blob(manifest.config.digest);
}

std::string tag_or_digest(const Reference& ref) {
  return ref.digest() ? ref.digest()->str() : *ref.tag();
}

// The image manifest `ref` names: the document itself, or the entry of an index (a manifest
// list) for the platform `want`, fetched by its digest. Returns both documents.
std::pair<Fetched, Fetched> fetch_image_manifest(Session& session, const Reference& ref,
                                                 const Platform& want, const std::string& what) {
  const Fetched top = fetch_manifest(session, tag_or_digest(ref), ref.digest(), what);
  Fetched image = top;
  if (media_type::is_index(top.media_type)) {
    const Index index = Index::parse(top.bytes, what);
    const auto it = std::find_if(index.manifests.begin(), index.manifests.end(),
                                 [&](const Descriptor& d) { return platform_matches(d, want); });
    if (it == index.manifests.end()) {
      throw Error(ErrorKind::unsupported,
                  fmt::format("pull {}: no matching manifest for {}/{}{}{} in the manifest list "
                              "entries",
                              what, want.os, want.architecture, want.variant.empty() ? "" : "/",
                              want.variant));
    }
    image = fetch_manifest(session, it->digest.str(), it->digest, what);
    if (image.media_type != it->media_type || image.bytes.size() != it->size) {
      throw Error(ErrorKind::corrupt,
                  fmt::format("pull {}: manifest {} does not match its descriptor in the index",
                              what, it->digest.str()));
    }
  }
  if (!media_type::is_manifest(image.media_type)) {
    throw Error(ErrorKind::corrupt, fmt::format("pull {}: an index names another index", what));
  }
  return {top, image};
}

} // namespace

PullResult pull_image(ImageStore& store, const Reference& input, const RegistryOptions& options) {
  const Reference ref = input.with_default_tag();
  const std::string what = ref.str();
  Session session(ref, Access::pull, options);
  Progress progress(options);
  progress.say(fmt::format("{}: Pulling from {}", tag_or_digest(ref), ref.path()));

  const auto [top, image] = fetch_image_manifest(session, ref, options.platform, what);
  const Manifest manifest = Manifest::parse(image.bytes, what);
  if (manifest.media_type != image.media_type) {
    throw Error(ErrorKind::corrupt, fmt::format("pull {}: the manifest's media type {} is not {}",
                                                what, manifest.media_type, image.media_type));
  }

  PullRollback rollback(store);
  const std::string config_bytes = fetch_config(store, session, manifest, what, rollback);
  const ImageConfig config = ImageConfig::parse(config_bytes, manifest.config.digest.str());
  check_image(manifest, config, what);

  for (const auto& chain : chain_ids(config.diff_ids)) {
    if (!store.snapshots().get(chain)) {
      rollback.will_create(chain);
    }
  }
  const Descriptor descriptor{image.media_type, image.digest, image.bytes.size(), {}, std::nullopt};
  const ImageDetail detail{{descriptor, manifest.config.digest, {}}, manifest, config, config_bytes};
  std::ignore = download_layers(store, session, detail, options, what, rollback, progress);
  rollback.published(store.blobs().put_bytes(image.bytes, image.digest));
  std::ignore = store.unpack(detail); // the layers that were stored already

  PullResult result{top.digest, image.digest, manifest.config.digest, true};
  std::vector<Reference> tags;
  if (!ref.digest()) {
    const auto existing = store.try_resolve(ref.str());
    result.updated = !existing || existing->manifest.digest != image.digest;
    tags.push_back(ref);
  } else {
    const auto existing = store.try_resolve(image.digest.str());
    result.updated = !existing;
  }
  // Everything is stored and valid: keep it even if registering fails half-way (gc collects it).
  rollback.commit();
  for (const auto& layer : manifest.layers) {
    remember_blob_source(store.root(), layer.digest, ref.name());
  }
  std::ignore = store.add(descriptor, tags);
  return result;
}

} // namespace strata::store
