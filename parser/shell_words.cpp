#include "parser/shell_words.hpp"

#include "parser/error_messages.hpp"
#include "parser/shell_lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace strata::parser::detail::shell {

std::string rune_string(Rune r) {
  std::string out;
  append_rune(out, r);
  return out;
}

std::vector<Rune> to_runes(std::string_view s) {
  std::vector<Rune> runes;
  for (std::size_t pos = 0; pos < s.size();) {
    const text::Rune r = text::decode_rune(s, pos);
    runes.push_back(static_cast<Rune>(r.value));
    pos += r.width;
  }
  return runes;
}

// Non-ASCII code points that are not letters: controls, Latin-1 symbols, combining marks,
// punctuation and symbol blocks, private use and specials. Everything else counts as a letter,
// which is exact for the scripts a variable name realistically uses.
bool is_letter(Rune r) {
  struct Range {
    Rune lo;
    Rune hi;
  };
  constexpr Range k_non_letters[] = {
      {0x80, 0xA9},     {0xAB, 0xB4},     {0xB6, 0xB9},     {0xBB, 0xBF},     {0xD7, 0xD7},
      {0xF7, 0xF7},     {0x300, 0x36F},   {0x1680, 0x1680}, {0x2000, 0x206F}, {0x20A0, 0x20FF},
      {0x2190, 0x2BFF}, {0x2E00, 0x2E7F}, {0x3000, 0x3004}, {0x3008, 0x3020}, {0x3030, 0x3030},
      {0xD800, 0xF8FF}, {0xFE00, 0xFE6F}, {0xFEFF, 0xFEFF}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF20},
      {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF},
      {0xE0000, 0x10FFFF}};
  if (r < 0x80) {
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  }
  return std::none_of(std::begin(k_non_letters), std::end(k_non_letters),
                      [r](const Range& g) { return r >= g.lo && r <= g.hi; });
}

void append_checked(std::string& out, std::string_view s) {
  if (out.size() + s.size() > k_max_word_bytes) {
    throw Failure{fmt::format(messages::k_shell_result_too_long, k_max_word_bytes), true};
  }
  out += s;
}

void append_rune_checked(std::string& out, Rune r) { append_checked(out, rune_string(r)); }

void WordSplitter::add_char(Rune r) {
  if (!is_space(r)) {
    add_raw_char(r);
  } else if (in_word_ && !buf_.empty()) {
    words_.push_back(std::exchange(buf_, {}));
    in_word_ = false;
  }
}

void WordSplitter::add_raw_char(Rune r) {
  append_rune(buf_, r);
  in_word_ = true;
}

void WordSplitter::add_string(std::string_view s) {
  for (const Rune r : to_runes(s)) {
    add_char(r);
  }
}

void WordSplitter::add_raw_string(std::string_view s) {
  buf_ += s;
  in_word_ = true;
}

void WordSplitter::finish(std::vector<std::string>* out) {
  if (!buf_.empty()) {
    words_.push_back(std::exchange(buf_, {}));
  }
  if (out != nullptr) {
    *out = std::move(words_);
  }
}

} // namespace strata::parser::detail::shell
