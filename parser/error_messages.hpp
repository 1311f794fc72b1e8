#pragma once
// Every user-facing message of the Dockerfile parser, in one table (STYLE.md §6). Where BuildKit
// has a message for the same failure, the text is BuildKit's, so users can search for it.

#include <string_view>

namespace strata::parser::messages {

// Line layer.
inline constexpr std::string_view k_nul_byte = "NUL byte in Dockerfile";
inline constexpr std::string_view k_line_too_long =
    "dockerfile line greater than max allowed size of 65535";
inline constexpr std::string_view k_logical_line_too_long =
    "instruction longer than the maximum of 1048576 bytes (line continuations joined)";
inline constexpr std::string_view k_too_many_instructions = "more than 100000 instructions";
inline constexpr std::string_view k_no_instructions = "file with no instructions";
inline constexpr std::string_view k_unterminated_heredoc = "unterminated heredoc";
inline constexpr std::string_view k_duplicate_directive = "only one {} parser directive can be used";
inline constexpr std::string_view k_invalid_escape =
    "invalid escape token '{}' does not match ` or \\";
inline constexpr std::string_view k_json_not_strings =
    "when using JSON array syntax, arrays must be comprised of strings only";
inline constexpr std::string_view k_needs_two_args = "{} must have two arguments";
inline constexpr std::string_view k_missing_equals =
    "Syntax error - can't find = in {}. Must be of the form: name=value";
inline constexpr std::string_view k_onbuild_too_deep = "ONBUILD nested too deeply";
inline constexpr std::string_view k_heredoc_inconsistent =
    "internal lexing of heredoc produced inconsistent results: {}";

} // namespace strata::parser::messages
