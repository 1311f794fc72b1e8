#include "parser/text.hpp"

namespace strata::parser::text {

Rune decode_rune(std::string_view s, std::size_t pos) noexcept {
  constexpr Rune k_error{0xFFFD, 1, false};
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    return {b0, 1, true};
  }
  std::size_t need = 0;
  char32_t value = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, value = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, value = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, value = b0 & 0x07, min = 0x10000;
  } else {
    return k_error;
  }
  if (pos + need >= s.size()) {
    return k_error;
  }
  for (std::size_t i = 1; i <= need; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      return k_error;
    }
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return k_error;
  }
  return {value, need + 1, true};
}

void append_utf8(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    r = 0xFFFD;
  }
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

bool is_space(char32_t r) noexcept {
  switch (r) {
  case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
  case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
  case 0x3000:
    return true;
  default:
    return r >= 0x2000 && r <= 0x200A;
  }
}

std::string_view trim_left_space(std::string_view s) noexcept {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const Rune r = decode_rune(s, pos);
    if (!is_space(r.value) || !r.valid) {
      break;
    }
    pos += r.width;
  }
  return s.substr(pos);
}

std::string_view trim_right_space(std::string_view s) noexcept {
  std::size_t end = s.size();
  while (end > 0) {
    // Step back over continuation bytes to the start of the last rune.
    std::size_t start = end - 1;
    while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
      --start;
    }
    const Rune r = decode_rune(s, start);
    if (!r.valid || start + r.width != end || !is_space(r.value)) {
      break;
    }
    end = start;
  }
  return s.substr(0, end);
}

std::string_view trim_space(std::string_view s) noexcept {
  return trim_right_space(trim_left_space(s));
}

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (is_split_space(s[pos])) {
      out.emplace_back(s.substr(start, pos - start));
      while (pos < s.size() && is_split_space(s[pos])) {
        ++pos;
      }
      start = pos;
    } else {
      ++pos;
    }
  }
  out.emplace_back(s.substr(start));
  return out;
}

std::vector<std::string> split_whitespace2(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size() && !is_split_space(s[pos])) {
    ++pos;
  }
  if (pos == s.size()) {
    return {std::string(s)};
  }
  std::size_t rest = pos;
  while (rest < s.size() && is_split_space(s[rest])) {
    ++rest;
  }
  return {std::string(s.substr(0, pos)), std::string(s.substr(rest))};
}

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

} // namespace strata::parser::text
