#pragma once
// Private to the registry client: `Authenticator`, the state behind `Session` (and `check_login`):
// the registry's credentials (looked up once, on the first challenge), its last challenge, and
// the `Authorization` value currently sent (a cached bearer token with its expiry, or Basic).
//
// Lifecycle of one request (`perform`): send it with the current authorization (a token past its
// expiry is renewed first); on a 401, authenticate as the response's challenge asks (Bearer: a
// token from the realm for the session's scopes, with Basic credentials when there are some,
// anonymous otherwise; Basic: the credentials) and send it once more. Never more than one
// re-authentication per request, so a registry that keeps answering 401 cannot make a loop.
// If another thread renewed the token while this request was out, its token is reused.
//
// Credentials go only to the registry's origin (`registry_base_url(domain)`'s scheme, host and
// port): a request to another origin is sent without them and its 401 is not answered; a 401
// whose final response (after redirects) came from another origin is not answered either (its
// challenge is that host's, not the registry's). Either sets `Response::foreign_origin`.
// An anonymous token request the token server refused is not repeated before each request:
// requests go without a token until the next 401 (or a new scope) asks again.
//
// Thread-safety: every member is safe to call from several threads; token requests are made
// under the mutex, so parallel downloads that hit an expired token fetch one new token, not N.
// Failure: `AuthError` when the token server refuses the credentials or its answer is unusable;
// `Error` from the credential lookup (a helper that fails); transport errors as `perform`.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/credentials.hpp"
#include "store/registry_auth.hpp"
#include "store/registry_http.hpp"

namespace strata::store::registry_detail {

class Authenticator {
public:
  // `domain` as in a reference ("127.0.0.1:5000", "docker.io"); `scopes` may be empty (login).
  Authenticator(std::string domain, std::vector<std::string> scopes,
                const RegistryOptions& options);

  // One try of `request` with credentials, and one resend after authenticating on a 401.
  [[nodiscard]] Response perform(const Request& request);
  // Adds a scope to the tokens requested from now on (the cached token is dropped); a scope
  // already asked for changes nothing.
  void add_scope(std::string scope);

private:
  [[nodiscard]] std::string current();
  [[nodiscard]] std::string renew(const Response& unauthorized, const std::string& used);
  [[nodiscard]] std::optional<std::string> fetch_token(const Challenge& bearer);
  [[nodiscard]] const std::optional<Credentials>& credentials();

  std::string domain_;
  std::string origin_; // url_origin of the registry's base URL
  const RegistryOptions& options_;
  std::mutex mutex_;
  std::vector<std::string> scopes_;
  std::optional<Challenge> challenge_; // the last one answered
  std::string authorization_;          // "Bearer …" / "Basic …" / ""
  std::chrono::steady_clock::time_point expires_at_;
  bool refused_ = false; // the token server refused the anonymous token request: ask on a 401
  bool looked_up_ = false;
  std::optional<Credentials> credentials_;
};

} // namespace strata::store::registry_detail
