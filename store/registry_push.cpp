// `push_image` (registry_client.hpp): the layers (several at once) and the config — HEAD, skipped
// if the registry has it; else a cross-repository mount when the store knows another repository
// of the registry holds it; else POST an upload session and send the bytes at its newest Location
// (one PUT with `?digest=`, or PATCHed chunks then the PUT; the stored blob verified as it is
// sent) — then the manifest's exact stored bytes under the tag.

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "store/blob_sources.hpp"
#include "store/parallel_each.hpp"
#include "store/registry_client.hpp"
#include "store/registry_http.hpp"
#include "store/sha256.hpp"

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

// Where an open upload session is, and what the registry asked of its chunks.
struct UploadSession {
  std::string location;          // absolute; the newest Location the registry gave
  std::uint64_t min_chunk = 0;   // OCI-Chunk-Min-Length
};

// The `Location` of a 202 answer resolved against the request's URL.
std::string next_location(const std::string& request_url, const Response& response,
                          const std::string& what, const Descriptor& blob) {
  const std::string location = response.header("location");
  if (location.empty()) {
    throw Error(ErrorKind::io, fmt::format("push {}: blob {}: the registry answered {} without "
                                           "a Location",
                                           what, blob.digest.str(), response.status));
  }
  return resolve_location(request_url, location);
}

std::string with_query(std::string url, std::string_view query) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += query;
  return url;
}

// Feeds `size` bytes of `fd` at `offset` to `hash`; false if the file is shorter.
bool hash_range(int fd, std::uint64_t offset, std::uint64_t size, Sha256& hash) {
  constexpr std::size_t k_hash_buffer = 1UL << 20;
  const auto buffer = std::make_unique_for_overwrite<char[]>(k_hash_buffer);
  while (size > 0) {
    const std::size_t want = std::min<std::uint64_t>(size, k_hash_buffer);
    const ssize_t got = ::pread(fd, buffer.get(), want, static_cast<off_t>(offset));
    if (got <= 0) {
      return false;
    }
    hash.update(std::string_view(buffer.get(), static_cast<std::size_t>(got)));
    offset += static_cast<std::uint64_t>(got);
    size -= static_cast<std::uint64_t>(got);
  }
  return true;
}

// PATCH each chunk (Content-Range "<first>-<last>"), following the newest Location; then PUT
// ?digest= with no body. Each chunk is hashed from the stored file before it is sent (once,
// whatever resends authentication needs), and the upload is cancelled (DELETE) before the
// closing PUT if the whole is not the stored blob.
Response upload_chunked(Session& session, UploadSession upload, int fd, const Descriptor& blob,
                        std::uint64_t chunk, const std::string& what) {
  Sha256 sent;
  bool short_file = false;
  for (std::uint64_t offset = 0; offset < blob.size; offset += chunk) {
    Request patch;
    patch.method = "PATCH";
    patch.url = upload.location;
    const std::uint64_t size = std::min(chunk, blob.size - offset);
    patch.headers = {"Content-Type: application/octet-stream",
                     fmt::format("Content-Range: {}-{}", offset, offset + size - 1)};
    patch.body_fd = fd;
    patch.body_offset = offset;
    patch.body_size = size;
    if (const auto& progress = session.options().transfer_progress) {
      patch.on_sent = [&, offset](std::uint64_t sent) {
        progress(blob.digest, offset + sent, blob.size);
      };
    }
    short_file = short_file || !hash_range(fd, offset, size, sent);
    Response response = session.perform(patch);
    if (response.status != 202) {
      return response;
    }
    upload.location = next_location(patch.url, response, what, blob);
  }
  if (short_file || sent.finish() != blob.digest) {
    Request cancel;
    cancel.method = "DELETE";
    cancel.url = upload.location;
    try {
      std::ignore = session.perform(cancel);
    } catch (const Error&) {
      // the registry expires abandoned sessions itself
    }
    throw Error(ErrorKind::corrupt, fmt::format("the stored blob {} is corrupt or short: push "
                                                "aborted",
                                                blob.digest.str()));
  }
  Request put;
  put.method = "PUT";
  put.url = with_query(upload.location, "digest=sha256%3A" + blob.digest.hex());
  return session.perform(put);
}

// PUT <Location>&digest=<digest> with the whole stored blob, verified as it is sent.
Response upload_monolithic(Session& session, const UploadSession& upload, int fd,
                           const Descriptor& blob) {
  Request put;
  put.method = "PUT";
  put.url = with_query(upload.location, "digest=sha256%3A" + blob.digest.hex());
  put.headers = {"Content-Type: application/octet-stream"};
  put.body_fd = fd;
  put.body_size = blob.size;
  put.body_digest = blob.digest;
  if (const auto& progress = session.options().transfer_progress) {
    put.on_sent = [&](std::uint64_t sent) { progress(blob.digest, sent, blob.size); };
  }
  return session.perform(put);
}

// POST /v2/<path>/blobs/uploads/ — with `?mount=<digest>&from=<repository>` when `mount_from`
// is set: 201 means the registry mounted the blob; 202 opens an upload session (a registry that
// cannot mount opens one too), whose bytes go in one PUT or in chunks. Returns the last
// response (the closing PUT's, a 201 mount, or a failure).
Response upload_once(ImageStore& store, Session& session, const Descriptor& blob,
                     const std::string& mount_from, const std::string& what, bool& mounted) {
  const RegistryOptions& options = session.options();
  Request post;
  post.method = "POST";
  post.url = session.endpoint().repository_url + "/blobs/uploads/";
  if (!mount_from.empty()) {
    post.url += fmt::format("?mount=sha256%3A{}&from={}", blob.digest.hex(), mount_from);
  }
  const Response started = session.perform(post);
  if (started.status != 202) {
    mounted = started.status == 201;
    return started; // 201: mounted; else a failure
  }
  UploadSession upload{next_location(post.url, started, what, blob), 0};
  const std::string min_length = started.header("oci-chunk-min-length");
  if (!min_length.empty() && min_length.find_first_not_of("0123456789") == std::string::npos &&
      min_length.size() < 19) {
    upload.min_chunk = std::stoull(min_length);
  }
  const UniqueFd fd = store.blobs().open_blob(blob.digest);
  const std::uint64_t chunk = std::max(options.chunk_size, upload.min_chunk);
  if (options.chunk_size != 0 && blob.size > chunk) {
    return upload_chunked(session, upload, fd.get(), blob, chunk, what);
  }
  return upload_monolithic(session, upload, fd.get(), blob);
}

// A repository of the same registry that holds `blob` by the store's record (blob_sources.hpp),
// as a path for `?from=`; empty when there is none.
std::string mount_candidate(const ImageStore& store, const Session& session, const Digest& blob) {
  const Reference& target = session.reference();
  for (const auto& source : blob_sources(store.root(), blob)) {
    const auto ref = Reference::try_parse(source);
    if (ref && ref->domain() == target.domain() && ref->path() != target.path()) {
      return ref->path();
    }
  }
  return {};
}

// Uploads (or mounts) a blob the registry does not have. Returns the repository it was mounted
// from, or empty when its bytes were sent.
std::string upload_blob(ImageStore& store, Session& session, const Descriptor& blob,
                        const std::string& what) {
  if (store.blobs().size_of(blob.digest) != blob.size) {
    throw Error(ErrorKind::corrupt, fmt::format("push {}: blob {} is not stored with {} bytes",
                                                what, blob.digest.str(), blob.size));
  }
  std::string mount_from = mount_candidate(store, session, blob.digest);
  if (!mount_from.empty()) {
    session.also_pull(mount_from);
  }
  bool mounted = false;
  const auto attempt = [&] {
    mounted = false;
    return upload_once(store, session, blob, mount_from, what, mounted);
  };
  Response response = with_retries("push " + what, attempt);
  if (!response.ok() && !mount_from.empty()) {
    // A mount the registry refused (no pull right on the source, a source gone): docker logs it
    // and uploads the bytes.
    log::debug("push {}: mounting blob {} from {} failed ({}); uploading it", what,
               blob.digest.str(), mount_from, error_text(response));
    mount_from.clear();
    response = with_retries("push " + what, attempt);
  }
  if (!response.ok()) {
    fail(fmt::format("push {}: blob {}", what, blob.digest.str()), response);
  }
  return mounted ? mount_from : std::string();
}

} // namespace

namespace registry_detail {

bool push_blob(ImageStore& store, Session& session, const Descriptor& blob,
               const std::string& what, std::string* mounted_from) {
  if (registry_has_blob(session, blob, what)) {
    remember_blob_source(store.root(), blob.digest, session.reference().name());
    return false;
  }
  std::string from = upload_blob(store, session, blob, what);
  remember_blob_source(store.root(), blob.digest, session.reference().name());
  if (mounted_from != nullptr) {
    *mounted_from = std::move(from);
  }
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
  // The repositories mounts may come from join the first token's scope.
  for (const auto& blob : blobs) {
    if (const std::string from = mount_candidate(store, session, blob.digest); !from.empty()) {
      session.also_pull(from);
    }
  }
  std::mutex say_mutex;
  parallel_each(blobs.size(), options.parallel_uploads, [&](std::size_t i) {
    std::string from;
    const bool sent = push_blob(store, session, blobs[i], what, &from);
    const std::lock_guard guard(say_mutex);
    say(fmt::format("{}: {}", blobs[i].digest.short_id(),
                    !sent           ? "Layer already exists"
                    : from.empty() ? "Pushed"
                                   : "Mounted from " + from));
  });
  std::ignore = push_blob(store, session, detail.manifest.config, what);

  // The manifest's exact stored bytes (read_blob re-verifies them), under the tag.
  const std::string bytes = store.blobs().read_blob(image.manifest.digest);
  put_manifest(session, *ref.tag(), detail.manifest.media_type, bytes, image.manifest.digest,
               what);
  return {image.manifest.digest, bytes.size()};
}

} // namespace strata::store
