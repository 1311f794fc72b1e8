// Go's `filepath.Match` (Unix), ported branch for branch from Go's path/filepath/match.go, and
// fsutil's `containsWildcards`. See `build_context.hpp`.

#include "builder/build_context.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace strata::builder {
namespace {

struct BadPattern {};

// Go's `utf8.DecodeRuneInString`: one code point and its width; an invalid or truncated
// sequence is U+FFFD of width 1. Overlong forms and surrogates count as invalid, as in Go.
std::pair<char32_t, std::size_t> decode_rune(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    return {b0, 1};
  }
  std::size_t width = 0;
  char32_t r = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    width = 2, r = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    width = 3, r = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    width = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {0xFFFD, 1};
  }
  if (s.size() < width) {
    return {0xFFFD, 1};
  }
  for (std::size_t i = 1; i < width; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) {
      return {0xFFFD, 1};
    }
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    return {0xFFFD, 1};
  }
  return {r, width};
}

// Go's `scanChunk`: leading stars, then the text up to the next star outside `[...]`.
void scan_chunk(std::string_view& pattern, bool& star, std::string_view& chunk) {
  star = false;
  while (!pattern.empty() && pattern[0] == '*') {
    pattern.remove_prefix(1);
    star = true;
  }
  bool in_range = false;
  std::size_t i = 0;
  for (; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) {
        ++i;
      }
    } else if (c == '[') {
      in_range = true;
    } else if (c == ']') {
      in_range = false;
    } else if (c == '*' && !in_range) {
      break;
    }
  }
  chunk = pattern.substr(0, i);
  pattern.remove_prefix(i);
}

// Go's `getEsc`: one (possibly escaped) rune of a class.
char32_t get_esc(std::string_view& chunk) {
  if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') {
    throw BadPattern{};
  }
  if (chunk[0] == '\\') {
    chunk.remove_prefix(1);
    if (chunk.empty()) {
      throw BadPattern{};
    }
  }
  const auto [r, n] = decode_rune(chunk);
  if (r == 0xFFFD && n == 1 && static_cast<unsigned char>(chunk[0]) >= 0x80) {
    throw BadPattern{};
  }
  chunk.remove_prefix(n);
  if (chunk.empty()) {
    throw BadPattern{};
  }
  return r;
}

// Go's `matchChunk`: the rest of `s` after `chunk` matched its start, or nullopt.
std::optional<std::string_view> match_chunk(std::string_view chunk, std::string_view s) {
  bool failed = false;
  while (!chunk.empty()) {
    if (!failed && s.empty()) {
      failed = true;
    }
    if (chunk[0] == '[') {
      char32_t r = 0;
      if (!failed) {
        const auto [rune, n] = decode_rune(s);
        r = rune;
        s.remove_prefix(n);
      }
      chunk.remove_prefix(1);
      bool negated = false;
      if (!chunk.empty() && chunk[0] == '^') {
        negated = true;
        chunk.remove_prefix(1);
      }
      bool match = false;
      for (int ranges = 0;; ++ranges) {
        if (!chunk.empty() && chunk[0] == ']' && ranges > 0) {
          chunk.remove_prefix(1);
          break;
        }
        const char32_t lo = get_esc(chunk);
        char32_t hi = lo;
        if (chunk[0] == '-') {
          chunk.remove_prefix(1);
          hi = get_esc(chunk);
        }
        if (lo <= r && r <= hi) {
          match = true;
        }
      }
      if (match == negated) {
        failed = true;
      }
    } else if (chunk[0] == '?') {
      if (!failed) {
        if (s[0] == '/') {
          failed = true;
        }
        s.remove_prefix(decode_rune(s).second);
      }
      chunk.remove_prefix(1);
    } else {
      if (chunk[0] == '\\') {
        chunk.remove_prefix(1);
        if (chunk.empty()) {
          throw BadPattern{};
        }
      }
      if (!failed) {
        if (chunk[0] != s[0]) {
          failed = true;
        }
        s.remove_prefix(1);
      }
      chunk.remove_prefix(1);
    }
  }
  if (failed) {
    return std::nullopt;
  }
  return s;
}

bool match(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    bool star = false;
    std::string_view chunk;
    scan_chunk(pattern, star, chunk);
    if (star && chunk.empty()) {
      return name.find('/') == std::string_view::npos; // a trailing `*` takes the rest
    }
    const auto rest = match_chunk(chunk, name);
    if (rest && (rest->empty() || !pattern.empty())) {
      name = *rest;
      continue;
    }
    bool advanced = false;
    if (star) {
      for (std::size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
        const auto t = match_chunk(chunk, name.substr(i + 1));
        if (t) {
          if (pattern.empty() && !t->empty()) {
            continue; // the last chunk must use up the name
          }
          name = *t;
          advanced = true;
          break;
        }
      }
    }
    if (!advanced) {
      return false;
    }
  }
  return name.empty();
}

} // namespace

bool go_path_match(std::string_view pattern, std::string_view name) {
  try {
    return match(pattern, name);
  } catch (const BadPattern&) {
    return false;
  }
}

bool has_wildcards(std::string_view source) {
  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\\') {
      ++i;
    } else if (c == '*' || c == '?' || c == '[') {
      return true;
    }
  }
  return false;
}

} // namespace strata::builder
