#pragma once
// Text helpers with Go's semantics, private to parser/: BuildKit's parser is written in Go and
// its behaviour at the edges (what counts as a space, what TrimSpace removes) is Go's.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::parser::text {

// Decodes one UTF-8 code point at `s[pos]`. Invalid bytes decode as U+FFFD with width 1, as Go's
// `utf8.DecodeRuneInString` does.
struct Rune {
  char32_t value;
  std::size_t width;
  bool valid;
};
[[nodiscard]] Rune decode_rune(std::string_view s, std::size_t pos) noexcept;
void append_utf8(std::string& out, char32_t rune);

// Go's `unicode.IsSpace`.
[[nodiscard]] bool is_space(char32_t rune) noexcept;
// The byte class `[\t\v\f\r ]` that BuildKit's `reWhitespace` splits on.
[[nodiscard]] inline bool is_split_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

[[nodiscard]] std::string_view trim_space(std::string_view s) noexcept;       // strings.TrimSpace
[[nodiscard]] std::string_view trim_left_space(std::string_view s) noexcept;  // TrimLeftFunc(IsSpace)
[[nodiscard]] std::string_view trim_right_space(std::string_view s) noexcept; // TrimRightFunc(IsSpace)

// `reWhitespace.Split(s, -1)` with `reWhitespace = [\t\v\f\r ]+`.
[[nodiscard]] std::vector<std::string> split_whitespace(std::string_view s);
// `reWhitespace.Split(s, 2)`: the first word and the rest after the separating run.
[[nodiscard]] std::vector<std::string> split_whitespace2(std::string_view s);

[[nodiscard]] std::string to_lower_ascii(std::string_view s);

} // namespace strata::parser::text
