// The exec form of RUN/CMD/ENTRYPOINT/SHELL/COPY/ADD/VOLUME: a JSON array of strings, with the
// semantics of Go's `json.Unmarshal` into `[]interface{}` that BuildKit uses.
//
// Outcomes: a valid array of strings gives its elements; valid JSON with any non-string element
// is a hard error; anything else (a syntax error, nesting beyond Go's limit of 10000) falls back
// to the shell form. The scanner is iterative, so hostile nesting costs no stack.

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/line_parser_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser::detail {
namespace {

constexpr std::size_t k_max_json_depth = 10000; // Go's encoding/json limit

class JsonScanner {
public:
  explicit JsonScanner(std::string_view s) : s_(s) {}

  // Returns false on a syntax error.
  bool parse_array(std::vector<std::string>& out, bool& non_string) {
    skip_ws();
    if (!eat('[')) {
      return false;
    }
    skip_ws();
    if (eat(']')) {
      return finish();
    }
    for (;;) {
      skip_ws();
      if (peek() == '"') {
        std::string value;
        if (!parse_string(value)) {
          return false;
        }
        out.push_back(std::move(value));
      } else {
        non_string = true;
        if (!skip_value()) {
          return false;
        }
      }
      skip_ws();
      if (eat(']')) {
        return finish();
      }
      if (!eat(',')) {
        return false;
      }
    }
  }

private:
  [[nodiscard]] char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool finish() {
    skip_ws();
    return pos_ == s_.size();
  }
  bool eat_literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      return false;
    }
    pos_ += word.size();
    return true;
  }
  bool digits() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      ++pos_;
    }
    return pos_ > start;
  }
  bool parse_number() {
    eat('-');
    if (eat('0')) {
      // no leading zeros
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) {
      return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (!eat('+')) {
        eat('-');
      }
      return digits();
    }
    return true;
  }
  bool parse_hex4(char32_t& out) {
    if (pos_ + 4 > s_.size()) {
      return false;
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<char32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<char32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<char32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  bool parse_unicode_escape(std::string& out) {
    char32_t r = 0;
    if (!parse_hex4(r)) {
      return false;
    }
    if (r >= 0xD800 && r < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
      const std::size_t save = pos_;
      pos_ += 2;
      char32_t low = 0;
      if (parse_hex4(low) && low >= 0xDC00 && low < 0xE000) {
        text::append_utf8(out, 0x10000 + ((r - 0xD800) << 10) + (low - 0xDC00));
        return true;
      }
      pos_ = save; // a lone high surrogate: U+FFFD, the next escape is read on its own
    }
    text::append_utf8(out, r); // surrogates become U+FFFD there
    return true;
  }
  bool parse_escape(std::string& out) {
    const char c = peek();
    ++pos_;
    switch (c) {
    case '"': case '\\': case '/': out += c; return true;
    case 'b': out += '\b'; return true;
    case 'f': out += '\f'; return true;
    case 'n': out += '\n'; return true;
    case 'r': out += '\r'; return true;
    case 't': out += '\t'; return true;
    case 'u': return parse_unicode_escape(out);
    default: return false;
    }
  }
  bool parse_string(std::string& out) {
    if (!eat('"')) {
      return false;
    }
    while (pos_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) {
        return false;
      }
      if (c == '\\') {
        ++pos_;
        if (!parse_escape(out)) {
          return false;
        }
        continue;
      }
      const text::Rune r = text::decode_rune(s_, pos_);
      if (r.valid) {
        out.append(s_.substr(pos_, r.width));
      } else {
        text::append_utf8(out, 0xFFFD); // Go replaces invalid UTF-8
      }
      pos_ += r.width;
    }
    return false;
  }
  // Skips one value of any kind without recursion. `stack` holds the open containers.
  bool skip_value() {
    std::string stack;
    for (;;) {
      skip_ws();
      const char c = peek();
      if (c == '[' || c == '{') {
        ++pos_;
        if (stack.size() + 2 > k_max_json_depth) {
          return false;
        }
        stack += c;
        skip_ws();
        if (eat(c == '[' ? ']' : '}')) {
          stack.pop_back();
          if (!after_value(stack)) {
            return false;
          }
          if (stack.empty()) {
            return true;
          }
          continue;
        }
        if (c == '{' && !object_key()) {
          return false;
        }
        continue;
      }
      if (!skip_scalar()) {
        return false;
      }
      if (!after_value(stack)) {
        return false;
      }
      if (stack.empty()) {
        return true;
      }
    }
  }
  bool skip_scalar() {
    std::string ignored;
    switch (peek()) {
    case '"': return parse_string(ignored);
    case 't': return eat_literal("true");
    case 'f': return eat_literal("false");
    case 'n': return eat_literal("null");
    default: return parse_number();
    }
  }
  bool object_key() {
    std::string ignored;
    skip_ws();
    if (!parse_string(ignored)) {
      return false;
    }
    skip_ws();
    return eat(':');
  }
  // After a value inside containers: a separator, or closing brackets. Leaves `pos_` where the
  // next value starts, or pops until the stack is empty or a separator was found.
  bool after_value(std::string& stack) {
    for (;;) {
      if (stack.empty()) {
        return true;
      }
      skip_ws();
      if (eat(',')) {
        return stack.back() != '{' || object_key();
      }
      if (!eat(stack.back() == '[' ? ']' : '}')) {
        return false;
      }
      stack.pop_back();
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

} // namespace

std::optional<std::vector<std::string>> parse_json_array(std::string_view rest) {
  rest = text::trim_left_space(rest);
  if (rest.empty() || rest.front() != '[') {
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool non_string = false;
  JsonScanner scanner(rest);
  if (!scanner.parse_array(out, non_string)) {
    return std::nullopt;
  }
  if (non_string) {
    throw LineError{std::string(messages::k_json_not_strings), 0};
  }
  return out;
}

} // namespace strata::parser::detail
