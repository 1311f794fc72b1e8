// The lexer of Go's text/template (lex.go), state by state: text, delimiters with trim
// markers, comments, and the tokens inside actions.

#include "common/go_template_ast.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace strata::go_template {

namespace {

constexpr std::string_view k_left = "{{";
constexpr std::string_view k_right = "}}";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Go accepts Unicode letters and digits; any non-ASCII byte is taken as part of a letter here.
bool is_alnum(char c) {
  const auto b = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         b >= 0x80;
}

// Go's %#U of a character, e.g. "U+007D '}'".
std::string describe(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7f) {
    return fmt::format("U+{:04X} '{}'", b, c);
  }
  return fmt::format("U+{:04X}", b);
}

bool has_left_trim_marker(std::string_view s) { return s.size() >= 2 && s[0] == '-' && is_space(s[1]); }

bool has_right_trim_marker(std::string_view s) {
  return s.size() >= 2 && is_space(s[0]) && s[1] == '-';
}

} // namespace

Token Lexer::next() { return in_action_ ? lex_action() : lex_text(); }

void Lexer::fail(const std::string& message) const { throw ParseFailure{pos_, message}; }

Token Lexer::lex_text() {
  if (pos_ >= in_.size()) {
    return Token{Tok::eof, pos_, {}};
  }
  const std::size_t start = pos_;
  const std::size_t delim = in_.find(k_left, pos_);
  if (delim == start) {
    return lex_left_delim();
  }
  std::size_t end = delim == std::string_view::npos ? in_.size() : delim;
  pos_ = end;
  if (delim != std::string_view::npos && has_left_trim_marker(in_.substr(delim + 2))) {
    while (end > start && is_space(in_[end - 1])) {
      --end;
    }
  }
  if (end == start) {
    return next();
  }
  return Token{Tok::text, start, std::string(in_.substr(start, end - start))};
}

Token Lexer::lex_left_delim() {
  const std::size_t start = pos_;
  pos_ += k_left.size();
  if (has_left_trim_marker(in_.substr(pos_))) {
    pos_ += 2;
  }
  if (in_.substr(pos_).starts_with("/*")) {
    skip_comment();
    return next();
  }
  in_action_ = true;
  paren_depth_ = 0;
  return Token{Tok::left_delim, start, std::string(k_left)};
}

// Comments must close right before the delimiter: `{{/* c */}}` or `{{- /* c */ -}}`.
void Lexer::skip_comment() {
  const std::size_t close = in_.find("*/", pos_ + 2);
  if (close == std::string_view::npos) {
    fail("unclosed comment");
  }
  pos_ = close + 2;
  bool trim = false;
  if (!at_right_delim(trim)) {
    fail("comment ends before closing delimiter");
  }
  pos_ += (trim ? 2 : 0) + k_right.size();
  while (trim && pos_ < in_.size() && is_space(in_[pos_])) {
    ++pos_;
  }
}

bool Lexer::at_right_delim(bool& trim) const {
  const std::string_view rest = in_.substr(pos_);
  trim = has_right_trim_marker(rest) && rest.substr(2).starts_with(k_right);
  return trim || rest.starts_with(k_right);
}

bool Lexer::at_terminator() const {
  if (pos_ >= in_.size()) {
    return true;
  }
  const char c = in_[pos_];
  return is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(' ||
         in_.substr(pos_).starts_with(k_right);
}

Token Lexer::lex_action() {
  bool trim = false;
  if (at_right_delim(trim)) {
    if (paren_depth_ != 0) {
      fail("unclosed left paren");
    }
    pos_ += trim ? 2 : 0;
    const std::size_t start = pos_;
    pos_ += k_right.size();
    while (trim && pos_ < in_.size() && is_space(in_[pos_])) {
      ++pos_; // the right trim marker eats the whitespace of the following text
    }
    in_action_ = false;
    return Token{Tok::right_delim, start, std::string(k_right)};
  }
  if (pos_ >= in_.size()) {
    fail("unclosed action");
  }
  const std::size_t start = pos_;
  const char c = in_[pos_];
  const auto single = [&](Tok type) {
    ++pos_;
    return Token{type, start, std::string(1, c)};
  };
  if (is_space(c)) {
    return lex_space();
  }
  switch (c) {
  case '=': return single(Tok::assign);
  case ':':
    if (pos_ + 1 >= in_.size() || in_[pos_ + 1] != '=') {
      fail("expected :=");
    }
    pos_ += 2;
    return Token{Tok::declare, start, ":="};
  case '|': return single(Tok::pipe);
  case '"': return lex_quote('"', Tok::string);
  case '`': return lex_quote('`', Tok::raw_string);
  case '\'': return lex_quote('\'', Tok::char_constant);
  case '$': ++pos_; return lex_word(Tok::variable, start);
  case '(': ++paren_depth_; return single(Tok::lparen);
  case ')':
    if (--paren_depth_ < 0) {
      fail("unexpected right paren");
    }
    return single(Tok::rparen);
  default: break;
  }
  if (c == '.' && (pos_ + 1 >= in_.size() || in_[pos_ + 1] < '0' || in_[pos_ + 1] > '9')) {
    ++pos_;
    return lex_word(Tok::field, start);
  }
  if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
    return lex_number();
  }
  if (is_alnum(c)) {
    return lex_word(Tok::identifier, start);
  }
  if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) {
    return single(Tok::chr);
  }
  fail("unrecognized character in action: " + describe(c));
}

// A run of spaces. A space followed by "-}}" belongs to the right delimiter (" -}}").
Token Lexer::lex_space() {
  const std::size_t start = pos_;
  while (pos_ < in_.size() && is_space(in_[pos_])) {
    ++pos_;
  }
  bool trim = false;
  --pos_;
  if (!(at_right_delim(trim) && trim)) {
    ++pos_;
  } else if (pos_ == start) {
    return lex_action(); // the single space is part of the delimiter
  }
  return Token{Tok::space, start, std::string(in_.substr(start, pos_ - start))};
}

// A field (".Name", or "." alone), a variable ("$name" or "$") or an identifier; it must be
// followed by a terminator, so "{{.Foo}" is "bad character U+007D '}'", as in Go.
Token Lexer::lex_word(Tok type, std::size_t start) {
  if (type != Tok::identifier && at_terminator()) {
    return Token{type == Tok::field ? Tok::dot : type, start, std::string(in_.substr(start, 1))};
  }
  while (pos_ < in_.size() && is_alnum(in_[pos_])) {
    ++pos_;
  }
  if (!at_terminator()) {
    fail("bad character " + describe(in_[pos_]));
  }
  return Token{type, start, std::string(in_.substr(start, pos_ - start))};
}

Token Lexer::lex_quote(char close, Tok type) {
  const std::size_t start = pos_++;
  while (true) {
    if (pos_ >= in_.size() || (close != '`' && in_[pos_] == '\n')) {
      fail(close == '`'    ? "unterminated raw quoted string"
           : close == '\'' ? "unterminated character constant"
                           : "unterminated quoted string");
    }
    const char c = in_[pos_++];
    if (c == '\\' && close != '`') {
      if (pos_ >= in_.size() || in_[pos_] == '\n') {
        fail(close == '\'' ? "unterminated character constant" : "unterminated quoted string");
      }
      ++pos_;
    } else if (c == close) {
      break;
    }
  }
  return Token{type, start, std::string(in_.substr(start, pos_ - start))};
}

// Go's scanNumber: sign, base prefix, digits with '_', fraction, exponent, 'i'; the number must
// not run into a letter ("1x" is "bad number syntax").
Token Lexer::lex_number() {
  const std::size_t start = pos_;
  const auto accept = [&](std::string_view set) {
    if (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  };
  const auto accept_run = [&](std::string_view set) {
    while (accept(set)) {
    }
  };
  accept("+-");
  std::string_view digits = "0123456789_";
  if (accept("0")) {
    if (accept("xX")) {
      digits = "0123456789abcdefABCDEF_";
    } else if (accept("oO")) {
      digits = "01234567_";
    } else if (accept("bB")) {
      digits = "01_";
    }
  }
  accept_run(digits);
  if (accept(".")) {
    accept_run(digits);
  }
  if ((digits.size() == 11 && accept("eE")) || (digits.size() == 23 && accept("pP"))) {
    accept("+-");
    accept_run("0123456789_");
  }
  accept("i");
  if (pos_ < in_.size() && is_alnum(in_[pos_])) {
    ++pos_;
    fail(fmt::format("bad number syntax: \"{}\"", in_.substr(start, pos_ - start)));
  }
  return Token{Tok::number, start, std::string(in_.substr(start, pos_ - start))};
}

Location locate(std::string_view source, std::size_t pos) {
  pos = std::min(pos, source.size());
  const std::string_view before = source.substr(0, pos);
  std::size_t line = 1;
  for (const char c : before) {
    line += c == '\n' ? 1 : 0;
  }
  const std::size_t newline = before.rfind('\n');
  return Location{line, newline == std::string_view::npos ? pos : pos - newline - 1};
}

} // namespace strata::go_template
