// The parser of Go's text/template (parse.go): the same grammar, look-ahead and messages.

#include "common/error.hpp"
#include "common/go_template_ast.hpp"
#include "common/go_template_value.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace strata::go_template {

std::optional<std::string> unquote(std::string_view quoted); // go_template_literals.cpp
std::optional<nlohmann::json> parse_number(std::string_view text, Tok type);

namespace {

bool is_keyword(std::string_view word) {
  constexpr std::string_view k_keywords[] = {"block", "break", "continue", "define", "else",
                                             "end",   "if",    "range",    "template", "with"};
  return std::find(std::begin(k_keywords), std::end(k_keywords), word) != std::end(k_keywords);
}

// Go's item.String(), used in "unexpected X in Y".
std::string describe(const Token& token) {
  if (token.type == Tok::eof) {
    return "EOF";
  }
  if (token.type == Tok::identifier && is_keyword(token.value)) {
    return "<" + token.value + ">";
  }
  if (token.value.size() > 10) {
    return go_quote(token.value.substr(0, 10)) + "...";
  }
  return go_quote(token.value);
}

// What ends an item list: a node, or the `{{end}}` / `{{else}}` that closes a block.
struct Item {
  enum class Kind { node, end, else_ };
  Kind kind = Kind::node;
  std::size_t pos = 0;
  Node node;
};

class Parser : TokenStream {
public:
  explicit Parser(std::string_view source) : TokenStream(source) {}

  List parse() {
    List list;
    while (peek().type != Tok::eof) {
      Item item = text_or_action();
      if (item.kind != Item::Kind::node) {
        fail(item.pos, item.kind == Item::Kind::end ? "unexpected {{end}}" : "unexpected {{else}}");
      }
      list.push_back(std::move(item.node));
    }
    return list;
  }

private:
  [[noreturn]] static void fail(std::size_t pos, std::string message) {
    throw ParseFailure{pos, std::move(message)};
  }
  [[noreturn]] static void unexpected(const Token& token, std::string_view context) {
    fail(token.pos, fmt::format("unexpected {} in {}", describe(token), context));
  }

  void expect(Tok type, std::string_view context) {
    const Token token = next_non_space();
    if (token.type != type) {
      unexpected(token, context);
    }
  }

  std::pair<List, Item> item_list() {
    List list;
    while (peek_non_space().type != Tok::eof) {
      Item item = text_or_action();
      if (item.kind != Item::Kind::node) {
        return {std::move(list), std::move(item)};
      }
      list.push_back(std::move(item.node));
    }
    fail(last_end(), "unexpected EOF");
  }

  Item text_or_action() {
    Token token = next_non_space();
    if (token.type == Tok::text) {
      Item item;
      item.node.pos = token.pos;
      item.node.text = std::move(token.value);
      return item;
    }
    if (token.type == Tok::left_delim) {
      return action();
    }
    unexpected(token, "input");
  }

  Item action() {
    const Token token = next_non_space();
    if (token.type == Tok::identifier) {
      const std::string& word = token.value;
      if (word == "if" || word == "range" || word == "with") {
        return node_item(control(word));
      }
      if (word == "else" || word == "end") {
        return end_or_else(word);
      }
      if (word == "break" || word == "continue") {
        return node_item(break_or_continue(token));
      }
      if (word == "define" || word == "template" || word == "block") {
        fail(token.pos, fmt::format("{{{{{}}}}} is not supported", word));
      }
    }
    backup(token);
    Node node;
    node.kind = Node::Kind::action;
    node.pos = token.pos;
    node.pipe = pipeline("command", Tok::right_delim);
    return node_item(std::move(node));
  }

  static Item node_item(Node node) {
    Item item;
    item.pos = node.pos;
    item.node = std::move(node);
    return item;
  }

  // "{{else if x}}" and "{{else with x}}" leave the keyword pending: `control` parses it as a
  // nested block that consumes the one {{end}}.
  Item end_or_else(const std::string& word) {
    Item item;
    item.kind = word == "end" ? Item::Kind::end : Item::Kind::else_;
    item.pos = last_end() - word.size();
    const Token after = peek_non_space();
    if (item.kind == Item::Kind::else_ && after.type == Tok::identifier &&
        (after.value == "if" || after.value == "with")) {
      return item;
    }
    expect(Tok::right_delim, word);
    return item;
  }

  Node break_or_continue(const Token& token) {
    if (range_depth_ == 0) {
      fail(token.pos, fmt::format("{{{{{}}}}} outside {{{{range}}}}", token.value));
    }
    expect(Tok::right_delim, fmt::format("{{{{{}}}}}", token.value));
    Node node;
    node.kind = token.value == "break" ? Node::Kind::break_ : Node::Kind::continue_;
    node.pos = token.pos;
    return node;
  }

  Node control(const std::string& context) {
    const std::size_t saved_vars = vars_.size();
    Node node;
    node.kind = context == "if" ? Node::Kind::if_ : context == "range" ? Node::Kind::range
                                                                       : Node::Kind::with;
    node.pos = peek_non_space().pos;
    node.pipe = pipeline(context, Tok::right_delim);
    range_depth_ += context == "range" ? 1 : 0;
    auto [list, terminator] = item_list();
    range_depth_ -= context == "range" ? 1 : 0;
    node.list = std::move(list);
    if (terminator.kind == Item::Kind::else_) {
      const Token after = peek();
      if (context != "range" && after.type == Tok::identifier && after.value == context) {
        next();
        node.else_list.push_back(control(context));
      } else {
        auto [else_list, end] = item_list();
        if (end.kind != Item::Kind::end) {
          fail(end.pos, "expected end; found {{else}}");
        }
        node.else_list = std::move(else_list);
      }
    }
    vars_.resize(saved_vars);
    return node;
  }

  // Declarations: "$x :=", "$x =", and in range "$i, $e :=". "$x foo" is an argument instead,
  // hence the three-token look-ahead (Go's backup3).
  void declarations(Pipe& pipe, std::string_view context) {
    while (peek_non_space().type == Tok::variable) {
      Token var = next_non_space();
      Token after = peek();
      const Token op = peek_non_space();
      if (op.type == Tok::assign || op.type == Tok::declare) {
        pipe.is_assign = op.type == Tok::assign;
        next_non_space();
        pipe.decl.push_back(var.value);
        vars_.push_back(var.value);
        return;
      }
      if (op.type == Tok::chr && op.value == ",") {
        next_non_space();
        pipe.decl.push_back(var.value);
        vars_.push_back(var.value);
        const Tok following = peek_non_space().type;
        if (context == "range" && pipe.decl.size() < 2 &&
            (following == Tok::variable || following == Tok::right_delim ||
             following == Tok::rparen)) {
          continue;
        }
        fail(op.pos, context == "range" && pipe.decl.size() < 2
                         ? "range can only initialize variables"
                         : fmt::format("too many declarations in {}", context));
      }
      if (after.type == Tok::space) {
        backup(std::move(after)); // `op` is already pending behind it
      }
      backup(std::move(var));
      return;
    }
  }

  std::unique_ptr<Pipe> pipeline(std::string_view context, Tok end) {
    auto pipe = std::make_unique<Pipe>();
    pipe->begin = peek_non_space().pos;
    declarations(*pipe, context);
    while (true) {
      Token token = next_non_space();
      if (token.type == end) {
        check_pipeline(*pipe, context, token.pos);
        return pipe;
      }
      switch (token.type) {
      case Tok::char_constant:
      case Tok::dot:
      case Tok::field:
      case Tok::identifier:
      case Tok::number:
      case Tok::raw_string:
      case Tok::string:
      case Tok::variable:
      case Tok::lparen:
        backup(std::move(token));
        pipe->cmds.push_back(command());
        break;
      default: unexpected(token, context);
      }
    }
  }

  static void check_pipeline(const Pipe& pipe, std::string_view context, std::size_t pos) {
    if (pipe.cmds.empty()) {
      fail(pos, fmt::format("missing value for {}", context));
    }
    for (std::size_t i = 1; i < pipe.cmds.size(); ++i) {
      const Arg::Kind kind = pipe.cmds[i].args[0].kind;
      if (kind == Arg::Kind::constant || kind == Arg::Kind::dot || kind == Arg::Kind::nil) {
        fail(pipe.cmds[i].begin, fmt::format("non executable command in pipeline stage {}", i + 1));
      }
    }
  }

  Command command() {
    Command cmd;
    cmd.begin = peek_non_space().pos;
    while (true) {
      peek_non_space();
      if (auto arg = operand()) {
        cmd.end = arg->end;
        cmd.args.push_back(std::move(*arg));
      }
      Token token = next();
      if (token.type == Tok::space) {
        continue;
      }
      if (token.type == Tok::right_delim || token.type == Tok::rparen) {
        backup(std::move(token));
      } else if (token.type != Tok::pipe) {
        unexpected(token, "operand");
      }
      break;
    }
    if (cmd.args.empty()) {
      fail(cmd.begin, "empty command");
    }
    return cmd;
  }

  std::optional<Arg> operand() {
    std::optional<Arg> arg = term();
    if (!arg || peek().type != Tok::field) {
      return arg;
    }
    const Arg::Kind kind = arg->kind;
    if (kind != Arg::Kind::field && kind != Arg::Kind::variable && kind != Arg::Kind::pipe) {
      fail(arg->begin, "unexpected . after term");
    }
    while (peek().type == Tok::field) {
      arg->fields.push_back(next().value.substr(1));
      arg->end = last_end();
    }
    return arg;
  }

  std::optional<Arg> term() {
    Token token = next_non_space();
    Arg arg;
    arg.begin = token.pos;
    switch (token.type) {
    case Tok::identifier: return identifier(std::move(token));
    case Tok::dot: arg.kind = Arg::Kind::dot; break;
    case Tok::variable:
      if (std::find(vars_.begin(), vars_.end(), token.value) == vars_.end()) {
        fail(token.pos, fmt::format("undefined variable \"{}\"", token.value));
      }
      arg.kind = Arg::Kind::variable;
      arg.name = token.value;
      break;
    case Tok::field:
      arg.kind = Arg::Kind::field;
      arg.fields.push_back(token.value.substr(1));
      break;
    case Tok::number:
    case Tok::char_constant: {
      auto number = parse_number(token.value, token.type);
      if (!number) {
        fail(token.pos, fmt::format("{} number syntax: {}",
                                    token.type == Tok::number ? "illegal" : "malformed character",
                                    go_quote(token.value)));
      }
      arg.kind = Arg::Kind::constant;
      arg.constant = std::move(*number);
      break;
    }
    case Tok::string:
    case Tok::raw_string: {
      auto text = unquote(token.value);
      if (!text) {
        fail(token.pos, "invalid syntax");
      }
      arg.kind = Arg::Kind::constant;
      arg.constant = std::move(*text);
      break;
    }
    case Tok::lparen:
      arg.kind = Arg::Kind::pipe;
      arg.pipe = pipeline("parenthesized pipeline", Tok::rparen);
      break;
    default: backup(std::move(token)); return std::nullopt;
    }
    arg.end = last_end();
    return arg;
  }

  std::optional<Arg> identifier(Token token) {
    Arg arg;
    arg.begin = token.pos;
    arg.end = last_end();
    if (is_keyword(token.value)) {
      backup(std::move(token));
      return std::nullopt;
    }
    if (token.value == "true" || token.value == "false") {
      arg.kind = Arg::Kind::constant;
      arg.constant = token.value == "true";
    } else if (token.value == "nil") {
      arg.kind = Arg::Kind::nil;
    } else if (is_function(token.value)) {
      arg.kind = Arg::Kind::function;
      arg.name = std::move(token.value);
    } else {
      fail(token.pos, fmt::format("function \"{}\" not defined", token.value));
    }
    return arg;
  }

  std::vector<std::string> vars_{"$"};
  int range_depth_ = 0;
};

} // namespace

std::unique_ptr<Tree> parse_tree(std::string_view source) {
  auto tree = std::make_unique<Tree>();
  tree->source = std::string(source);
  try {
    tree->root = Parser(tree->source).parse();
  } catch (const ParseFailure& failure) {
    const Location where = locate(tree->source, failure.pos);
    throw Error(ErrorKind::usage, fmt::format("template parsing error: template: :{}: {}",
                                              where.line, failure.message));
  }
  return tree;
}

} // namespace strata::go_template
