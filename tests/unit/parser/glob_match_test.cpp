#include "parser/glob_match.hpp"

#include "common/error.hpp"
#include "parser/error_messages.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::parser::detail::glob {
namespace {

Program compile_program(std::string_view pattern) {
  CompiledPattern compiled = compile(pattern, '/', pattern);
  EXPECT_EQ(compiled.info.type, MatchType::regexp) << pattern;
  return std::move(compiled.program);
}

std::size_t count_runes(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += decode_rune(s, i).width) {
    ++n;
  }
  return n;
}

TEST(GlobDecodeRune, FollowsGoDecodeRuneInString) {
  const auto decoded = [](std::string_view s) {
    const Rune r = decode_rune(s, 0);
    return std::pair<char32_t, std::size_t>(r.value, r.width);
  };
  using Pair = std::pair<char32_t, std::size_t>;
  EXPECT_EQ(decoded("a"), Pair(U'a', 1));
  EXPECT_EQ(decoded("\xC3\xA9"), Pair(U'\u00E9', 2));
  EXPECT_EQ(decoded("\xF0\x9F\x98\x80"), Pair(U'\U0001F600', 4));
  EXPECT_EQ(decoded("\xE0\x80\xAF"), Pair(0xFFFD, 1));     // overlong '/'
  EXPECT_EQ(decoded("\xED\xA0\x80"), Pair(0xFFFD, 1));     // surrogate
  EXPECT_EQ(decoded("\xF4\x90\x80\x80"), Pair(0xFFFD, 1)); // above U+10FFFF
  EXPECT_EQ(decoded("\xC3"), Pair(0xFFFD, 1));             // truncated
  EXPECT_EQ(decoded("\xFF"), Pair(0xFFFD, 1));
}

TEST(GlobCompile, ClassifiesLikeMoby) {
  EXPECT_EQ(compile("a/b", '/', "a/b").info.type, MatchType::exact);
  EXPECT_EQ(compile("a/**", '/', "a/**").info.type, MatchType::prefix);
  EXPECT_EQ(compile("**.go", '/', "**.go").info.type, MatchType::suffix);
  const CompiledPattern star = compile("a*", '/', "a*");
  EXPECT_EQ(star.info.type, MatchType::regexp);
  EXPECT_EQ(star.info.go_regexp, "^a[^/]*$");
  EXPECT_EQ(compile("a*", '\\', "a*").info.go_regexp, "^a[^\\\\]*$");
  EXPECT_TRUE(compile("a/b", '/', "a/b").info.go_regexp.empty());
}

TEST(GlobCompile, FailsWithParseErrorNamingShownText) {
  try {
    (void)compile("x[", '/', "  x[");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::parse);
    EXPECT_EQ(std::string(e.what()), fmt::format(messages::k_ignore_bad_pattern, "  x[",
                                                 messages::k_ignore_unterminated_class));
  }
  EXPECT_THROW((void)compile("a\\", '/', "a\\"), Error);
  EXPECT_THROW((void)compile("[b-a]", '/', "[b-a]"), Error);
  EXPECT_NO_THROW((void)compile("a\\", '\\', "a\\")); // Windows mode: `\` is the separator
}

TEST(GlobRunNfa, AnswersEachScan) {
  const Program program = compile_program("a/*");
  EXPECT_TRUE(run_nfa(program, "a/b", Scan::whole));
  EXPECT_FALSE(run_nfa(program, "a/b/c", Scan::whole));
  EXPECT_TRUE(run_nfa(program, "a/b/c", Scan::each_dir)); // "a/b" matches
  EXPECT_FALSE(run_nfa(program, "a", Scan::each_dir));
  EXPECT_TRUE(run_nfa(program, "a/", Scan::alive));
  EXPECT_FALSE(run_nfa(program, "b/", Scan::alive));

  const Program any_depth = compile_program("a/**/x");
  EXPECT_TRUE(run_nfa(any_depth, "a/x", Scan::whole));
  EXPECT_TRUE(run_nfa(any_depth, "a/p/q/x", Scan::whole));
  EXPECT_TRUE(run_nfa(any_depth, "a/p/x/y", Scan::each_dir));
  EXPECT_FALSE(run_nfa(any_depth, "a/p/xy", Scan::whole));
  EXPECT_TRUE(run_nfa(any_depth, "a/p", Scan::alive));

  const Program klass = compile_program("[^a]?");
  EXPECT_TRUE(run_nfa(klass, "/b", Scan::whole)); // a class may match '/', `?` may not
  EXPECT_FALSE(run_nfa(klass, "b/", Scan::whole));
  EXPECT_TRUE(run_nfa(klass, "\xFF\xC3\xA9", Scan::whole)); // runes, not bytes
}

// The invariants and the size bound that `glob_match.hpp` promises, on random patterns.
TEST(GlobCompile, ProgramsKeepTheirInvariants) {
  const std::vector<std::string_view> atoms = {"a", "/", "*", "**", "?", "[a-c]", "[^/]",
                                               "\\*", "\xC3\xA9", "**/", "."};
  std::mt19937 rng(7);
  for (int round = 0; round < 5000; ++round) {
    std::string pattern;
    for (std::size_t n = rng() % 8; n > 0; --n) {
      pattern += atoms[rng() % atoms.size()];
    }
    const CompiledPattern compiled = compile(pattern, '/', pattern);
    const Program& program = compiled.program;
    const int accept = static_cast<int>(program.nodes.size());
    EXPECT_LE(2 * program.nodes.size(), 3 * count_runes(pattern)) << pattern;
    for (int s = 0; s < accept; ++s) {
      const Node& node = program.nodes[static_cast<std::size_t>(s)];
      for (const int edge : {node.out, node.eps1, node.eps2}) {
        EXPECT_TRUE(edge == -1 || (edge >= s && edge <= accept)) << pattern << " state " << s;
      }
      if (node.accept == Accept::klass) {
        EXPECT_LT(node.klass, program.classes.size()) << pattern;
      }
    }
  }
}

TEST(GlobRunNfa, NeverBacktracks) {
  // Exponential for a backtracking matcher; linear in the path for the NFA.
  std::string pattern;
  for (int i = 0; i < 30; ++i) {
    pattern += "*a";
  }
  pattern += "b";
  const Program program = compile_program(pattern);
  EXPECT_FALSE(run_nfa(program, std::string(20000, 'a'), Scan::whole));
  EXPECT_FALSE(run_nfa(compile_program("**/**/**/**/**/b"), std::string(20000, '/'), Scan::whole));
}

} // namespace
} // namespace strata::parser::detail::glob
