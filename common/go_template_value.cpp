#include "common/go_template_value.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

namespace strata::go_template {

namespace {

const nlohmann::json k_null;

// Go's strconv.FormatFloat(v, 'g' or 'e' or 'f', -1, 64) pieces: the shortest round-trip
// digits, which `std::to_chars` produces in the same layout as Go ("1.5e+06", two-digit
// exponents, "1e+21").
std::string to_chars_shortest(double value, std::chars_format format) {
  std::array<char, 400> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value, format);
  return std::string(buf.data(), result.ptr);
}

int decimal_exponent(double value) {
  const std::string sci = to_chars_shortest(value, std::chars_format::scientific);
  return std::stoi(sci.substr(sci.find('e') + 1));
}

// Go's %v for float64, strconv's shortest %g: exponent form when the decimal exponent is < -4
// or >= 6 whatever the digit count, so 1e+06 and 1.234567e+06, yet 123456 and 0.0001.
std::string go_float_v(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  const int exp = value == 0 ? 0 : decimal_exponent(value);
  if (exp < -4 || exp >= 6) {
    return to_chars_shortest(value, std::chars_format::scientific);
  }
  return to_chars_shortest(value, std::chars_format::fixed);
}

// encoding/json's float format: 'f' unless |x| < 1e-6 or >= 1e21, and "e-07" shortened to "e-7".
std::string go_float_json(double value) {
  const double abs = std::fabs(value);
  if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
    std::string text = to_chars_shortest(value, std::chars_format::scientific);
    const std::size_t n = text.size();
    if (n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0') {
      text.erase(n - 2, 1);
    }
    return text;
  }
  return to_chars_shortest(value, std::chars_format::fixed);
}

// The length of a valid UTF-8 sequence at `text[i]`, or 0 when the byte starts none.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  std::size_t len = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
  } else {
    return 0;
  }
  if (i + len > text.size()) {
    return 0;
  }
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if ((b0 == 0xe0 && b1 < 0xa0) || (b0 == 0xed && b1 > 0x9f) || (b0 == 0xf0 && b1 < 0x90) ||
      (b0 == 0xf4 && b1 > 0x8f)) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) {
      return 0;
    }
  }
  return len;
}

void json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      const std::size_t len = utf8_length(text, i);
      const std::string_view rune = text.substr(i, len == 0 ? 1 : len);
      if (len == 0) {
        out += "\\ufffd";
      } else if (rune == "\u2028" || rune == "\u2029") {
        out += rune == "\u2028" ? "\\u2028" : "\\u2029"; // Go escapes them for JSONP's sake
      } else {
        out += rune;
      }
      i += rune.size();
      continue;
    }
    switch (byte) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (byte < 0x20) {
        out += fmt::format("\\u{:04x}", byte);
      } else {
        out += static_cast<char>(byte);
      }
    }
    ++i;
  }
  out += '"';
}

void json_value(std::string& out, const nlohmann::json& value) {
  switch (value.type()) {
  case nlohmann::json::value_t::object: {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      out += first ? "" : ",";
      first = false;
      json_string(out, key);
      out += ':';
      json_value(out, item);
    }
    out += '}';
    break;
  }
  case nlohmann::json::value_t::array: {
    out += '[';
    for (std::size_t i = 0; i < value.size(); ++i) {
      out += i == 0 ? "" : ",";
      json_value(out, value[i]);
    }
    out += ']';
    break;
  }
  case nlohmann::json::value_t::string: json_string(out, value.get_ref<const std::string&>()); break;
  case nlohmann::json::value_t::number_float: out += go_float_json(value.get<double>()); break;
  default: out += value.dump(); // null, booleans, integers: identical in Go
  }
}

} // namespace

Value Value::make(nlohmann::json owned) {
  auto owner = std::make_shared<const nlohmann::json>(std::move(owned));
  const nlohmann::json* ptr = owner.get();
  return Value(std::move(owner), ptr);
}

const nlohmann::json& Value::json() const { return ptr_ != nullptr ? *ptr_ : k_null; }

std::string go_type_name(const nlohmann::json& value) {
  switch (value.type()) {
  case nlohmann::json::value_t::string: return "string";
  case nlohmann::json::value_t::number_integer:
  case nlohmann::json::value_t::number_unsigned: return "int";
  case nlohmann::json::value_t::number_float: return "float64";
  case nlohmann::json::value_t::boolean: return "bool";
  case nlohmann::json::value_t::array: return "[]interface {}";
  case nlohmann::json::value_t::object: return "map[string]interface {}";
  default: return "<nil>";
  }
}

std::string format_value(const nlohmann::json& value) {
  switch (value.type()) {
  case nlohmann::json::value_t::string: return value.get<std::string>();
  case nlohmann::json::value_t::number_float: return go_float_v(value.get<double>());
  case nlohmann::json::value_t::null: return "<nil>";
  case nlohmann::json::value_t::array: {
    std::string out = "[";
    for (std::size_t i = 0; i < value.size(); ++i) {
      out += (i == 0 ? "" : " ") + format_value(value[i]);
    }
    return out + "]";
  }
  case nlohmann::json::value_t::object: {
    std::string out = "map[";
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      out += (first ? "" : " ") + key + ":" + format_value(item);
      first = false;
    }
    return out + "]";
  }
  default: return value.dump(); // booleans and integers
  }
}

std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      const std::size_t len = utf8_length(text, i);
      out += len == 0 ? fmt::format("\\x{:02x}", byte) : std::string(text.substr(i, len));
      i += len == 0 ? 1 : len;
      continue;
    }
    switch (byte) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\a': out += "\\a"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\v': out += "\\v"; break;
    default:
      out += byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02x}", byte)
                                         : std::string(1, static_cast<char>(byte));
    }
    ++i;
  }
  return out + "\"";
}

std::string go_json(const nlohmann::json& value) {
  std::string out;
  json_value(out, value);
  return out;
}

} // namespace strata::go_template
