#pragma once
// `.dockerignore` reading and matching with the semantics of moby/patternmatcher, as BuildKit
// and fsutil apply them to the build context (conformance README §5).
//
// Vocabulary:
// - path: slash-separated and relative to the context root, as the context walker produces
//   it ("src/main.c"; no leading `/` or `./`).
// - pattern: one entry of the ignore file, after `read_ignore_file`.
// - exception: a pattern written with a leading `!`. A path it matches is put back into the
//   context. moby calls these "exclusions", hence `has_exclusions()`.
// - excluded: the verdict for a path. Patterns apply in file order, and the last one that matches
//   the path or one of its parent directories wins. So `**` followed by `!keep` keeps `keep` and
//   everything under it.
//
// Pattern syntax (Go's `filepath.Match`, plus `**`):
// - `*`: any run of characters except `/`. `?`: one character except `/`. Characters are UTF-8
//   code points, not bytes; an invalid byte counts as one character, as in Go.
// - `[...]`: one character from a class. It can hold ranges (`a-z`), a leading `^` for negation
//   and `\` escapes, and it may match `/`. `!` is an ordinary member, because Go has no `[!...]`.
// - `\c`: the character `c` itself.
// - `**`: any number of whole directories. `**/x` matches `x` at any depth and `x/**` matches
//   everything under `x`. Following moby, a pattern that starts with `**` and is otherwise plain
//   text is a suffix test: `**.go` matches "a/b.go".
// - Bad patterns throw `Error{parse}` naming the pattern: an unterminated or empty `[`, a `-`
//   with a side missing, a reversed range (moby accepts one but fails at its first match), a
//   trailing `\`, or a lone `!`.
//
// Where strata deliberately reads a pattern differently from moby, which translates patterns to
// Go regexps by hand and leaks regexp meaning in a few places:
// - `\d`, `\w`, `\b`... (a backslash before a letter or digit) mean the letter or digit.
//   moby passes them to the regexp, where they are classes or assertions, or compile errors.
// - `*` and `?` inside `[...]` are class members. moby's translation breaks the class.
// - `^` outside a class is a literal. moby leaves it as a regexp anchor.
// - `**` also crosses newlines in file names. moby's `.*` does not.
// - `matches_using_parent_results` always agrees with `matches_or_parent_matches`. moby's
//   counterpart does not (see there).
// Matching is a Thompson NFA simulation, never a backtracking regexp: every call costs
// O(path length x pattern length), whatever the pattern. The compiler and the NFA live in
// `glob_match.hpp`; this file's `.cpp` reads ignore files, cleans paths and applies moby's
// pattern-list semantics.
//
// Thread-safety: everything here is a pure function or a `const` member of an immutable object,
// so one `PatternMatcher` may be shared by any number of threads. moby's matcher may not.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::parser {

// Go's `path.Clean`, which is also `filepath.Clean` on Unix: folds `//`, `.` and `x/..`, drops a
// trailing `/`, and turns "" into ".". moby cleans every pattern this way, and walkers should
// clean paths the same way before asking a matcher about them.
[[nodiscard]] std::string clean_path(std::string_view path);

// Splits ignore-file text into patterns, as BuildKit's `ignorefile.ReadAll` does:
// - a UTF-8 BOM before the first line is dropped, and so is the `\r` of a CRLF ending;
// - a line whose first byte is `#` is a comment. The test runs before trimming, so "  #x" is a
//   pattern;
// - Unicode white space is trimmed, and blank lines are dropped;
// - a `!` prefix is kept, and the rest of the line is trimmed again, cleaned with `clean_path`
//   and loses one leading `/`. So "! /a/../b" becomes "!b", and a bare "!" stays "!" (the
//   `PatternMatcher` constructor rejects it).
// Throws `Error{parse}` for a line longer than 65535 bytes, where Go's line scanner fails.
[[nodiscard]] std::vector<std::string> read_ignore_file(std::string_view text);

// The ignore files BuildKit looks for, most specific first: `<Dockerfile>.dockerignore` next to
// the Dockerfile (`build/app.Dockerfile` → `build/app.Dockerfile.dockerignore`), then
// `.dockerignore` at the context root. The first that exists is used, alone. Pure: the caller
// checks existence. A Dockerfile read from standard input ("-") has no specific ignore file.
[[nodiscard]] std::vector<std::string> ignore_file_candidates(std::string_view dockerfile_path,
                                                              std::string_view context_dir);

// How moby's `Pattern.compile` classifies a pattern. The first three kinds are plain string
// tests on the cleaned pattern and never run the NFA.
enum class MatchType {
  exact,  // no wildcards: `path == pattern`
  prefix, // plain text ending in `**`: `path` starts with the text before `**`
  suffix, // `**` then plain text: `path` ends with the text after `**`, or is it minus the `/`
  regexp, // anything else, matched by the NFA
};

// moby's spelling of `type`: "exactMatch", "prefixMatch", "suffixMatch" or "regexpMatch".
[[nodiscard]] std::string_view to_string(MatchType type) noexcept;

// The classification of one pattern, plus the Go regexp that moby builds for it (`^...$`, and
// empty unless `type == regexp`). The regexp text is kept only for diagnostics and conformance
// checks; strata never runs it. It is byte for byte moby's, except for the deliberate
// differences listed at the top of this file, where it spells strata's reading.
struct PatternInfo {
  MatchType type = MatchType::exact;
  std::string go_regexp;
};

// Classifies `pattern`, which must already be cleaned and have any `!` removed. `separator` is
// '/' for strata. '\\' reproduces moby's Windows translation for the conformance vectors, where
// `\` is the separator and never escapes anything. Throws `Error{parse}` for a bad pattern.
[[nodiscard]] PatternInfo describe_pattern(std::string_view pattern, char separator = '/');

namespace detail::glob {
struct Program; // a compiled NFA, defined in glob_match.hpp (private to parser/)
} // namespace detail::glob

// One pattern of a `PatternMatcher`, as the matcher keeps it.
struct IgnorePattern {
  std::string text;          // trimmed and cleaned, without the leading `!`
  bool is_exception = false; // written as `!text`
  MatchType type = MatchType::exact;
};

// An ordered list of compiled patterns: moby's `PatternMatcher`. Immutable after construction.
class PatternMatcher {
public:
  // Per-pattern results for one directory, handed down to the directory's children: moby's
  // `MatchInfo`. A default-constructed value means "no information", which is right for entries
  // at the context root.
  class MatchInfo {
  public:
    MatchInfo() = default;

  private:
    friend class PatternMatcher;
    std::vector<char> parent_matched_; // one flag per pattern, or empty
  };

  struct WalkResult {
    bool excluded = false;
    MatchInfo info; // pass this to the children of `path` if it is a directory
  };

  // Trims and cleans each entry, skips blank ones and compiles the rest, as moby's `New` does.
  // Throws `Error{parse}` naming the first bad pattern.
  explicit PatternMatcher(const std::vector<std::string>& patterns);
  ~PatternMatcher();
  PatternMatcher(const PatternMatcher& other);
  PatternMatcher& operator=(const PatternMatcher& other);
  PatternMatcher(PatternMatcher&& other) noexcept;
  PatternMatcher& operator=(PatternMatcher&& other) noexcept;

  // Whether `path` is excluded. A pattern that matches any parent directory of `path` counts as
  // matching it. These are the semantics the build context uses (moby's
  // `MatchesOrParentMatches`). `path` is not cleaned first. Parent directories come from Go's
  // `filepath.Dir`, so "a/b/" asks about "a/b/" itself and then about "a" and "a/b".
  [[nodiscard]] bool matches_or_parent_matches(std::string_view path) const;

  // moby's deprecated package-level `Matches(path, patterns)`: `path` is cleaned first, "." never
  // matches, and the only parent tried is the one as deep as the pattern. Kept for the legacy
  // conformance vectors only. New code should not use it.
  [[nodiscard]] bool matches_legacy(std::string_view path) const;

  // The same verdict as `matches_or_parent_matches`, computed incrementally by a walker that
  // visits each directory before its children (moby's `MatchesUsingParentResults`). Per pattern,
  // a parent's match is inherited and a parent's known non-match spares the parent checks.
  // `path` must be clean. `parent` must come from this matcher's result for `path`'s parent
  // directory, or be default-constructed at the root.
  // Unlike moby, this always agrees with `matches_or_parent_matches`. moby records a pattern it
  // skipped (because it could not change the parent's verdict) as "did not match", so with
  // `docs`, `!docs/**/*.md`, `docs/api` it keeps "docs/api/index.md" although `docs/api`
  // excludes it. strata records "unknown" and checks such a pattern fully when it matters.
  // A walker's loop:
  //   result = matcher.matches_using_parent_results(path, info_of(parent_dir));
  //   if (is_dir) {
  //     if (result.excluded && !matcher.may_reinclude_under(path)) { skip the subtree; }
  //     else { remember result.info for the children; }
  //   }
  // Throws `Error{internal}` if `parent` came from a different matcher.
  [[nodiscard]] WalkResult matches_using_parent_results(std::string_view path,
                                                        const MatchInfo& parent) const;

  // Whether some exception could still match a path strictly inside directory `dir` (clean and
  // relative). When a walker finds `dir` excluded and this is false, nothing below `dir` can be
  // put back, so the walker may skip the whole subtree without visiting it. The answer is
  // conservative: false is exact, and true only means "maybe". With `**`, `!a/keep`, `a` the
  // answer for "a" is true, although the final `a` excludes "a/keep" again.
  // Cost: plain string tests for the non-regexp exceptions, and one NFA pass over `dir` for each
  // regexp exception. For "" or "." the answer is `has_exclusions()`.
  [[nodiscard]] bool may_reinclude_under(std::string_view dir) const;

  // Whether any pattern is an exception (moby's `Exclusions()`). When this is false, a walker may
  // skip every excluded directory outright.
  [[nodiscard]] bool has_exclusions() const noexcept { return has_exclusions_; }

  // The compiled patterns in order. Blank entries are not included.
  [[nodiscard]] const std::vector<IgnorePattern>& patterns() const noexcept { return patterns_; }

private:
  std::vector<IgnorePattern> patterns_;
  std::vector<detail::glob::Program> programs_; // parallel to `patterns_`; empty unless `regexp`
  bool has_exclusions_ = false;
};

} // namespace strata::parser
