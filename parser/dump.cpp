// BuildKit's `Node.Dump()` (conformance README §2.1).

#include "parser/ast.hpp"
#include "parser/text.hpp"

namespace strata::parser {

std::string dump(const Node& node) {
  std::string s = text::to_lower_ascii(node.value);
  if (!node.flags.empty()) {
    s += " [";
    for (std::size_t i = 0; i < node.flags.size(); ++i) {
      if (i > 0) {
        s += ' ';
      }
      s += go_quote(node.flags[i]);
    }
    s += ']';
  }
  for (const Node& child : node.children) {
    s += '(';
    s += dump(child);
    s += ")\n";
  }
  for (const Node& arg : node.args) {
    s += ' ';
    s += arg.children.empty() ? go_quote(arg.value) : dump(arg);
  }
  return std::string(text::trim_space(s));
}

std::string dump(const Ast& ast) { return dump(ast.root) + "\n"; }

} // namespace strata::parser
