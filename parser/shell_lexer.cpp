#include "parser/shell_lexer.hpp"

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/shell_pattern.hpp"
#include "parser/shell_words.hpp"
#include "parser/text.hpp"

#include <fmt/format.h>

#include <tuple>
#include <utility>

namespace strata::parser {
namespace {

// The text layer (`shell_words.hpp`) and the pattern matcher (`shell_pattern.hpp`).
using detail::shell::append_checked;
using detail::shell::append_rune;
using detail::shell::append_rune_checked;
using detail::shell::Failure;
using detail::shell::is_digit;
using detail::shell::is_letter;
using detail::shell::is_space;
using detail::shell::k_eof;
using detail::shell::MatchLength;
using detail::shell::Occurrences;
using detail::shell::replace_matches;
using detail::shell::Rune;
using detail::shell::rune_string;
using detail::shell::Scanner;
using detail::shell::trim_prefix;
using detail::shell::trim_suffix;
using detail::shell::WordSplitter;

// Go's `strconv.Quote` for BuildKit's "failed to process %q". Simplification: every valid
// non-ASCII rune except C1 controls and white space is printed as is. This is deliberately not
// `parser::go_quote` (`go_quote.cpp`), which approximates Go's `IsPrint` more closely: using it
// would change these messages for format characters, private use and the like.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t pos = 0; pos < s.size();) {
    const text::Rune d = text::decode_rune(s, pos);
    const Rune r = static_cast<Rune>(d.value);
    constexpr std::string_view k_controls = "\a\b\f\n\r\t\v";
    const auto named = r < 0x80 ? k_controls.find(static_cast<char>(r)) : std::string::npos;
    if (!d.valid) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[pos]));
    } else if (r == '"' || r == '\\') {
      out += fmt::format("\\{}", static_cast<char>(r));
    } else if (named != std::string::npos) {
      out += fmt::format("\\{}", "abfnrtv"[named]);
    } else if (r < 0x20 || r == 0x7F) {
      out += fmt::format("\\x{:02x}", r);
    } else if (r >= 0x80 && (r < 0xA0 || is_space(r))) {
      out += fmt::format("\\u{:04x}", r);
    } else {
      out += s.substr(pos, d.width);
    }
    pos += d.width;
  }
  return out + '"';
}

// ---- The lexer proper: BuildKit's `shellWord` ------------------------------------------------

bool is_special_param(Rune r) {
  constexpr std::string_view k_special = "@*#?-$!0";
  return r > 0 && r < 0x80 && k_special.find(static_cast<char>(r)) != std::string_view::npos;
}

class Expander {
public:
  Expander(const LexOptions& options, const Env& env, std::string_view word)
      : opt_(options), env_(env), escape_(static_cast<unsigned char>(options.escape)),
        scan_(word) {}

  std::string run(std::vector<std::string>* words) {
    return stop_on(k_eof, opt_.raw_escapes, words);
  }

  std::set<std::string> matched;
  std::set<std::string> unmatched;

private:
  // BuildKit's `processStopOn`: lex up to `stop` (consumed) or the end of input.
  std::string stop_on(Rune stop, bool raw_escapes, std::vector<std::string>* words_out) {
    std::string result;
    WordSplitter words(words_buf_);
    for (Rune ch = scan_.peek(); ch != k_eof; ch = scan_.peek()) {
      if (stop != k_eof && ch == stop) {
        scan_.next();
        words.finish(words_out);
        return result;
      }
      if (ch == '$' || (!opt_.skip_process_quotes && (ch == '\'' || ch == '"'))) {
        const std::string part = ch == '$'    ? dollar()
                                 : ch == '\'' ? single_quote()
                                              : double_quote(raw_escapes);
        append_checked(result, part);
        // Only `$` expansions are split; quoted text stays in one word.
        ch == '$' ? words.add_string(part) : words.add_raw_string(part);
        continue;
      }
      if (scan_.next() != escape_) {
        words.add_char(ch);
      } else {
        if (raw_escapes) {
          words.add_raw_char(ch);
          append_rune_checked(result, ch);
        }
        ch = scan_.next();
        if (ch == k_eof) {
          break; // a trailing lone escape is dropped
        }
        words.add_raw_char(ch);
      }
      append_rune_checked(result, ch);
    }
    if (stop != k_eof) {
      throw Failure{fmt::format(messages::k_shell_unterminated, rune_string(stop))};
    }
    words.finish(words_out);
    return result;
  }

  // `'...'`: nothing is special inside; there is no way to escape `'`.
  std::string single_quote() {
    std::string out;
    const Rune open = scan_.next();
    for (Rune ch = scan_.next(); ch != open; ch = scan_.next()) {
      if (ch == k_eof) {
        throw Failure{std::string(messages::k_shell_unterminated_single_quote)};
      }
      append_rune_checked(out, ch);
    }
    return opt_.raw_quotes ? "'" + out + "'" : out;
  }

  // `"..."`: `$` expands; the escape escapes only `"`, `$` and itself, else stays literal. With
  // raw escapes a literal escape is written twice, as upstream does.
  std::string double_quote(bool raw_escapes) {
    std::string out;
    scan_.next();
    for (Rune ch = scan_.peek(); ch != '"'; ch = scan_.peek()) {
      if (ch == k_eof) {
        throw Failure{std::string(messages::k_shell_unterminated_double_quote)};
      }
      if (ch == '$') {
        append_checked(out, dollar());
        continue;
      }
      if (scan_.next() == escape_) {
        if (raw_escapes) {
          append_rune_checked(out, ch);
        }
        const Rune after = scan_.peek();
        if (after == k_eof) {
          continue;
        }
        if (after == '"' || after == '$' || after == escape_) {
          ch = scan_.next();
        }
      }
      append_rune_checked(out, ch);
    }
    scan_.next();
    return opt_.raw_quotes ? '"' + out + '"' : out;
  }

  // BuildKit's `processDollar`, entered at `$`.
  std::string dollar() {
    scan_.next();
    if (scan_.peek() != '{') {
      const std::string name = read_name();
      return name.empty() ? "$" : value_or_kept(name, "$" + name);
    }
    if (depth_ >= k_max_expansion_depth) {
      throw Failure{std::string(messages::k_shell_nested_too_deeply), true};
    }
    ++depth_;
    std::string out = braced();
    --depth_; // not restored on failure: a failure ends the whole word
    return out;
  }

  // `${...}`, entered at `{`.
  std::string braced() {
    scan_.next();
    if (scan_.peek() == k_eof) {
      throw Failure{std::string(messages::k_shell_missing_brace)};
    }
    if (scan_.peek() == '{' || scan_.peek() == '}' || scan_.peek() == ':') {
      throw Failure{std::string(messages::k_shell_bad_substitution)};
    }
    const std::string name = read_name();
    Rune op = scan_.next();
    std::string chs = rune_string(op);
    if (op == '}') {
      return value_or_kept(name, "${" + name + "}");
    }
    if (op == '/') {
      return substitute(name);
    }
    const bool null_is_unset = op == ':';
    if (null_is_unset) {
      op = scan_.next(); // after `:` any character reaches the operator switch
      chs += rune_string(op);
    } else if (op != '+' && op != '-' && op != '?' && op != '#' && op != '%') {
      throw unsupported(chs);
    }
    return modify(name, op, chs, null_is_unset);
  }

  static Failure unsupported(const std::string& chs) {
    return Failure{fmt::format(messages::k_shell_unsupported_modifier, chs)};
  }

  // The operand of an operator. A BuildKit error with the input exhausted becomes `missing`.
  std::string operand(Rune stop, bool raw_escapes, std::string_view missing) {
    try {
      return stop_on(stop, raw_escapes, nullptr);
    } catch (const Failure& f) {
      if (!f.limit && scan_.peek() == k_eof) {
        throw Failure{std::string(missing)};
      }
      throw;
    }
  }

  // `${name<op>word}` for `- + ? # %` and their `:` forms.
  std::string modify(const std::string& name, Rune op, const std::string& chs, bool null_is_unset) {
    const bool pattern = op == '#' || op == '%';
    if (null_is_unset && pattern) {
      throw unsupported(chs);
    }
    // Patterns keep their escapes so that `\*` reaches the matcher.
    std::string word = operand('}', pattern, messages::k_shell_missing_brace);
    const std::string* value = lookup(name);
    if (opt_.skip_unset_env && value == nullptr) {
      return "${" + name + chs + word + "}";
    }
    const bool absent = value == nullptr || (null_is_unset && value->empty());
    const std::string current = value != nullptr ? *value : std::string();
    switch (op) {
    case '-': return absent ? word : current;
    case '+': return absent ? std::string() : word;
    case '?':
      if (absent) {
        const std::string_view what = value == nullptr ? messages::k_shell_unset_not_allowed
                                                       : messages::k_shell_empty_not_allowed;
        throw Failure{fmt::format(messages::k_shell_required, name,
                                  word.empty() ? what : std::string_view(word))};
      }
      return current;
    case '#':
    case '%': {
      // A doubled operator asks for the longest match. It is checked after expansion, so
      // `${v#"#"x}` is greedy too, as upstream.
      const bool greedy = !word.empty() && word[0] == static_cast<char>(op);
      const std::string_view pat = std::string_view(word).substr(greedy ? 1 : 0);
      const MatchLength length = greedy ? MatchLength::longest : MatchLength::shortest;
      return op == '%' ? trim_suffix(pat, current, length, budget_)
                       : trim_prefix(pat, current, length, budget_);
    }
    default: throw unsupported(chs);
    }
  }

  // `${name/pattern/replacement}` and `${name//pattern/replacement}`, entered after the `/`.
  std::string substitute(const std::string& name) {
    const bool all = scan_.peek() == '/';
    if (all) {
      scan_.next();
    }
    const std::string pattern = operand('/', true, messages::k_shell_missing_slash);
    const std::string replacement = operand('}', true, messages::k_shell_missing_brace);
    const std::string* value = lookup(name);
    if (opt_.skip_unset_env && value == nullptr) {
      return "${" + name + "/" + pattern + "/" + replacement + "}"; // `//` is lost, as upstream
    }
    return replace_matches(pattern, value != nullptr ? *value : std::string_view(), replacement,
                           all ? Occurrences::all : Occurrences::first, budget_);
  }

  // BuildKit's `processName`.
  std::string read_name() {
    std::string name;
    for (Rune ch = scan_.peek(); ch != k_eof; ch = scan_.peek()) {
      if (name.empty() && is_digit(ch)) {
        while (is_digit(scan_.peek())) {
          append_rune(name, scan_.next()); // `$10` is the name `10`
        }
        return name;
      }
      if (name.empty() && is_special_param(ch)) {
        return rune_string(scan_.next());
      }
      if (!is_letter(ch) && !is_digit(ch) && ch != '_') {
        break;
      }
      append_rune(name, scan_.next());
    }
    return name;
  }

  // The value of `name`; when unset, "" or with `skip_unset_env` the reference as `written`.
  std::string value_or_kept(const std::string& name, std::string written) {
    const std::string* value = lookup(name);
    if (value == nullptr) {
      return opt_.skip_unset_env ? written : std::string();
    }
    return *value;
  }

  const std::string* lookup(const std::string& name) {
    const auto it = env_.find(name);
    (it == env_.end() ? unmatched : matched).insert(name);
    return it == env_.end() ? nullptr : &it->second;
  }

  const LexOptions& opt_;
  const Env& env_;
  Rune escape_;
  Scanner scan_;
  std::string words_buf_;
  int depth_ = 0;
  std::size_t budget_ = k_max_match_steps;
};

// Runs `fn`, turning a `Failure` into BuildKit's `failed to process "word": ...` error.
template <typename Fn> auto guarded(std::string_view word, Fn&& fn) {
  try {
    return fn();
  } catch (const Failure& f) {
    throw Error(ErrorKind::parse,
                fmt::format(messages::k_shell_failed_to_process, go_quote(word), f.message));
  }
}

} // namespace

ShellLexer::ShellLexer(LexOptions options) : options_(options) {}

ExpandResult ShellLexer::process_word(std::string_view word, const Env& env) const {
  return guarded(word, [&] {
    Expander expander(options_, env, word);
    ExpandResult result;
    result.word = expander.run(nullptr);
    result.matched = std::move(expander.matched);
    result.unmatched = std::move(expander.unmatched);
    return result;
  });
}

std::vector<std::string> ShellLexer::process_words(std::string_view word, const Env& env) const {
  return guarded(word, [&] {
    Expander expander(options_, env, word);
    std::vector<std::string> words;
    std::ignore = expander.run(&words);
    return words;
  });
}

} // namespace strata::parser