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

// A failure inside the lexer, wrapped into `Error` at the API boundary. BuildKit failures inside
// an operand become "missing '}'" when the input is exhausted; `limit` failures (our bounds)
// are never rewritten, so a limit is always reported as such.
struct Failure {
  std::string message;
  bool limit = false;
};

// ---- UTF-8 and Unicode classes, following Go ---------------------------------------------------

struct Decoded {
  Rune rune;
  std::size_t width;
};

// Go's `utf8.DecodeRuneInString`: an invalid or truncated sequence is U+FFFD of width 1.
Decoded decode_rune(std::string_view s, std::size_t pos) {
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

// Go's `WriteRune`: an invalid rune (including `k_eof`, as in `string(rune(-1))`) is U+FFFD.
void append_rune(std::string& out, Rune r) {
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

std::string rune_string(Rune r) {
  std::string out;
  append_rune(out, r);
  return out;
}

std::vector<Rune> to_runes(std::string_view s) {
  std::vector<Rune> runes;
  for (std::size_t pos = 0; pos < s.size();) {
    const Decoded d = decode_rune(s, pos);
    runes.push_back(d.rune);
    pos += d.width;
  }
  return runes;
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

// Go's `strconv.Quote` for BuildKit's "failed to process %q". Simplification: every valid
// non-ASCII rune except C1 controls and white space is printed as is.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t pos = 0; pos < s.size(); pos += decode_rune(s, pos).width) {
    const Decoded d = decode_rune(s, pos);
    constexpr std::string_view k_controls = "\a\b\f\n\r\t\v";
    const auto named =
        d.rune < 0x80 ? k_controls.find(static_cast<char>(d.rune)) : std::string::npos;
    if (d.rune == k_rune_error && d.width == 1) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[pos]));
    } else if (d.rune == '"' || d.rune == '\\') {
      out += fmt::format("\\{}", static_cast<char>(d.rune));
    } else if (named != std::string::npos) {
      out += fmt::format("\\{}", "abfnrtv"[named]);
    } else if (d.rune < 0x20 || d.rune == 0x7F) {
      out += fmt::format("\\x{:02x}", d.rune);
    } else if (d.rune >= 0x80 && (d.rune < 0xA0 || is_space(d.rune))) {
      out += fmt::format("\\u{:04x}", d.rune);
    } else {
      out += s.substr(pos, d.width);
    }
  }
  return out + '"';
}

void append_checked(std::string& out, std::string_view s) {
  if (out.size() + s.size() > k_max_word_bytes) {
    throw Failure{fmt::format("expansion result exceeds {} bytes", k_max_word_bytes), true};
  }
  out += s;
}

void append_rune_checked(std::string& out, Rune r) { append_checked(out, rune_string(r)); }

// Go's `text/scanner` as BuildKit uses it: one rune at a time, a leading BOM skipped.
class Scanner {
public:
  explicit Scanner(std::string_view src) : src_(src) {
    load();
    if (ch_ == 0xFEFF) {
      next();
    }
  }
  [[nodiscard]] Rune peek() const { return ch_; }
  Rune next() {
    const Rune ch = ch_;
    pos_ += width_;
    load();
    return ch;
  }

private:
  void load() {
    const Decoded d = pos_ < src_.size() ? decode_rune(src_, pos_) : Decoded{k_eof, 0};
    ch_ = d.rune;
    width_ = d.width;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  std::size_t width_ = 0;
  Rune ch_ = k_eof;
};

// ---- Patterns of `# % /`: BuildKit compiles them to a Go regexp; we match them directly ------

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
        throw Failure{fmt::format("invalid pattern ({}) in substitution: invalid escape '\\{}'",
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
  const std::vector<Rune> in = to_runes(pattern);
  std::vector<Rune> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::size_t o = in.size() - 1 - i;
    if (in[i] == '\\' && i + 1 < in.size()) {
      out[o - 1] = '\\';
      out[o] = in[++i];
    } else {
      out[o] = in[i];
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
    throw Failure{fmt::format("value exceeds {} bytes in pattern substitution", k_max_word_bytes),
                  true};
  }
  RuneText text;
  for (std::size_t pos = 0; pos < value.size(); pos += decode_rune(value, pos).width) {
    text.runes.push_back(decode_rune(value, pos).rune);
    text.offsets.push_back(static_cast<std::uint32_t>(pos));
  }
  text.offsets.push_back(static_cast<std::uint32_t>(value.size()));
  return text;
}

// Matches a pattern with Go regexp's leftmost-first semantics, without backtracking. The pattern
// is fixed-width segments S0 *S1 ... *Sk. `*` and `?` never cross a newline, so each `*` gap
// stays on one line: placing every middle segment as early as possible is optimal, and the last
// segment is placed earliest (lazy `*`: shortest match) or latest (greedy: longest match).
// Cost is O(pattern x value) comparisons at worst, charged to `budget`.
class Matcher {
public:
  Matcher(const std::vector<PatTok>& toks, const std::vector<Rune>& text, std::size_t& budget)
      : toks_(toks), text_(text), line_end_(text.size() + 1), budget_(budget) {
    for (std::size_t i = 0, begin = 0; i <= toks.size(); ++i) {
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
    return segs_.size() == 1 ? length(segs_[0]) : rest(length(segs_[0]), longest);
  }

  // The leftmost match at or after `from`, longest at that start (Go's greedy `.*`).
  [[nodiscard]] std::optional<std::pair<std::size_t, std::size_t>> find(std::size_t from) const {
    const std::size_t head = length(segs_[0]);
    for (std::size_t s = from; s + head <= text_.size();) {
      if (!fixed_at(segs_[0], s)) {
        ++s;
        continue;
      }
      const auto end = segs_.size() == 1 ? std::optional{s + head} : rest(s + head, true);
      if (end) {
        return std::pair{s, *end};
      }
      // Failing from x fails from every later start on the same line: skip to the next line.
      s = std::max<std::size_t>(s + 1, line_end_[s + head] + 1 - head);
    }
    return std::nullopt;
  }

private:
  struct Segment {
    std::size_t begin;
    std::size_t end;
  };

  static std::size_t length(const Segment& seg) { return seg.end - seg.begin; }

  bool fixed_at(const Segment& seg, std::size_t p) const {
    std::size_t j = 0;
    const bool fits = p + length(seg) <= text_.size();
    for (; fits && j < length(seg); ++j) {
      const PatTok& tok = toks_[seg.begin + j];
      const Rune r = text_[p + j];
      if (tok.kind == TokKind::literal ? r != tok.rune : r == '\n') {
        break;
      }
    }
    if (j + 1 > budget_) {
      throw Failure{"pattern too complex to match in substitution", true};
    }
    budget_ -= j + 1;
    return fits && j == length(seg);
  }

  // Where `seg` can start after a `*` that starts at `from`: first or last such place.
  std::optional<std::size_t> place(const Segment& seg, std::size_t from, bool last) const {
    for (std::size_t i = 0; i <= line_end_[from] - from; ++i) {
      const std::size_t p = last ? line_end_[from] - i : from + i;
      if (fixed_at(seg, p)) {
        return p;
      }
    }
    return std::nullopt;
  }

  // Matches S1..Sk after S0 ended at `x`; returns the end of the match.
  std::optional<std::size_t> rest(std::size_t x, bool longest) const {
    for (std::size_t i = 1; i < segs_.size(); ++i) {
      const auto p = place(segs_[i], x, longest && i + 1 == segs_.size());
      if (!p) {
        return std::nullopt;
      }
      x = *p + length(segs_[i]);
    }
    return x;
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
  std::vector<Rune> runes = decode_text(value).runes;
  std::reverse(runes.begin(), runes.end());
  const auto end = Matcher(toks, runes, budget).match_prefix(greedy);
  std::string out;
  for (std::size_t i = runes.size(); i-- > end.value_or(0);) {
    append_rune(out, runes[i]);
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
    for (Decoded d{}; i < str.size(); i += d.width) {
      d = decode_rune(str, i);
      if (!is_letter(d.rune) && !is_digit(d.rune) && d.rune != '_') {
        break;
      }
    }
    if (i == 0 || (brace && (i >= str.size() || str[i] != '}'))) {
      append_checked(out, "$");
      continue;
    }
    append_checked(out, str.substr(0, i) == "0" ? match : std::string_view());
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
  std::size_t last_end = 0;
  for (std::size_t search = 0; search <= text.runes.size();) {
    const auto m = matcher.find(search);
    if (!m) {
      break;
    }
    append_checked(out, bytes(last_end, m->first));
    if (!all) {
      append_checked(out, replacement);
      last_end = m->second;
      break;
    }
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
  constexpr std::string_view k_special = "@*#?-$!0";
  return r > 0 && r < 0x80 && k_special.find(static_cast<char>(r)) != std::string_view::npos;
}

// BuildKit's `wordsStruct`. The in-progress word lives in one buffer shared by every nesting
// level, and each level resets it on entry: upstream quirk, so `ab${x:-y}` splits to `y`.
class WordSplitter {
public:
  explicit WordSplitter(std::string& buf) : buf_(buf) { buf_.clear(); }

  void add_char(Rune r) {
    if (!is_space(r)) {
      add_raw_char(r);
    } else if (in_word_ && !buf_.empty()) {
      words_.push_back(std::exchange(buf_, {}));
      in_word_ = false;
    }
  }
  void add_raw_char(Rune r) {
    append_rune(buf_, r);
    in_word_ = true;
  }
  void add_string(std::string_view s) {
    for (const Rune r : to_runes(s)) {
      add_char(r);
    }
  }
  void add_raw_string(std::string_view s) {
    buf_ += s;
    in_word_ = true;
  }
  // Ends the level: flushes the shared buffer (always) and hands the words to `out` if wanted.
  void finish(std::vector<std::string>* out) {
    if (!buf_.empty()) {
      words_.push_back(std::exchange(buf_, {}));
    }
    if (out != nullptr) {
      *out = std::move(words_);
    }
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
    for (Rune ch = scan_.peek(); ch != k_eof; ch = scan_.peek()) {
      if (stop != k_eof && ch == stop) {
        scan_.next();
        words.finish(words_out);
        return result;
      }
      if (ch == '$' || (!opt_.skip_process_quotes && (ch == '\'' || ch == '"'))) {
        const std::string part = ch == '$'    ? dollar()
                                 : ch == '\'' ? single_quote()
                                              : double_quote(raw_escapes);
        append_checked(result, part);
        // Only `$` expansions are split; quoted text stays in one word.
        ch == '$' ? words.add_string(part) : words.add_raw_string(part);
        continue;
      }
      if (scan_.next() != escape_) {
        words.add_char(ch);
      } else {
        if (raw_escapes) {
          words.add_raw_char(ch);
          append_rune_checked(result, ch);
        }
        ch = scan_.next();
        if (ch == k_eof) {
          break; // a trailing lone escape is dropped
        }
        words.add_raw_char(ch);
      }
      append_rune_checked(result, ch);
    }
    if (stop != k_eof) {
      throw Failure{fmt::format("unexpected end of statement while looking for matching {}",
                                rune_string(stop))};
    }
    words.finish(words_out);
    return result;
  }

  // `'...'`: nothing is special inside; there is no way to escape `'`.
  std::string single_quote() {
    std::string out;
    const Rune open = scan_.next();
    for (Rune ch = scan_.next(); ch != open; ch = scan_.next()) {
      if (ch == k_eof) {
        throw Failure{"unexpected end of statement while looking for matching single-quote"};
      }
      append_rune_checked(out, ch);
    }
    return opt_.raw_quotes ? "'" + out + "'" : out;
  }

  // `"..."`: `$` expands; the escape escapes only `"`, `$` and itself, else stays literal. With
  // raw escapes a literal escape is written twice, as upstream does.
  std::string double_quote(bool raw_escapes) {
    std::string out;
    scan_.next();
    for (Rune ch = scan_.peek(); ch != '"'; ch = scan_.peek()) {
      if (ch == k_eof) {
        throw Failure{"unexpected end of statement while looking for matching double-quote"};
      }
      if (ch == '$') {
        append_checked(out, dollar());
        continue;
      }
      if (scan_.next() == escape_) {
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
    scan_.next();
    return opt_.raw_quotes ? '"' + out + '"' : out;
  }

  // BuildKit's `processDollar`, entered at `$`.
  std::string dollar() {
    scan_.next();
    if (scan_.peek() != '{') {
      const std::string name = read_name();
      return name.empty() ? "$" : value_or_kept(name, "$" + name);
    }
    if (depth_ >= k_max_expansion_depth) {
      throw Failure{"expansion nested too deeply", true};
    }
    ++depth_;
    std::string out = braced();
    --depth_; // not restored on failure: a failure ends the whole word
    return out;
  }

  // `${...}`, entered at `{`.
  std::string braced() {
    scan_.next();
    if (scan_.peek() == k_eof) {
      throw Failure{"syntax error: missing '}'"};
    }
    if (scan_.peek() == '{' || scan_.peek() == '}' || scan_.peek() == ':') {
      throw Failure{"syntax error: bad substitution"};
    }
    const std::string name = read_name();
    Rune op = scan_.next();
    std::string chs = rune_string(op);
    if (op == '}') {
      return value_or_kept(name, "${" + name + "}");
    }
    if (op == '/') {
      return substitute(name);
    }
    const bool null_is_unset = op == ':';
    if (null_is_unset) {
      op = scan_.next(); // after `:` any character reaches the operator switch
      chs += rune_string(op);
    } else if (op != '+' && op != '-' && op != '?' && op != '#' && op != '%') {
      throw unsupported(chs);
    }
    return modify(name, op, chs, null_is_unset);
  }

  static Failure unsupported(const std::string& chs) {
    return Failure{fmt::format("unsupported modifier ({}) in substitution", chs)};
  }

  // The operand of an operator. A BuildKit error with the input exhausted becomes `missing`.
  std::string operand(Rune stop, bool raw_escapes, const char* missing) {
    try {
      return stop_on(stop, raw_escapes, nullptr);
    } catch (const Failure& f) {
      if (!f.limit && scan_.peek() == k_eof) {
        throw Failure{missing};
      }
      throw;
    }
  }

  // `${name<op>word}` for `- + ? # %` and their `:` forms.
  std::string modify(const std::string& name, Rune op, const std::string& chs, bool null_is_unset) {
    const bool pattern = op == '#' || op == '%';
    if (null_is_unset && pattern) {
      throw unsupported(chs);
    }
    // Patterns keep their escapes so that `\*` reaches the matcher.
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
        throw Failure{fmt::format("{}: {}", name, word.empty() ? what : word)};
      }
      return current;
    case '#':
    case '%': {
      // A doubled operator asks for the longest match. It is checked after expansion, so
      // `${v#"#"x}` is greedy too, as upstream.
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
    for (Rune ch = scan_.peek(); ch != k_eof; ch = scan_.peek()) {
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

  // The value of `name`; when unset, "" or with `skip_unset_env` the reference as `written`.
  std::string value_or_kept(const std::string& name, std::string written) {
    const std::string* value = lookup(name);
    if (value == nullptr) {
      return opt_.skip_unset_env ? written : std::string();
    }
    return *value;
  }

  const std::string* lookup(const std::string& name) {
    const auto it = env_.find(name);
    (it == env_.end() ? unmatched : matched).insert(name);
    return it == env_.end() ? nullptr : &it->second;
  }

  const LexOptions& opt_;
  const Env& env_;
  Rune escape_;
  Scanner scan_;
  std::string words_buf_;
  int depth_ = 0;
  std::size_t budget_ = k_max_match_steps;
};

// Runs `fn`, turning a `Failure` into BuildKit's `failed to process "word": ...` error.
template <typename Fn> auto guarded(std::string_view word, Fn&& fn) {
  try {
    return fn();
  } catch (const Failure& f) {
    throw Error(ErrorKind::parse,
                fmt::format("failed to process {}: {}", go_quote(word), f.message));
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
