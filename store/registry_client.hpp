#pragma once
// The registry client: `pull_image` and `push_image` over the OCI distribution API (HTTP API v2),
// the protocol of CNCF distribution, Docker Hub, ghcr.io, Harbor...
//
// Authentication (registry_session.cpp, registry_auth.hpp): a request answered 401 is sent once
// more after answering the registry's `WWW-Authenticate` challenge: `Bearer` (a token from the
// challenge's realm for `repository:<path>:pull[,push]`, requested with the user's credentials
// as Basic auth, or anonymously when there are none, cached until it expires) or `Basic`.
// Credentials are `RegistryOptions::credentials`, else what Docker's config.json (or its
// credential helper) holds for the registry (credentials.hpp), looked up on the first challenge.
// They are sent only to the registry's own origin (scheme, host and port) and to its token realm
// (https, or http on loopback or with `tls_verify` false) — never to a redirect target or an
// upload Location elsewhere; a 401 from another origin is reported, not answered; an `http://`
// Location from an `https://` registry is refused.
//
// Proxies: libcurl's environment variables are honoured, as docker honours them: `http_proxy`
// (and docker's upper-case `HTTP_PROXY`) for http registries, `https_proxy`/`HTTPS_PROXY` for
// https ones, `ALL_PROXY`, and `no_proxy`/`NO_PROXY` (comma-separated hosts, domain suffixes,
// `*`). Loopback registries (localhost, 127.0.0.0/8, ::1) are never proxied, as in docker;
// `NO_PROXY` applies to other hosts.
//
// Transport: libcurl, loaded with dlopen on first use (registry_http.cpp), so that commands that
// never talk to a registry do not pay for its ~25 shared libraries at start-up. Loopback
// registries (`127.0.0.0/8`, `localhost`, `[::1]`, with any port) are spoken to over plain HTTP,
// every other one over HTTPS with certificate verification (unless `tls_verify` is false).
// `docker.io` is `registry-1.docker.io`.
//
// Defences (SECURITY.md §4 "Registry client"):
// - manifests and indexes are read into memory capped at 4 MiB, configs likewise; the digest is
//   computed over the exact bytes received and compared with the requested digest (pull by
//   digest, an index's child); the `Docker-Content-Digest` header is never trusted;
// - a document's `mediaType` must agree with the response's `Content-Type`; a document with both
//   `layers` and `manifests` is refused (image.hpp's parsers);
// - every digest is validated by `Digest::parse` before it goes into a URL or a path;
// - blobs are streamed into `BlobWriter`s, capped at the descriptor's size, and published only
//   when digest and size match;
// - redirects: http(s) only, at most 10 hops (libcurl never forwards credentials to another host);
// - timeouts (connect 30 s, a stall of 60 s) and 3 tries with backoff on 429, 5xx and transport
//   errors;
// - registry error texts (`{"errors":[{"code","message"}]}`) are cut and escaped before they are
//   shown.
//
// Failure: throws `Error` — `not_found` for an unknown manifest or repository, `corrupt` for
// content that does not match its digest or a malformed document, `io` for transport and other
// HTTP failures and refused credentials (401/403, in docker's words, with a hint to log in when
// there were none), `unsupported` for what is not implemented (no matching platform). Messages
// name the reference and, where there is one, the HTTP status and the registry's error text. A failed pull leaves no image and removes the blobs and snapshots it
// added that nothing references (or, if that cannot be done, only content gc collects).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/credentials.hpp"
#include "store/digest.hpp"
#include "store/image.hpp"
#include "store/image_store.hpp"
#include "store/reference.hpp"

namespace strata::store {

struct RegistryOptions {
  // Verify HTTPS certificates (never relevant to loopback registries, which use plain HTTP).
  bool tls_verify = true;
  // The platform chosen from an index / manifest list.
  Platform platform{"linux", "amd64", ""};
  // Progress lines, in docker's words ("abc123: Pull complete"); called from one thread at a time.
  std::function<void(std::string_view line)> progress;
  // Bytes of a blob received (pull) or sent (push) so far, for a progress display: called from
  // the transfer threads (several at once, and often — the callee throttles its drawing).
  std::function<void(const Digest& blob, std::uint64_t done, std::uint64_t total)>
      transfer_progress;
  // Blobs downloaded at once (docker's max-concurrent-downloads is 3).
  unsigned parallel_downloads = 3;
  // Blobs uploaded at once (docker's max-concurrent-uploads is 5).
  unsigned parallel_uploads = 5;
  // A blob larger than this is uploaded in chunks of this size (PATCH with Content-Range, each
  // answered 202 with the next Location, then PUT ?digest=); others in one PUT. 0: always one PUT.
  std::uint64_t chunk_size = 64ULL * 1024 * 1024;
  // The credentials to use, as they are (`strata login` checks them this way); when absent, the
  // ones Docker's config in `docker_config_dir` holds for the registry, if any.
  std::optional<Credentials> credentials;
  // Docker's config directory; empty: `$DOCKER_CONFIG`, else `$HOME/.docker`.
  std::string docker_config_dir;
};

struct PullResult {
  Digest digest;          // what the reference named: the manifest's, or the index's digest
  Digest manifest_digest; // the image manifest registered in the store
  Digest id;              // the image ID (config digest)
  bool updated = false;   // false when the tag already named this image ("Image is up to date")
};

// Pulls `reference` (NAME:TAG or NAME@DIGEST; a reference with neither means :latest) into the
// store and registers it under the reference's tag (by digest: as an untagged image, found by
// NAME@DIGEST only when that is the manifest's digest).
[[nodiscard]] PullResult pull_image(ImageStore& store, const Reference& reference,
                                    const RegistryOptions& options = {});

struct PushResult {
  Digest manifest_digest;
  std::uint64_t size = 0; // bytes of the manifest
};

// Pushes the stored image `image` to `target` (NAME:TAG): its layers and config (each skipped if
// the registry has it already), then its manifest's exact stored bytes under the tag.
[[nodiscard]] PushResult push_image(ImageStore& store, const ImageRecord& image,
                                    const Reference& target, const RegistryOptions& options = {});

// `docker login`'s check: GET /v2/ of the registry `server` names (a host[:port], or Docker
// Hub's key, as `credentials_key` takes it) with `options.credentials`, answering its challenge.
// Returns when the registry accepts them; throws `Error{io}` in docker's words otherwise
// (`Get "https://HOST/v2/": unauthorized: incorrect username or password`).
void check_login(std::string_view server, const RegistryOptions& options);

} // namespace strata::store
