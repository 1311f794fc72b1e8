#pragma once
// Internals of the line parser shared by its .cpp files; not part of parser's interface.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/ast.hpp"

namespace strata::parser::detail {

// Thrown by the argument parsers; `line_parser.cpp` adds the position.
struct LineError {
  std::string message;
  std::size_t offset = 0; // into the logical line, for the caret
};

// The result of splitting a logical line: keyword, builder flags and the argument text.
struct SplitLine {
  std::string keyword;
  std::size_t keyword_offset = 0;
  std::vector<std::string> flags;
  std::vector<std::size_t> flag_offsets;
  std::string args;
  std::size_t args_offset = 0;
};

// BuildKit's `splitCommand` + `extractBuilderFlags`.
[[nodiscard]] SplitLine split_command(std::string_view line, char escape);

// BuildKit's `parseWords`: the ENV/LABEL/ARG splitter; quotes and escapes stay in the words.
[[nodiscard]] std::vector<std::string> parse_words(std::string_view rest, char escape);

// Exec form: `std::nullopt` when `rest` is not a JSON array (shell form applies); throws
// `LineError` for valid JSON with a non-string element, as BuildKit does.
[[nodiscard]] std::optional<std::vector<std::string>> parse_json_array(std::string_view rest);

// Fills `node.args` (and `node.json`) for the instruction `keyword` from its argument text.
// Throws `LineError`. `depth` bounds ONBUILD nesting.
void parse_arguments(Node& node, std::string_view keyword, std::string_view rest, char escape,
                     int depth);

// Builds an instruction node from a logical line (BuildKit's `newNodeFromLine`).
[[nodiscard]] Node node_from_line(std::string_view line, char escape, int depth);

// A heredoc announced on an instruction line, before its body is read.
[[nodiscard]] std::vector<Heredoc> heredocs_from_line(std::string_view line);
// `ParseHeredoc` on a single word; `std::nullopt` when it is not a heredoc.
[[nodiscard]] std::optional<Heredoc> parse_heredoc_word(std::string_view word);
// Whether the node (or ONBUILD's sub-instruction) is RUN/COPY/ADD in shell form.
[[nodiscard]] bool can_contain_heredoc(const Node& node);

} // namespace strata::parser::detail
