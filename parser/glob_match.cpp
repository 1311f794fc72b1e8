#include "parser/glob_match.hpp"

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/text.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>

namespace strata::parser::detail::glob {

namespace {

using text::append_utf8;
using text::decode_rune;
using text::Rune;

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
    throw Error(ErrorKind::parse, fmt::format(messages::k_ignore_bad_pattern, shown_, reason));
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
    fail(messages::k_ignore_trailing_backslash);
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
  CharClass cls;
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
      // Go's regexp rejects these; moby fails at the first match.
      fail(messages::k_ignore_reversed_range);
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
    fail(messages::k_ignore_unterminated_class);
  }
  const char c = src_[pos_];
  if (c == '-' || c == ']') {
    fail(range_end  ? messages::k_ignore_range_no_end
         : c == '-' ? messages::k_ignore_class_dash
                    : messages::k_ignore_empty_class);
  }
  if (c == '\\' && sep_ != '\\') {
    ++pos_;
    if (at_end()) {
      fail(messages::k_ignore_unterminated_class);
    }
  }
  const Rune r = decode_rune(src_, pos_);
  if (!r.valid) {
    fail(messages::k_ignore_class_utf8);
  }
  pos_ += r.width;
  if (at_end()) {
    fail(messages::k_ignore_unterminated_class);
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

} // namespace

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

CompiledPattern compile(std::string_view pattern, char separator, std::string_view shown) {
  Compiler compiler(pattern, separator, shown);
  compiler.run();
  return {std::move(compiler.info), std::move(compiler.program)};
}

} // namespace strata::parser::detail::glob
