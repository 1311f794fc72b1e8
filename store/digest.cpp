#include "store/digest.hpp"

#include "common/error.hpp"
#include "common/quote.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

namespace strata::store {
namespace {

constexpr std::string_view k_prefix = "sha256:";
static_assert(k_prefix.size() + Digest::k_hex_size == Digest::k_string_size);


bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Returns why `text` is not a valid digest, or an empty string when it is one.
std::string invalid_reason(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return "missing algorithm prefix \"sha256:\"";
  }
  if (text.substr(0, colon) != Digest::k_algorithm) {
    return "unsupported algorithm (only sha256 is supported)";
  }
  const auto hex = text.substr(colon + 1);
  if (hex.size() != Digest::k_hex_size) {
    return fmt::format("expected {} hex digits, got {} characters", Digest::k_hex_size, hex.size());
  }
  if (!std::all_of(hex.begin(), hex.end(), is_lower_hex)) {
    return "expected only lowercase hex digits [0-9a-f]";
  }
  return {};
}

bool is_valid(std::string_view text) noexcept {
  // The cheap exact check, without building a message; agrees with `invalid_reason`.
  if (text.size() != Digest::k_string_size || !text.starts_with(k_prefix)) {
    return false;
  }
  const auto hex = text.substr(k_prefix.size());
  return std::all_of(hex.begin(), hex.end(), is_lower_hex);
}

} // namespace

Digest::Digest(std::string_view validated) noexcept : text_{} {
  std::copy(validated.begin(), validated.end(), text_.begin());
}

Digest Digest::parse(std::string_view text) {
  if (!is_valid(text)) {
    throw Error(ErrorKind::corrupt,
                fmt::format("invalid digest {}: {}", quote_untrusted(text), invalid_reason(text)));
  }
  return Digest(text);
}

std::optional<Digest> Digest::try_parse(std::string_view text) noexcept {
  if (!is_valid(text)) {
    return std::nullopt;
  }
  return Digest(text);
}

Digest Digest::from_sha256_bytes(std::span<const std::byte, k_byte_size> bytes) noexcept {
  static constexpr std::string_view k_digits = "0123456789abcdef";
  std::array<char, k_string_size> text{};
  std::copy(k_prefix.begin(), k_prefix.end(), text.begin());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto value = std::to_integer<unsigned>(bytes[i]);
    text[k_prefix.size() + 2 * i] = k_digits[value >> 4U];
    text[k_prefix.size() + 2 * i + 1] = k_digits[value & 0x0fU];
  }
  return Digest(std::string_view(text.data(), text.size()));
}

std::string Digest::hex() const { return std::string(view().substr(k_prefix.size())); }

std::string Digest::str() const { return std::string(view()); }

std::string Digest::short_id() const {
  return std::string(view().substr(k_prefix.size(), k_short_size));
}

std::string Digest::blob_path() const { return fmt::format("blobs/{}/{}", k_algorithm, hex()); }

std::ostream& operator<<(std::ostream& out, const Digest& digest) { return out << digest.str(); }

} // namespace strata::store

std::size_t
std::hash<strata::store::Digest>::operator()(const strata::store::Digest& digest) const noexcept {
  return std::hash<std::string_view>{}(digest.view());
}
