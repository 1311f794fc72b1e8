#include "common/human.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace strata {

namespace {

constexpr std::array<std::string_view, 9> k_decimal_units = {"B",  "kB", "MB", "GB", "TB",
                                                            "PB", "EB", "ZB", "YB"};
constexpr std::array<std::string_view, 9> k_binary_units = {"B",   "KiB", "MiB", "GiB", "TiB",
                                                           "PiB", "EiB", "ZiB", "YiB"};

// go-units `getSizeAndUnit` + `fmt.Sprintf("%.*g%s")`. Go's %g and C's %g agree (shortest of
// %e/%f by the same exponent rule, two-digit exponents), so snprintf gives Go's bytes.
std::string format_size(double size, double base, const std::array<std::string_view, 9>& units,
                        int precision) {
  std::size_t unit = 0;
  while (size >= base && unit + 1 < units.size()) {
    size /= base;
    ++unit;
  }
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*g", precision, size);
  return fmt::format("{}{}", buf.data(), units[unit]);
}

[[noreturn]] void invalid_size(std::string_view text) {
  throw Error(ErrorKind::usage, fmt::format("invalid size: '{}'", text));
}

// The binary multiplier of a `parse_size` suffix ("", "b", "k", "kb", "kib", ...), or 0.
double suffix_multiplier(std::string suffix) {
  for (char& c : suffix) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (suffix.empty() || suffix == "b") {
    return 1;
  }
  constexpr std::string_view k_prefixes = "kmgtp";
  const auto power = k_prefixes.find(suffix[0]);
  const std::string_view rest = std::string_view(suffix).substr(1);
  if (power == std::string_view::npos || !(rest.empty() || rest == "b" || rest == "ib")) {
    return 0;
  }
  return std::pow(1024.0, static_cast<double>(power + 1));
}

} // namespace

std::string human_size(std::int64_t bytes, int precision) {
  return format_size(static_cast<double>(bytes), 1000.0, k_decimal_units, precision);
}

std::string human_size(std::int64_t bytes) { return human_size(bytes, 3); }

std::string bytes_size(std::int64_t bytes) {
  return format_size(static_cast<double>(bytes), 1024.0, k_binary_units, 4);
}

std::string human_duration(std::chrono::seconds duration) {
  const std::int64_t seconds = duration.count();
  if (seconds < 1) {
    return "Less than a second";
  }
  if (seconds == 1) {
    return "1 second";
  }
  if (seconds < 60) {
    return fmt::format("{} seconds", seconds);
  }
  const std::int64_t minutes = seconds / 60;
  if (minutes == 1) {
    return "About a minute";
  }
  if (minutes < 60) {
    return fmt::format("{} minutes", minutes);
  }
  // go-units rounds hours to the nearest (int(d.Hours() + 0.5)) but truncates years.
  const std::int64_t hours = (seconds + 1800) / 3600;
  if (hours == 1) {
    return "About an hour";
  }
  if (hours < 48) {
    return fmt::format("{} hours", hours);
  }
  if (hours < 24 * 7 * 2) {
    return fmt::format("{} days", hours / 24);
  }
  if (hours < 24 * 30 * 2) {
    return fmt::format("{} weeks", hours / 24 / 7);
  }
  if (hours < 24 * 365 * 2) {
    return fmt::format("{} months", hours / 24 / 30);
  }
  return fmt::format("{} years", seconds / 3600 / 24 / 365);
}

std::int64_t parse_size(std::string_view text) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
    }
    return i > start;
  };
  if (!digits()) {
    invalid_size(text);
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) {
      invalid_size(text);
    }
  }
  const double number = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
  if (i < text.size() && text[i] == ' ') {
    ++i;
  }
  const double multiplier = suffix_multiplier(std::string(text.substr(i)));
  const double size = std::trunc(number * multiplier);
  // 2^63 is exactly representable; anything at or above it does not fit an int64.
  if (multiplier == 0 || !(size < 9223372036854775808.0)) {
    invalid_size(text);
  }
  return static_cast<std::int64_t>(size);
}

} // namespace strata
