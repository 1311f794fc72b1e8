#pragma once
// Private to the registry client (registry_*.cpp): HTTP over libcurl (loaded with dlopen on first
// use), the registry's base URL for a reference, retries, and the registry's error texts.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "store/digest.hpp"
#include "store/reference.hpp"
#include "store/sha256.hpp"
#include "store/registry_client.hpp"

namespace strata::store::registry_detail {

// What documents (manifests, indexes, configs) and error bodies are capped at.
inline constexpr std::size_t k_max_document = 4UL * 1024 * 1024;
inline constexpr int k_tries = 3;

// `text` with ASCII letters in lower case (header names, challenge schemes, error codes).
[[nodiscard]] std::string lower_ascii(std::string_view text);

// Whether `domain` (host with an optional port) is a loopback address or `localhost`.
[[nodiscard]] bool is_loopback(std::string_view domain);

// Where a registry's API lives: "<scheme>://<host>/v2/" (loopback: http, else https;
// docker.io: registry-1.docker.io).
[[nodiscard]] std::string registry_base_url(std::string_view domain);

// Where one repository's API lives: "<scheme>://<host>/v2/<path>".
struct Endpoint {
  std::string repository_url; // e.g. "http://127.0.0.1:5000/v2/library/busybox"
  bool tls_verify = true;
};
[[nodiscard]] Endpoint endpoint_for(const Reference& reference, bool tls_verify);

// Resolves a `Location` header against the URL of the request that returned it: absolute
// (http/https only; anything else throws `Error{corrupt}`), scheme-relative, host-relative or
// path-relative. An `http://` Location answering an `https://` request is a downgrade: it throws
// `Error{io}`.
[[nodiscard]] std::string resolve_location(const std::string& base, std::string_view location);

// The origin of an absolute http(s) URL, "<scheme>://<host>:<port>": scheme and host in lower
// case, the default port (80, 443) made explicit, user info dropped; empty for anything else.
// Credentials go only to URLs of the registry's origin (`Session`).
[[nodiscard]] std::string url_origin(std::string_view url);

struct Response {
  long status = 0;
  // Headers of the final response (after redirects), names in lower case. A header repeated on
  // several lines is one value, joined with ", " (RFC 7230 §3.2.2), but for the single-valued
  // ones the registry client reads (Location, Content-Type, ...), whose last line counts.
  std::map<std::string, std::string> headers;
  // The URL of the final response (after redirects; CURLINFO_EFFECTIVE_URL).
  std::string effective_url;
  // The body of a non-2xx response (up to 64 KiB), or of a 2xx one when the request has no sink.
  std::string body;
  // Set by `Session` on a 401 or 403 when it had no credentials for the registry: the registry's
  // domain, named by `fail` in a hint to log in.
  std::string login_hint;
  // Set by `Session` on a 401 or 403 that came from another origin than the registry's (a
  // redirect target, an upload Location on another host): that origin. Such a denial is not the
  // registry's: it is not answered with the registry's credentials, and `fail` says where it
  // came from.
  std::string foreign_origin;
  [[nodiscard]] std::string header(const std::string& lower_name) const;
  [[nodiscard]] bool ok() const noexcept { return status >= 200 && status < 300; }
  [[nodiscard]] bool retryable() const noexcept { return status == 429 || status >= 500; }
};

// Adds one header line ("Name: value", CR LF allowed) of a response to `response.headers`; a
// status line ("HTTP/1.1 307 ...") starts a new response (a redirect's, a 100 Continue's) and
// sets `status`.
void record_header_line(Response& response, std::string_view line);

struct Request {
  std::string method = "GET"; // GET, HEAD, POST (empty body), PUT, PATCH or DELETE
  std::string url;
  std::vector<std::string> headers;
  bool tls_verify = true;
  // PUT's or PATCH's body: `body`, or `body_size` bytes read from `body_fd` at `body_offset`;
  // with `body_digest` those bytes are hashed as they are sent and the upload is aborted if they
  // do not hash to it.
  std::string_view body;
  int body_fd = -1;
  std::uint64_t body_offset = 0;
  std::uint64_t body_size = 0;
  std::optional<Digest> body_digest;
  // Called as the body goes out with the bytes of it sent so far (a progress display).
  std::function<void(std::uint64_t sent)> on_sent;
  // A 2xx response's body goes to `sink` when set (it may throw to abort), else into
  // `Response::body`, at most `max_body` bytes (more throws `Error{corrupt}`).
  std::function<void(std::string_view)> sink;
  std::size_t max_body = k_max_document;
  // Called before each try (and before a resend after authenticating): resets what `sink` wrote.
  std::function<void()> on_try;
};

// A failure below HTTP (connection refused, reset, timeout, TLS): worth another try.
class TransportError : public Error {
public:
  using Error::Error;
};

// One try. GET and HEAD follow redirects (http/https, at most 10). Proxies as the environment
// says, but never for loopback hosts (docker's rule; the environment's NO_PROXY still applies).
// Throws `TransportError`, or whatever the sink threw.
[[nodiscard]] Response perform(const Request& request);

// Runs `attempt` up to `k_tries` times, sleeping 0.5 s, then 1 s, between tries, while it throws
// `TransportError` or returns a 429 or 5xx response. Returns the last response; the last
// `TransportError` is rethrown with `what` (e.g. "pull 127.0.0.1:5000/x:1") as its context.
[[nodiscard]] Response with_retries(std::string_view what,
                                    const std::function<Response()>& attempt);

// The registry's error text of a failed response: the `message`s (else `code`s) of its
// `{"errors":[...]}` body joined with ": ", else the HTTP reason ("404 Not Found"); escaped and
// cut, as it comes from the registry.
[[nodiscard]] std::string error_text(const Response& response);

// A 401's or 403's error in docker's words: the registry's first error code in lower case and
// its `error_text` ("unauthorized: authentication required", "denied: requested access to the
// resource is denied").
[[nodiscard]] std::string denied_text(const Response& response);

// Throws for a failed response: `what` (e.g. "pull 127.0.0.1:5000/x:1"), the status and
// `error_text`. 404 is `not_found`; 401/403 are `io` in docker's words ("unauthorized:
// authentication required", the registry's error code and message), with a hint to log in when
// the response's `login_hint` names the registry, or the origin that refused when it was not the
// registry (`foreign_origin`).
[[noreturn]] void fail(std::string_view what, const Response& response);

// What a session asks the registry for, as a token scope's actions: `pull`, or `pull,push`.
enum class Access { pull, push };

class Authenticator; // registry_authenticator.hpp

// A failure to authenticate (the token server refused the credentials, or answered with
// nonsense): not worth another try. `send` adds its `what` as context.
class AuthError : public Error {
public:
  using Error::Error;
};

// One repository's conversation with its registry (registry_session.cpp): the endpoint, the
// credentials for its host, and the tokens the registry's auth server issued. Every request of a
// pull or push goes through `send`, which adds the `Authorization` header and answers a 401 by
// authenticating as its `WWW-Authenticate` challenge asks, then sending once more. Credentials
// go only to the registry's origin (scheme, host and port of the endpoint): a request to another
// one (an upload Location elsewhere) is sent without them, and a 401 from another origin (that
// one, or a redirect's target) is a plain failure whose challenge is ignored. Safe to use from
// several threads at once (parallel downloads).
class Session {
public:
  Session(const Reference& reference, Access access, const RegistryOptions& options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  [[nodiscard]] const Endpoint& endpoint() const noexcept { return endpoint_; }
  [[nodiscard]] const Reference& reference() const noexcept { return reference_; }
  [[nodiscard]] const RegistryOptions& options() const noexcept { return options_; }

  // One try of `request` (its `tls_verify` set from the endpoint) with credentials.
  [[nodiscard]] Response perform(Request request);
  // `perform`, retried as `with_retries` does; `what` names the operation in errors
  // ("pull 127.0.0.1:5000/x:1").
  [[nodiscard]] Response send(std::string_view what, const Request& request);

  // For a cross-repository mount: also ask for `pull` on another repository of the same registry
  // (its path, e.g. "library/busybox") in the tokens this session requests.
  void also_pull(std::string repository_path);

private:
  Reference reference_;
  Access access_;
  Endpoint endpoint_;
  const RegistryOptions& options_;
  std::unique_ptr<Authenticator> auth_; // the credentials and the cached token (thread-safe)
};

// The pieces of a pull and a push, also used by the build cache's artifacts
// (registry_pull.cpp, registry_push.cpp).

// A manifest or index as received: its exact bytes, their digest, its media type.
struct FetchedManifest {
  std::string bytes;
  Digest digest;
  std::string media_type;
};
// GET /v2/<path>/manifests/<tag or digest> with every manifest Accept type, capped at
// `k_max_document`, its digest checked against `expected`, its `mediaType` agreeing with the
// response's Content-Type. `what` names the operation in errors ("pull 127.0.0.1:5000/x:1").
[[nodiscard]] FetchedManifest fetch_manifest(Session& session, const std::string& tag_or_digest,
                                             const std::optional<Digest>& expected,
                                             const std::string& what);
// GET /v2/<path>/blobs/<digest> streamed into the store, capped at the descriptor's size,
// published only when digest and size match.
PutResult download_blob(ImageStore& store, Session& session, const Descriptor& blob,
                        const std::string& what);

// HEAD, then (if missing) a cross-repository mount from a repository of the same registry the
// store knows holds it (blob_sources.hpp), else an upload of the stored blob (one PUT, or chunks
// when larger than `RegistryOptions::chunk_size`). Returns whether the registry lacked it; sets
// `mounted_from` to the repository it was mounted from (empty when its bytes were sent).
bool push_blob(ImageStore& store, Session& session, const Descriptor& blob,
               const std::string& what, std::string* mounted_from = nullptr);
// PUT /v2/<path>/manifests/<tag>: exactly `bytes` (which must hash to `digest`).
void put_manifest(Session& session, const std::string& tag, const std::string& media_type,
                  std::string_view bytes, const Digest& digest, const std::string& what);

} // namespace strata::store::registry_detail
