// `ChmodSpec` (copy_files.hpp): the `--chmod` interpreter, octal and chmod(1)-style symbolic.

#include "builder/copy_files.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

namespace strata::builder {
namespace {

// The bits each `who` letter owns: its rwx triplet plus its special bit.
mode_t who_mask(char who) {
  switch (who) {
  case 'u':
    return 04700;
  case 'g':
    return 02070;
  case 'o':
    return 01007;
  default:
    return 07777; // 'a'
  }
}

mode_t perm_bits(char c) {
  switch (c) {
  case 'r':
    return 0444;
  case 'w':
    return 0222;
  case 'x':
    return 0111;
  case 's':
    return 06000;
  case 't':
    return 01000;
  default:
    return 0;
  }
}

[[noreturn]] void bad_chmod(std::string_view text) {
  throw Error(ErrorKind::usage, fmt::format("invalid chmod parameter: {}", text));
}

bool is_in(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }

// The `rwx` triplet `who` had in `mode`, copied to every class (for `g=u` and friends).
mode_t copied_triplet(mode_t mode, char who) {
  const int shift = who == 'u' ? 6 : who == 'g' ? 3 : 0;
  const mode_t triplet = (mode >> shift) & 07;
  return (triplet << 6) | (triplet << 3) | triplet;
}

} // namespace

ChmodSpec ChmodSpec::parse(std::string_view text) {
  ChmodSpec spec;
  if (!text.empty() && text.find_first_not_of("01234567") == std::string_view::npos) {
    mode_t value = 0;
    for (const char c : text) {
      value = value * 8 + static_cast<mode_t>(c - '0');
      if (value > 07777) {
        bad_chmod(text);
      }
    }
    spec.octal_ = value;
    return spec;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view part = text.substr(start, comma - start);
    Clause clause;
    std::size_t i = 0;
    for (; i < part.size() && is_in(part[i], "ugoa"); ++i) {
      clause.who |= who_mask(part[i]);
    }
    if (clause.who == 0) {
      clause.who = 07777;
    }
    if (i == part.size()) {
      bad_chmod(text);
    }
    while (i < part.size()) {
      Action action;
      if (!is_in(part[i], "+-=")) {
        bad_chmod(text);
      }
      action.op = part[i++];
      if (i < part.size() && is_in(part[i], "ugo")) {
        action.copy_from = part[i++];
      } else {
        for (; i < part.size() && is_in(part[i], "rwxXst"); ++i) {
          action.bits |= perm_bits(part[i]);
          action.conditional_x = action.conditional_x || part[i] == 'X';
        }
      }
      clause.actions.push_back(action);
    }
    spec.clauses_.push_back(std::move(clause));
    if (comma == text.size()) {
      return spec;
    }
    start = comma + 1;
  }
}

mode_t ChmodSpec::apply(mode_t mode) const {
  if (octal_) {
    return *octal_;
  }
  mode_t current = mode & 07777;
  for (const auto& clause : clauses_) {
    const mode_t before = current;
    for (const auto& action : clause.actions) {
      mode_t bits = action.copy_from != 0 ? copied_triplet(before, action.copy_from) : action.bits;
      if (action.conditional_x && (S_ISDIR(mode) || (current & 0111) != 0)) {
        bits |= 0111;
      }
      bits &= clause.who;
      if (action.op == '+') {
        current |= bits;
      } else if (action.op == '-') {
        current &= ~bits;
      } else {
        current = (current & ~clause.who) | bits;
      }
    }
  }
  return current;
}

} // namespace strata::builder
