#pragma once
// Text primitives with Go's semantics, private to parser/: BuildKit's parser is written in Go and
// its behaviour at the edges (how bad UTF-8 decodes, what counts as a space, what TrimSpace
// removes) is Go's. This is the one home of those primitives: the line parser, the shell-word
// lexer (`shell_words.hpp`) and the `.dockerignore` matcher (`glob_match.hpp`) all use them.
//
// Vocabulary: a *rune* is a code point, as Go's `rune`. Decoding follows Go's
// `utf8.DecodeRuneInString`: an invalid or truncated sequence (overlong form, surrogate, value
// above U+10FFFF, stray continuation byte) is one rune U+FFFD of width 1, which `valid` tells
// apart from a real U+FFFD (width 3). Encoding follows `utf8.AppendRune`: a value that is not a
// code point is written as U+FFFD. Consumers with extra rules (the shell lexer's BOM skip and
// end-of-input marker) wrap these functions instead of copying them.
//
// Failure: nothing here throws except on allocation failure. Thread-safety: all functions are pure.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::parser::text {

inline constexpr char32_t k_rune_error = 0xFFFD; // Go's `utf8.RuneError`

// One decoded rune and the number of bytes it took.
struct Rune {
  char32_t value;
  std::size_t width;
  bool valid; // false for the U+FFFD that stands for an invalid byte
};

// Go's `utf8.DecodeRuneInString(s[pos:])`; requires `pos < s.size()`.
[[nodiscard]] Rune decode_rune(std::string_view s, std::size_t pos) noexcept;
// Go's `utf8.AppendRune`: `rune` as UTF-8, or U+FFFD when it is a surrogate or above U+10FFFF.
void append_utf8(std::string& out, char32_t rune);

// Go's `unicode.IsSpace`.
[[nodiscard]] bool is_space(char32_t rune) noexcept;
// The byte class `[\t\v\f\r ]` that BuildKit's `reWhitespace` splits on.
[[nodiscard]] bool is_split_space(char c) noexcept;

// Go's `strings.TrimSpace`, `strings.TrimLeftFunc(s, unicode.IsSpace)` and
// `strings.TrimRightFunc(s, unicode.IsSpace)`. An invalid byte is never a space.
[[nodiscard]] std::string_view trim_space(std::string_view s) noexcept;
[[nodiscard]] std::string_view trim_left_space(std::string_view s) noexcept;
[[nodiscard]] std::string_view trim_right_space(std::string_view s) noexcept;

// `reWhitespace.Split(s, -1)` with `reWhitespace = [\t\v\f\r ]+`.
[[nodiscard]] std::vector<std::string> split_whitespace(std::string_view s);
// `reWhitespace.Split(s, 2)`: the first word and the rest after the separating run.
[[nodiscard]] std::vector<std::string> split_whitespace2(std::string_view s);

[[nodiscard]] std::string to_lower_ascii(std::string_view s);

// ---- Inline bodies: called once per input rune --------------------------------------------------

inline Rune decode_rune(std::string_view s, std::size_t pos) noexcept {
  constexpr Rune k_invalid{k_rune_error, 1, false};
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    return {b0, 1, true};
  }
  const std::size_t n = b0 < 0xC2 ? 0 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : b0 < 0xF5 ? 4 : 0;
  // As Go's `acceptRanges`: the second byte's range excludes overlong forms (E0, F0),
  // surrogates (ED) and values above U+10FFFF (F4).
  const unsigned char lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
  const unsigned char hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
  if (n == 0 || s.size() - pos < n || byte(1) < lo || byte(1) > hi) {
    return k_invalid;
  }
  char32_t r = b0 & (0x7FU >> n);
  for (std::size_t i = 1; i < n; ++i) {
    if (i > 1 && (byte(i) < 0x80 || byte(i) > 0xBF)) {
      return k_invalid;
    }
    r = (r << 6) | (byte(i) & 0x3FU);
  }
  return {r, n, true};
}

inline void append_utf8(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    r = k_rune_error;
  }
  const int tail = r < 0x80 ? 0 : r < 0x800 ? 1 : r < 0x10000 ? 2 : 3;
  constexpr unsigned k_lead[] = {0x00, 0xC0, 0xE0, 0xF0};
  out += static_cast<char>(k_lead[tail] | (r >> (6 * tail)));
  for (int i = tail - 1; i >= 0; --i) {
    out += static_cast<char>(0x80 | ((r >> (6 * i)) & 0x3F));
  }
}

inline bool is_space(char32_t r) noexcept {
  if (r <= 0xFF) {
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  }
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 ||
         r == 0x202F || r == 0x205F || r == 0x3000;
}

inline bool is_split_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

} // namespace strata::parser::text
