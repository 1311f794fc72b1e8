// `push_image` (registry_client.hpp): each layer and the config — HEAD, skipped if the registry
// has it; else POST an upload session and PUT the bytes at its Location with `?digest=` (a
// monolithic upload, the stored blob verified as it is sent) — then the manifest's exact stored
// bytes under the tag.

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "common/unique_fd.hpp"
#include "store/registry_client.hpp"
#include "store/registry_http.hpp"

namespace strata::store {
namespace {

using namespace registry_detail;

// HEAD /v2/<path>/blobs/<digest>: whether the registry has the blob.
bool registry_has_blob(Session& session, const Descriptor& blob, const std::string& what) {
  Request request;
  request.method = "HEAD";
  request.url = session.endpoint().repository_url + "/blobs/" + blob.digest.str();
  const Response response = session.send("push " + what, request);
  if (response.status == 404) {
    return false;
  }
  if (!response.ok()) {
    fail(fmt::format("push {}: blob {}", what, blob.digest.str()), response);
  }
  return true;
}

// POST /v2/<path>/blobs/uploads/, then PUT <Location>&digest=<digest> with the stored bytes.
// Returns the last response (the PUT's, or a failed POST's).
Response upload_once(ImageStore& store, Session& session, const Descriptor& blob,
                     const std::string& what) {
  Request post;
  post.method = "POST";
  post.url = session.endpoint().repository_url + "/blobs/uploads/";
  Response started = session.perform(post);
  if (started.status == 201) {
    return started; // the registry completed it already (a mount)
  }
  if (started.status != 202) {
    return started;
  }
  const std::string location = started.header("location");
  if (location.empty()) {
    throw Error(ErrorKind::io, fmt::format("push {}: blob {}: the registry opened an upload "
                                           "session without a Location",
                                           what, blob.digest.str()));
  }
  std::string url = resolve_location(post.url, location);
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "digest=sha256%3A" + blob.digest.hex();

  const UniqueFd fd = store.blobs().open_blob(blob.digest);
  Request put;
  put.method = "PUT";
  put.url = url;
  put.headers = {"Content-Type: application/octet-stream"};
  put.body_fd = fd.get();
  put.body_size = blob.size;
  put.body_digest = blob.digest;
  return session.perform(put);
}

void upload_blob(ImageStore& store, Session& session, const Descriptor& blob,
                 const std::string& what) {
  if (store.blobs().size_of(blob.digest) != blob.size) {
    throw Error(ErrorKind::corrupt, fmt::format("push {}: blob {} is not stored with {} bytes",
                                                what, blob.digest.str(), blob.size));
  }
  const Response response =
      with_retries("push " + what, [&] { return upload_once(store, session, blob, what); });
  if (!response.ok()) {
    fail(fmt::format("push {}: blob {}", what, blob.digest.str()), response);
  }
}

} // namespace

namespace registry_detail {

bool push_blob(ImageStore& store, Session& session, const Descriptor& blob,
               const std::string& what) {
  if (registry_has_blob(session, blob, what)) {
    return false;
  }
  upload_blob(store, session, blob, what);
  return true;
}

void put_manifest(Session& session, const std::string& tag, const std::string& media_type,
                  std::string_view bytes, const Digest& digest, const std::string& what) {
  Request put;
  put.method = "PUT";
  put.url = session.endpoint().repository_url + "/manifests/" + tag;
  put.headers = {"Content-Type: " + media_type};
  put.body = bytes;
  put.body_digest = digest;
  const Response response = session.send("push " + what, put);
  if (!response.ok()) {
    fail(fmt::format("push {}: manifest", what), response);
  }
}

} // namespace registry_detail

PushResult push_image(ImageStore& store, const ImageRecord& image, const Reference& target,
                      const RegistryOptions& options) {
  const Reference ref = target.with_default_tag();
  if (ref.digest() || !ref.tag()) {
    throw Error(ErrorKind::usage, fmt::format("push {}: push to a tag, not a digest", ref.str()));
  }
  const std::string what = ref.str();
  const auto say = [&](const std::string& line) {
    if (options.progress) {
      options.progress(line);
    }
  };
  Session session(ref, Access::push, options);
  const ImageDetail detail = store.load(image);
  say(fmt::format("The push refers to repository [{}]", ref.name()));

  // Top layer first, as docker lists them; each digest once; the config last.
  std::vector<Descriptor> blobs;
  for (auto it = detail.manifest.layers.rbegin(); it != detail.manifest.layers.rend(); ++it) {
    const bool seen = std::any_of(blobs.begin(), blobs.end(),
                                  [&](const Descriptor& d) { return d.digest == it->digest; });
    if (!seen) {
      blobs.push_back(*it);
      say(fmt::format("{}: Preparing", it->digest.short_id()));
    }
  }
  for (const auto& blob : blobs) {
    say(fmt::format("{}: {}", blob.digest.short_id(),
                    push_blob(store, session, blob, what) ? "Pushed" : "Layer already exists"));
  }
  std::ignore = push_blob(store, session, detail.manifest.config, what);

  // The manifest's exact stored bytes (read_blob re-verifies them), under the tag.
  const std::string bytes = store.blobs().read_blob(image.manifest.digest);
  put_manifest(session, *ref.tag(), detail.manifest.media_type, bytes, image.manifest.digest,
               what);
  return {image.manifest.digest, bytes.size()};
}

} // namespace strata::store
