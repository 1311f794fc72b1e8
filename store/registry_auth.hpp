#pragma once
// Private to the registry client (registry_*.cpp): what a registry's `WWW-Authenticate` challenge
// asks for, and the pieces of distribution's token protocol
// (https://distribution.github.io/distribution/spec/auth/token/) that `Session` uses.
//
// Vocabulary:
// - challenge: one `scheme param=value, ...` of a `WWW-Authenticate` header (RFC 7235). A header
//   may hold several, separated by commas; `Bearer` (realm, service, scope) and `Basic` (realm)
//   are the ones a registry sends.
// - scope: what a token is asked for, `repository:<path>:<actions>` with actions `pull` or
//   `pull,push`.
// - token: the bearer token the realm (the auth server) answers with, valid until `expires_at`.
//
// Where credentials go (SECURITY.md §4): only to the registry itself and to the realm its
// challenge names. The realm must be http(s); plain http only when the realm's host is loopback
// or when TLS verification was turned off (`--tls-verify=false`, the user's explicit "this network
// is trusted"), because a realm on plain http would otherwise let anyone on the path read the
// password. Redirects keep no credentials for another host: they travel in a custom
// `Authorization` header, which libcurl (>= 7.58) drops when a redirect leaves the original
// host and port (CURLOPT_UNRESTRICTED_AUTH is never set). Nor does another origin's challenge
// get them: a 401 from a redirect's target, or from an upload Location on another host (sent
// without credentials), is not answered (registry_authenticator.hpp).
//
// Failure: `parse_challenges` throws `Error{corrupt}` for a malformed header; `token_url` throws
// `Error{unsupported}` for a realm it will not send credentials to; `parse_token_response` throws
// `Error{corrupt}` for a response without a token.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace strata::store::registry_detail {

struct Challenge {
  std::string scheme;                        // lower case: "bearer", "basic"
  std::map<std::string, std::string> params; // names in lower case, values unquoted
  [[nodiscard]] std::string param(const std::string& lower_name) const;
};

// Every challenge of a `WWW-Authenticate` value, in order. An empty header gives none.
[[nodiscard]] std::vector<Challenge> parse_challenges(std::string_view header);

// "repository:<path>:pull" or "repository:<path>:pull,push".
[[nodiscard]] std::string repository_scope(std::string_view path, bool push);

// The token request: `realm` with `service`, each of `scopes` and (when not empty) `account`
// added as query parameters (percent-encoded). Throws `Error{unsupported}` when the realm is not
// an http(s) URL, or is plain http to a host that is not loopback while `tls_verify` is true.
[[nodiscard]] std::string token_url(std::string_view realm, std::string_view service,
                                    const std::vector<std::string>& scopes,
                                    std::string_view account, bool tls_verify);

// Percent-encodes all but RFC 3986's unreserved characters (query values, form fields).
[[nodiscard]] std::string percent_encode(std::string_view text);

// A token as the realm issued it.
struct Token {
  std::string value;
  std::chrono::steady_clock::time_point expires_at;
};
// Reads the realm's JSON answer: `token` (or `access_token`), `expires_in` seconds (60 when
// absent or not positive), counted from `now` (`issued_at` is informational: clocks differ).
[[nodiscard]] Token parse_token_response(std::string_view body,
                                         std::chrono::steady_clock::time_point now);

// The largest token response read (a JWT is a few KiB; more is not a token server).
inline constexpr std::size_t k_max_token_response = 1024UL * 1024;

// "Basic base64(user:secret)".
[[nodiscard]] std::string basic_authorization(std::string_view username, std::string_view secret);

// Standard base64 (RFC 4648 §4) with padding. `base64_decode` accepts missing padding and throws
// `Error{corrupt}` for anything else that is not base64.
[[nodiscard]] std::string base64_encode(std::string_view bytes);
[[nodiscard]] std::string base64_decode(std::string_view text);

} // namespace strata::store::registry_detail
