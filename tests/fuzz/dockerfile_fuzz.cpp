// Fuzz target over the Dockerfile front end: the line parser, the AST dump, the typed
// instructions, the stage graph, the shell-word lexer on every argument, and the same bytes as a
// .dockerignore file. Any input may be rejected with `strata::Error`; nothing may crash,
// hang or allocate without bound.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.hpp"
#include "parser/ast.hpp"
#include "parser/dockerignore.hpp"
#include "parser/instructions.hpp"
#include "parser/shell_lexer.hpp"
#include "parser/stage_graph.hpp"

namespace {

void lex_all(const strata::parser::Node& node, const strata::parser::Env& env) {
  const strata::parser::ShellLexer lexer;
  for (const auto& arg : node.args) {
    try {
      (void)lexer.process_word(arg.value, env);
      (void)lexer.process_words(arg.value, env);
    } catch (const strata::Error&) {
      // a rejected word is fine
    }
    for (const auto& child : arg.children) {
      lex_all(child, env);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const strata::parser::Env env{{"A", "a b"}, {"PWD", "/home"}, {"EMPTY", ""}};
  try {
    const auto ast = strata::parser::parse_dockerfile(text);
    (void)strata::parser::dump(ast);
    for (const auto& node : ast.root.children) {
      lex_all(node, env);
    }
    const auto graph = strata::parser::StageGraph::build(ast, strata::parser::to_instructions(ast));
    (void)graph.required_stages();
  } catch (const strata::Error&) {
    // rejected input is fine
  }
  try {
    const strata::parser::PatternMatcher matcher(strata::parser::read_ignore_file(text));
    (void)matcher.matches_or_parent_matches("a/b/c.txt");
  } catch (const strata::Error&) {
    // a bad pattern is fine
  }
  return 0;
}
