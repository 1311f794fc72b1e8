// `parse_dockerfile`: BuildKit's scanner loop over physical lines — directives, comments,
// continuations, heredoc bodies — producing the raw AST (conformance README §2.4).

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/ast.hpp"
#include "parser/directives.hpp"
#include "parser/error_messages.hpp"
#include "parser/line_parser_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser {
namespace {

using detail::LineError;

// One physical line: with its ending (heredoc bodies keep it) and without.
struct PhysicalLine {
  std::string_view with_ending;
  std::string_view text;
};

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_comment(std::string_view line) {
  const auto t = text::trim_left_space(line);
  return !t.empty() && t.front() == '#';
}

class LineParser {
public:
  LineParser(std::string_view text, std::string_view file) : text_(text) {
    ast_.file = std::string(file);
  }

  Ast run() {
    split_lines();
    while (next_ < lines_.size()) {
      read_instruction();
    }
    if (ast_.root.children.empty()) {
      fail(std::string(messages::k_no_instructions), static_cast<std::uint32_t>(lines_.size()), 0);
    }
    ast_.root.start_line = ast_.root.children.front().start_line;
    ast_.root.end_line = ast_.root.children.back().end_line;
    ast_.directives = directives_.parsed();
    ast_.escape = directives_.escape();
    return std::move(ast_);
  }

private:
  [[noreturn]] void fail(std::string message, std::uint32_t line, std::uint32_t column) {
    throw_parse_error(ast_, {line, column}, std::move(message));
  }

  void split_lines() {
    std::size_t start = 0;
    while (start < text_.size()) {
      auto end = text_.find('\n', start);
      end = end == std::string_view::npos ? text_.size() : end + 1;
      PhysicalLine line{text_.substr(start, end - start), {}};
      if (lines_.empty() && line.with_ending.substr(0, 3) == "\xEF\xBB\xBF") {
        line.with_ending.remove_prefix(3); // a UTF-8 byte-order mark
      }
      line.text = trim_newline(line.with_ending);
      lines_.push_back(line);
      ast_.lines.emplace_back(line.text.substr(0, std::min<std::size_t>(line.text.size(), 4096)));
      check_line(line.text, static_cast<std::uint32_t>(lines_.size()));
      start = end;
    }
  }

  void check_line(std::string_view line, std::uint32_t number) {
    if (line.size() > k_max_line_length) {
      fail(std::string(messages::k_line_too_long), number, 0);
    }
    if (const auto nul = line.find('\0'); nul != std::string_view::npos) {
      fail(std::string(messages::k_nul_byte), number, static_cast<std::uint32_t>(nul + 1));
    }
  }

  // BuildKit's `processLine`: the directive check, then comments become empty.
  std::string_view process_line(std::string_view line, bool strip_left, std::uint32_t number) {
    if (strip_left) {
      line = text::trim_left_space(line);
    }
    try {
      directives_.feed(line, number);
    } catch (const LineError& e) {
      fail(e.message, number, 1);
    }
    return is_comment(line) ? std::string_view{} : line;
  }

  // BuildKit's `trimContinuationCharacter`: `([^E])E[ \t]*$` or `^E[ \t]*$`.
  std::pair<std::string_view, bool> trim_continuation(std::string_view line) const {
    const char e = directives_.escape();
    std::size_t end = line.size();
    while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) {
      --end;
    }
    if (end == 0 || line[end - 1] != e) {
      return {line, true};
    }
    if (end >= 2 && line[end - 2] == e) {
      return {line, true}; // a doubled escape token is not a continuation
    }
    return {line.substr(0, end - 1), false};
  }

  void read_instruction();
  void read_heredocs(Node& node, std::uint32_t start_line);

  std::string_view text_;
  std::vector<PhysicalLine> lines_;
  std::size_t next_ = 0;
  Ast ast_;
  DirectiveParser directives_;
};

void LineParser::read_instruction() {
  const std::uint32_t start_line = static_cast<std::uint32_t>(next_ + 1);
  const std::string_view first_raw = lines_[next_].text;
  const std::string_view first = process_line(first_raw, true, start_line);
  ++next_;
  auto [head, done] = trim_continuation(first);
  if (done && head.empty()) {
    return;
  }
  std::string line(head);
  std::vector<LineSegment> segments{
      {0, start_line, static_cast<std::uint32_t>(first.data() - first_raw.data() + 1)}};
  bool empty_continuation = false;
  while (!done && next_ < lines_.size()) {
    const auto number = static_cast<std::uint32_t>(next_ + 1);
    const std::string_view raw = lines_[next_].text;
    const std::string_view processed = process_line(raw, false, number);
    ++next_;
    if (is_comment(raw)) {
      continue;
    }
    if (text::trim_left_space(processed).empty()) {
      empty_continuation = true;
      continue;
    }
    auto [part, is_end] = trim_continuation(processed);
    done = is_end;
    segments.push_back({static_cast<std::uint32_t>(line.size()), number, 1});
    line += part;
    if (line.size() > k_max_logical_line) {
      fail(std::string(messages::k_logical_line_too_long), start_line, 0);
    }
  }
  const auto end_line = static_cast<std::uint32_t>(next_);
  if (empty_continuation) {
    ast_.warnings.push_back({"Empty continuation line found in: " + line, end_line});
  }
  Node node;
  try {
    node = detail::node_from_line(line, directives_.escape(), 0);
  } catch (const LineError& e) {
    Node located;
    located.segments = segments;
    const auto at = e.offset > 0 ? position_of(located, e.offset)
                                 : LineColumn{start_line, segments[0].column};
    fail(e.message, at.line, at.column);
  }
  node.segments = std::move(segments);
  node.start_line = start_line;
  node.column = position_of(node, node.keyword_offset).column;
  read_heredocs(node, start_line);
  node.end_line = static_cast<std::uint32_t>(next_);
  if (ast_.root.children.size() >= k_max_instructions) {
    fail(std::string(messages::k_too_many_instructions), start_line, 0);
  }
  ast_.root.children.push_back(std::move(node));
}

void LineParser::read_heredocs(Node& node, std::uint32_t start_line) {
  if (!detail::can_contain_heredoc(node) || node.original.find("<<") == std::string::npos) {
    return;
  }
  std::vector<Heredoc> heredocs;
  try {
    heredocs = detail::heredocs_from_line(node.original);
  } catch (const LineError& e) {
    fail(e.message, start_line, node.column);
  }
  for (Heredoc& heredoc : heredocs) {
    bool terminated = false;
    while (next_ < lines_.size()) {
      const PhysicalLine& body = lines_[next_++];
      std::string_view candidate = body.text;
      if (heredoc.chomp) {
        while (!candidate.empty() && candidate.front() == '\t') {
          candidate.remove_prefix(1);
        }
      }
      if (candidate == heredoc.name) {
        terminated = true;
        break;
      }
      heredoc.content += body.with_ending;
    }
    if (!terminated) {
      fail(std::string(messages::k_unterminated_heredoc), start_line, node.column);
    }
    node.heredocs.push_back(std::move(heredoc));
  }
}

} // namespace

void throw_parse_error(const Ast& ast, LineColumn where, std::string message) {
  Error error(ErrorKind::parse, std::move(message), SourceRange{ast.file, where.line, where.column, where.line});
  if (where.line >= 1 && where.line <= ast.lines.size()) {
    error.set_source_line(ast.lines[where.line - 1]);
  }
  throw error;
}

LineColumn position_of(const Node& node, std::size_t offset) {
  if (node.segments.empty()) {
    return {node.start_line, node.column};
  }
  const LineSegment* best = &node.segments.front();
  for (const LineSegment& segment : node.segments) {
    if (segment.offset <= offset) {
      best = &segment;
    }
  }
  return {best->line, static_cast<std::uint32_t>(best->column + (offset - best->offset))};
}

Ast parse_dockerfile(std::string_view text, std::string_view file_name) {
  return LineParser(text, file_name).run();
}

} // namespace strata::parser
