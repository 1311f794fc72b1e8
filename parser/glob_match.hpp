#pragma once
// The pattern compiler and matching engine behind `.dockerignore` (`dockerignore.hpp`). Internal
// to parser/: `dockerignore.cpp` is its only user, and the pattern syntax, moby's classification
// and strata's deliberate differences from moby are documented there, not repeated here.
//
// What: `compile` reads one cleaned pattern in a single left-to-right pass and produces both
// moby's view of it (`PatternInfo`: the `MatchType` and the Go regexp text moby would build) and
// strata's `Program`, a Thompson NFA. `run_nfa` simulates a `Program` over a path. Nothing here
// is a backtracking regexp, and no `std::regex` is involved.
//
// Vocabulary:
// - rune: one UTF-8 code point as Go's `utf8.DecodeRuneInString` decodes it (`text::decode_rune`).
//   An invalid or truncated sequence is one rune U+FFFD of width 1. Patterns and paths are both
//   read this way.
// - separator: the rune `*` and `?` never cross: '/' for strata, '\\' only for moby's Windows
//   translation that the conformance vectors exercise.
// - state: an index into `Program::nodes`, or `nodes.size()`, the accepting state.
//
// Invariants of a `Program` that `compile` returned:
// - State 0 is the start state and `nodes.size()` the accepting state, which has no node.
// - Every `out`, `eps1` and `eps2` is -1 (none) or a state, and never points backwards: an edge
//   goes to the node itself (the loop of `*` or `**`) or to a later state. `klass` is a valid
//   index into `classes` when `accept == Accept::klass`.
// - A `Program` is immutable once built; `run_nfa` only reads it.
//
// Complexity bounds (n = runes of the path, m = bytes of the pattern):
// - `compile`: O(m) time and space. A `Program` has at most 3 nodes per 2 pattern runes.
// - `run_nfa`: O(n x m) time whatever the pattern, because each rune advances a set of at most
//   `nodes.size() + 1` states once, and a class test costs at most its pattern text. O(m) extra
//   space, allocated per call. No recursion: epsilon closure uses an explicit stack.
//
// Failure: `compile` throws `Error{parse}` with `messages::k_ignore_bad_pattern`, naming the
// `shown` text and the reason (the `k_ignore_*` texts in `error_messages.hpp`). `run_nfa` never
// throws, except `std::bad_alloc`.
//
// Thread-safety: all functions are pure. One `Program` may be run by any number of threads at
// once.

#include "parser/dockerignore.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::parser::detail::glob {

// What an NFA state consumes before moving to `out`.
enum class Accept : std::uint8_t { nothing, any, not_sep, rune, klass };

// One NFA state.
struct Node {
  Accept accept = Accept::nothing;
  char32_t rune = 0;       // the rune for `rune`, the separator for `not_sep`
  std::uint32_t klass = 0; // index into `Program::classes`
  int out = -1;            // state after consuming one rune
  int eps1 = -1;           // states entered without consuming (`*` may match nothing)
  int eps2 = -1;
};

// A parsed `[...]`: inclusive rune ranges, possibly negated.
struct CharClass {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  bool negated = false;

  [[nodiscard]] bool contains(char32_t r) const;
};

// A compiled NFA. The accepting state is `nodes.size()`; the start state is 0.
struct Program {
  std::vector<Node> nodes;
  std::vector<CharClass> classes;
};

// What `compile` produces for one pattern.
struct CompiledPattern {
  PatternInfo info; // moby's classification and regexp text (empty unless `regexp`)
  Program program;  // meaningful only when `info.type == MatchType::regexp`
};

// Compiles `pattern`, which must already be cleaned and have any `!` removed, following moby's
// `Pattern.compile` branch for branch while parsing `[...]` and `\` with `filepath.Match`'s
// rules. `separator` is '/' or '\\' (see above). `shown` is the text that error messages quote:
// the pattern as the user wrote it. Throws `Error{parse}` for a bad pattern.
[[nodiscard]] CompiledPattern compile(std::string_view pattern, char separator,
                                      std::string_view shown);

// The question `run_nfa` answers about `text`.
enum class Scan {
  whole,    // does the NFA accept `text`?
  each_dir, // does it accept `text` or a prefix of it that ends just before a '/'?
  alive,    // could some continuation of `text` still be accepted?
};

// Runs `program` over `text` rune by rune, stopping as soon as the answer is known. `each_dir`
// looks for '/' whatever separator `program` was compiled with.
[[nodiscard]] bool run_nfa(const Program& program, std::string_view text, Scan scan);

// ---------------------------------------------------------------------------------------------
// Inline bodies.

inline bool CharClass::contains(char32_t r) const {
  const bool in = std::any_of(ranges.begin(), ranges.end(), [r](const auto& range) {
    return range.first <= r && r <= range.second;
  });
  return in != negated;
}

} // namespace strata::parser::detail::glob
