#include "parser/glob_match.hpp"

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/text.hpp"

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
  for (std::size_t i = 0; i < s.size(); i += text::decode_rune(s, i).width) {
    ++n;
  }
  return n;
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
