#include "parser/shell_lexer.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

namespace strata::parser {
namespace {

using Rune = std::int32_t;
constexpr Rune k_eof = -1;
constexpr Rune k_rune_error = 0xFFFD;

// A BuildKit error. Inside an operand it is replaced by "missing '}'" when the input is exhausted.
struct SyntaxFailure {
  std::string message;
};
// One of our bounds. Never rewritten, so a limit is always reported as such.
struct LimitFailure {
  std::string message;
};

// ---- UTF-8, following Go's unicode/utf8: an invalid byte decodes as U+FFFD of width 1 ----------

struct Decoded {
  Rune rune;
  std::size_t width;
};

bool is_cont(unsigned char b, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
  return b >= lo && b <= hi;
}

Decoded decode_rune(std::string_view s, std::size_t pos) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const std::size_t left = s.size() - pos;
  const unsigned char b0 = at(0);
  if (b0 < 0x80) {
    return {b0, 1};
  }
  if (b0 >= 0xC2 && b0 < 0xE0 && left >= 2 && is_cont(at(1))) {
    return {((b0 & 0x1F) << 6) | (at(1) & 0x3F), 2};
  }
  if (b0 >= 0xE0 && b0 < 0xF0 && left >= 3) {
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80; // no overlong forms
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF; // no surrogates
    if (is_cont(at(1), lo, hi) && is_cont(at(2))) {
      return {((b0 & 0x0F) << 12) | ((at(1) & 0x3F) << 6) | (at(2) & 0x3F), 3};
    }
  }
  if (b0 >= 0xF0 && b0 < 0xF5 && left >= 4) {
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
    if (is_cont(at(1), lo, hi) && is_cont(at(2)) && is_cont(at(3))) {
      return {((b0 & 0x07) << 18) | ((at(1) & 0x3F) << 12) | ((at(2) & 0x3F) << 6) | (at(3) & 0x3F),
              4};
    }
  }
  return {k_rune_error, 1};
}

void append_rune(std::string& out, Rune r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    r = k_rune_error; // Go's `string(rune(-1))` and `WriteRune` of an invalid rune
  }
  const auto u = static_cast<std::uint32_t>(r);
  if (u < 0x80) {
    out += static_cast<char>(u);
  } else if (u < 0x800) {
    out += static_cast<char>(0xC0 | (u >> 6));
    out += static_cast<char>(0x80 | (u & 0x3F));
  } else if (u < 0x10000) {
    out += static_cast<char>(0xE0 | (u >> 12));
    out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (u & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (u >> 18));
    out += static_cast<char>(0x80 | ((u >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (u & 0x3F));
  }
}

std::string rune_string(Rune r) {
  std::string out;
  append_rune(out, r);
  return out;
}

// Go's `unicode.IsSpace`.
bool is_space(Rune r) {
  if (r <= 0xFF) {
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  }
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 ||
         r == 0x202F || r == 0x205F || r == 0x3000;
}

bool is_digit(Rune r) { return r >= '0' && r <= '9'; }

struct Range {
  Rune lo;
  Rune hi;
};

// Non-ASCII code points that are not letters: controls, Latin-1 symbols, combining marks,
// punctuation and symbol blocks, private use and specials. Everything else counts as a letter,
// which is exact for the scripts a variable name realistically uses.
constexpr Range k_non_letters[] = {
    {0x80, 0xA9},     {0xAB, 0xB4},     {0xB6, 0xB9},     {0xBB, 0xBF},     {0xD7, 0xD7},
    {0xF7, 0xF7},     {0x300, 0x36F},   {0x1680, 0x1680}, {0x2000, 0x206F}, {0x20A0, 0x20FF},
    {0x2190, 0x2BFF}, {0x2E00, 0x2E7F}, {0x3000, 0x3004}, {0x3008, 0x3020}, {0x3030, 0x3030},
    {0xD800, 0xF8FF}, {0xFE00, 0xFE6F}, {0xFEFF, 0xFEFF}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF20},
    {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF},
    {0xE0000, 0x10FFFF},
};

bool is_letter(Rune r) {
  if (r < 0x80) {
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  }
  return std::none_of(std::begin(k_non_letters), std::end(k_non_letters),
                      [r](const Range& g) { return r >= g.lo && r <= g.hi; });
}

// Go's `strconv.IsPrint`, approximated the same way as `is_letter`.
bool is_print(Rune r) {
  if (r < 0x7F) {
    return r >= 0x20;
  }
  constexpr Range k_hidden[] = {{0x7F, 0xA0},     {0xAD, 0xAD},     {0x1680, 0x1680},
                                {0x180E, 0x180E}, {0x2000, 0x200F}, {0x2028, 0x202F},
                                {0x205F, 0x206F}, {0x3000, 0x3000}, {0xD800, 0xF8FF},
                                {0xFEFF, 0xFEFF}, {0xFFF0, 0xFFFB}, {0xFFFE, 0xFFFF},
                                {0xE0000, 0x10FFFF}};
  return std::none_of(std::begin(k_hidden), std::end(k_hidden),
                      [r](const Range& g) { return r >= g.lo && r <= g.hi; });
}

// Go's `strconv.Quote`, used by BuildKit's "failed to process %q" wrapper.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t pos = 0; pos < s.size();) {
    const Decoded d = decode_rune(s, pos);
    if (d.rune == k_rune_error && d.width == 1) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[pos]));
    } else if (d.rune == '"' || d.rune == '\\') {
      out += '\\';
      out += static_cast<char>(d.rune);
    } else if (is_print(d.rune)) {
      out += s.substr(pos, d.width);
    } else {
      constexpr std::string_view k_named = "\a\b\f\n\r\t\v";
      constexpr std::string_view k_letters = "abfnrtv";
      const auto named = k_named.find(static_cast<char>(d.rune));
      if (d.rune < 0x80 && named != std::string_view::npos) {
        out += '\\';
        out += k_letters[named];
      } else if (d.rune < 0x20 || d.rune == 0x7F) {
        out += fmt::format("\\x{:02x}", d.rune);
      } else if (d.rune < 0x10000) {
        out += fmt::format("\\u{:04x}", d.rune);
      } else {
        out += fmt::format("\\U{:08x}", d.rune);
      }
    }
    pos += d.width;
  }
  out += '"';
  return out;
}

void append_checked(std::string& out, std::string_view s) {
  if (out.size() + s.size() > k_max_word_bytes) {
    throw LimitFailure{fmt::format("expansion result exceeds {} bytes", k_max_word_bytes)};
  }
  out += s;
}

void append_rune_checked(std::string& out, Rune r) { append_checked(out, rune_string(r)); }

// Go's `text/scanner` as BuildKit uses it: one rune at a time, a leading BOM skipped.
class Scanner {
public:
  explicit Scanner(std::string_view src) : src_(src) {}

  Rune peek() {
    if (!primed_) {
      primed_ = true;
      load();
      if (ch_ == 0xFEFF) {
        pos_ += width_;
        load();
      }
    }
    return ch_;
  }

  Rune next() {
    const Rune ch = peek();
    if (ch != k_eof) {
      pos_ += width_;
      load();
    }
    return ch;
  }

private:
  void load() {
    if (pos_ >= src_.size()) {
      ch_ = k_eof;
      width_ = 0;
      return;
    }
    const Decoded d = decode_rune(src_, pos_);
    ch_ = d.rune;
    width_ = d.width;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  std::size_t width_ = 0;
  Rune ch_ = k_eof;
  bool primed_ = false;
};

// ---- Patterns of `# % /`: BuildKit turns them into a Go regexp; we match them directly --------

enum class TokKind : std::uint8_t { literal, any, star };
struct PatTok {
  TokKind kind;
  Rune rune;
};

// BuildKit's `convertShellPatternToRegex` without the regexp: `*`, `?`, `\* \? \\`, and `\}`
// `\/` as the plain character. Any other escape is an error, reported with the pattern.
std::vector<PatTok> compile_pattern(std::string_view pattern) {
  std::vector<PatTok> toks;
  Scanner s(pattern);
  for (Rune tok = s.next(); tok != k_eof; tok = s.next()) {
    if (tok == '*' || tok == '?') {
      toks.push_back({tok == '*' ? TokKind::star : TokKind::any, 0});
      continue;
    }
    if (tok == '\\') {
      if (s.peek() == '}' || s.peek() == '/') {
        continue;
      }
      tok = s.next();
      if (tok != '*' && tok != '?' && tok != '\\') {
        throw SyntaxFailure{fmt::format("invalid pattern ({}) in substitution: invalid escape '\\{}'",
                                        pattern, rune_string(tok))};
      }
    }
    toks.push_back({TokKind::literal, tok});
  }
  return toks;
}

// BuildKit's `reversePattern`: reverses runes but keeps each `\x` pair in order. A lone trailing
// backslash moves to the front, as upstream.
std::string reverse_pattern(std::string_view pattern) {
  std::vector<Rune> in;
  for (std::size_t pos = 0; pos < pattern.size();) {
    const Decoded d = decode_rune(pattern, pos);
    in.push_back(d.rune);
    pos += d.width;
  }
  std::vector<Rune> out(in.size());
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t o = in.size() - 1 - i;
    if (in[i] == '\\' && i + 1 < in.size()) {
      out[o - 1] = '\\';
      out[o] = in[i + 1];
      i += 2;
    } else {
      out[o] = in[i];
      ++i;
    }
  }
  std::string text;
  for (const Rune r : out) {
    append_rune(text, r);
  }
  return text;
}

// A value as runes, with the byte offset where each rune starts (`offsets.back()` = size).
struct RuneText {
  std::vector<Rune> runes;
  std::vector<std::uint32_t> offsets;
};

RuneText decode_text(std::string_view value) {
  if (value.size() > k_max_word_bytes) {
    throw LimitFailure{fmt::format("value exceeds {} bytes in pattern substitution",
                                   k_max_word_bytes)};
  }
  RuneText text;
  std::size_t pos = 0;
  while (pos < value.size()) {
    const Decoded d = decode_rune(value, pos);
    text.runes.push_back(d.rune);
    text.offsets.push_back(static_cast<std::uint32_t>(pos));
    pos += d.width;
  }
  text.offsets.push_back(static_cast<std::uint32_t>(pos));
  return text;
}

// Matches a pattern with Go regexp's leftmost-first semantics, without backtracking. The pattern
// is fixed-width segments S0 *S1 ... *Sk. `*` and `?` never cross a newline, so each `*` gap
// stays on one line: placing every middle segment as early as possible is optimal, and the last
// segment is placed earliest (lazy `*`, shortest match) or latest (greedy, longest match).
// Cost is O(pattern x value) comparisons at worst, charged to `budget`.
class Matcher {
public:
  Matcher(const std::vector<PatTok>& toks, const std::vector<Rune>& text, std::size_t& budget)
      : toks_(toks), text_(text), line_end_(text.size() + 1), budget_(budget) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i <= toks.size(); ++i) {
      if (i == toks.size() || toks[i].kind == TokKind::star) {
        segs_.push_back({begin, i});
        begin = i + 1;
      }
    }
    line_end_[text.size()] = static_cast<std::uint32_t>(text.size());
    for (std::size_t i = text.size(); i-- > 0;) {
      line_end_[i] = text[i] == '\n' ? static_cast<std::uint32_t>(i) : line_end_[i + 1];
    }
  }

  // End of the match anchored at 0: the shortest, or with `longest` the longest.
  [[nodiscard]] std::optional<std::size_t> match_prefix(bool longest) const {
    if (!fixed_at(segs_[0], 0)) {
      return std::nullopt;
    }
    if (segs_.size() == 1) {
      return length(segs_[0]);
    }
    const auto e = place_middle(length(segs_[0]));
    return e ? finish(*e, longest) : std::nullopt;
  }

  // The leftmost match at or after `from`, longest at that start (Go's greedy `.*`).
  [[nodiscard]] std::optional<std::pair<std::size_t, std::size_t>> find(std::size_t from) const {
    const std::size_t head = length(segs_[0]);
    for (std::size_t s = from; s + head <= text_.size();) {
      if (!fixed_at(segs_[0], s)) {
        ++s;
        continue;
      }
      if (segs_.size() == 1) {
        return std::pair{s, s + head};
      }
      const std::size_t x = s + head;
      const auto e = place_middle(x);
      const auto end = e ? finish(*e, true) : std::nullopt;
      if (end) {
        return std::pair{s, *end};
      }
      // Failing from x fails from every later start on the same line: skip to the next line.
      s = std::max(s + 1, line_end_[x] + 1 - head);
    }
    return std::nullopt;
  }

private:
  struct Segment {
    std::size_t begin;
    std::size_t end;
  };

  static std::size_t length(const Segment& seg) { return seg.end - seg.begin; }

  void charge(std::size_t steps) const {
    if (steps > budget_) {
      throw LimitFailure{"pattern too complex to match in substitution"};
    }
    budget_ -= steps;
  }

  bool fixed_at(const Segment& seg, std::size_t p) const {
    if (p + length(seg) > text_.size()) {
      charge(1);
      return false;
    }
    std::size_t j = 0;
    for (; j < length(seg); ++j) {
      const PatTok& tok = toks_[seg.begin + j];
      const Rune r = text_[p + j];
      if (tok.kind == TokKind::literal ? r != tok.rune : r == '\n') {
        break;
      }
    }
    charge(j + 1);
    return j == length(seg);
  }

  std::optional<std::size_t> earliest(const Segment& seg, std::size_t from) const {
    for (std::size_t p = from; p <= line_end_[from]; ++p) {
      if (fixed_at(seg, p)) {
        return p;
      }
    }
    return std::nullopt;
  }

  std::optional<std::size_t> latest(const Segment& seg, std::size_t from) const {
    for (std::size_t p = line_end_[from] + 1; p-- > from;) {
      if (fixed_at(seg, p)) {
        return p;
      }
    }
    return std::nullopt;
  }

  // Places S1..S(k-1) as early as possible after `x`; returns where S(k) may start.
  std::optional<std::size_t> place_middle(std::size_t x) const {
    for (std::size_t i = 1; i + 1 < segs_.size(); ++i) {
      const auto p = earliest(segs_[i], x);
      if (!p) {
        return std::nullopt;
      }
      x = *p + length(segs_[i]);
    }
    return x;
  }

  std::optional<std::size_t> finish(std::size_t e, bool longest) const {
    const Segment& last = segs_.back();
    const auto p = longest ? latest(last, e) : earliest(last, e);
    return p ? std::optional{*p + length(last)} : std::nullopt;
  }

  const std::vector<PatTok>& toks_;
  const std::vector<Rune>& text_;
  std::vector<Segment> segs_;
  std::vector<std::uint32_t> line_end_; // index of the first '\n' at or after i, else size
  std::size_t& budget_;
};

// BuildKit's `trimPrefix`: drop the shortest (or longest) anchored match.
std::string trim_prefix(std::string_view pattern, std::string_view value, bool greedy,
                        std::size_t& budget) {
  const auto toks = compile_pattern(pattern);
  const RuneText text = decode_text(value);
  const auto end = Matcher(toks, text.runes, budget).match_prefix(greedy);
  return std::string(end ? value.substr(text.offsets[*end]) : value);
}

// BuildKit's `trimSuffix` reverses pattern and value (as runes) and trims a prefix, so invalid
// UTF-8 in the value comes back as U+FFFD.
std::string trim_suffix(std::string_view pattern, std::string_view value, bool greedy,
                        std::size_t& budget) {
  const auto toks = compile_pattern(reverse_pattern(pattern));
  RuneText text = decode_text(value);
  std::reverse(text.runes.begin(), text.runes.end());
  const auto end = Matcher(toks, text.runes, budget).match_prefix(greedy);
  const std::size_t keep = text.runes.size() - end.value_or(0);
  std::string out;
  for (std::size_t i = 0; i < keep; ++i) {
    append_rune(out, text.runes[text.runes.size() - 1 - i]);
  }
  return out;
}

// Go's `Regexp.Expand` for a pattern without groups: `$$` is `$`, `$0`/`${0}` the match, any
// other well-formed `$name` nothing, and a malformed `$` itself.
void expand_template(std::string& out, std::string_view tmpl, std::string_view match) {
  for (auto dollar = tmpl.find('$'); dollar != std::string_view::npos; dollar = tmpl.find('$')) {
    append_checked(out, tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      append_checked(out, "$");
      tmpl.remove_prefix(1);
      continue;
    }
    const bool brace = !tmpl.empty() && tmpl[0] == '{';
    const std::string_view str = tmpl.substr(brace ? 1 : 0);
    std::size_t i = 0;
    while (i < str.size()) {
      const Decoded d = decode_rune(str, i);
      if (!is_letter(d.rune) && !is_digit(d.rune) && d.rune != '_') {
        break;
      }
      i += d.width;
    }
    if (i == 0 || (brace && (i >= str.size() || str[i] != '}'))) {
      append_checked(out, "$");
      continue;
    }
    if (str.substr(0, i) == "0") {
      append_checked(out, match);
    }
    tmpl = str.substr(i + (brace ? 1 : 0));
  }
  append_checked(out, tmpl);
}

// `${v/p/r}` and `${v//p/r}`: Go's `FindStringIndex` and `ReplaceAllString` on the pattern.
std::string replace(const std::vector<PatTok>& toks, std::string_view value,
                    std::string_view replacement, bool all, std::size_t& budget) {
  const RuneText text = decode_text(value);
  const Matcher matcher(toks, text.runes, budget);
  const auto bytes = [&](std::size_t from, std::size_t to) {
    return value.substr(text.offsets[from], text.offsets[to] - text.offsets[from]);
  };
  std::string out;
  if (!all) {
    const auto m = matcher.find(0);
    if (!m) {
      return std::string(value);
    }
    append_checked(out, bytes(0, m->first));
    append_checked(out, replacement);
    append_checked(out, bytes(m->second, text.runes.size()));
    return out;
  }
  std::size_t last_end = 0;
  for (std::size_t search = 0; search <= text.runes.size();) {
    const auto m = matcher.find(search);
    if (!m) {
      break;
    }
    append_checked(out, bytes(last_end, m->first));
    // No replacement for an empty match right after the previous match (Go's rule).
    if (m->second > last_end || m->first == 0) {
      expand_template(out, replacement, bytes(m->first, m->second));
    }
    last_end = m->second;
    search = m->second > search ? m->second : search + 1;
  }
  append_checked(out, bytes(last_end, text.runes.size()));
  return out;
}

// ---- The lexer proper: BuildKit's `shellWord` ------------------------------------------------

bool is_special_param(Rune r) {
  return r == '@' || r == '*' || r == '#' || r == '?' || r == '-' || r == '$' || r == '!' ||
         r == '0';
}

// BuildKit's `wordsStruct`. The in-progress word lives in one buffer shared by every nesting
// level, and each level resets it on entry: upstream quirk, so `ab${x:-y}` splits to `y`.
class WordSplitter {
public:
  explicit WordSplitter(std::string& buf) : buf_(buf) { buf_.clear(); }

  void add_char(Rune r) {
    if (is_space(r) && in_word_) {
      if (!buf_.empty()) {
        words_.push_back(std::exchange(buf_, {}));
        in_word_ = false;
      }
    } else if (!is_space(r)) {
      add_raw_char(r);
    }
  }
  void add_raw_char(Rune r) {
    append_rune(buf_, r);
    in_word_ = true;
  }
  void add_string(std::string_view s) {
    for (std::size_t pos = 0; pos < s.size();) {
      const Decoded d = decode_rune(s, pos);
      add_char(d.rune);
      pos += d.width;
    }
  }
  void add_raw_string(std::string_view s) {
    buf_ += s;
    in_word_ = true;
  }
  std::vector<std::string> take() {
    if (!buf_.empty()) {
      words_.push_back(std::exchange(buf_, {}));
      in_word_ = false;
    }
    return std::move(words_);
  }

private:
  std::string& buf_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

class Expander {
public:
  Expander(const LexOptions& options, const Env& env, std::string_view word)
      : opt_(options), env_(env), escape_(static_cast<unsigned char>(options.escape)),
        scan_(word) {}

  std::string run(std::vector<std::string>* words) {
    return stop_on(k_eof, opt_.raw_escapes, words);
  }

  std::set<std::string> matched;
  std::set<std::string> unmatched;

private:
  // BuildKit's `processStopOn`: lex up to `stop` (consumed) or the end of input.
  std::string stop_on(Rune stop, bool raw_escapes, std::vector<std::string>* words_out) {
    std::string result;
    WordSplitter words(words_buf_);
    while (scan_.peek() != k_eof) {
      Rune ch = scan_.peek();
      if (stop != k_eof && ch == stop) {
        scan_.next();
        finish_words(words, words_out);
        return result;
      }
      const bool quote = !opt_.skip_process_quotes && (ch == '\'' || ch == '"');
      if (ch == '$' || quote) {
        const std::string part = ch == '$'    ? dollar()
                                 : ch == '\'' ? single_quote()
                                              : double_quote(raw_escapes);
        append_checked(result, part);
        // Only `$` expansions are split; quoted text stays in one word.
        if (ch == '$') {
          words.add_string(part);
        } else {
          words.add_raw_string(part);
        }
        continue;
      }
      ch = scan_.next();
      if (ch == escape_) {
        if (raw_escapes) {
          words.add_raw_char(ch);
          append_rune_checked(result, ch);
        }
        ch = scan_.next();
        if (ch == k_eof) {
          break; // a trailing lone escape is dropped
        }
        words.add_raw_char(ch);
      } else {
        words.add_char(ch);
      }
      append_rune_checked(result, ch);
    }
    if (stop != k_eof) {
      throw SyntaxFailure{fmt::format("unexpected end of statement while looking for matching {}",
                                      rune_string(stop))};
    }
    finish_words(words, words_out);
    return result;
  }

  static void finish_words(WordSplitter& words, std::vector<std::string>* out) {
    auto list = words.take();
    if (out != nullptr) {
      *out = std::move(list);
    }
  }

  // `'...'`: nothing is special inside; there is no way to escape `'`.
  std::string single_quote() {
    std::string out;
    const Rune open = scan_.next();
    if (opt_.raw_quotes) {
      append_rune_checked(out, open);
    }
    for (Rune ch = scan_.next(); ch != '\''; ch = scan_.next()) {
      if (ch == k_eof) {
        throw SyntaxFailure{
            "unexpected end of statement while looking for matching single-quote"};
      }
      append_rune_checked(out, ch);
    }
    if (opt_.raw_quotes) {
      append_rune_checked(out, '\'');
    }
    return out;
  }

  // `"..."`: `$` expands; the escape escapes only `"`, `$` and itself, else stays literal. With
  // raw escapes a literal escape is written twice, as upstream does.
  std::string double_quote(bool raw_escapes) {
    std::string out;
    const Rune open = scan_.next();
    if (opt_.raw_quotes) {
      append_rune_checked(out, open);
    }
    for (;;) {
      const Rune peeked = scan_.peek();
      if (peeked == k_eof) {
        throw SyntaxFailure{
            "unexpected end of statement while looking for matching double-quote"};
      }
      if (peeked == '"') {
        scan_.next();
        if (opt_.raw_quotes) {
          append_rune_checked(out, '"');
        }
        return out;
      }
      if (peeked == '$') {
        append_checked(out, dollar());
        continue;
      }
      Rune ch = scan_.next();
      if (ch == escape_) {
        if (raw_escapes) {
          append_rune_checked(out, ch);
        }
        const Rune after = scan_.peek();
        if (after == k_eof) {
          continue;
        }
        if (after == '"' || after == '$' || after == escape_) {
          ch = scan_.next();
        }
      }
      append_rune_checked(out, ch);
    }
  }

  // BuildKit's `processDollar`, entered at `$`.
  std::string dollar() {
    scan_.next();
    if (scan_.peek() != '{') {
      const std::string name = read_name();
      if (name.empty()) {
        return "$";
      }
      const std::string* value = lookup(name);
      if (value == nullptr && opt_.skip_unset_env) {
        return "$" + name;
      }
      return value != nullptr ? *value : std::string();
    }
    if (depth_ >= k_max_expansion_depth) {
      throw LimitFailure{"expansion nested too deeply"};
    }
    ++depth_;
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{depth_};
    return braced();
  }

  // `${...}`, entered at `{`.
  std::string braced() {
    scan_.next();
    const Rune first = scan_.peek();
    if (first == k_eof) {
      throw SyntaxFailure{"syntax error: missing '}'"};
    }
    if (first == '{' || first == '}' || first == ':') {
      throw SyntaxFailure{"syntax error: bad substitution"};
    }
    const std::string name = read_name();
    Rune ch = scan_.next();
    std::string chs = rune_string(ch);
    if (ch == '}') {
      const std::string* value = lookup(name);
      if (value == nullptr && opt_.skip_unset_env) {
        return "${" + name + "}";
      }
      return value != nullptr ? *value : std::string();
    }
    if (ch == '/') {
      return substitute(name);
    }
    const bool null_is_unset = ch == ':';
    if (null_is_unset) {
      ch = scan_.next(); // after `:` any character reaches the operator switch
      chs += rune_string(ch);
    } else if (ch != '+' && ch != '-' && ch != '?' && ch != '#' && ch != '%') {
      throw unsupported(chs);
    }
    return modify(name, ch, chs, null_is_unset);
  }

  static SyntaxFailure unsupported(const std::string& chs) {
    return SyntaxFailure{fmt::format("unsupported modifier ({}) in substitution", chs)};
  }

  // The operand of an operator. An error with the input exhausted becomes `missing`.
  std::string operand(Rune stop, bool raw_escapes, const char* missing) {
    try {
      return stop_on(stop, raw_escapes, nullptr);
    } catch (const SyntaxFailure&) {
      if (scan_.peek() == k_eof) {
        throw SyntaxFailure{missing};
      }
      throw;
    }
  }

  // `${name<op>word}` for `- + ? # %` and their `:` forms.
  std::string modify(const std::string& name, Rune op, const std::string& chs, bool null_is_unset) {
    // Patterns keep their escapes so `\*` reaches the matcher.
    const bool pattern = op == '#' || op == '%';
    if (null_is_unset && pattern) {
      throw unsupported(chs);
    }
    std::string word = operand('}', pattern, "syntax error: missing '}'");
    const std::string* value = lookup(name);
    if (opt_.skip_unset_env && value == nullptr) {
      return "${" + name + chs + word + "}";
    }
    const bool absent = value == nullptr || (null_is_unset && value->empty());
    const std::string current = value != nullptr ? *value : std::string();
    switch (op) {
    case '-': return absent ? word : current;
    case '+': return absent ? std::string() : word;
    case '?':
      if (absent) {
        const char* what = value == nullptr ? "is not allowed to be unset"
                                            : "is not allowed to be empty";
        throw SyntaxFailure{fmt::format("{}: {}", name, word.empty() ? what : word)};
      }
      return current;
    case '#':
    case '%': {
      // A doubled operator (`##`, `%%`) asks for the longest match; it is checked after
      // expansion, so `${v#"#"x}` is greedy too, as upstream.
      const bool greedy = !word.empty() && word[0] == static_cast<char>(op);
      const std::string_view pat = std::string_view(word).substr(greedy ? 1 : 0);
      return op == '%' ? trim_suffix(pat, current, greedy, budget_)
                       : trim_prefix(pat, current, greedy, budget_);
    }
    default: throw unsupported(chs);
    }
  }

  // `${name/pattern/replacement}` and `${name//pattern/replacement}`, entered after the `/`.
  std::string substitute(const std::string& name) {
    const bool all = scan_.peek() == '/';
    if (all) {
      scan_.next();
    }
    const std::string pattern = operand('/', true, "syntax error: missing '/' in ${}");
    const std::string replacement = operand('}', true, "syntax error: missing '}'");
    const std::string* value = lookup(name);
    if (opt_.skip_unset_env && value == nullptr) {
      return "${" + name + "/" + pattern + "/" + replacement + "}"; // `//` is lost, as upstream
    }
    const auto toks = compile_pattern(pattern);
    return replace(toks, value != nullptr ? *value : std::string_view(), replacement, all, budget_);
  }

  // BuildKit's `processName`.
  std::string read_name() {
    std::string name;
    while (scan_.peek() != k_eof) {
      const Rune ch = scan_.peek();
      if (name.empty() && is_digit(ch)) {
        while (is_digit(scan_.peek())) {
          append_rune(name, scan_.next()); // `$10` is the name `10`
        }
        return name;
      }
      if (name.empty() && is_special_param(ch)) {
        return rune_string(scan_.next());
      }
      if (!is_letter(ch) && !is_digit(ch) && ch != '_') {
        break;
      }
      append_rune(name, scan_.next());
    }
    return name;
  }

  const std::string* lookup(const std::string& name) {
    const auto it = env_.find(name);
    if (it == env_.end()) {
      unmatched.insert(name);
      return nullptr;
    }
    matched.insert(name);
    return &it->second;
  }

  const LexOptions& opt_;
  const Env& env_;
  Rune escape_;
  Scanner scan_;
  std::string words_buf_;
  int depth_ = 0;
  std::size_t budget_ = k_max_match_steps;
};

[[noreturn]] void fail(std::string_view word, const std::string& message) {
  throw Error(ErrorKind::parse, fmt::format("failed to process {}: {}", go_quote(word), message));
}

// Runs `fn`, turning internal failures into BuildKit's `failed to process "word": ...` error.
template <typename Fn> auto guarded(std::string_view word, Fn&& fn) {
  try {
    return fn();
  } catch (const SyntaxFailure& f) {
    fail(word, f.message);
  } catch (const LimitFailure& f) {
    fail(word, f.message);
  }
}

} // namespace

ShellLexer::ShellLexer(LexOptions options) : options_(options) {}

ExpandResult ShellLexer::process_word(std::string_view word, const Env& env) const {
  return guarded(word, [&] {
    Expander expander(options_, env, word);
    ExpandResult result;
    result.word = expander.run(nullptr);
    result.matched = std::move(expander.matched);
    result.unmatched = std::move(expander.unmatched);
    return result;
  });
}

std::vector<std::string> ShellLexer::process_words(std::string_view word, const Env& env) const {
  return guarded(word, [&] {
    Expander expander(options_, env, word);
    std::vector<std::string> words;
    std::ignore = expander.run(&words);
    return words;
  });
}

} // namespace strata::parser
