#include "parser/shell_pattern.hpp"

#include "parser/shell_lexer.hpp"
#include "parser/shell_words.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>

namespace {

using strata::parser::k_max_match_steps;
using strata::parser::k_max_word_bytes;
using strata::parser::detail::shell::Failure;
using strata::parser::detail::shell::MatchLength;
using strata::parser::detail::shell::Occurrences;

std::string prefix(std::string_view pattern, std::string_view value,
                   MatchLength length = MatchLength::shortest) {
  std::size_t budget = k_max_match_steps;
  return strata::parser::detail::shell::trim_prefix(pattern, value, length, budget);
}

std::string suffix(std::string_view pattern, std::string_view value,
                   MatchLength length = MatchLength::shortest) {
  std::size_t budget = k_max_match_steps;
  return strata::parser::detail::shell::trim_suffix(pattern, value, length, budget);
}

std::string replace(std::string_view pattern, std::string_view value, std::string_view with,
                    Occurrences which = Occurrences::first) {
  std::size_t budget = k_max_match_steps;
  return strata::parser::detail::shell::replace_matches(pattern, value, with, which, budget);
}

std::string all(std::string_view pattern, std::string_view value, std::string_view with) {
  return replace(pattern, value, with, Occurrences::all);
}

// The `Failure` that `fn` throws; a `Failure` with the message "no failure" if it throws none.
Failure failure_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Failure& f) {
    return f;
  }
  return Failure{"no failure"};
}

constexpr auto k_longest = MatchLength::longest;

TEST(ShellPattern, TrimPrefixShortestAndLongest) {
  EXPECT_EQ(prefix("*.", "a.tar.gz"), "tar.gz");
  EXPECT_EQ(prefix("*.", "a.tar.gz", k_longest), "gz");
  EXPECT_EQ(prefix("a", "abc"), "bc");
  EXPECT_EQ(prefix("b", "abc"), "abc"); // anchored at the start
  EXPECT_EQ(prefix("", "abc", k_longest), "abc");
  EXPECT_EQ(prefix("*", "abc"), "abc");
  EXPECT_EQ(prefix("*", "abc", k_longest), "");
  EXPECT_EQ(prefix("???", "ab"), "ab"); // too long to match
  EXPECT_EQ(prefix("a*b*c", "aXbYcZbc", k_longest), "");
  EXPECT_EQ(prefix("a*b*c", "aXbYcZbc"), "Zbc");
}

TEST(ShellPattern, TrimSuffixShortestAndLongest) {
  EXPECT_EQ(suffix(".*", "a.tar.gz"), "a.tar");
  EXPECT_EQ(suffix(".*", "a.tar.gz", k_longest), "a");
  EXPECT_EQ(suffix("c", "abc"), "ab");
  EXPECT_EQ(suffix("b", "abc"), "abc"); // anchored at the end
  EXPECT_EQ(suffix("*", "abc", k_longest), "");
  EXPECT_EQ(suffix("a*b*c", "aXbYcZbc", k_longest), "");
  EXPECT_EQ(suffix("b*c", "aXbYcZbc"), "aXbYcZ");
}

TEST(ShellPattern, MatchesRunesNotBytes) {
  EXPECT_EQ(prefix("?", "한국어"), "국어");
  EXPECT_EQ(suffix("?", "한국어"), "한국");
  EXPECT_EQ(prefix("한?", "한국어"), "어");
  EXPECT_EQ(all("?", "é한", "."), "..");
  // Invalid UTF-8 is one U+FFFD per byte. Prefix trims and replacements keep the original bytes;
  // a suffix trim re-encodes what it keeps, as BuildKit's rune reversal does.
  EXPECT_EQ(prefix("?", "\xff\xfe"), "\xfe");
  EXPECT_EQ(all("b", "\xff" "b\xfe", "c"), "\xff" "c\xfe");
  EXPECT_EQ(suffix("b", "\xc3" "b"), "\uFFFD");
  EXPECT_EQ(suffix("x", "\xff"), "\uFFFD");
  EXPECT_EQ(prefix("\uFFFD", "\xff" "a"), "a");
}

TEST(ShellPattern, WildcardsNeverMatchNewline) {
  EXPECT_EQ(prefix("*a", "xa\nya", k_longest), "\nya");
  EXPECT_EQ(prefix("?", "\nx"), "\nx");
  EXPECT_EQ(prefix("a\nb", "a\nbc"), "c"); // a literal newline matches itself
  EXPECT_EQ(suffix("a*", "ab\nab", k_longest), "ab\n");
  EXPECT_EQ(all("*", "ab\ncd", "X"), "X\nX");
  EXPECT_EQ(all("a*b", "axb\nb ab", "-"), "-\nb -");
}

TEST(ShellPattern, Escapes) {
  EXPECT_EQ(prefix("\\*", "**x"), "*x");
  EXPECT_EQ(prefix("\\?", "?x"), "x");
  EXPECT_EQ(prefix("\\?", "ax"), "ax");
  EXPECT_EQ(prefix("\\\\", "\\x"), "x");
  EXPECT_EQ(prefix("\\}", "}x"), "x"); // `\}` and `\/` stand for the plain character
  EXPECT_EQ(prefix("\\/", "/x"), "x");
  EXPECT_EQ(suffix("\\*", "a**"), "a*");
  EXPECT_EQ(suffix("x\\*", "ax*"), "a"); // the pair keeps its order when the pattern is reversed
  EXPECT_EQ(all("\\*", "a*b*", "+"), "a+b+");
}

TEST(ShellPattern, BadEscapesFailWithThePattern) {
  const Failure bad = failure_of([] { std::ignore = prefix("a\\x", "ax"); });
  EXPECT_EQ(bad.message, "invalid pattern (a\\x) in substitution: invalid escape '\\x'");
  EXPECT_FALSE(bad.limit);
  // A suffix trim compiles the reversed pattern, so that is what the message shows (upstream).
  EXPECT_EQ(failure_of([] { std::ignore = suffix("a\\x", "ax"); }).message,
            "invalid pattern (\\xa) in substitution: invalid escape '\\x'");
  // A trailing lone `\` escapes the end of input, which Go prints as U+FFFD.
  EXPECT_EQ(failure_of([] { std::ignore = replace("a\\", "a", "b"); }).message,
            "invalid pattern (a\\) in substitution: invalid escape '\\\uFFFD'");
  // The pattern is checked before the value.
  EXPECT_FALSE(
      failure_of([] { std::ignore = prefix("\\q", std::string(k_max_word_bytes + 1, 'a')); })
          .limit);
}

TEST(ShellPattern, ReplaceFirstIsLeftmostLongestAndLiteral) {
  EXPECT_EQ(replace("a*b", "xaYbZb", "-"), "x-");
  EXPECT_EQ(replace("b", "abcb", "$0$$"), "a$0$$cb"); // no template for the first match
  EXPECT_EQ(replace("q", "abc", "-"), "abc");
  EXPECT_EQ(replace("", "abc", "-"), "-abc");
  EXPECT_EQ(replace("?", "", "-"), "");
  EXPECT_EQ(replace("*", "", "-"), "-");
}

TEST(ShellPattern, ReplaceAllFollowsGo) {
  EXPECT_EQ(all("a", "banana", "o"), "bonono");
  EXPECT_EQ(all("", "ab", "-"), "-a-b-");
  EXPECT_EQ(all("*", "ab", "-"), "-"); // no empty match right after a match
  EXPECT_EQ(all("an", "banana", "[$0]"), "b[an][an]a");
  EXPECT_EQ(all("an", "banana", "${0}!"), "ban!an!a");
  EXPECT_EQ(all("a", "ab", "$$|$1|$x|$0x|${0x}|"), "$|||||b");  // names are longest runs
  EXPECT_EQ(all("a", "ab", "${0|$|$"), "${0|$|$b");             // malformed `$` is literal
  EXPECT_EQ(all("a", "ab", "$é"), "b");                          // Unicode letters make names
}

TEST(ShellPatternBounds, BudgetIsChargedAndEnforced) {
  std::size_t budget = 2;
  EXPECT_EQ(strata::parser::detail::shell::trim_prefix("a", "ab", MatchLength::shortest, budget),
            "b");
  EXPECT_EQ(budget, 0U);
  const Failure spent = failure_of([&] {
    std::ignore =
        strata::parser::detail::shell::trim_prefix("a", "ab", MatchLength::shortest, budget);
  });
  EXPECT_EQ(spent.message, "pattern too complex to match in substitution");
  EXPECT_TRUE(spent.limit);
}

TEST(ShellPatternBounds, ValueAndResultSizesAreLimited) {
  const Failure value = failure_of(
      [] { std::ignore = suffix("a", std::string(k_max_word_bytes + 1, 'a')); });
  EXPECT_EQ(value.message, "value exceeds 1048576 bytes in pattern substitution");
  EXPECT_TRUE(value.limit);
  EXPECT_EQ(prefix("a", std::string(k_max_word_bytes, 'a')).size(), k_max_word_bytes - 1);
  const Failure result = failure_of(
      [] { std::ignore = all("?", std::string(k_max_word_bytes / 2 + 1, 'a'), "xy"); });
  EXPECT_EQ(result.message, "expansion result exceeds 1048576 bytes");
  EXPECT_TRUE(result.limit);
}

TEST(ShellPatternBounds, HostilePatternsStayFast) {
  const auto start = std::chrono::steady_clock::now();
  std::string stars;
  for (int i = 0; i < 200; ++i) {
    stars += "*a";
  }
  const std::string value(200000, 'a');
  EXPECT_EQ(prefix(stars + "*b", value, k_longest), value);
  EXPECT_EQ(all(stars + "b", value, "x"), value);
  EXPECT_EQ(suffix(stars, value, k_longest), "");
  const Failure near = failure_of(
      [&] { std::ignore = prefix("*" + std::string(5000, 'a') + "b", value); });
  EXPECT_TRUE(near.message == "no failure" || near.limit);
  // Linear is well under a second in a release build, a few seconds in an unoptimised sanitizer
  // build; exponential would not finish at all: the bound is loose on purpose.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

} // namespace
