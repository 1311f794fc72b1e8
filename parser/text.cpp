#include "parser/text.hpp"

namespace strata::parser::text {

std::string_view trim_left_space(std::string_view s) noexcept {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const Rune r = decode_rune(s, pos);
    if (!is_space(r.value)) { // an invalid byte decodes as U+FFFD, which is not a space
      break;
    }
    pos += r.width;
  }
  return s.substr(pos);
}

std::string_view trim_right_space(std::string_view s) noexcept {
  std::size_t end = s.size();
  while (end > 0) {
    // Go's `utf8.DecodeLastRuneInString`: step back over continuation bytes to the start of the
    // last rune; a sequence that does not end exactly at `end` is an invalid byte.
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
