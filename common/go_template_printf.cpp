// Go's fmt.Sprintf / Sprint / Sprintln over decoded-JSON values (see go_template_value.hpp).

#include "common/go_template_value.hpp"

#include "common/tab_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace strata::go_template {

namespace {

using nlohmann::json;

// One parsed %-directive.
struct Spec {
  bool minus = false;
  bool plus = false;
  bool sharp = false;
  bool space = false;
  bool zero = false;
  int width = -1;
  int precision = -1;
  char verb = 'v';
};

bool is_int(const json& v) { return v.is_number_integer(); }

// An integer argument as sign and magnitude, so int64 and uint64 values share one path.
struct Magnitude {
  bool negative = false;
  unsigned long long abs = 0;
};

Magnitude magnitude(const json& v) {
  if (v.is_number_unsigned()) {
    return {false, v.get<unsigned long long>()};
  }
  const auto i = v.get<long long>();
  return {i < 0, i < 0 ? 0ULL - static_cast<unsigned long long>(i)
                       : static_cast<unsigned long long>(i)};
}

// Go's fmt.pad: width counts runes; '0' pads strings too; '-' pads on the right with spaces.
std::string pad(std::string text, const Spec& spec) {
  const std::size_t runes = rune_count(text);
  if (spec.width < 0 || runes >= static_cast<std::size_t>(spec.width)) {
    return text;
  }
  const std::size_t n = static_cast<std::size_t>(spec.width) - runes;
  if (spec.minus) {
    return text + std::string(n, ' ');
  }
  return std::string(n, spec.zero ? '0' : ' ') + text;
}

// Pads a number whose sign (if any) is its first character: zeros go after the sign.
std::string pad_number(std::string text, const Spec& spec) {
  if (!spec.zero || spec.minus || spec.width < 0 ||
      text.size() >= static_cast<std::size_t>(spec.width)) {
    Spec plain = spec;
    plain.zero = false;
    return pad(std::move(text), plain);
  }
  const bool has_sign = !text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ');
  const std::size_t at = has_sign ? 1 : 0;
  text.insert(at, static_cast<std::size_t>(spec.width) - text.size(), '0');
  return text;
}

std::string sign_prefix(bool negative, const Spec& spec) {
  if (negative) {
    return "-";
  }
  return spec.plus ? "+" : spec.space ? " " : "";
}

std::string utf8_encode(unsigned long long rune) {
  if (rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) {
    rune = 0xfffd;
  }
  std::string out;
  append_utf8(out, static_cast<std::uint32_t>(rune));
  return out;
}

std::string bad_verb(const json& v, char verb) {
  if (v.is_null()) {
    return fmt::format("%!{}(<nil>)", verb);
  }
  return fmt::format("%!{}({}={})", verb, go_type_name(v), format_value(v));
}

std::string format_integer(const json& v, const Spec& spec) {
  const Magnitude m = magnitude(v);
  std::string digits;
  switch (spec.verb) {
  case 'd': digits = fmt::format("{}", m.abs); break;
  case 'x': digits = (spec.sharp ? "0x" : "") + fmt::format("{:x}", m.abs); break;
  case 'X': digits = (spec.sharp ? "0X" : "") + fmt::format("{:X}", m.abs); break;
  case 'o': digits = (spec.sharp ? "0" : "") + fmt::format("{:o}", m.abs); break;
  case 'b': digits = fmt::format("{:b}", m.abs); break;
  case 'c': return pad(utf8_encode(m.negative ? 0xfffd : m.abs), spec);
  case 'q': return pad("'" + utf8_encode(m.negative ? 0xfffd : m.abs) + "'", spec);
  default: return bad_verb(v, spec.verb);
  }
  if (spec.precision >= 0 && digits.size() < static_cast<std::size_t>(spec.precision)) {
    digits.insert(0, static_cast<std::size_t>(spec.precision) - digits.size(), '0');
  }
  return pad_number(sign_prefix(m.negative, spec) + digits, spec);
}

std::string format_float(double value, const Spec& spec) {
  if ((spec.verb == 'g' || spec.verb == 'G' || spec.verb == 'v') && spec.precision < 0) {
    // Go's %g without precision is the shortest representation, which C's %g is not.
    std::string text = format_value(json(value));
    if (spec.verb == 'G') {
      for (char& c : text) {
        c = c == 'e' ? 'E' : c;
      }
    }
    if (value >= 0 && (spec.plus || spec.space)) {
      text.insert(0, spec.plus ? "+" : " ");
    }
    return pad_number(std::move(text), spec);
  }
  // The magnitude through C's printf (same digits as Go for an explicit precision), the sign
  // by hand so the format strings stay literal.
  const int precision = spec.precision < 0 ? 6 : spec.precision;
  const double abs = std::fabs(value);
  std::array<char, 512> buf{};
  switch (spec.verb) {
  case 'e': std::snprintf(buf.data(), buf.size(), "%.*e", precision, abs); break;
  case 'E': std::snprintf(buf.data(), buf.size(), "%.*E", precision, abs); break;
  case 'g':
  case 'v': std::snprintf(buf.data(), buf.size(), "%.*g", precision, abs); break;
  case 'G': std::snprintf(buf.data(), buf.size(), "%.*G", precision, abs); break;
  default: std::snprintf(buf.data(), buf.size(), "%.*f", precision, abs); break;
  }
  return pad_number(sign_prefix(std::signbit(value), spec) + buf.data(), spec);
}

std::string format_string(const std::string& text, const Spec& spec) {
  std::string_view view = text;
  if (spec.precision >= 0) {
    // Precision truncates to that many runes.
    std::size_t runes = 0;
    std::size_t end = 0;
    while (end < view.size() && runes < static_cast<std::size_t>(spec.precision)) {
      ++end;
      while (end < view.size() && (static_cast<unsigned char>(view[end]) & 0xc0) == 0x80) {
        ++end;
      }
      ++runes;
    }
    view = view.substr(0, end);
  }
  switch (spec.verb) {
  case 'v':
  case 's': return pad(std::string(view), spec);
  case 'q': return pad(go_quote(view), spec);
  case 'x':
  case 'X': {
    std::string hex;
    for (const char c : view) {
      const auto byte = static_cast<unsigned char>(c);
      hex += spec.verb == 'x' ? fmt::format("{:02x}", byte) : fmt::format("{:02X}", byte);
    }
    return pad(hex, spec);
  }
  default: return bad_verb(json(text), spec.verb);
  }
}

std::string format_arg(const json& v, const Spec& spec);

// Go applies the verb to each element of a slice or map: "%d" of [1 2] is "[1 2]".
std::string format_container(const json& v, const Spec& spec) {
  std::string out = v.is_array() ? "[" : "map[";
  bool first = true;
  for (const auto& [key, item] : v.items()) {
    out += first ? "" : " ";
    first = false;
    if (v.is_object()) {
      out += format_arg(json(key), spec) + ":";
    }
    out += format_arg(item, spec);
  }
  return out + "]";
}

std::string format_arg(const json& v, const Spec& spec) {
  if (v.is_array() || v.is_object()) {
    return format_container(v, spec);
  }
  if (v.is_null()) {
    return spec.verb == 'v' ? pad("<nil>", spec) : bad_verb(v, spec.verb);
  }
  if (v.is_string()) {
    return format_string(v.get_ref<const std::string&>(), spec);
  }
  if (v.is_boolean()) {
    return spec.verb == 'v' || spec.verb == 't' ? pad(v.get<bool>() ? "true" : "false", spec)
                                                : bad_verb(v, spec.verb);
  }
  constexpr std::string_view k_float_verbs = "eEfFgG";
  if (is_int(v)) {
    if (k_float_verbs.find(spec.verb) != std::string_view::npos) {
      return format_float(v.get<double>(), spec); // lenient: see the header
    }
    Spec int_spec = spec;
    int_spec.verb = spec.verb == 'v' ? 'd' : spec.verb;
    return format_integer(v, int_spec);
  }
  const double d = v.get<double>();
  if (spec.verb == 'd' && std::trunc(d) == d && std::fabs(d) < 9.2e18) {
    return format_integer(json(static_cast<long long>(d)), spec); // lenient: see the header
  }
  if (spec.verb == 'v' || k_float_verbs.find(spec.verb) != std::string_view::npos) {
    return format_float(d, spec);
  }
  return bad_verb(v, spec.verb);
}

// Reads a decimal number at `format[i]` (Go caps widths at 1e6 to avoid huge allocations).
int parse_number(std::string_view format, std::size_t& i) {
  int n = 0;
  while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
    n = std::min(n * 10 + (format[i] - '0'), 1000000);
    ++i;
  }
  return n;
}

// Parses flags, width and precision after a '%'; leaves `i` on the verb.
Spec parse_spec(std::string_view format, std::size_t& i) {
  Spec spec;
  for (; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '-') {
      spec.minus = true;
    } else if (c == '+') {
      spec.plus = true;
    } else if (c == '#') {
      spec.sharp = true;
    } else if (c == ' ') {
      spec.space = true;
    } else if (c == '0') {
      spec.zero = true;
    } else {
      break;
    }
  }
  if (i < format.size() && format[i] >= '1' && format[i] <= '9') {
    spec.width = parse_number(format, i);
  }
  if (i < format.size() && format[i] == '.') {
    ++i;
    spec.precision = parse_number(format, i);
  }
  return spec;
}

} // namespace

std::string go_sprintf(std::string_view format, std::span<const Value> args) {
  std::string out;
  std::size_t next_arg = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    ++i;
    Spec spec = parse_spec(format, i);
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    spec.verb = format[i];
    if (spec.verb == '%') {
      out += '%';
    } else if (next_arg >= args.size()) {
      out += fmt::format("%!{}(MISSING)", spec.verb);
    } else {
      out += format_arg(args[next_arg++].json(), spec);
    }
  }
  if (next_arg < args.size()) {
    out += "%!(EXTRA ";
    for (std::size_t k = next_arg; k < args.size(); ++k) {
      const json& v = args[k].json();
      out += k == next_arg ? "" : ", ";
      out += v.is_null() ? "<nil>" : go_type_name(v) + "=" + format_value(v);
    }
    out += ")";
  }
  return out;
}

std::string go_sprint(std::span<const Value> args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const bool is_string = args[i].json().is_string();
    if (i > 0 && !is_string && !args[i - 1].json().is_string()) {
      out += ' ';
    }
    out += format_value(args[i].json());
  }
  return out;
}

std::string go_sprintln(std::span<const Value> args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    out += (i == 0 ? "" : " ") + format_value(args[i].json());
  }
  return out + "\n";
}

} // namespace strata::go_template
