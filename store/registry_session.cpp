// `Session` (registry_http.hpp) and `Authenticator` (registry_authenticator.hpp): one
// repository's requests with the registry's credentials and tokens.

#include "store/registry_authenticator.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace strata::store::registry_detail {
namespace {

// A challenge this client can answer: Bearer first, else Basic.
std::optional<Challenge> usable_challenge(const Response& response) {
  std::vector<Challenge> all;
  try {
    all = parse_challenges(response.header("www-authenticate"));
  } catch (const Error&) {
    return std::nullopt; // a malformed challenge is answered as none: the 401 stands
  }
  for (const char* scheme : {"bearer", "basic"}) {
    for (const auto& c : all) {
      if (c.scheme == scheme) {
        return c;
      }
    }
  }
  return std::nullopt;
}

// The token server's reason: distribution's `errors`, Docker Hub's `details`, else the status.
std::string token_error_text(const Response& response) {
  try {
    const auto doc = nlohmann::json::parse(response.body);
    if (doc.is_object() && doc.contains("details") && doc.at("details").is_string()) {
      Response copy;
      copy.status = response.status;
      copy.body = nlohmann::json{{"errors", {{{"message", doc.at("details")}}}}}.dump();
      return error_text(copy);
    }
  } catch (const std::exception&) {
    // not JSON: error_text says the status
  }
  return error_text(response);
}

Response send_with(const Request& request, const std::string& authorization) {
  if (request.on_try) {
    request.on_try();
  }
  if (authorization.empty()) {
    return registry_detail::perform(request);
  }
  Request with = request;
  with.headers.push_back("Authorization: " + authorization);
  return registry_detail::perform(with);
}

} // namespace

Authenticator::Authenticator(std::string domain, std::vector<std::string> scopes,
                             const RegistryOptions& options)
    : domain_(std::move(domain)), origin_(url_origin(registry_base_url(domain_))),
      options_(options), scopes_(std::move(scopes)) {}

void Authenticator::add_scope(std::string scope) {
  const std::lock_guard lock(mutex_);
  if (std::find(scopes_.begin(), scopes_.end(), scope) != scopes_.end()) {
    return; // the cached token already covers it
  }
  scopes_.push_back(std::move(scope));
  if (challenge_ && challenge_->scheme == "bearer") {
    authorization_.clear(); // the next request fetches a token that covers the new scope
    refused_ = false;       // which the token server may grant
  }
}

const std::optional<Credentials>& Authenticator::credentials() {
  if (!looked_up_) {
    if (options_.credentials) {
      credentials_ = options_.credentials;
    } else {
      const CredentialStore store(options_.docker_config_dir.empty() ? default_docker_config_dir()
                                                                     : options_.docker_config_dir);
      credentials_ = store.find(domain_);
    }
    looked_up_ = true;
  }
  return credentials_;
}

std::string Authenticator::current() {
  const std::lock_guard lock(mutex_);
  if (!challenge_) {
    return {};
  }
  if (challenge_->scheme == "bearer" && !refused_ &&
      (authorization_.empty() || std::chrono::steady_clock::now() >= expires_at_)) {
    const std::optional<std::string> token = fetch_token(*challenge_);
    refused_ = !token;
    authorization_ = token.value_or("");
  }
  return authorization_;
}

std::string Authenticator::renew(const Response& unauthorized, const std::string& used) {
  const std::lock_guard lock(mutex_);
  if (!authorization_.empty() && authorization_ != used) {
    return authorization_; // another thread authenticated meanwhile
  }
  const std::optional<Challenge> challenge = usable_challenge(unauthorized);
  if (!challenge) {
    return {};
  }
  challenge_ = challenge;
  std::string next;
  if (challenge->scheme == "bearer") {
    const std::optional<std::string> token = fetch_token(*challenge);
    refused_ = !token;
    next = token.value_or("");
  } else if (const auto& c = credentials(); c && !c->username.empty()) {
    next = basic_authorization(c->username, c->secret);
  }
  authorization_ = next;
  return next == used ? std::string() : next;
}

Response Authenticator::perform(const Request& request) {
  if (url_origin(request.url) != origin_) {
    // Not the registry (an upload Location on another host or scheme): no credentials, and its
    // challenge is not the registry's.
    Response response = send_with(request, std::string());
    if (response.status == 401 || response.status == 403) {
      response.foreign_origin = url_origin(request.url);
    }
    return response;
  }
  // Whether a 401/403 came from another origin than the registry's: a redirect's target (a
  // blob's storage), whose challenge would send the credentials, or a token, to whoever it names.
  const auto refused_elsewhere = [&](Response& response) {
    if (response.status != 401 && response.status != 403) {
      return false;
    }
    const std::string final_origin =
        url_origin(response.effective_url.empty() ? request.url : response.effective_url);
    if (final_origin == origin_) {
      return false;
    }
    response.foreign_origin = final_origin.empty() ? "another host" : final_origin;
    return true;
  };
  const std::string used = current();
  Response response = send_with(request, used);
  if (refused_elsewhere(response)) {
    return response;
  }
  if (response.status == 401) {
    if (const std::string next = renew(response, used); !next.empty()) {
      response = send_with(request, next);
      if (refused_elsewhere(response)) {
        return response;
      }
    }
  }
  if (response.status == 401 || response.status == 403) {
    const std::lock_guard lock(mutex_);
    if (!credentials()) {
      response.login_hint = domain_;
    }
  }
  return response;
}

// Under `mutex_`. A token for `scopes_`, or nothing when the token server refuses an anonymous
// request (the registry's 401 then stands, with a hint to log in).
std::optional<std::string> Authenticator::fetch_token(const Challenge& bearer) {
  const std::optional<Credentials>& creds = credentials();
  const bool has_user = creds && !creds->username.empty();
  Request request;
  std::string form; // the POST body, which `request.body` views
  request.url = token_url(bearer.param("realm"), bearer.param("service"), scopes_,
                          has_user ? creds->username : std::string(), options_.tls_verify);
  request.tls_verify = options_.tls_verify;
  request.max_body = k_max_token_response;
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant (what docker does with an identity token).
    request.method = "POST";
    request.url = bearer.param("realm"); // validated by `token_url` above
    request.url = request.url.substr(0, request.url.find('#'));
    request.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
    form = "grant_type=refresh_token&client_id=strata&refresh_token=" +
           percent_encode(creds->identity_token) +
           "&service=" + percent_encode(bearer.param("service"));
    for (const auto& scope : scopes_) {
      form += "&scope=" + percent_encode(scope);
    }
    request.body = form;
  } else if (has_user) {
    request.headers.push_back("Authorization: " +
                              basic_authorization(creds->username, creds->secret));
  }
  const auto now = std::chrono::steady_clock::now();
  const Response response =
      with_retries("authenticate", [&] { return registry_detail::perform(request); });
  if (!response.ok()) {
    if (!creds && (response.status == 401 || response.status == 403)) {
      return std::nullopt;
    }
    std::string text = token_error_text(response);
    if (response.status == 401 && !text.starts_with("unauthorized")) {
      text = "unauthorized: " + text;
    }
    throw AuthError(ErrorKind::io, text);
  }
  Token token = parse_token_response(response.body, now);
  expires_at_ = token.expires_at;
  return "Bearer " + token.value;
}

Session::Session(const Reference& reference, Access access, const RegistryOptions& options)
    : reference_(reference), access_(access),
      endpoint_(endpoint_for(reference, options.tls_verify)), options_(options),
      auth_(std::make_unique<Authenticator>(
          reference.domain(),
          std::vector<std::string>{repository_scope(reference.path(), access == Access::push)},
          options)) {}

Session::~Session() = default;

void Session::also_pull(std::string repository_path) {
  auth_->add_scope(repository_scope(repository_path, false));
}

Response Session::perform(Request request) {
  request.tls_verify = endpoint_.tls_verify;
  return auth_->perform(request);
}

Response Session::send(std::string_view what, const Request& request) {
  try {
    return with_retries(what, [&] { return perform(request); });
  } catch (AuthError& e) {
    e.add_context(std::string(what));
    throw;
  }
}

} // namespace strata::store::registry_detail
