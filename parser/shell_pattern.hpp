#pragma once
// Shell patterns of the `${v#p} ${v##p} ${v%p} ${v%%p} ${v/p/r} ${v//p/r}` operators, matched the
// way BuildKit's Go regexps match them. Internal to the shell-word lexer (`shell_lexer.hpp`).
//
// What: BuildKit compiles a pattern to a Go regexp (`convertShellPatternToRegex`); we match it
// directly, without `std::regex` and without backtracking. A pattern is a sequence of
// - `*`: any run of runes; `?`: one rune. Neither matches a newline, as Go's `.`.
// - `\*` `\?` `\\`: the character itself; `\}` and `\/` also stand for `}` and `/`.
// - anything else: itself. Any other escape is a `Failure` (below).
// Patterns and values are compared rune by rune (see `shell_words.hpp`); a pattern always escapes
// with `\`, whatever the Dockerfile's escape token. A value holding invalid UTF-8 is matched as
// U+FFFD per bad byte.
//
// Semantics, all leftmost-first like Go's regexp:
// - `trim_prefix`: removes the shortest (`MatchLength::shortest`, `#`) or longest (`##`) match
//   anchored at the start; returns `value` unchanged when nothing matches.
// - `trim_suffix`: the same at the end (`%`, `%%`). Like BuildKit it reverses pattern and value and
//   trims a prefix, so the kept part comes back re-encoded: invalid UTF-8 becomes U+FFFD.
// - `replace_matches`: replaces the leftmost match, longest at that start (`*` is greedy), with
//   `replacement` as is (`Occurrences::first`, `/`); or every non-overlapping match
//   (`Occurrences::all`, `//`), with `replacement` template-expanded as Go's
//   `Regexp.ReplaceAllString` does: `$0`/`${0}` is the match, `$$` a `$`, any other `$name`
//   nothing. An empty match right after the previous match is not replaced (Go's rule).
//
// Invariants: no state outlives a call except `budget`; the functions are pure otherwise and may
// run concurrently on different budgets.
//
// Bounds: `budget` counts the rune comparisons still allowed and is shared by every call for one
// word (`k_max_match_steps` at the start). Each call charges it and throws instead of spinning
// when it runs out. Matching costs O(pattern x value) comparisons at worst. A `value`, or a
// result, longer than `k_max_word_bytes` also throws.
//
// Failure: throws `Failure` (`shell_words.hpp`), which `ShellLexer` reports as
// `Error{parse}` "failed to process ...":
// - a bad escape: "invalid pattern (P) in substitution: invalid escape '\x'", limit = false.
//   For `trim_suffix`, P is the reversed pattern, as upstream.
// - a bound: "value exceeds ...", "expansion result exceeds ..." or "pattern too complex to
//   match in substitution", limit = true.
// The pattern is checked before the value; `budget` may be partly spent when a call throws.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::parser::detail::shell {

// Which anchored match a trim removes: `#` and `%` the shortest, `##` and `%%` the longest.
enum class MatchLength : std::uint8_t { shortest, longest };

// Which matches a replacement replaces: `/` the first, `//` all.
enum class Occurrences : std::uint8_t { first, all };

// `${value#pattern}` / `${value##pattern}` (BuildKit's `trimPrefix`).
[[nodiscard]] std::string trim_prefix(std::string_view pattern, std::string_view value,
                                      MatchLength length, std::size_t& budget);

// `${value%pattern}` / `${value%%pattern}` (BuildKit's `trimSuffix`).
[[nodiscard]] std::string trim_suffix(std::string_view pattern, std::string_view value,
                                      MatchLength length, std::size_t& budget);

// `${value/pattern/replacement}` / `${value//pattern/replacement}`.
[[nodiscard]] std::string replace_matches(std::string_view pattern, std::string_view value,
                                          std::string_view replacement, Occurrences which,
                                          std::size_t& budget);

} // namespace strata::parser::detail::shell
