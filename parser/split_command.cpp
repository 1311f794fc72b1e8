// The keyword, builder flags and argument text of one logical line, and the ENV/LABEL/ARG word
// splitter. Grammars are in `grammar.hpp`.

#include "parser/grammar.hpp"
#include "parser/line_parser_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser::detail {
namespace pegtl = tao::pegtl;
namespace {

// ---- builder flags ----
struct FlagState {
  std::string word;
};

template <typename Rule> struct flag_action : pegtl::nothing<Rule> {};

template <char E> struct flag_action<grammar::flag_escaped<E>> {
  template <typename Input> static void apply(const Input& in, FlagState& s) {
    s.word.append(in.begin() + 1, in.end());
  }
};
template <> struct flag_action<grammar::flag_plain> {
  template <typename Input> static void apply(const Input& in, FlagState& s) {
    s.word.append(in.begin(), in.end());
  }
};
// Inside quotes: escaped characters are added by `flag_escaped`'s action, a trailing escape is
// dropped, so only a plain one-byte match is added here.
template <char E, char Q> struct flag_action<grammar::flag_quoted_char<E, Q>> {
  template <typename Input> static void apply(const Input& in, FlagState& s) {
    if (in.size() == 1 && *in.begin() != E) {
      s.word += *in.begin();
    }
  }
};

// The leading `--` of a flag word is matched by `two<'-'>`, which has no action: add it here.
template <char E> struct flag_prefix_word : pegtl::seq<pegtl::star<grammar::flag_space>, pegtl::at<pegtl::two<'-'>>> {};

template <char E>
void extract_flags(std::string_view line, std::size_t base, SplitLine& out) {
  pegtl::memory_input in(line.data(), line.size(), "flags");
  for (;;) {
    if (!pegtl::parse<flag_prefix_word<E>>(in)) {
      break;
    }
    const std::size_t start = static_cast<std::size_t>(in.current() - line.data());
    in.bump(2);
    FlagState state;
    state.word = "--";
    pegtl::parse<pegtl::star<grammar::flag_piece<E>>, flag_action>(in, state);
    if (state.word == "--") {
      break; // a bare `--` ends the flags and is not recorded
    }
    out.flags.push_back(std::move(state.word));
    out.flag_offsets.push_back(base + start);
  }
  const std::size_t consumed = static_cast<std::size_t>(in.current() - line.data());
  const std::string_view rest = line.substr(consumed);
  const std::string_view trimmed = text::trim_space(rest);
  out.args = std::string(trimmed);
  out.args_offset = base + consumed + static_cast<std::size_t>(trimmed.data() - rest.data());
}

// ---- words ----
struct WordState {
  std::vector<std::string> words;
  bool drop_trailing_escape = false;
};
template <typename Rule> struct word_action : pegtl::nothing<Rule> {};
template <char E> struct word_action<grammar::word_trailing_escape<E>> {
  template <typename Input> static void apply(const Input& /*in*/, WordState& s) {
    s.drop_trailing_escape = true;
  }
};
template <char E> struct word_action<grammar::word<E>> {
  template <typename Input> static void apply(const Input& in, WordState& s) {
    std::string w = in.string();
    if (s.drop_trailing_escape) {
      w.pop_back(); // a lone escape token at the very end of the text is dropped
    }
    s.words.push_back(std::move(w));
  }
};

template <char E> std::vector<std::string> words_with(std::string_view rest) {
  WordState state;
  pegtl::memory_input in(rest.data(), rest.size(), "words");
  pegtl::parse<grammar::words<E>, word_action>(in, state);
  return std::move(state.words);
}

} // namespace

SplitLine split_command(std::string_view line, char escape) {
  SplitLine out;
  const std::string_view trimmed = text::trim_space(line);
  const auto lead = static_cast<std::size_t>(trimmed.data() - line.data());
  std::size_t pos = 0;
  while (pos < trimmed.size() && !text::is_split_space(trimmed[pos])) {
    ++pos;
  }
  out.keyword = std::string(trimmed.substr(0, pos));
  out.keyword_offset = lead;
  std::size_t rest = pos;
  while (rest < trimmed.size() && text::is_split_space(trimmed[rest])) {
    ++rest;
  }
  if (pos == trimmed.size()) {
    out.args_offset = lead + pos;
    return out;
  }
  if (escape == '`') {
    extract_flags<'`'>(trimmed.substr(rest), lead + rest, out);
  } else {
    extract_flags<'\\'>(trimmed.substr(rest), lead + rest, out);
  }
  return out;
}

std::vector<std::string> parse_words(std::string_view rest, char escape) {
  return escape == '`' ? words_with<'`'>(rest) : words_with<'\\'>(rest);
}

} // namespace strata::parser::detail
