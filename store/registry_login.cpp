// `check_login` (registry_client.hpp): docker login's check, GET /v2/ with the credentials.

#include <fmt/format.h>

#include "store/registry_authenticator.hpp"
#include "store/registry_client.hpp"

namespace strata::store {

void check_login(std::string_view server, const RegistryOptions& options) {
  using namespace registry_detail;
  std::string domain = credentials_key(server);
  if (domain == k_docker_hub_key) {
    domain = "docker.io";
  }
  Authenticator auth(domain, {}, options);
  Request request;
  request.url = registry_base_url(domain);
  request.tls_verify = options.tls_verify;
  Response response;
  try {
    response =
        with_retries(fmt::format("Get \"{}\"", request.url), [&] { return auth.perform(request); });
  } catch (const AuthError& e) {
    throw Error(ErrorKind::io, fmt::format("Get \"{}\": {}", request.url, e.message()));
  }
  if (response.status == 401 || response.status == 403) {
    throw Error(ErrorKind::io, fmt::format("Get \"{}\": {}", request.url, denied_text(response)));
  }
  if (!response.ok()) {
    throw Error(ErrorKind::io, fmt::format("Get \"{}\": {}", request.url, error_text(response)));
  }
}

} // namespace strata::store
