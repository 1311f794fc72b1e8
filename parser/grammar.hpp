#pragma once
// PEGTL grammars of the Dockerfile line parser. Private to parser/*.cpp (STYLE.md §1).
//
// The physical-line handling (continuations, comments, heredoc bodies) follows BuildKit's
// scanner loop in `line_parser.cpp`; these rules describe what is inside one line. The escape
// token is `\` or `` ` `` (the `escape` directive), so the rules that use it are templates on it.

#include <tao/pegtl.hpp>

namespace strata::parser::grammar {

namespace pegtl = tao::pegtl;
using namespace pegtl; // NOLINT(google-build-using-namespace): rules read as a grammar

// ---- Parser directives: `# escape = \` ------------------------------------------------------
// Go RE2's `\s`: space, tab, newline, form feed and carriage return (not vertical tab).
struct re_space : one<' ', '\t', '\n', '\f', '\r'> {};
// A directive's name: a letter, then letters and digits.
struct directive_name : seq<ascii::alpha, star<ascii::alnum>> {};
// Everything after `=` and its spaces; trailing spaces are trimmed by the action.
struct directive_value : plus<not_one<'\n'>> {};
// `#`, spaces, name, spaces, `=`, spaces, value: BuildKit's `reDirective`.
struct directive
    : seq<one<'#'>, star<re_space>, directive_name, star<re_space>, one<'='>, star<re_space>,
          directive_value, eof> {};

// ---- Builder flags: `COPY --from=build --chown="a b" src dst` -------------------------------
// The bytes Go's `unicode.IsSpace` accepts on a single byte.
struct flag_space : one<' ', '\t', '\n', '\v', '\f', '\r'> {};
// The escape token and the character after it: the character is taken literally.
template <char E> struct flag_escaped : seq<one<E>, any> {};
// An escape token at the very end of the line is dropped.
template <char E> struct flag_trailing_escape : seq<one<E>, eof> {};
// A quoted part of a flag: quotes are removed, the escape token still works inside.
template <char E, char Q> struct flag_quoted_char : sor<flag_escaped<E>, flag_trailing_escape<E>, not_one<Q>> {};
template <char E, char Q> struct flag_quote_open : one<Q> {};
template <char E, char Q>
struct flag_quoted : seq<flag_quote_open<E, Q>, star<flag_quoted_char<E, Q>>, opt<one<Q>>> {};
// Any other character of a flag word.
struct flag_plain : not_one<' ', '\t', '\n', '\v', '\f', '\r'> {};
template <char E>
struct flag_piece : sor<flag_quoted<E, '"'>, flag_quoted<E, '\''>, flag_escaped<E>,
                        flag_trailing_escape<E>, flag_plain> {};
// A flag word starts with `--`; the action records it (or ends the flags on a bare `--`).
template <char E> struct flag_word : seq<two<'-'>, star<flag_piece<E>>> {};
// Flags are the leading words that start with `--`; the first other word ends them.
template <char E> struct builder_flags : star<star<flag_space>, at<two<'-'>>, flag_word<E>> {};

// ---- Words of ENV, LABEL and ARG: split on spaces outside quotes -----------------------------
// Go's `unicode.IsSpace` on decoded runes.
struct word_space
    : sor<utf8::ranges<0x09, 0x0D, 0x2000, 0x200A>,
          utf8::one<0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000>> {};
// One character: a UTF-8 code point, or a single byte that is not valid UTF-8.
struct word_char : sor<utf8::any, any> {};
// The escape token protects the next character; both are kept.
template <char E> struct word_escaped : seq<one<E>, word_char> {};
// An escape token at the very end of the text is dropped.
template <char E> struct word_trailing_escape : seq<one<E>, eof> {};
// Double quotes: the escape token works inside; the quotes are kept.
template <char E>
struct word_double_quoted
    : seq<one<'"'>, star<sor<word_escaped<E>, word_trailing_escape<E>, seq<not_at<one<'"'>>, word_char>>>,
          opt<one<'"'>>> {};
// Single quotes: nothing is special inside.
struct word_single_quoted : seq<one<'\''>, star<seq<not_at<one<'\''>>, word_char>>, opt<one<'\''>>> {};
template <char E>
struct word_piece : sor<word_double_quoted<E>, word_single_quoted, word_escaped<E>,
                        word_trailing_escape<E>, seq<not_at<word_space>, word_char>> {};
template <char E> struct word : plus<word_piece<E>> {};
template <char E> struct words : seq<star<sor<word_space, word<E>>>, eof> {};

// ---- Heredoc words: `(\d*)<<(-?)\s*([^<]*)` ---------------------------------------------------
struct heredoc_fd : star<ascii::digit> {};
struct heredoc_chomp : opt<one<'-'>> {};
struct heredoc_rest : star<not_one<'<'>> {};
struct heredoc_word
    : seq<heredoc_fd, two<'<'>, heredoc_chomp, star<re_space>, heredoc_rest, eof> {};

} // namespace strata::parser::grammar
