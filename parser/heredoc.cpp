// Heredoc detection on instruction lines (BuildKit's `heredocsFromLine` and `ParseHeredoc`).

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/grammar.hpp"
#include "parser/line_parser_internal.hpp"
#include "parser/shell_lexer.hpp"
#include "parser/text.hpp"

namespace strata::parser::detail {
namespace pegtl = tao::pegtl;
namespace {

struct HeredocMatch {
  std::string fd;
  bool chomp = false;
  std::string rest;
};
template <typename Rule> struct heredoc_action : pegtl::nothing<Rule> {};
template <> struct heredoc_action<grammar::heredoc_fd> {
  template <typename Input> static void apply(const Input& in, HeredocMatch& m) { m.fd = in.string(); }
};
template <> struct heredoc_action<grammar::heredoc_chomp> {
  template <typename Input> static void apply(const Input& in, HeredocMatch& m) { m.chomp = in.size() == 1; }
};
template <> struct heredoc_action<grammar::heredoc_rest> {
  template <typename Input> static void apply(const Input& in, HeredocMatch& m) { m.rest = in.string(); }
};

std::vector<std::string> lex_words(std::string_view text, bool raw_quotes) {
  LexOptions options;
  options.skip_unset_env = true;
  options.raw_quotes = raw_quotes;
  try {
    return ShellLexer(options).process_words(text, Env{});
  } catch (const Error& e) {
    throw LineError{e.message(), 0};
  }
}

std::size_t count_quotes(std::string_view s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"'));
}

// `<<` followed by spaces sticks to the next word (`<< EOF`); `<<-` does not.
bool is_bare_redirect(std::string_view word) {
  const auto lt = word.find("<<");
  return lt != std::string_view::npos && lt + 2 == word.size() &&
         std::all_of(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(lt),
                     [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::optional<Heredoc> parse_heredoc_word(std::string_view word) {
  HeredocMatch match;
  pegtl::memory_input in(word.data(), word.size(), "heredoc");
  if (!pegtl::parse<grammar::heredoc_word, heredoc_action>(in, match) || match.rest.empty()) {
    return std::nullopt;
  }
  const auto words = lex_words(match.rest, false);
  if (words.size() != 1) {
    return std::nullopt;
  }
  const auto raw = lex_words(match.rest, true);
  if (raw.size() != words.size()) {
    throw LineError{fmt::format(fmt::runtime(messages::k_heredoc_inconsistent), match.rest), 0};
  }
  Heredoc heredoc;
  heredoc.name = words[0];
  heredoc.expand = count_quotes(words[0]) == count_quotes(raw[0]);
  heredoc.chomp = match.chomp;
  heredoc.fd = match.fd.empty() || match.fd.size() > 9 ? 0 : std::stoi(match.fd);
  return heredoc;
}

std::vector<Heredoc> heredocs_from_line(std::string_view line) {
  LexOptions options;
  options.raw_quotes = true;
  options.raw_escapes = true;
  options.skip_unset_env = true;
  std::vector<std::string> words;
  try {
    words = ShellLexer(options).process_words(line, Env{});
  } catch (const Error&) {
    return {}; // BuildKit ignores lexing errors here: the line is then not a heredoc line
  }
  std::vector<Heredoc> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string word = words[i];
    if (is_bare_redirect(word) && i + 1 < words.size()) {
      word += ' ';
      word += words[++i];
    }
    if (auto heredoc = parse_heredoc_word(word)) {
      out.push_back(std::move(*heredoc));
    }
  }
  return out;
}

bool can_contain_heredoc(const Node& node) {
  const Node* target = &node;
  if (text::to_lower_ascii(node.value) == "onbuild" && !node.args.empty() &&
      !node.args[0].children.empty()) {
    target = &node.args[0].children[0];
  }
  const std::string k = text::to_lower_ascii(target->value);
  return (k == "run" || k == "copy" || k == "add") && !target->json;
}

} // namespace strata::parser::detail
