// The registry client's vocabulary (registry_http.hpp): which scheme and host a reference's
// registry is reached at, URL origins, `Location` headers, and the registry's error texts.

#include "store/registry_http.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace strata::store::registry_detail {
namespace {

bool is_decimal_octet(std::string_view text) {
  if (text.empty() || text.size() > 3 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  return std::stoi(std::string(text)) <= 255;
}

} // namespace

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_loopback(std::string_view domain) {
  std::string_view host = domain;
  if (host.starts_with('[')) {
    host = host.substr(1, host.find(']') - 1);
    return host == "::1";
  }
  host = host.substr(0, host.find(':'));
  if (host == "localhost") {
    return true;
  }
  if (!host.starts_with("127.")) {
    return false;
  }
  int parts = 0;
  for (std::string_view rest = host; !rest.empty();) {
    const std::size_t dot = rest.find('.');
    if (!is_decimal_octet(rest.substr(0, dot))) {
      return false;
    }
    ++parts;
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (dot != std::string_view::npos && rest.empty()) {
      return false;
    }
  }
  return parts == 4;
}

std::string registry_base_url(std::string_view domain) {
  const std::string_view host = domain == "docker.io" ? "registry-1.docker.io" : domain;
  const char* scheme = is_loopback(domain) ? "http" : "https";
  return fmt::format("{}://{}/v2/", scheme, host);
}

Endpoint endpoint_for(const Reference& reference, bool tls_verify) {
  return {registry_base_url(reference.domain()) + reference.path(), tls_verify};
}

std::string resolve_location(const std::string& base, std::string_view location) {
  const auto fail_location = [&] {
    throw Error(ErrorKind::corrupt,
                fmt::format("the registry answered with an unusable Location {}",
                            std::string(location.substr(0, 200))));
  };
  if (location.empty()) {
    fail_location();
  }
  const std::size_t scheme_end = base.find("://");
  STRATA_CHECK(scheme_end != std::string::npos);
  const std::size_t path_start = base.find('/', scheme_end + 3);
  const std::string origin = base.substr(0, path_start);
  if (location.starts_with("http://") || location.starts_with("https://")) {
    if (location.starts_with("http://") && base.starts_with("https://")) {
      throw Error(ErrorKind::io,
                  fmt::format("the registry at {} answered with a Location on plain http ({}): "
                              "refused, a downgrade from https",
                              origin, std::string(location.substr(0, 200))));
    }
    return std::string(location);
  }
  if (location.find("://") != std::string_view::npos) {
    fail_location(); // another scheme
  }
  if (location.starts_with("//")) {
    return base.substr(0, scheme_end + 1) + std::string(location);
  }
  if (location.starts_with('/')) {
    return origin + std::string(location);
  }
  std::string dir = path_start == std::string::npos ? "/" : base.substr(path_start);
  dir = dir.substr(0, dir.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return origin + dir + std::string(location);
}

std::string url_origin(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  const std::string scheme = lower_ascii(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return {};
  }
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return {};
    }
    host = authority.substr(0, close + 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return {};
    }
    port = rest.empty() ? rest : rest.substr(1);
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    return {};
  }
  unsigned long number = scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return {};
    }
    number = std::stoul(std::string(port));
  }
  return fmt::format("{}://{}:{}", scheme, lower_ascii(host), number);
}

std::string error_text(const Response& response) {
  std::string text;
  try {
    const auto doc = nlohmann::json::parse(response.body);
    for (const auto& e : doc.at("errors")) {
      std::string part;
      if (e.contains("message") && e.at("message").is_string()) {
        part = e.at("message").get<std::string>();
      }
      if (part.empty() && e.contains("code") && e.at("code").is_string()) {
        part = lower_ascii(e.at("code").get<std::string>());
      }
      if (!part.empty()) {
        text += (text.empty() ? "" : ": ") + part;
      }
    }
  } catch (const std::exception&) {
    text.clear(); // not distribution's error document
  }
  if (text.empty()) {
    return fmt::format("HTTP status {}", response.status);
  }
  // Hostile text: printable ASCII only, cut.
  std::string clean;
  for (const char c : text.substr(0, 300)) {
    clean += c >= 0x20 && c < 0x7f ? c : '?';
  }
  return clean;
}

std::string denied_text(const Response& response) {
  std::string code;
  try {
    const auto doc = nlohmann::json::parse(response.body);
    const auto& first = doc.at("errors").at(0);
    if (first.contains("code") && first.at("code").is_string()) {
      code = lower_ascii(first.at("code").get<std::string>());
    }
  } catch (const std::exception&) {
    code.clear(); // not distribution's error document
  }
  if (code.empty() || code.size() > 40 ||
      code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
    code = response.status == 401 ? "unauthorized" : "denied";
  }
  std::string text = error_text(response);
  if (text.starts_with("HTTP status")) {
    text = response.status == 401 ? "authentication required"
                                  : "requested access to the resource is denied";
  }
  return text.starts_with(code) ? text : code + ": " + text;
}

void fail(std::string_view what, const Response& response) {
  if (response.status == 401 || response.status == 403) {
    std::string message = fmt::format("{}: {}", what, denied_text(response));
    if (!response.foreign_origin.empty()) {
      message += fmt::format(" (from {}, not the registry: the registry's credentials are "
                             "never sent there)",
                             response.foreign_origin);
    } else if (!response.login_hint.empty()) {
      message += fmt::format(" (no credentials for {0}: log in with 'strata login {0}')",
                             response.login_hint);
    }
    throw Error(ErrorKind::io, message);
  }
  const std::string text = error_text(response);
  const ErrorKind kind = response.status == 404 ? ErrorKind::not_found : ErrorKind::io;
  if (text.starts_with("HTTP status")) {
    throw Error(kind, fmt::format("{}: {}", what, text));
  }
  throw Error(kind, fmt::format("{}: {} (HTTP status {})", what, text, response.status));
}

} // namespace strata::store::registry_detail
