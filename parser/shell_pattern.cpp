#include "parser/shell_pattern.hpp"

#include "parser/error_messages.hpp"
#include "parser/shell_lexer.hpp"
#include "parser/shell_words.hpp"
#include "parser/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

namespace strata::parser::detail::shell {
namespace {

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
        throw Failure{
            fmt::format(messages::k_shell_invalid_pattern_escape, pattern, rune_string(tok))};
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
    throw Failure{fmt::format(messages::k_shell_value_too_long, k_max_word_bytes), true};
  }
  RuneText text;
  for (std::size_t pos = 0; pos < value.size();) {
    const text::Rune r = text::decode_rune(value, pos);
    text.runes.push_back(static_cast<Rune>(r.value));
    text.offsets.push_back(static_cast<std::uint32_t>(pos));
    pos += r.width;
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
      throw Failure{std::string(messages::k_shell_pattern_too_complex), true};
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
    for (text::Rune d{}; i < str.size(); i += d.width) {
      d = text::decode_rune(str, i);
      const auto r = static_cast<Rune>(d.value);
      if (!is_letter(r) && !is_digit(r) && r != '_') {
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

} // namespace

// BuildKit's `trimPrefix`: drop the shortest (or longest) anchored match.
std::string trim_prefix(std::string_view pattern, std::string_view value, MatchLength length,
                        std::size_t& budget) {
  const auto toks = compile_pattern(pattern);
  const RuneText text = decode_text(value);
  const auto end = Matcher(toks, text.runes, budget).match_prefix(length == MatchLength::longest);
  return std::string(end ? value.substr(text.offsets[*end]) : value);
}

// BuildKit's `trimSuffix` reverses pattern and value (as runes) and trims a prefix, so invalid
// UTF-8 in the value comes back as U+FFFD.
std::string trim_suffix(std::string_view pattern, std::string_view value, MatchLength length,
                        std::size_t& budget) {
  const auto toks = compile_pattern(reverse_pattern(pattern));
  std::vector<Rune> runes = decode_text(value).runes;
  std::reverse(runes.begin(), runes.end());
  const auto end = Matcher(toks, runes, budget).match_prefix(length == MatchLength::longest);
  std::string out;
  for (std::size_t i = runes.size(); i-- > end.value_or(0);) {
    append_rune(out, runes[i]);
  }
  return out;
}

// `${v/p/r}` and `${v//p/r}`: Go's `FindStringIndex` and `ReplaceAllString` on the pattern.
std::string replace_matches(std::string_view pattern, std::string_view value,
                            std::string_view replacement, Occurrences which, std::size_t& budget) {
  const auto toks = compile_pattern(pattern);
  const bool all = which == Occurrences::all;
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

} // namespace strata::parser::detail::shell
