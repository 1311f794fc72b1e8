#pragma once
// Parser directives (`# syntax=`, `# escape=`, `# check=`): only on the leading lines of a
// Dockerfile; the first line that is not a directive ends them for good.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/ast.hpp"

namespace strata::parser {

// Fed every processed line in order by the line parser. Not thread-safe; one per parse.
class DirectiveParser {
public:
  // Throws `detail::LineError` for a repeated directive or an invalid escape token.
  void feed(std::string_view line, std::uint32_t number);
  [[nodiscard]] char escape() const noexcept { return escape_; }
  [[nodiscard]] const std::vector<Directive>& parsed() const noexcept { return parsed_; }

private:
  bool done_ = false;
  char escape_ = '\\';
  std::vector<Directive> parsed_;
};

// BuildKit's `DetectSyntax`: the `syntax` directive as a frontend would find it before parsing,
// also written `//syntax=` or as a whole-file JSON object; a `#!` first line is skipped.
struct SyntaxDirective {
  std::string ref;     // the value up to the first space
  std::string cmdline; // the whole value
  std::uint32_t line = 0;
};
[[nodiscard]] std::optional<SyntaxDirective> detect_syntax(std::string_view dockerfile);
// `ParseDirective(key, …)` for `check` (and `syntax` in its `#` form only).
[[nodiscard]] std::optional<SyntaxDirective> find_directive(std::string_view key,
                                                            std::string_view dockerfile);

// One directive line, if it is one: `#` (or `//` when `allow_slashes`), name, `=`, value.
struct DirectiveLine {
  std::string name; // lower-cased
  std::string value;
};
[[nodiscard]] std::optional<DirectiveLine> match_directive(std::string_view line,
                                                           bool allow_slashes = false);

} // namespace strata::parser
