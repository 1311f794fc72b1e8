// Challenges, scopes, token requests and base64 (registry_auth.hpp).

#include "store/registry_auth.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "store/registry_http.hpp"

namespace strata::store::registry_detail {
namespace {

// RFC 7230 tchar.
bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_token68_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

// A cursor over one header value.
class ChallengeParser {
public:
  explicit ChallengeParser(std::string_view text) : text_(text) {}

  std::vector<Challenge> parse() {
    std::vector<Challenge> out;
    skip_separators();
    while (!at_end()) {
      Challenge challenge;
      challenge.scheme = lower_ascii(token());
      if (challenge.scheme.empty()) {
        malformed("expected an authentication scheme");
      }
      skip_spaces();
      parse_params(challenge);
      out.push_back(std::move(challenge));
      skip_separators();
    }
    return out;
  }

private:
  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void skip_spaces() {
    while (peek() == ' ' || peek() == '\t') {
      ++pos_;
    }
  }
  void skip_separators() {
    while (peek() == ' ' || peek() == '\t' || peek() == ',') {
      ++pos_;
    }
  }
  std::string_view token() {
    const std::size_t start = pos_;
    while (!at_end() && is_tchar(peek())) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  [[noreturn]] void malformed(std::string_view why) const {
    throw Error(ErrorKind::corrupt,
                fmt::format("malformed WWW-Authenticate header at offset {}: {}", pos_, why));
  }

  // Whether an `auth-param` (token BWS "=") starts at the cursor, rather than a new challenge's
  // scheme or a token68.
  [[nodiscard]] bool param_ahead() const {
    std::size_t i = pos_;
    while (i < text_.size() && is_tchar(text_[i])) {
      ++i;
    }
    if (i == pos_) {
      return false;
    }
    while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) {
      ++i;
    }
    if (i >= text_.size() || text_[i] != '=') {
      return false;
    }
    // "abc==" or "abc=" at a separator is a token68, not a parameter.
    std::size_t j = i + 1;
    while (j < text_.size() && (text_[j] == ' ' || text_[j] == '\t')) {
      ++j;
    }
    return j < text_.size() && text_[j] != '=' && text_[j] != ',';
  }

  std::string quoted() {
    ++pos_; // opening quote
    std::string out;
    for (;;) {
      if (at_end()) {
        malformed("unterminated quoted string");
      }
      const char c = text_[pos_++];
      if (c == '"') {
        return out;
      }
      if (c == '\\') {
        if (at_end()) {
          malformed("unterminated quoted string");
        }
        out += text_[pos_++];
      } else {
        out += c;
      }
    }
  }

  void parse_params(Challenge& challenge) {
    if (!param_ahead()) {
      // No parameters, or a token68 (kept under the name "").
      const std::size_t start = pos_;
      while (!at_end() && is_token68_char(peek())) {
        ++pos_;
      }
      while (peek() == '=') {
        ++pos_;
      }
      if (pos_ > start) {
        challenge.params[""] = std::string(text_.substr(start, pos_ - start));
      }
      skip_spaces();
      if (!at_end() && peek() != ',') {
        malformed("unexpected character");
      }
      return;
    }
    for (;;) {
      const std::string name = lower_ascii(token());
      skip_spaces();
      ++pos_; // '=' (param_ahead checked it)
      skip_spaces();
      std::string value = peek() == '"' ? quoted() : std::string(token());
      if (value.empty() && text_[pos_ - 1] != '"') {
        malformed("expected a parameter value");
      }
      challenge.params[name] = std::move(value);
      skip_spaces();
      if (at_end()) {
        return;
      }
      if (peek() != ',') {
        malformed("expected ','");
      }
      skip_separators();
      if (!param_ahead()) {
        return; // the next challenge (or the end)
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The host[:port] of an absolute http(s) URL.
std::string url_host(std::string_view url) {
  const std::size_t start = url.find("://") + 3;
  std::string_view rest = url.substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  return std::string(rest);
}

constexpr std::string_view k_base64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

} // namespace

std::string percent_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
        std::string_view("-._~").find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string Challenge::param(const std::string& lower_name) const {
  const auto it = params.find(lower_name);
  return it == params.end() ? std::string() : it->second;
}

std::vector<Challenge> parse_challenges(std::string_view header) {
  return ChallengeParser(header).parse();
}

std::string repository_scope(std::string_view path, bool push) {
  return fmt::format("repository:{}:{}", path, push ? "pull,push" : "pull");
}

std::string token_url(std::string_view realm, std::string_view service,
                      const std::vector<std::string>& scopes, std::string_view account,
                      bool tls_verify) {
  const bool https = realm.starts_with("https://");
  if (!https && !realm.starts_with("http://")) {
    throw Error(ErrorKind::unsupported,
                fmt::format("the registry's token realm \"{}\" is not an http(s) URL",
                            realm.substr(0, 200)));
  }
  const std::string host = url_host(realm);
  if (host.empty() || host.find_first_of(" \t\r\n") != std::string::npos) {
    throw Error(ErrorKind::unsupported,
                fmt::format("the registry's token realm \"{}\" has no host", realm.substr(0, 200)));
  }
  if (!https && !is_loopback(host) && tls_verify) {
    throw Error(ErrorKind::unsupported,
                fmt::format("the registry's token realm {} is plain http to another host: refused "
                            "(credentials would travel unencrypted; --tls-verify=false allows it)",
                            realm.substr(0, 200)));
  }
  std::string url(realm.substr(0, realm.find('#')));
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  const auto add = [&](std::string_view name, std::string_view value) {
    url += fmt::format("{}{}={}", sep, name, percent_encode(value));
    sep = '&';
  };
  if (!service.empty()) {
    add("service", service);
  }
  for (const auto& scope : scopes) {
    add("scope", scope);
  }
  if (!account.empty()) {
    add("account", account);
  }
  return url;
}

Token parse_token_response(std::string_view body, std::chrono::steady_clock::time_point now) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::corrupt, "the registry's token server answered with something that "
                                    "is not JSON");
  }
  Token token;
  for (const char* name : {"token", "access_token"}) {
    if (doc.is_object() && doc.contains(name) && doc.at(name).is_string() &&
        !doc.at(name).get<std::string>().empty()) {
      token.value = doc.at(name).get<std::string>();
      break;
    }
  }
  if (token.value.empty() || token.value.find_first_of("\r\n") != std::string::npos) {
    throw Error(ErrorKind::corrupt, "the registry's token server answered without a token");
  }
  long long seconds = 60;
  if (doc.contains("expires_in") && doc.at("expires_in").is_number() &&
      doc.at("expires_in").get<double>() > 0) {
    seconds = static_cast<long long>(std::min(doc.at("expires_in").get<double>(), 1e9));
  }
  token.expires_at = now + std::chrono::seconds(seconds);
  return token;
}

std::string basic_authorization(std::string_view username, std::string_view secret) {
  return "Basic " + base64_encode(std::string(username) + ":" + std::string(secret));
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) {
      n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    }
    if (i + 2 < bytes.size()) {
      n |= static_cast<unsigned char>(bytes[i + 2]);
    }
    out += k_base64[(n >> 18) & 63];
    out += k_base64[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? k_base64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? k_base64[n & 63] : '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  while (text.ends_with('=')) {
    text.remove_suffix(1);
  }
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const std::size_t v = k_base64.find(c);
    if (v == std::string_view::npos) {
      throw Error(ErrorKind::corrupt, "invalid base64");
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) {
    throw Error(ErrorKind::corrupt, "invalid base64");
  }
  return out;
}

} // namespace strata::store::registry_detail
