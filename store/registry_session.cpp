// `Session` (registry_http.hpp): one repository's requests with the registry's credentials.

#include "store/registry_http.hpp"

namespace strata::store::registry_detail {

Session::Session(const Reference& reference, Access access, const RegistryOptions& options)
    : reference_(reference), access_(access),
      endpoint_(endpoint_for(reference, options.tls_verify)), options_(options) {}

Session::~Session() = default;

void Session::also_pull(std::string repository_path) {
  also_pull_.push_back(std::move(repository_path));
}

Response Session::perform(Request request) {
  request.tls_verify = endpoint_.tls_verify;
  if (request.on_try) {
    request.on_try();
  }
  return registry_detail::perform(request);
}

Response Session::send(std::string_view what, const Request& request) {
  return with_retries(what, [&] { return perform(request); });
}

} // namespace strata::store::registry_detail
