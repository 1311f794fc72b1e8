// Go's `strconv.Quote`, used by the AST dump (conformance README §2.2).

#include "parser/ast.hpp"
#include "parser/text.hpp"

#include <fmt/format.h>

namespace strata::parser {
namespace {

// Go's `unicode.IsPrint` for runes outside ASCII. Without the full Unicode tables this treats as
// printable every assigned-looking rune except the classes Go rejects that occur in practice:
// C1 controls, spaces other than U+0020, format characters, surrogates, private use and
// noncharacters.
bool is_print_non_ascii(char32_t r) {
  if (r < 0xA0 || r == 0xA0 || r == 0xAD) {
    return false;
  }
  if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
      (r >= 0x205F && r <= 0x206F) || r == 0x1680 || r == 0x3000 || r == 0xFEFF ||
      r == 0x061C || r == 0x180E) {
    return false;
  }
  if ((r >= 0xE000 && r <= 0xF8FF) || (r >= 0xFFF9 && r <= 0xFFFB) || (r & 0xFFFE) == 0xFFFE ||
      (r >= 0xFDD0 && r <= 0xFDEF) || r >= 0xF0000 || (r >= 0xE0000 && r <= 0xE007F)) {
    return false;
  }
  return true;
}

void append_escaped(std::string& out, char32_t r) {
  switch (r) {
  case '\a': out += "\\a"; return;
  case '\b': out += "\\b"; return;
  case '\f': out += "\\f"; return;
  case '\n': out += "\\n"; return;
  case '\r': out += "\\r"; return;
  case '\t': out += "\\t"; return;
  case '\v': out += "\\v"; return;
  default: break;
  }
  if (r < 0x20 || r == 0x7F) {
    out += fmt::format("\\x{:02x}", static_cast<unsigned>(r));
  } else if (r <= 0xFFFF) {
    out += fmt::format("\\u{:04x}", static_cast<unsigned>(r));
  } else {
    out += fmt::format("\\U{:08x}", static_cast<unsigned>(r));
  }
}

} // namespace

std::string go_quote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (std::size_t pos = 0; pos < value.size();) {
    const text::Rune r = text::decode_rune(value, pos);
    if (!r.valid) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(value[pos]));
    } else if (r.value == '"' || r.value == '\\') {
      out += '\\';
      out += static_cast<char>(r.value);
    } else if (r.value >= 0x20 && r.value < 0x7F) {
      out += static_cast<char>(r.value);
    } else if (r.value >= 0x80 && is_print_non_ascii(r.value)) {
      out.append(value.substr(pos, r.width));
    } else {
      append_escaped(out, r.value);
    }
    pos += r.width;
  }
  out += '"';
  return out;
}

} // namespace strata::parser
