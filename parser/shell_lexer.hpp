#pragma once
// BuildKit's shell-word lexer (moby/buildkit frontend/dockerfile/shell/lex.go).
//
// Vocabulary: a *word* is one instruction argument as written (`he${PWD:-x}"a b"`). *Expanding*
// a word processes quotes and escapes and substitutes `$name`, `${name}` and
// `${name<op>operand}` from an `Env`. *Splitting* (`process_words`) additionally cuts the
// result at Unicode white space that came from unquoted text or from `$` expansions; quoted and
// escaped characters never split, and an empty `""` on its own yields no word.
//
// Supported operators: `:- - :+ + :? ? # ## % %% / //`. Patterns (`# % /`) know `*`, `?` and
// the escapes `\* \? \\` (plus `\}` `\/` as literal `}` `/`); `*` and `?` never match a newline,
// as in Go's regexp. `${v//p/r}` template-expands `$0`/`$$` in `r` like Go's
// `Regexp.ReplaceAllString`. Anything else after a name (`=`, `:=`, `:#`, ...) is an error.
// Names are Unicode letters, digits and `_`; a leading digit takes the whole digit run; the single
// characters `@ * # ? - $ !` are names that no Dockerfile can set.
//
// Unicode: input is decoded as UTF-8 the way Go's `text/scanner` does (an invalid byte becomes
// U+FFFD, a leading BOM is skipped). Letters outside ASCII are approximated: every non-ASCII
// code point is a letter except white space and the common punctuation/symbol blocks.
//
// Bounds (security): `${` nesting deeper than `k_max_expansion_depth`, a result (or a
// value fed to a pattern operator) longer than `k_max_word_bytes`, or a pattern match needing
// more than `k_max_match_steps` comparisons throws instead of recursing, allocating or spinning.
// Pattern matching is iterative and polynomial; no `std::regex`.
//
// Failure: every error is `strata::Error{ErrorKind::parse}` with BuildKit's text, e.g.
// `failed to process "${x": syntax error: missing '}'`.
// Thread-safety: a `ShellLexer` is immutable; calls may run concurrently.

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace strata::parser {

// Variable name -> value. A missing key is unset; an empty value is set but empty.
using Env = std::map<std::string, std::string, std::less<>>;

// BuildKit's `Lex` fields. `escape` is the Dockerfile's `# escape=` token (`\` or `` ` ``).
struct LexOptions {
  char escape = '\\';
  bool raw_quotes = false;          // keep quote characters in the result
  bool raw_escapes = false;         // keep escape characters in the result
  bool skip_unset_env = false;      // leave `$x`, `${x...}` as written when `x` is unset
  bool skip_process_quotes = false; // quotes are ordinary characters
};

struct ExpandResult {
  std::string word;
  std::set<std::string> matched;   // names looked up and found in the `Env`
  std::set<std::string> unmatched; // names looked up and not found
};

inline constexpr int k_max_expansion_depth = 32;
inline constexpr std::size_t k_max_word_bytes = std::size_t{1} << 20;
inline constexpr std::size_t k_max_match_steps = std::size_t{1} << 27;

class ShellLexer {
public:
  explicit ShellLexer(LexOptions options = {});

  // BuildKit `ProcessWord`: expands one word without splitting. Throws `Error{parse}`.
  [[nodiscard]] ExpandResult process_word(std::string_view word, const Env& env) const;

  // BuildKit `ProcessWords`: expands and splits. Throws `Error{parse}`.
  [[nodiscard]] std::vector<std::string> process_words(std::string_view word,
                                                       const Env& env) const;

  [[nodiscard]] const LexOptions& options() const noexcept { return options_; }

private:
  LexOptions options_;
};

} // namespace strata::parser
