#include "parser/dockerignore.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

namespace strata::parser {

namespace detail {

// What an NFA state consumes before moving to `out`.
enum class Accept : std::uint8_t { nothing, any, not_sep, rune, klass };

struct Node {
  Accept accept = Accept::nothing;
  char32_t rune = 0;       // the rune for `rune`, the separator for `not_sep`
  std::uint32_t klass = 0; // index into `Program::classes`
  int out = -1;            // state after consuming one rune
  int eps1 = -1;           // states entered without consuming (`*` may match nothing)
  int eps2 = -1;
};

struct CharClass {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  bool negated = false;

  [[nodiscard]] bool contains(char32_t r) const {
    const bool in = std::any_of(ranges.begin(), ranges.end(), [r](const auto& range) {
      return range.first <= r && r <= range.second;
    });
    return in != negated;
  }
};

// The accepting state is `nodes.size()`; the start state is 0.
struct Program {
  std::vector<Node> nodes;
  std::vector<CharClass> classes;
};

} // namespace detail

namespace {

using detail::Accept;
using detail::Node;
using detail::Program;

// User-facing messages, in one place (STYLE.md §6).
namespace msg {
constexpr std::string_view k_bad_pattern = "invalid .dockerignore pattern \"{}\": {}";
constexpr std::string_view k_lone_exception = "`!` must be followed by a pattern";
constexpr std::string_view k_trailing_backslash = "trailing `\\` escapes nothing";
constexpr std::string_view k_unterminated = "unterminated character class `[`";
constexpr std::string_view k_class_empty = "empty character class (write `\\]` for a literal `]`)";
constexpr std::string_view k_class_dash = "`-` with no range start (write `\\-` for a literal `-`)";
constexpr std::string_view k_range_no_end = "character range has no end";
constexpr std::string_view k_reversed_range = "character range is reversed";
constexpr std::string_view k_class_utf8 = "invalid UTF-8 in a character class";
constexpr std::string_view k_line_too_long = ".dockerignore line {} is longer than 65535 bytes";
} // namespace msg

// Go's bufio.Scanner gives up on longer lines, which fails `docker build`.
constexpr std::size_t k_max_line = 65535;
constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";
constexpr char32_t k_rune_error = 0xFFFD;

struct Rune {
  char32_t value;
  std::size_t width;
};

// Go's `utf8.DecodeRuneInString`: an invalid or truncated sequence is U+FFFD of width 1, which is
// also how Go's regexp engine and `text/scanner` see such bytes.
Rune decode_rune(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned lead = byte(0);
  if (lead < 0x80) {
    return {lead, 1};
  }
  std::size_t width = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    width = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    width = 3;
    lo = lead == 0xE0 ? 0xA0 : 0x80; // no overlong forms
    hi = lead == 0xED ? 0x9F : 0xBF; // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    width = 4;
    lo = lead == 0xF0 ? 0x90 : 0x80;
    hi = lead == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
  } else {
    return {k_rune_error, 1};
  }
  if (i + width > s.size()) {
    return {k_rune_error, 1};
  }
  char32_t value = lead & (0x7FU >> width);
  for (std::size_t k = 1; k < width; ++k) {
    const unsigned c = byte(k);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) {
      return {k_rune_error, 1};
    }
    value = (value << 6) | (c & 0x3F);
  }
  return {value, width};
}

void append_utf8(std::string& out, char32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
    return;
  }
  constexpr unsigned k_lead[] = {0x00, 0xC0, 0xE0, 0xF0};
  const int tail = r < 0x800 ? 1 : r < 0x10000 ? 2 : 3;
  out += static_cast<char>(k_lead[tail] | (r >> (6 * tail)));
  for (int k = tail - 1; k >= 0; --k) {
    out += static_cast<char>(0x80 | ((r >> (6 * k)) & 0x3F));
  }
}

// Go's `unicode.IsSpace`, which `strings.TrimSpace` uses.
bool is_go_space(char32_t r) {
  switch (r) {
  case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
  case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
    return true;
  default:
    return r >= 0x2000 && r <= 0x200A;
  }
}

// Go's `strings.TrimSpace`.
std::string_view trim_space(std::string_view s) {
  std::size_t begin = s.size();
  std::size_t end = 0;
  for (std::size_t i = 0; i < s.size();) {
    const Rune r = decode_rune(s, i);
    if (!is_go_space(r.value)) {
      begin = std::min(begin, i);
      end = i + r.width;
    }
    i += r.width;
  }
  return begin < end ? s.substr(begin, end - begin) : std::string_view{};
}

// Go's `filepath.Dir`: everything before the last '/', cleaned ("." when there is none).
std::string go_dir(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return clean_path(slash == std::string_view::npos ? "" : path.substr(0, slash + 1));
}

bool is_ascii_alnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Go's regexp takes `\` before any ASCII character other than a letter or digit as that character.
void append_regexp_literal(std::string& out, char32_t c) {
  if (c < 0x80 && !is_ascii_alnum(c)) {
    out += '\\';
  }
  append_utf8(out, c);
}

// Translates one pattern into moby's classification, its Go regexp text and our NFA, in one
// left-to-right pass that follows moby's `Pattern.compile` branch for branch (so `i == 0` and
// the type transitions match), while parsing `[...]` and `\` with `filepath.Match`'s rules.
class Compiler {
public:
  Compiler(std::string_view pattern, char separator, std::string_view shown)
      : src_(pattern), sep_(static_cast<unsigned char>(separator)), shown_(shown) {}

  void run();

  PatternInfo info;
  Program program;

private:
  [[nodiscard]] bool at_end() const { return pos_ >= src_.size(); }
  [[nodiscard]] char32_t peek() const { return decode_rune(src_, pos_).value; }
  char32_t next() {
    const Rune r = decode_rune(src_, pos_);
    pos_ += r.width;
    return r.value;
  }
  [[nodiscard]] std::string_view sep_regexp() const { return sep_ == '\\' ? "\\\\" : "/"; }
  [[nodiscard]] int here() const { return static_cast<int>(program.nodes.size()); }
  void add(Accept accept, char32_t rune, int out, int eps = -1) {
    program.nodes.push_back(Node{accept, rune, 0, out, eps, -1});
  }

  void star(bool first);
  void escape();
  void plain(char32_t c);
  void char_class();
  char32_t class_member(bool range_end);
  [[noreturn]] void fail(std::string_view reason) const {
    throw Error(ErrorKind::parse, fmt::format(msg::k_bad_pattern, shown_, reason));
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  char32_t sep_;
  std::string_view shown_;
};

void Compiler::run() {
  info.go_regexp = "^";
  for (bool first = true; !at_end(); first = false) {
    const char32_t c = next();
    if (c == '*') {
      star(first);
    } else if (c == '?') {
      info.go_regexp += fmt::format("[^{}]", sep_regexp());
      info.type = MatchType::regexp;
      add(Accept::not_sep, sep_, here() + 1);
    } else if (c == '\\') {
      escape();
    } else if (c == '[') {
      char_class();
    } else {
      plain(c);
    }
  }
  if (info.type == MatchType::regexp) {
    info.go_regexp += '$';
  } else {
    info.go_regexp.clear(); // the plain string tests do not use the NFA
  }
}

void Compiler::star(bool first) {
  if (at_end() || peek() != '*') {
    info.go_regexp += fmt::format("[^{}]*", sep_regexp());
    info.type = MatchType::regexp;
    add(Accept::not_sep, sep_, here(), here() + 1);
    return;
  }
  next();
  if (!at_end() && peek() == sep_) {
    next(); // `**/` is `**`
  }
  if (!at_end()) {
    // `(.*/)?`: nothing, or anything that ends with a separator. Three states: an entry that may
    // skip, a loop over any rune, and the separator that leaves the loop.
    info.go_regexp += fmt::format("(.*{})?", sep_regexp());
    info.type = MatchType::regexp;
    const int entry = here();
    program.nodes.push_back(Node{Accept::nothing, 0, 0, -1, entry + 1, entry + 3});
    add(Accept::any, 0, entry + 1, entry + 2);
    add(Accept::rune, sep_, entry + 3);
  } else if (info.type == MatchType::exact) {
    info.type = MatchType::prefix; // moby tests the text before `**` with a plain prefix check
  } else {
    info.go_regexp += ".*";
    info.type = MatchType::regexp;
    add(Accept::any, 0, here(), here() + 1);
  }
  if (first) {
    info.type = MatchType::suffix; // moby's `i == 0` rule; later wildcards turn it into `regexp`
  }
}

void Compiler::escape() {
  if (sep_ == '\\') {
    info.go_regexp += "\\\\"; // moby's Windows mode: `\` is the separator and escapes nothing
    add(Accept::rune, '\\', here() + 1);
    return;
  }
  if (at_end()) {
    fail(msg::k_trailing_backslash);
  }
  const char32_t c = next();
  append_regexp_literal(info.go_regexp, c);
  info.type = MatchType::regexp;
  add(Accept::rune, c, here() + 1);
}

void Compiler::plain(char32_t c) {
  // moby quotes `.+()|{}$`; strata also quotes `^`, which moby leaves as an anchor (see header).
  constexpr std::string_view k_quoted = ".+()|{}$^";
  if (c < 0x80 && k_quoted.find(static_cast<char>(c)) != std::string_view::npos) {
    info.go_regexp += '\\';
  }
  append_utf8(info.go_regexp, c);
  if (c == ']') {
    info.type = MatchType::regexp; // a stray `]` is a literal, but moby hands it to the regexp
  }
  add(Accept::rune, c, here() + 1);
}

// `[...]` with `filepath.Match`'s grammar: an optional `^`, then one or more members or ranges,
// then `]`. Go validates this in `New`; the regexp text is rebuilt from the parsed ranges.
void Compiler::char_class() {
  detail::CharClass cls;
  std::string text = "[";
  if (!at_end() && src_[pos_] == '^') {
    ++pos_;
    cls.negated = true;
    text += '^';
  }
  while (cls.ranges.empty() || at_end() || src_[pos_] != ']') {
    const char32_t lo = class_member(false);
    char32_t hi = lo;
    if (src_[pos_] == '-') {
      ++pos_;
      hi = class_member(true);
    }
    if (hi < lo) {
      fail(msg::k_reversed_range); // Go's regexp rejects these; moby fails at the first match
    }
    cls.ranges.emplace_back(lo, hi);
    append_regexp_literal(text, lo);
    if (hi != lo) {
      text += '-';
      append_regexp_literal(text, hi);
    }
  }
  ++pos_; // the closing `]`
  info.go_regexp += text + ']';
  info.type = MatchType::regexp;
  program.classes.push_back(std::move(cls));
  const auto index = static_cast<std::uint32_t>(program.classes.size() - 1);
  program.nodes.push_back(Node{Accept::klass, 0, index, here() + 1, -1, -1});
}

// Go's `getEsc`: one member, possibly escaped, which must not be the end of the pattern.
char32_t Compiler::class_member(bool range_end) {
  if (at_end()) {
    fail(msg::k_unterminated);
  }
  const char c = src_[pos_];
  if (c == '-' || c == ']') {
    fail(range_end ? msg::k_range_no_end : c == '-' ? msg::k_class_dash : msg::k_class_empty);
  }
  if (c == '\\' && sep_ != '\\') {
    ++pos_;
    if (at_end()) {
      fail(msg::k_unterminated);
    }
  }
  const Rune r = decode_rune(src_, pos_);
  if (r.value == k_rune_error && r.width == 1) {
    fail(msg::k_class_utf8);
  }
  pos_ += r.width;
  if (at_end()) {
    fail(msg::k_unterminated);
  }
  return r.value;
}

// Thompson simulation: the set of live states advances one rune at a time, so the cost is
// O(text x states) with no backtracking. `stamp_` marks membership in the current set without
// clearing it between steps.
class Simulation {
public:
  explicit Simulation(const Program& program)
      : program_(program), accept_(static_cast<int>(program.nodes.size())),
        stamp_(program.nodes.size() + 1, 0) {
    add(current_, 0);
  }

  void step(char32_t r) {
    ++generation_;
    next_.clear();
    for (const int state : current_) {
      if (state != accept_ && consumes(program_.nodes[state], r)) {
        add(next_, program_.nodes[state].out);
      }
    }
    current_.swap(next_);
  }
  [[nodiscard]] bool is_accepting() const { return stamp_[accept_] == generation_; }
  [[nodiscard]] bool is_alive() const { return !current_.empty(); }

private:
  [[nodiscard]] bool consumes(const Node& node, char32_t r) const {
    switch (node.accept) {
    case Accept::nothing: return false;
    case Accept::any: return true;
    case Accept::not_sep: return r != node.rune;
    case Accept::rune: return r == node.rune;
    case Accept::klass: return program_.classes[node.klass].contains(r);
    }
    return false;
  }

  // Adds `state` and everything reachable from it without consuming. Uses an explicit stack, so
  // no pattern can recurse deeply.
  void add(std::vector<int>& set, int state) {
    stack_.push_back(state);
    while (!stack_.empty()) {
      const int s = stack_.back();
      stack_.pop_back();
      if (stamp_[s] == generation_) {
        continue;
      }
      stamp_[s] = generation_;
      set.push_back(s);
      if (s != accept_) {
        const Node& node = program_.nodes[s];
        for (const int eps : {node.eps1, node.eps2}) {
          if (eps >= 0) {
            stack_.push_back(eps);
          }
        }
      }
    }
  }

  const Program& program_;
  int accept_;
  std::vector<std::uint32_t> stamp_;
  std::uint32_t generation_ = 1;
  std::vector<int> current_;
  std::vector<int> next_;
  std::vector<int> stack_;
};

enum class Scan {
  whole,    // does the NFA accept `text`?
  each_dir, // does it accept `text` or a prefix of it that ends just before a '/'?
  alive,    // could some continuation of `text` still be accepted?
};

bool run_nfa(const Program& program, std::string_view text, Scan scan) {
  Simulation sim(program);
  for (std::size_t i = 0; i < text.size();) {
    const Rune r = decode_rune(text, i);
    i += r.width;
    if (scan == Scan::each_dir && r.value == '/' && sim.is_accepting()) {
      return true;
    }
    sim.step(r.value);
    if (!sim.is_alive()) {
      return false;
    }
  }
  return scan == Scan::alive || sim.is_accepting();
}

// moby's `Pattern.match`: does this one pattern match `path` itself?
bool pattern_matches(const IgnorePattern& p, const Program& program, std::string_view path) {
  const std::string_view text = p.text;
  switch (p.type) {
  case MatchType::exact: return path == text;
  case MatchType::prefix: return path.starts_with(text.substr(0, text.size() - 2));
  case MatchType::suffix: {
    const std::string_view suffix = text.substr(2);
    return path.ends_with(suffix) || (suffix.starts_with('/') && path == suffix.substr(1));
  }
  case MatchType::regexp: return run_nfa(program, path, Scan::whole);
  }
  return false;
}

// Does the pattern match one of the directories "a", "a/b", ... that make up `parent` (a result
// of `go_dir`, not ".")? moby joins the split parts, which gives exactly these prefixes.
bool pattern_matches_a_dir(const IgnorePattern& p, const Program& program,
                           std::string_view parent) {
  if (p.type == MatchType::regexp) {
    return run_nfa(program, parent, Scan::each_dir);
  }
  for (std::size_t slash = parent.find('/');; slash = parent.find('/', slash + 1)) {
    if (pattern_matches(p, program, parent.substr(0, slash))) {
      return true;
    }
    if (slash == std::string_view::npos) {
      return false;
    }
  }
}

// moby's per-pattern test in `MatchesOrParentMatches`: `path` itself, or (unless `parent` is ".")
// one of the directories that make up `parent == go_dir(path)`. When `parent` is literally the
// part of `path` before its last '/', as for clean paths, one NFA pass covers both.
bool matches_path_or_dirs(const IgnorePattern& p, const Program& program, std::string_view path,
                          std::string_view parent) {
  if (parent == ".") {
    return pattern_matches(p, program, path);
  }
  if (p.type == MatchType::regexp && path.rfind('/') == parent.size() && path.starts_with(parent)) {
    return run_nfa(program, path, Scan::each_dir);
  }
  return pattern_matches(p, program, path) || pattern_matches_a_dir(p, program, parent);
}

// Could the pattern match some path that starts with `inside` ("dir/")?
bool could_match_below(const IgnorePattern& p, const Program& program, std::string_view inside) {
  const std::string_view text = p.text;
  switch (p.type) {
  case MatchType::exact: return text.starts_with(inside);
  case MatchType::prefix: {
    const std::string_view head = text.substr(0, text.size() - 2);
    return inside.starts_with(head) || head.starts_with(inside);
  }
  case MatchType::suffix: return true; // "dir/<suffix>" always ends with the suffix
  case MatchType::regexp: return run_nfa(program, inside, Scan::alive);
  }
  return true;
}

// Per-pattern states in `MatchInfo`: whether the directory or one of its parents matched.
constexpr char k_unmatched = 0;
constexpr char k_matched = 1;
constexpr char k_unknown = 2; // skipped because it could not change that directory's verdict

std::size_t count_dirs(std::string_view path) {
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) + 1;
}

// The first `n` '/'-separated parts of `path`, joined again.
std::string_view first_dirs(std::string_view path, std::size_t n) {
  std::size_t end = 0;
  for (std::size_t i = 0; i < n; ++i) {
    end = path.find('/', i == 0 ? 0 : end + 1);
    if (end == std::string_view::npos) {
      return path;
    }
  }
  return path.substr(0, end);
}

// One line of the ignore file, after the BOM and `\r` are gone. Empty for comments and blanks.
std::optional<std::string> normalize_line(std::string_view line) {
  if (line.starts_with('#')) {
    return std::nullopt;
  }
  std::string_view text = trim_space(line);
  if (text.empty()) {
    return std::nullopt;
  }
  const bool exception = text.front() == '!';
  if (exception) {
    text = trim_space(text.substr(1));
  }
  std::string pattern;
  if (!text.empty()) {
    pattern = clean_path(text);
    if (pattern.size() > 1 && pattern.front() == '/') {
      pattern.erase(0, 1); // "/foo" means "foo" at the context root
    }
  }
  return exception ? "!" + pattern : pattern;
}

} // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) {
    return ".";
  }
  const bool rooted = path.front() == '/';
  std::string out = rooted ? "/" : "";
  std::size_t fixed = out.size(); // `out[0, fixed)` is "/" or leading ".." that `..` cannot undo
  for (std::size_t pos = 0; pos < path.size();) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view element = path.substr(pos, end - pos);
    pos = end + 1;
    if (element.empty() || element == ".") {
      continue;
    }
    if (element == "..") {
      if (out.size() > fixed) {
        const std::size_t slash = out.rfind('/');
        out.resize(slash == std::string::npos || slash < fixed ? fixed : slash);
      } else if (!rooted) {
        out += out.empty() ? ".." : "/..";
        fixed = out.size();
      }
      continue;
    }
    if (out.size() > (rooted ? 1U : 0U)) {
      out += '/';
    }
    out += element;
  }
  return out.empty() ? "." : out;
}

std::vector<std::string> read_ignore_file(std::string_view text) {
  std::vector<std::string> patterns;
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line.size() > k_max_line) {
      throw Error(ErrorKind::parse, fmt::format(msg::k_line_too_long, line_number));
    }
    if (line_number == 1 && line.starts_with(k_utf8_bom)) {
      line.remove_prefix(k_utf8_bom.size());
    }
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (auto pattern = normalize_line(line)) {
      patterns.push_back(std::move(*pattern));
    }
  }
  return patterns;
}

std::string_view to_string(MatchType type) noexcept {
  switch (type) {
  case MatchType::exact: return "exactMatch";
  case MatchType::prefix: return "prefixMatch";
  case MatchType::suffix: return "suffixMatch";
  case MatchType::regexp: return "regexpMatch";
  }
  return "unknownMatch";
}

PatternInfo describe_pattern(std::string_view pattern, char separator) {
  STRATA_CHECK(separator == '/' || separator == '\\');
  Compiler compiler(pattern, separator, pattern);
  compiler.run();
  return std::move(compiler.info);
}

PatternMatcher::PatternMatcher(const std::vector<std::string>& patterns) {
  for (const std::string& raw : patterns) {
    const std::string_view trimmed = trim_space(raw);
    if (trimmed.empty()) {
      continue;
    }
    IgnorePattern pattern;
    // moby cleans before removing `!`, so the text after `!` is not cleaned again.
    pattern.text = clean_path(trimmed);
    if (pattern.text.front() == '!') {
      if (pattern.text.size() == 1) {
        throw Error(ErrorKind::parse, fmt::format(msg::k_bad_pattern, raw, msg::k_lone_exception));
      }
      pattern.is_exception = true;
      pattern.text.erase(0, 1);
      has_exclusions_ = true;
    }
    Compiler compiler(pattern.text, '/', raw);
    compiler.run();
    pattern.type = compiler.info.type;
    patterns_.push_back(std::move(pattern));
    programs_.push_back(std::move(compiler.program));
  }
}

PatternMatcher::~PatternMatcher() = default;
PatternMatcher::PatternMatcher(const PatternMatcher& other) = default;
PatternMatcher& PatternMatcher::operator=(const PatternMatcher& other) = default;
PatternMatcher::PatternMatcher(PatternMatcher&& other) noexcept = default;
PatternMatcher& PatternMatcher::operator=(PatternMatcher&& other) noexcept = default;

bool PatternMatcher::matches_or_parent_matches(std::string_view path) const {
  const std::string parent = go_dir(path);
  bool matched = false;
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    if (p.is_exception != matched) {
      continue; // this pattern cannot change the verdict
    }
    if (matches_path_or_dirs(p, programs_[i], path, parent)) {
      matched = !p.is_exception;
    }
  }
  return matched;
}

bool PatternMatcher::matches_legacy(std::string_view raw_path) const {
  const std::string path = clean_path(raw_path);
  if (path == ".") {
    return false; // moby: "don't let them exclude everything"
  }
  const std::string parent = go_dir(path);
  const std::size_t parent_depth = count_dirs(parent);
  bool matched = false;
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    if (p.is_exception != matched) {
      continue;
    }
    bool match = pattern_matches(p, programs_[i], path);
    const std::size_t depth = count_dirs(p.text);
    if (!match && parent != "." && depth <= parent_depth) {
      match = pattern_matches(p, programs_[i], first_dirs(parent, depth));
    }
    if (match) {
      matched = !p.is_exception;
    }
  }
  return matched;
}

PatternMatcher::WalkResult
PatternMatcher::matches_using_parent_results(std::string_view path, const MatchInfo& parent) const {
  const std::vector<char>& inherited = parent.parent_matched_;
  STRATA_CHECK(inherited.empty() || inherited.size() == patterns_.size());
  std::optional<std::string> parent_dir; // computed only when some pattern needs it
  WalkResult result;
  result.info.parent_matched_.assign(patterns_.size(), k_unknown);
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    const char known = inherited.empty() ? k_unknown : inherited[i];
    bool match = known == k_matched;
    if (!match) {
      if (p.is_exception != result.excluded) {
        continue; // cannot change the verdict; stays `k_unknown` for the children
      }
      if (known == k_unmatched) {
        match = pattern_matches(p, programs_[i], path); // no parent matched: skip their checks
      } else {
        parent_dir = parent_dir ? parent_dir : go_dir(path);
        match = matches_path_or_dirs(p, programs_[i], path, *parent_dir);
      }
    }
    result.info.parent_matched_[i] = match ? k_matched : k_unmatched;
    if (match) {
      result.excluded = !p.is_exception;
    }
  }
  return result;
}

bool PatternMatcher::may_reinclude_under(std::string_view dir) const {
  if (dir.empty() || dir == ".") {
    return has_exclusions_;
  }
  const std::string inside = std::string(dir) + '/';
  const std::string parent = go_dir(dir);
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    if (!p.is_exception) {
      continue;
    }
    // An exception that matches `dir` or one of its parents matches everything below `dir`.
    if (matches_path_or_dirs(p, programs_[i], dir, parent) ||
        could_match_below(p, programs_[i], inside)) {
      return true;
    }
  }
  return false;
}

} // namespace strata::parser
