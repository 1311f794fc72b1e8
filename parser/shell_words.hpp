#pragma once
// The text layer of the shell-word lexer (`shell_lexer.hpp`): runes in, words out. Shared by the
// lexer and its pattern matcher (`shell_pattern.hpp`); not part of parser's interface.
//
// What: Go-compatible UTF-8 runes and character classes, the rune `Scanner` BuildKit lexes with,
// appends bounded by `k_max_word_bytes`, the `Failure` every lexer internal throws, and the
// `WordSplitter` that cuts expansion output into words.
//
// Vocabulary: a *rune* is a code point, as Go's `rune`; `k_eof` marks the end of input. Decoding
// follows Go's `utf8.DecodeRuneInString` (an invalid or truncated sequence is U+FFFD of width 1)
// and encoding follows `WriteRune` (an invalid rune, `k_eof` included, is written as U+FFFD).
//
// Bounds: `append_checked` and `append_rune_checked` never grow a string past `k_max_word_bytes`.
// Failure: those two throw `Failure{limit = true}`; nothing else here throws except on allocation
// failure. `ShellLexer` turns every `Failure` into `Error{parse}` at its API boundary.
// Thread-safety: the functions are pure; a `Scanner` or `WordSplitter` belongs to one thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::parser::detail::shell {

using Rune = std::int32_t;
inline constexpr Rune k_eof = -1;
inline constexpr Rune k_rune_error = 0xFFFD;

// A failure inside the lexer, wrapped into `Error` at the API boundary. BuildKit failures inside
// an operand become "missing '}'" when the input is exhausted; `limit` failures (our bounds)
// are never rewritten, so a limit is always reported as such.
struct Failure {
  std::string message;
  bool limit = false;
};

struct Decoded {
  Rune rune;
  std::size_t width;
};

// Go's `utf8.DecodeRuneInString` at `s[pos]`; requires `pos < s.size()`.
[[nodiscard]] Decoded decode_rune(std::string_view s, std::size_t pos);
// Go's `WriteRune`: appends `r` as UTF-8, or U+FFFD when `r` is not a valid code point.
void append_rune(std::string& out, Rune r);
[[nodiscard]] std::string rune_string(Rune r);
[[nodiscard]] std::vector<Rune> to_runes(std::string_view s);

// Go's `unicode.IsSpace`.
[[nodiscard]] bool is_space(Rune r);
[[nodiscard]] bool is_digit(Rune r);
// Go's `unicode.IsLetter`, approximated outside ASCII (see `shell_lexer.hpp`, "Unicode").
[[nodiscard]] bool is_letter(Rune r);

// `out += s` (or the rune `r`), throwing `Failure{limit}` if `out` would pass `k_max_word_bytes`.
void append_checked(std::string& out, std::string_view s);
void append_rune_checked(std::string& out, Rune r);

// Go's `text/scanner` as BuildKit uses it: one rune at a time, a leading BOM skipped. Borrows
// `src`, which must outlive the scanner. `peek` and `next` return `k_eof` at the end, forever.
class Scanner {
public:
  explicit Scanner(std::string_view src);
  [[nodiscard]] Rune peek() const { return ch_; }
  Rune next(); // returns the current rune and advances past it

private:
  void load();

  std::string_view src_;
  std::size_t pos_ = 0;
  std::size_t width_ = 0;
  Rune ch_ = k_eof;
};

// BuildKit's `wordsStruct`. The in-progress word lives in one buffer shared by every nesting
// level (borrowed; it must outlive the splitter), and each level resets it on entry: upstream
// quirk, so `ab${x:-y}` splits to `y`. White space from `add_char`/`add_string` ends a word;
// the `raw` variants never split.
class WordSplitter {
public:
  explicit WordSplitter(std::string& buf) : buf_(buf) { buf_.clear(); }

  void add_char(Rune r);
  void add_raw_char(Rune r);
  void add_string(std::string_view s);
  void add_raw_string(std::string_view s);
  // Ends the level: flushes the shared buffer (always) and hands the words to `out` if wanted.
  void finish(std::vector<std::string>* out);

private:
  std::string& buf_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// ---- Inline bodies: called once per input rune --------------------------------------------------

inline Decoded decode_rune(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    return {b0, 1};
  }
  const std::size_t n = b0 < 0xC2 ? 0 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : b0 < 0xF5 ? 4 : 0;
  // The second byte's range excludes overlong forms, surrogates and values above U+10FFFF.
  const unsigned char lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
  const unsigned char hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
  if (n == 0 || s.size() - pos < n || byte(1) < lo || byte(1) > hi) {
    return {k_rune_error, 1};
  }
  Rune r = b0 & (0x7F >> n);
  for (std::size_t i = 1; i < n; ++i) {
    if (i > 1 && (byte(i) < 0x80 || byte(i) > 0xBF)) {
      return {k_rune_error, 1};
    }
    r = (r << 6) | (byte(i) & 0x3F);
  }
  return {r, n};
}

inline void append_rune(std::string& out, Rune r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    r = k_rune_error;
  }
  const auto u = static_cast<std::uint32_t>(r);
  const int tail = u < 0x80 ? 0 : u < 0x800 ? 1 : u < 0x10000 ? 2 : 3;
  constexpr unsigned k_lead[] = {0x00, 0xC0, 0xE0, 0xF0};
  out += static_cast<char>(k_lead[tail] | (u >> (6 * tail)));
  for (int i = tail - 1; i >= 0; --i) {
    out += static_cast<char>(0x80 | ((u >> (6 * i)) & 0x3F));
  }
}

inline bool is_space(Rune r) {
  if (r <= 0xFF) {
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  }
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 ||
         r == 0x202F || r == 0x205F || r == 0x3000;
}

inline bool is_digit(Rune r) { return r >= '0' && r <= '9'; }

inline Scanner::Scanner(std::string_view src) : src_(src) {
  load();
  if (ch_ == 0xFEFF) {
    next();
  }
}

inline Rune Scanner::next() {
  const Rune ch = ch_;
  pos_ += width_;
  load();
  return ch;
}

inline void Scanner::load() {
  const Decoded d = pos_ < src_.size() ? decode_rune(src_, pos_) : Decoded{k_eof, 0};
  ch_ = d.rune;
  width_ = d.width;
}

} // namespace strata::parser::detail::shell
