#include "store/reference.hpp"

#include "common/error.hpp"
#include "common/quote.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <utility>

namespace strata::store {
namespace {

constexpr std::string_view k_legacy_domain = "index.docker.io";
constexpr std::string_view k_localhost = "localhost";
constexpr std::string_view k_official_prefix = "library/";

// ---- Character classes (ASCII only, independent of the locale) ----

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_lower(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) noexcept {
  return c >= 'A' && c <= 'Z';
}
bool is_alpha(char c) noexcept {
  return is_lower(c) || is_upper(c);
}
bool is_alnum(char c) noexcept {
  return is_digit(c) || is_alpha(c);
}
bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_lower_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}
// Go's `\w` in RE2: ASCII letters, digits and underscore.
bool is_word(char c) noexcept {
  return is_alnum(c) || c == '_';
}

bool has_upper(std::string_view text) noexcept {
  return std::any_of(text.begin(), text.end(), is_upper);
}

// Whether upper-case letters count as their lower-case forms. `Fold::ascii` answers "would this
// match after lower-casing?", which picks the "must be lowercase" message without copying.
enum class Fold { none, ascii };

bool is_path_alnum(char c, Fold fold) noexcept {
  return is_digit(c) || is_lower(c) || (fold == Fold::ascii && is_upper(c));
}

// ---- Grammar, one function per rule of distribution/reference's regexp.go ----

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := "." | "_" | "__" | "-"+
bool is_path_component(std::string_view text, Fold fold) noexcept {
  std::size_t i = 0;
  while (true) {
    const std::size_t run_start = i;
    while (i < text.size() && is_path_alnum(text[i], fold)) {
      ++i;
    }
    if (i == run_start) {
      return false; // empty, or a separator at the start, the end or twice in a row
    }
    if (i == text.size()) {
      return true;
    }
    if (text[i] == '.') {
      ++i;
    } else if (text[i] == '_') {
      i += (i + 1 < text.size() && text[i + 1] == '_') ? 2 : 1;
    } else if (text[i] == '-') {
      while (i < text.size() && text[i] == '-') {
        ++i;
      }
    } else {
      return false;
    }
  }
}

// path := path-component ("/" path-component)*
bool is_path(std::string_view text, Fold fold) noexcept {
  while (true) {
    const auto slash = text.find('/');
    if (!is_path_component(text.substr(0, slash), fold)) {
      return false;
    }
    if (slash == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(slash + 1);
  }
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view text) noexcept {
  return !text.empty() && is_alnum(text.front()) && is_alnum(text.back()) &&
         std::all_of(text.begin(), text.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domain-name := domain-component ("." domain-component)*
bool is_domain_name(std::string_view text) noexcept {
  while (true) {
    const auto dot = text.find('.');
    if (!is_domain_component(text.substr(0, dot))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(dot + 1);
  }
}

// domain := (domain-name | "[" [a-fA-F0-9:]+ "]") (":" [0-9]+)?
bool is_domain(std::string_view text) noexcept {
  std::size_t host_end = 0;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close == 1) {
      return false;
    }
    const auto inside = text.substr(1, close - 1);
    if (!std::all_of(inside.begin(), inside.end(), [](char c) { return is_hex(c) || c == ':'; })) {
      return false;
    }
    host_end = close + 1;
  } else {
    host_end = std::min(text.find(':'), text.size());
    if (!is_domain_name(text.substr(0, host_end))) {
      return false;
    }
  }
  const auto port = text.substr(host_end);
  if (port.empty()) {
    return true;
  }
  return port.size() >= 2 && port.front() == ':' &&
         std::all_of(port.begin() + 1, port.end(), is_digit);
}

// tag := [\w][\w.-]{0,127}
bool is_tag(std::string_view text) noexcept {
  return !text.empty() && text.size() <= Reference::k_max_tag_size && is_word(text.front()) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// digest := algorithm ":" [0-9a-fA-F]{32,}
// algorithm := [A-Za-z][A-Za-z0-9]* ([-_+.] [A-Za-z][A-Za-z0-9]*)*
// Only the shape; `Digest::try_parse` decides what is supported.
bool is_digest_syntax(std::string_view text) noexcept {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  const auto algorithm = text.substr(0, colon);
  const auto encoded = text.substr(colon + 1);
  bool expect_letter = true;
  for (const char c : algorithm) {
    if (expect_letter) {
      if (!is_alpha(c)) {
        return false;
      }
      expect_letter = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      expect_letter = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  return !expect_letter && encoded.size() >= 32 &&
         std::all_of(encoded.begin(), encoded.end(), [](char c) { return is_hex(c); });
}

// identifier := [a-f0-9]{64}, an image ID without its "sha256:".
bool is_hex_identifier(std::string_view text) noexcept {
  return text.size() == Digest::k_hex_size && std::all_of(text.begin(), text.end(), is_lower_hex);
}

// ---- Splitting ----

// The input split as distribution's `splitDockerDomain` splits it. The normalised path is
// `library/` + `remainder` when `official` is set, else `remainder`; keeping the prefix as a flag
// avoids building a string before the input is known to be valid.
struct DomainSplit {
  std::string_view domain;
  bool official = false;
  std::string_view remainder; // path, then optional ":tag" and "@digest"
};

DomainSplit split_domain(std::string_view text) noexcept {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    // A single component is always a Docker Hub official image, even "localhost" or
    // "example.com:5000" (which then reads as a tag).
    return {Reference::k_default_domain, true, text};
  }
  const auto first = text.substr(0, slash);
  const auto rest = text.substr(slash + 1);
  DomainSplit split;
  if (first == k_legacy_domain) {
    split = {Reference::k_default_domain, false, rest};
  } else if (first == k_localhost || first.find_first_of(".:") != std::string_view::npos ||
             has_upper(first)) {
    split = {first, false, rest};
  } else {
    split = {Reference::k_default_domain, false, text};
  }
  split.official = split.domain == Reference::k_default_domain &&
                   split.remainder.find('/') == std::string_view::npos;
  return split;
}

// The remainder cut at the first ":" (tag) and the "@" (digest) after it. Path characters never
// include ":" or "@", and tag characters never include "@", so the cut is unambiguous.
struct RemainderParts {
  std::string_view path;
  std::optional<std::string_view> tag;
  std::optional<std::string_view> digest;
};

RemainderParts split_remainder(std::string_view remainder) noexcept {
  RemainderParts parts;
  const auto path_end = std::min(remainder.find_first_of(":@"), remainder.size());
  parts.path = remainder.substr(0, path_end);
  auto rest = remainder.substr(path_end);
  if (rest.starts_with(':')) {
    const auto at = std::min(rest.find('@'), rest.size());
    parts.tag = rest.substr(1, at - 1);
    rest.remove_prefix(at);
  }
  if (rest.starts_with('@')) {
    parts.digest = rest.substr(1);
  }
  return parts;
}

// ---- Scanning ----

enum class Match { with_domain, without_domain, none };

// Whether `domain/remainder` matches distribution's `ReferencePat`. `without_domain` is the
// alternative where the regexp reads the would-be domain as the first path component.
Match match_reference(const DomainSplit& split, const RemainderParts& parts, Fold fold) noexcept {
  if (!is_path(parts.path, fold) || (parts.tag && !is_tag(*parts.tag)) ||
      (parts.digest && !is_digest_syntax(*parts.digest))) {
    return Match::none;
  }
  if (is_domain(split.domain)) {
    return Match::with_domain;
  }
  return is_path_component(split.domain, fold) ? Match::without_domain : Match::none;
}

// Why a reference is invalid; each value has one message in `cause`.
enum class Problem {
  none,
  hex_identifier,
  uppercase,
  invalid_format,
  name_too_long,
  unsupported_digest,
  digest_length,
  digest_format,
};

std::string cause(Problem problem) {
  switch (problem) {
  case Problem::none:
    break;
  case Problem::hex_identifier:
    return "invalid repository name, cannot specify 64-byte hexadecimal strings";
  case Problem::uppercase:
    return "invalid reference format: repository name must be lowercase";
  case Problem::invalid_format:
    return "invalid reference format";
  case Problem::name_too_long:
    return fmt::format("repository name must not be more than {} characters",
                       Reference::k_max_name_size);
  case Problem::unsupported_digest:
    return "unsupported digest algorithm";
  case Problem::digest_length:
    return "invalid checksum digest length";
  case Problem::digest_format:
    return "invalid checksum digest format";
  }
  return "invalid reference format";
}

// The outcome of checking a reference: `problem` is `none` and the other fields hold the valid
// parts, or `problem` says what is wrong.
struct Scan {
  Problem problem = Problem::none;
  DomainSplit split;
  RemainderParts parts;
  std::optional<Digest> digest;
};

std::size_t name_size(const Scan& scan) noexcept {
  return scan.split.domain.size() + 1 + (scan.split.official ? k_official_prefix.size() : 0) +
         scan.parts.path.size();
}

// Why `Digest::try_parse` refused `text`, which has the digest shape, in go-digest's words.
Problem digest_problem(std::string_view text) noexcept {
  const auto colon = text.find(':');
  if (text.substr(0, colon) != Digest::k_algorithm) {
    return Problem::unsupported_digest;
  }
  if (text.size() - colon - 1 != Digest::k_hex_size) {
    return Problem::digest_length;
  }
  return Problem::digest_format;
}

// Applies `ParseNormalizedNamed`'s checks in its order, so each input gets the same cause.
Scan scan(std::string_view text) noexcept {
  Scan result;
  if (is_hex_identifier(text)) {
    result.problem = Problem::hex_identifier;
    return result;
  }
  result.split = split_domain(text);
  const auto remainder = result.split.remainder;
  if (has_upper(remainder.substr(0, remainder.find(':')))) {
    result.problem = Problem::uppercase;
    return result;
  }
  result.parts = split_remainder(remainder);
  switch (match_reference(result.split, result.parts, Fold::none)) {
  case Match::with_domain:
    break;
  case Match::without_domain:
    result.problem = Problem::invalid_format;
    return result;
  case Match::none:
    // distribution reports upper case when the lower-cased input would have matched.
    result.problem = match_reference(result.split, result.parts, Fold::ascii) == Match::none
                         ? Problem::invalid_format
                         : Problem::uppercase;
    return result;
  }
  if (name_size(result) > Reference::k_max_name_size) {
    result.problem = Problem::name_too_long;
    return result;
  }
  if (result.parts.digest) {
    result.digest = Digest::try_parse(*result.parts.digest);
    if (!result.digest) {
      result.problem = digest_problem(*result.parts.digest);
    }
  }
  return result;
}

std::string normalised_path(const Scan& scan) {
  std::string path = scan.split.official ? std::string(k_official_prefix) : std::string();
  path += scan.parts.path;
  return path;
}

std::optional<std::string> tag_of(const Scan& scan) {
  if (!scan.parts.tag) {
    return std::nullopt;
  }
  return std::string(*scan.parts.tag);
}


} // namespace

Reference::Reference(std::string domain, std::string path, std::optional<std::string> tag,
                     std::optional<Digest> digest) noexcept
    : domain_(std::move(domain)), path_(std::move(path)), tag_(std::move(tag)), digest_(digest) {}

Reference Reference::parse(std::string_view text) {
  const Scan result = scan(text);
  if (result.problem != Problem::none) {
    throw Error(ErrorKind::usage, fmt::format("parse reference {}: {}", quote_untrusted(text),
                                              cause(result.problem)));
  }
  return Reference(std::string(result.split.domain), normalised_path(result), tag_of(result),
                   result.digest);
}

std::optional<Reference> Reference::try_parse(std::string_view text) noexcept {
  // Scanning never allocates; only building the result does, and running out of memory there
  // terminates, as in any noexcept function.
  const Scan result = scan(text);
  if (result.problem != Problem::none) {
    return std::nullopt;
  }
  return Reference(std::string(result.split.domain), normalised_path(result), tag_of(result),
                   result.digest);
}

std::string Reference::name() const {
  return fmt::format("{}/{}", domain_, path_);
}

Reference Reference::with_default_tag() const {
  Reference copy = *this;
  if (!copy.tag_ && !copy.digest_) {
    copy.tag_.emplace(k_default_tag);
  }
  return copy;
}

std::string Reference::with_tag_and_digest(std::string out) const {
  if (tag_) {
    out += ':';
    out += *tag_;
  }
  if (digest_) {
    out += '@';
    out += digest_->str();
  }
  return out;
}

std::string Reference::familiar_name() const {
  if (domain_ != k_default_domain) {
    return name();
  }
  const std::string_view path = path_;
  // Only "library/<one component>" is shortened: "library/a/b" stays as it is, so that it still
  // parses back to the same path.
  if (path.starts_with(k_official_prefix) &&
      path.find('/', k_official_prefix.size()) == std::string_view::npos) {
    return std::string(path.substr(k_official_prefix.size()));
  }
  return path_;
}

std::string Reference::str() const { return with_tag_and_digest(name()); }

std::string Reference::familiar() const { return with_tag_and_digest(familiar_name()); }

std::ostream& operator<<(std::ostream& out, const Reference& reference) {
  return out << reference.str();
}

} // namespace strata::store
