// Go literals in templates: strconv.Unquote for strings and character constants, and the
// number syntax of text/template (ints in any base, floats, underscores).

#include "common/go_template_ast.hpp"
#include "common/go_template_value.hpp"

#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>

namespace strata::go_template {

namespace {


std::optional<std::uint32_t> parse_digits(std::string_view s, std::size_t& i, std::size_t count,
                                          int base) {
  if (i + count > s.size()) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  const auto result = std::from_chars(s.data() + i, s.data() + i + count, value, base);
  if (result.ptr != s.data() + i + count) {
    return std::nullopt;
  }
  i += count;
  return value;
}

// Decodes the escape at s[i] (just after the backslash) into `out`; `quote` is the enclosing
// quote, the only one of \" and \' that is allowed. \x and octal escapes give bytes, \u and \U
// code points (surrogates and values above U+10FFFF are invalid, as in Go).
bool decode_escape(std::string_view s, std::size_t& i, char quote, std::string& out) {
  const char c = s[i++];
  switch (c) {
  case 'a': out += '\a'; return true;
  case 'b': out += '\b'; return true;
  case 'f': out += '\f'; return true;
  case 'n': out += '\n'; return true;
  case 'r': out += '\r'; return true;
  case 't': out += '\t'; return true;
  case 'v': out += '\v'; return true;
  case '\\': out += '\\'; return true;
  case '\'':
  case '"':
    out += c;
    return c == quote;
  case 'x': {
    const auto byte = parse_digits(s, i, 2, 16);
    out += static_cast<char>(byte.value_or(0));
    return byte.has_value();
  }
  case 'u':
  case 'U': {
    const auto rune = parse_digits(s, i, c == 'u' ? 4 : 8, 16);
    if (!rune || *rune > 0x10ffff || (*rune >= 0xd800 && *rune <= 0xdfff)) {
      return false;
    }
    append_utf8(out, *rune);
    return true;
  }
  default: {
    --i;
    const auto byte = parse_digits(s, i, 3, 8);
    if (!byte || *byte > 0xff) {
      return false;
    }
    out += static_cast<char>(*byte);
    return true;
  }
  }
}

// The single character of a character constant ('a', '\n', 'é') as a code point.
std::optional<nlohmann::json> parse_char(std::string_view quoted) {
  const std::string_view body = quoted.substr(1, quoted.size() - 2);
  std::string decoded;
  if (body.empty()) {
    return std::nullopt;
  }
  if (body[0] == '\\') {
    std::size_t i = 1;
    if (!decode_escape(body, i, '\'', decoded) || i != body.size()) {
      return std::nullopt;
    }
  } else {
    decoded = body;
  }
  // Decode one UTF-8 sequence (the escapes \x and octal give a raw byte value instead).
  const auto b0 = static_cast<unsigned char>(decoded[0]);
  const std::size_t len = b0 < 0x80 ? 1 : b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc0 ? 2 : 1;
  if (body[0] == '\\' && (body[1] == 'x' || (body[1] >= '0' && body[1] <= '7'))) {
    return nlohmann::json(static_cast<std::int64_t>(b0));
  }
  if (decoded.size() != len) {
    return std::nullopt;
  }
  std::uint32_t rune = len == 1 ? b0 : b0 & (0x7f >> len);
  for (std::size_t k = 1; k < len; ++k) {
    rune = (rune << 6) | (static_cast<unsigned char>(decoded[k]) & 0x3f);
  }
  return nlohmann::json(static_cast<std::int64_t>(rune));
}

} // namespace

// strconv.Unquote for "double-quoted" and `raw` strings (raw strings lose '\r', as in Go).
std::optional<std::string> unquote(std::string_view quoted) {
  const std::string_view body = quoted.substr(1, quoted.size() - 2);
  std::string out;
  if (quoted.front() == '`') {
    for (const char c : body) {
      if (c != '\r') {
        out += c;
      }
    }
    return out;
  }
  for (std::size_t i = 0; i < body.size();) {
    if (body[i] != '\\') {
      out += body[i++];
      continue;
    }
    ++i;
    if (i >= body.size() || !decode_escape(body, i, '"', out)) {
      return std::nullopt;
    }
  }
  return out;
}

// A number token as JSON: an integer when Go's ParseInt/ParseUint accept it (base prefixes
// 0x 0o 0b and a leading 0 for octal), otherwise a float; complex numbers are not supported.
std::optional<nlohmann::json> parse_number(std::string_view text, Tok type) {
  if (type == Tok::char_constant) {
    return parse_char(text);
  }
  std::string digits;
  for (const char c : text) {
    if (c != '_') {
      digits += c;
    }
  }
  if (digits.empty() || digits.back() == 'i') {
    return std::nullopt;
  }
  const bool negative = digits[0] == '-';
  std::string_view body = digits;
  if (digits[0] == '-' || digits[0] == '+') {
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 1 && body[0] == '0') {
    const char p = static_cast<char>(body[1] | 0x20);
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    body.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
  }
  unsigned long long magnitude = 0;
  const auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), magnitude, base);
  if (error == std::errc() && end == body.data() + body.size() && !body.empty()) {
    constexpr auto k_max = static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max());
    if (!negative) {
      return magnitude <= k_max ? nlohmann::json(static_cast<std::int64_t>(magnitude))
                                : nlohmann::json(magnitude);
    }
    if (magnitude <= k_max + 1) {
      return nlohmann::json(static_cast<std::int64_t>(0ULL - magnitude));
    }
  }
  char* parsed_end = nullptr;
  const double value = std::strtod(digits.c_str(), &parsed_end);
  if (parsed_end != digits.c_str() + digits.size() || digits == "+" || digits == "-") {
    return std::nullopt;
  }
  return nlohmann::json(value);
}

void append_utf8(std::string& out, std::uint32_t rune) {
  if (rune < 0x80) {
    out += static_cast<char>(rune);
  } else if (rune < 0x800) {
    out += static_cast<char>(0xc0 | (rune >> 6));
    out += static_cast<char>(0x80 | (rune & 0x3f));
  } else if (rune < 0x10000) {
    out += static_cast<char>(0xe0 | (rune >> 12));
    out += static_cast<char>(0x80 | ((rune >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (rune & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (rune >> 18));
    out += static_cast<char>(0x80 | ((rune >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((rune >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (rune & 0x3f));
  }
}

} // namespace strata::go_template
