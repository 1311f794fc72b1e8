#pragma once
// The text layer of the shell-word lexer (`shell_lexer.hpp`): runes in, words out. Shared by the
// lexer and its pattern matcher (`shell_pattern.hpp`); not part of parser's interface.
//
// What: the lexer's view of runes (a signed `Rune` with an end-of-input marker), its character
// classes, the rune `Scanner` BuildKit lexes with, appends bounded by `k_max_word_bytes`, the
// `Failure` every lexer internal throws, and the `WordSplitter` that cuts expansion output into
// words. UTF-8 decoding, encoding and Go's `unicode.IsSpace` are `text.hpp`'s; this file only
// adapts them to `Rune`.
//
// Vocabulary: a *rune* is a code point, as Go's `rune`; `k_eof` marks the end of input. Decoding
// is `text::decode_rune` (an invalid or truncated sequence is U+FFFD of width 1) and encoding
// is `text::append_utf8` (an invalid rune, `k_eof` included, is written as U+FFFD).
//
// Bounds: `append_checked` and `append_rune_checked` never grow a string past `k_max_word_bytes`.
// Failure: those two throw `Failure{limit = true}`; nothing else here throws except on allocation
// failure. `ShellLexer` turns every `Failure` into `Error{parse}` at its API boundary.
// Thread-safety: the functions are pure; a `Scanner` or `WordSplitter` belongs to one thread.

#include "parser/text.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::parser::detail::shell {

// Signed, unlike `text::Rune::value`, so that `k_eof` is no code point.
using Rune = std::int32_t;
inline constexpr Rune k_eof = -1;

// A failure inside the lexer, wrapped into `Error` at the API boundary. BuildKit failures inside
// an operand become "missing '}'" when the input is exhausted; `limit` failures (our bounds)
// are never rewritten, so a limit is always reported as such.
struct Failure {
  std::string message;
  bool limit = false;
};

// `text::append_utf8` for a `Rune`: Go's `WriteRune`, so `k_eof` (-1 in Go too) is U+FFFD.
void append_rune(std::string& out, Rune r);
[[nodiscard]] std::string rune_string(Rune r);
// `s` decoded with `text::decode_rune`, one `Rune` per decoded rune.
[[nodiscard]] std::vector<Rune> to_runes(std::string_view s);

// `text::is_space` (Go's `unicode.IsSpace`) for a `Rune`; false for `k_eof`.
[[nodiscard]] bool is_space(Rune r);
[[nodiscard]] bool is_digit(Rune r);
// Go's `unicode.IsLetter`, approximated outside ASCII (see `shell_lexer.hpp`, "Unicode").
[[nodiscard]] bool is_letter(Rune r);

// `out += s` (or the rune `r`), throwing `Failure{limit}` if `out` would pass `k_max_word_bytes`.
void append_checked(std::string& out, std::string_view s);
void append_rune_checked(std::string& out, Rune r);

// Go's `text/scanner` as BuildKit uses it: one rune at a time, decoded by `text::decode_rune`.
// It differs from plain decoding in two places, both `text/scanner`'s: a BOM (U+FEFF) is skipped
// when it is the first rune (and only then), and the end of input is the rune `k_eof`. Borrows
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

inline void append_rune(std::string& out, Rune r) {
  // A negative `r` (`k_eof`) converts to a value above U+10FFFF, which is written as U+FFFD.
  text::append_utf8(out, static_cast<char32_t>(r));
}

inline bool is_space(Rune r) { return text::is_space(static_cast<char32_t>(r)); }

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
  if (pos_ >= src_.size()) {
    ch_ = k_eof;
    width_ = 0;
    return;
  }
  const text::Rune r = text::decode_rune(src_, pos_);
  ch_ = static_cast<Rune>(r.value);
  width_ = r.width;
}

} // namespace strata::parser::detail::shell
