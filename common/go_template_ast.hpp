#pragma once
// Internal to the Go template engine: the lexer's tokens and the parse tree (the shapes of Go's
// text/template/parse, reduced to what go_template.hpp supports).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata::go_template {

enum class Tok {
  text,
  left_delim,
  right_delim,
  space,
  field,      // ".Name"
  dot,        // "."
  variable,   // "$" or "$name"
  identifier, // function names and keywords
  string,     // "quoted" (value still quoted)
  raw_string, // `raw` (value still quoted)
  char_constant,
  number,
  pipe,    // "|"
  lparen,  // "("
  rparen,  // ")"
  declare, // ":="
  assign,  // "="
  chr,     // any other printable ASCII character, e.g. ',' or a lone '}'
  eof,
};

struct Token {
  Tok type = Tok::eof;
  std::size_t pos = 0; // byte offset in the template text
  std::string value;
};

// Produces tokens on demand (as Go's lexer does, so the first error in the text is reported).
// Throws `ParseFailure` on a lexical error.
class Lexer {
public:
  explicit Lexer(std::string_view input) : in_(input) {}
  [[nodiscard]] Token next();

private:
  Token lex_text();
  Token lex_left_delim();
  Token lex_action();
  Token lex_space();
  Token lex_quote(char close, Tok type);
  Token lex_number();
  Token lex_word(Tok type, std::size_t start);
  bool at_right_delim(bool& trim) const;
  bool at_terminator() const;
  void skip_comment();
  [[noreturn]] void fail(const std::string& message) const;

  std::string_view in_;
  std::size_t pos_ = 0;
  bool in_action_ = false;
  bool trim_next_text_ = false;
  int paren_depth_ = 0;
};

// The parser's view of the lexer: Go's look-ahead (peek, and backing up to three tokens).
class TokenStream {
public:
  explicit TokenStream(std::string_view source) : lexer_(source) {}

  Token next() {
    Token token;
    if (pending_.empty()) {
      token = lexer_.next();
    } else {
      token = std::move(pending_.back());
      pending_.pop_back();
    }
    last_end_ = token.pos + token.value.size();
    return token;
  }
  void backup(Token token) { pending_.push_back(std::move(token)); }
  Token peek() {
    Token token = next();
    backup(token);
    return token;
  }
  Token next_non_space() {
    Token token = next();
    while (token.type == Tok::space) {
      token = next();
    }
    return token;
  }
  Token peek_non_space() {
    Token token = next_non_space();
    backup(token);
    return token;
  }
  // Where the last token returned by `next` ends.
  [[nodiscard]] std::size_t last_end() const { return last_end_; }

private:
  Lexer lexer_;
  std::vector<Token> pending_; // backed-up tokens, the next one last
  std::size_t last_end_ = 0;
};

// A syntax error at a byte offset; `parse_tree` turns it into Docker's message.
struct ParseFailure {
  std::size_t pos;
  std::string message;
};

struct Pipe;

// An operand of a command.
struct Arg {
  enum class Kind { dot, nil, constant, field, variable, function, pipe };
  Kind kind = Kind::dot;
  std::size_t begin = 0; // source span, for error context
  std::size_t end = 0;
  std::string name;                // variable ("$x") or function name
  std::vector<std::string> fields; // field chain after the base: .A.B → {"A", "B"}
  nlohmann::json constant;         // bool, number or string
  std::unique_ptr<Pipe> pipe;      // a parenthesized pipeline
};

struct Command {
  std::vector<Arg> args;
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct Pipe {
  std::vector<std::string> decl; // declared or assigned variables
  bool is_assign = false;        // `=` rather than `:=`
  std::vector<Command> cmds;
  std::size_t begin = 0;
};

struct Node;
using List = std::vector<Node>;

struct Node {
  enum class Kind { text, action, if_, range, with, break_, continue_ };
  Kind kind = Kind::text;
  std::size_t pos = 0;
  std::string text;           // text nodes
  std::unique_ptr<Pipe> pipe; // action and control nodes
  List list;                  // control body
  List else_list;
};

struct Tree {
  std::string source; // the template text, for error positions and context
  List root;
};

// Parses `source` into a tree. Throws `Error{usage}` with Docker's message.
[[nodiscard]] std::unique_ptr<Tree> parse_tree(std::string_view source);

// Whether `name` is a function the templates may call (Go builtins and Docker's functions).
[[nodiscard]] bool is_function(std::string_view name);

// Line number (1-based) and 0-based byte column of `pos` in `source`, as Go reports them.
struct Location {
  std::size_t line;
  std::size_t column;
};
[[nodiscard]] Location locate(std::string_view source, std::size_t pos);

} // namespace strata::go_template
