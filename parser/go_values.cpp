// Value parsers with the semantics of the Go functions BuildKit calls on flag values:
// strconv.ParseBool/ParseUint, time.ParseDuration, go-units RAMInBytes; plus `--chmod` checks.

#include <charconv>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/instruction_internal.hpp"

namespace strata::parser {
namespace detail {
namespace {

constexpr std::uint64_t k_max_duration = std::uint64_t{1} << 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// time.leadingInt: the leading digits; `std::nullopt` on overflow.
std::optional<std::uint64_t> leading_int(std::string_view& s) {
  std::uint64_t x = 0;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (x > k_max_duration / 10) {
      return std::nullopt;
    }
    x = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (x > k_max_duration) {
      return std::nullopt;
    }
  }
  s.remove_prefix(i);
  return x;
}

// time.leadingFraction: digits after the dot, ignoring those that would overflow.
std::pair<std::uint64_t, double> leading_fraction(std::string_view& s) {
  std::uint64_t x = 0;
  double scale = 1;
  bool overflow = false;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (overflow) {
      continue;
    }
    if (x > (k_max_duration - 1) / 10) {
      overflow = true;
      continue;
    }
    const std::uint64_t y = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (y > k_max_duration) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  s.remove_prefix(i);
  return {x, scale};
}

std::optional<std::uint64_t> unit_nanos(std::string_view unit) {
  if (unit == "ns") {
    return 1;
  }
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
    return 1000;
  }
  if (unit == "ms") {
    return 1000000;
  }
  if (unit == "s") {
    return 1000000000;
  }
  if (unit == "m") {
    return std::uint64_t{60} * 1000000000;
  }
  if (unit == "h") {
    return std::uint64_t{3600} * 1000000000;
  }
  return std::nullopt;
}

[[noreturn]] void invalid_duration(std::string_view orig) {
  throw ValueError{fmt::format(fmt::runtime(messages::k_duration_invalid), go_quoted(orig))};
}

// One `<number><unit>` element of a duration, consumed from `s`.
std::uint64_t duration_element(std::string_view& s, std::string_view orig) {
  if (s[0] != '.' && !is_digit(s[0])) {
    invalid_duration(orig);
  }
  const std::size_t before = s.size();
  const auto v = leading_int(s);
  if (!v) {
    invalid_duration(orig);
  }
  const bool pre = before != s.size();
  std::uint64_t f = 0;
  double scale = 1;
  bool post = false;
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    const std::size_t at = s.size();
    std::tie(f, scale) = leading_fraction(s);
    post = at != s.size();
  }
  if (!pre && !post) {
    invalid_duration(orig);
  }
  std::size_t i = 0;
  while (i < s.size() && s[i] != '.' && !is_digit(s[i])) {
    ++i;
  }
  if (i == 0) {
    throw ValueError{fmt::format(fmt::runtime(messages::k_duration_missing_unit), go_quoted(orig))};
  }
  const std::string_view unit_text = s.substr(0, i);
  s.remove_prefix(i);
  const auto unit = unit_nanos(unit_text);
  if (!unit) {
    throw ValueError{fmt::format(fmt::runtime(messages::k_duration_unknown_unit),
                                 go_quoted(unit_text), go_quoted(orig))};
  }
  if (*v > k_max_duration / *unit) {
    invalid_duration(orig);
  }
  std::uint64_t total = *v * *unit;
  if (f > 0) {
    total +=
        static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(*unit) / scale));
    if (total > k_max_duration) {
      invalid_duration(orig);
    }
  }
  return total;
}

std::optional<std::uint64_t> ram_multiplier(char c) {
  switch (c) {
  case 'k':
  case 'K': return std::uint64_t{1} << 10;
  case 'm':
  case 'M': return std::uint64_t{1} << 20;
  case 'g':
  case 'G': return std::uint64_t{1} << 30;
  case 't':
  case 'T': return std::uint64_t{1} << 40;
  case 'p':
  case 'P': return std::uint64_t{1} << 50;
  default: return std::nullopt;
  }
}

bool is_octal_mode(std::string_view s) {
  const auto mode = parse_go_uint32(s, 8);
  return mode && *mode <= 07777;
}

// One symbolic clause: `[ugoa]*` then one or more `[-+=]` actions, each `[rwxXst]*` or `[ugo]`.
bool is_symbolic_clause(std::string_view clause) {
  std::size_t i = 0;
  while (i < clause.size() && std::string_view("ugoa").find(clause[i]) != std::string_view::npos) {
    ++i;
  }
  if (i == clause.size()) {
    return false;
  }
  while (i < clause.size()) {
    if (std::string_view("+-=").find(clause[i]) == std::string_view::npos) {
      return false;
    }
    ++i;
    if (i < clause.size() && std::string_view("ugo").find(clause[i]) != std::string_view::npos) {
      ++i;
      continue;
    }
    while (i < clause.size() &&
           std::string_view("rwxXst").find(clause[i]) != std::string_view::npos) {
      ++i;
    }
  }
  return true;
}

bool is_symbolic_mode(std::string_view s) {
  std::size_t start = 0;
  for (;;) {
    const auto comma = s.find(',', start);
    const std::string_view clause =
        s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    if (!is_symbolic_clause(clause)) {
      return false;
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    start = comma + 1;
  }
}

} // namespace

std::optional<bool> parse_go_bool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") {
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    return false;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> parse_go_uint32(std::string_view s, int base) {
  if (s.empty()) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (const char c : s) {
    if (c < '0' || c >= '0' + base) {
      return std::nullopt;
    }
    value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(c - '0');
    if (value > std::numeric_limits<std::uint32_t>::max()) {
      return std::nullopt;
    }
  }
  return static_cast<std::uint32_t>(value);
}

std::chrono::nanoseconds parse_duration_or_throw(std::string_view orig) {
  std::string_view s = orig;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return std::chrono::nanoseconds{0};
  }
  if (s.empty()) {
    invalid_duration(orig);
  }
  std::uint64_t total = 0;
  while (!s.empty()) {
    total += duration_element(s, orig);
    if (total > k_max_duration) {
      invalid_duration(orig);
    }
  }
  if (negative) {
    return std::chrono::nanoseconds{static_cast<std::int64_t>(0 - total)};
  }
  if (total > k_max_duration - 1) {
    invalid_duration(orig);
  }
  return std::chrono::nanoseconds{static_cast<std::int64_t>(total)};
}

std::optional<std::int64_t> parse_ram_in_bytes(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) {
    ++i;
  }
  const std::string_view number = s.substr(0, i);
  const auto dot = number.find('.');
  if (number.empty() || !is_digit(number.front()) || !is_digit(number.back()) ||
      (dot != std::string_view::npos && number.find('.', dot + 1) != std::string_view::npos) ||
      number.size() > 64) {
    return std::nullopt;
  }
  std::string_view suffix = s.substr(i);
  if (!suffix.empty() && suffix[0] == ' ') {
    suffix.remove_prefix(1);
  }
  std::uint64_t multiplier = 1;
  if (!suffix.empty() && ram_multiplier(suffix[0])) {
    multiplier = *ram_multiplier(suffix[0]);
    suffix.remove_prefix(1);
  }
  if (!suffix.empty() && (suffix[0] == 'i' || suffix[0] == 'I')) {
    suffix.remove_prefix(1);
  }
  if (!suffix.empty() && (suffix[0] == 'b' || suffix[0] == 'B')) {
    suffix.remove_prefix(1);
  }
  if (!suffix.empty()) {
    return std::nullopt;
  }
  double value = 0; // at most 64 digits: never out of range
  std::from_chars(number.data(), number.data() + number.size(), value);
  const double bytes = value * static_cast<double>(multiplier);
  if (bytes >= 9.2e18) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(bytes);
}

std::string go_quoted(std::string_view s) {
  return go_quote(s);
}

std::string to_upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

} // namespace detail

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  try {
    return detail::parse_duration_or_throw(text);
  } catch (const detail::ValueError&) {
    return std::nullopt;
  }
}

void check_chmod(std::string_view value) {
  if (detail::is_octal_mode(value) || detail::is_symbolic_mode(value)) {
    return;
  }
  throw Error(ErrorKind::parse, fmt::format(fmt::runtime(messages::k_invalid_chmod), value));
}

} // namespace strata::parser
