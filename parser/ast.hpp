#pragma once
// The raw Dockerfile AST: BuildKit's "line parser" layer (conformance README §1).
//
// `parse_dockerfile` turns text into an `Ast` whose root holds one `Node` per instruction, in
// source order. At this layer nothing is expanded, quotes stay as written (except inside flags),
// unknown keywords are accepted, and heredoc bodies are captured but not stripped. The typed
// layer (`instructions.hpp`) validates keywords, flags and arguments afterwards.
//
// Positions: lines are 1-based physical lines of the input; an instruction's `end_line` is its
// last continuation or heredoc line.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::parser {

// One heredoc captured from an instruction line: `RUN <<EOF`, `COPY <<-"EOF" /x`, `3<<EOF`.
struct Heredoc {
  std::string name;    // delimiter with quotes removed
  std::string content; // raw body, each line with its original line ending, not chomped
  bool expand = true;  // false when any part of the delimiter was quoted
  bool chomp = false;  // `<<-`: leading tabs are stripped at the instruction layer
  int fd = 0;          // the leading digits of `3<<EOF`, 0 when absent
};

// Where a piece of a logical line came from: the bytes from `offset` on (up to the next
// segment) start at `line`:`column` of the file.
struct LineSegment {
  std::uint32_t offset = 0;
  std::uint32_t line = 0;
  std::uint32_t column = 1;
};

// A node of BuildKit's tree. An instruction node has `value` = keyword as written, its flags,
// and its arguments in `args` (BuildKit's `next` chain). ONBUILD's single argument node has an
// empty value and one child: the parsed sub-instruction.
struct Node {
  std::string value;
  std::vector<std::string> flags;
  std::vector<Node> args;
  std::vector<Node> children;
  std::vector<Heredoc> heredocs;
  std::string original; // the logical line as read (continuations joined), for messages
  bool json = false;    // arguments came from a JSON array (exec form)
  std::uint32_t start_line = 0;
  std::uint32_t end_line = 0;
  std::uint32_t column = 1; // column of the keyword on `start_line`
  std::uint32_t keyword_offset = 0; // offset of the keyword in `original`
  // Offsets into `original` of each flag word and of the argument text, and the map from
  // offsets to file positions, so the typed layer can point a caret at a flag or an argument.
  std::vector<std::uint32_t> flag_offsets;
  std::uint32_t args_offset = 0;
  std::vector<LineSegment> segments;
};

// The file position of byte `offset` of `node.original`: {line, column}.
struct LineColumn {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};
[[nodiscard]] LineColumn position_of(const Node& node, std::size_t offset);

struct Directive {
  std::string name; // lower-cased: syntax, escape or check
  std::string value;
  std::uint32_t line = 0;
};

struct Warning {
  std::string message;
  std::uint32_t line = 0;
};

struct Ast {
  std::string file;          // the name used in messages, "Dockerfile" by default
  Node root;                 // root.children are the instructions
  char escape = '\\';        // from the `escape` directive
  std::vector<Directive> directives;
  std::vector<Warning> warnings;
  std::vector<std::string> lines; // physical lines (without endings), for error carets
};

// Limits that keep a hostile Dockerfile from costing more than its size (SECURITY.md §0.11).
inline constexpr std::size_t k_max_line_length = 65535;        // one physical line
inline constexpr std::size_t k_max_logical_line = 1024 * 1024; // continuations joined
inline constexpr std::size_t k_max_instructions = 100000;
inline constexpr std::size_t k_max_dockerfile_bytes = 16UL * 1024 * 1024; // the whole file

// Parses Dockerfile text. Throws `Error{parse}` carrying file, line and column for: a NUL byte,
// an over-long line, a repeated or invalid directive, a JSON array with a non-string element,
// ENV/LABEL without a value, an unterminated heredoc, and a file with no instructions.
[[nodiscard]] Ast parse_dockerfile(std::string_view text, std::string_view file_name = "Dockerfile");

// Throws `Error{parse}` at `where` in `ast.file`, with that physical line attached so the CLI can
// draw a caret. The one way every parser layer reports a positioned error.
[[noreturn]] void throw_parse_error(const Ast& ast, LineColumn where, std::string message);

// BuildKit's `Node.Dump()` of the root plus a final newline: the exact bytes of a `result` file.
[[nodiscard]] std::string dump(const Ast& ast);
[[nodiscard]] std::string dump(const Node& node);

// Go's `strconv.Quote`, byte for byte (invalid UTF-8 bytes become `\xHH`).
[[nodiscard]] std::string go_quote(std::string_view value);

} // namespace strata::parser
