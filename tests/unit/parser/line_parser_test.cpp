// The raw AST layer: positions, errors with their places, and BuildKit's line rules.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "parser/ast.hpp"

using strata::Error;
using strata::ErrorKind;
using strata::parser::dump;
using strata::parser::go_quote;
using strata::parser::parse_dockerfile;

namespace {

// Parses `text` expecting a parse error; returns it.
Error parse_error(std::string_view text) {
  try {
    (void)parse_dockerfile(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a parse error for: " << text;
  return Error(ErrorKind::internal, "no error");
}

} // namespace

TEST(LineParser, DumpsInstructionsWithFlags) {
  const auto ast = parse_dockerfile("FROM a AS b\nCOPY --from=b --chown=\"1:1\" x /y\n");
  EXPECT_EQ(dump(ast), "(from \"a\" \"AS\" \"b\")\n(copy [\"--from=b\" \"--chown=1:1\"] \"x\" \"/y\")\n");
}

TEST(LineParser, KeepsPositionsOfInstructionsAndFlags) {
  const auto ast = parse_dockerfile("FROM a\n\n  COPY --from=b \\\n   --chown=1 x /y\n");
  ASSERT_EQ(ast.root.children.size(), 2U);
  const auto& copy = ast.root.children[1];
  EXPECT_EQ(copy.start_line, 3U);
  EXPECT_EQ(copy.end_line, 4U);
  EXPECT_EQ(copy.column, 3U);
  ASSERT_EQ(copy.flag_offsets.size(), 2U);
  const auto first = strata::parser::position_of(copy, copy.flag_offsets[0]);
  EXPECT_EQ(first.line, 3U);
  EXPECT_EQ(first.column, 8U);
  const auto second = strata::parser::position_of(copy, copy.flag_offsets[1]);
  EXPECT_EQ(second.line, 4U);
  EXPECT_EQ(second.column, 4U);
}

TEST(LineParser, HandlesBomAndCrlf) {
  const auto ast = parse_dockerfile("\xEF\xBB\xBF" "FROM a\r\nRUN b \\\r\n  c\r\n");
  EXPECT_EQ(dump(ast), "(from \"a\")\n(run \"b   c\")\n");
}

TEST(LineParser, CommentsAndBlankLinesInsideContinuation) {
  const auto ast = parse_dockerfile("FROM a\nRUN b \\\n# note\n\n  c\n");
  EXPECT_EQ(dump(ast), "(from \"a\")\n(run \"b   c\")\n");
  ASSERT_EQ(ast.warnings.size(), 1U);
  EXPECT_NE(ast.warnings[0].message.find("Empty continuation line"), std::string::npos);
}

TEST(LineParser, DoubledEscapeIsNotAContinuation) {
  const auto ast = parse_dockerfile("FROM a\nRUN echo \\\\\nRUN b\n");
  EXPECT_EQ(dump(ast), "(from \"a\")\n(run \"echo \\\\\\\\\")\n(run \"b\")\n");
}

TEST(LineParser, EscapeDirectiveChangesContinuation) {
  const auto ast = parse_dockerfile("# escape=`\nFROM a\nRUN dir c:\\ `\n  /b\n");
  EXPECT_EQ(ast.escape, '`');
  EXPECT_EQ(dump(ast), "(from \"a\")\n(run \"dir c:\\\\   /b\")\n");
}

TEST(LineParser, DirectivesOnlyAtTheTop) {
  const auto ast = parse_dockerfile("FROM a\n# escape=`\nRUN b \\\n c\n");
  EXPECT_EQ(ast.escape, '\\');
  EXPECT_TRUE(ast.directives.empty());
}

TEST(LineParser, RejectsRepeatedDirective) {
  const Error e = parse_error("# escape=\\\n# escape=`\nFROM a\n");
  EXPECT_EQ(e.kind(), ErrorKind::parse);
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_NE(std::string(e.what()).find("only one escape parser directive can be used"), std::string::npos);
}

TEST(LineParser, RejectsInvalidEscapeToken) {
  const Error e = parse_error("# escape=x\nFROM a\n");
  EXPECT_EQ(e.where()->line, 1U);
  EXPECT_NE(std::string(e.what()).find("invalid escape token 'x'"), std::string::npos);
}

TEST(LineParser, RejectsNulByteWithItsColumn) {
  const Error e = parse_error(std::string_view("FROM a\nRUN b\0c\n", 14));
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_EQ(e.where()->column, 6U);
  EXPECT_EQ(e.where()->file, "Dockerfile");
}

TEST(LineParser, RejectsOverlongLine) {
  const Error e = parse_error("FROM a\nRUN " + std::string(70000, 'x') + "\n");
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_NE(std::string(e.what()).find("greater than max allowed size of 65535"), std::string::npos);
}

TEST(LineParser, RejectsHugeLogicalLine) {
  std::string text = "FROM a\nRUN x";
  for (int i = 0; i < 40; ++i) {
    text += " \\\n" + std::string(60000, 'y');
  }
  const Error e = parse_error(text);
  EXPECT_EQ(e.where()->line, 2U);
}

TEST(LineParser, RejectsEmptyAndCommentOnlyFiles) {
  EXPECT_NE(std::string(parse_error("").what()).find("file with no instructions"), std::string::npos);
  EXPECT_NE(std::string(parse_error("# x\n\n").what()).find("file with no instructions"), std::string::npos);
}

TEST(LineParser, RejectsEnvWithoutValueAtItsLine) {
  const Error e = parse_error("FROM a\n\nENV PATH\n");
  EXPECT_EQ(e.where()->line, 3U);
  EXPECT_EQ(e.where()->column, 1U);
  EXPECT_NE(std::string(e.what()).find("ENV must have two arguments"), std::string::npos);
  EXPECT_EQ(e.source_line(), "ENV PATH");
}

TEST(LineParser, RejectsNameValueWithoutEquals) {
  const Error e = parse_error("FROM a\nLABEL a=b c\n");
  EXPECT_NE(std::string(e.what()).find("can't find = in \"c\""), std::string::npos);
}

TEST(LineParser, RejectsJsonWithNonStringElement) {
  const Error e = parse_error("FROM a\nCMD [\"a\", 1]\n");
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_NE(std::string(e.what()).find("arrays must be comprised of strings only"), std::string::npos);
}

TEST(LineParser, InvalidJsonFallsBackToShellForm) {
  const auto ast = parse_dockerfile("FROM a\nCMD ['a']\nCMD [\"a\"] b\n");
  EXPECT_EQ(dump(ast), "(from \"a\")\n(cmd \"['a']\")\n(cmd \"[\\\"a\\\"] b\")\n");
  EXPECT_FALSE(ast.root.children[1].json);
}

TEST(LineParser, DeepJsonNestingDoesNotRecurse) {
  const auto nested = [](std::size_t depth) {
    return "FROM a\nCMD [\"a\", " + std::string(depth, '[') + std::string(depth, ']') + "]\n";
  };
  // Deeper than Go's 10000 limit: not JSON, so it is the shell form.
  const auto ast = parse_dockerfile(nested(20000));
  EXPECT_FALSE(ast.root.children[1].json);
  // Within the limit: valid JSON with a non-string element, a hard error.
  EXPECT_NE(std::string(parse_error(nested(9000)).what()).find("strings only"), std::string::npos);
}

TEST(LineParser, CapturesHeredocBodies) {
  const auto ast = parse_dockerfile("FROM a\nRUN <<EOF cat\nline 1\n  line 2\nEOF\nRUN b\n");
  ASSERT_EQ(ast.root.children.size(), 3U);
  const auto& run = ast.root.children[1];
  ASSERT_EQ(run.heredocs.size(), 1U);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content, "line 1\n  line 2\n");
  EXPECT_EQ(run.end_line, 5U);
}

TEST(LineParser, RejectsUnterminatedHeredoc) {
  const Error e = parse_error("FROM a\nRUN <<EOF\nbody\n");
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_NE(std::string(e.what()).find("unterminated heredoc"), std::string::npos);
}

TEST(LineParser, UnknownKeywordsPassTheLineLayer) {
  EXPECT_EQ(dump(parse_dockerfile("FROM a\nFOO bar\n")), "(from \"a\")\n(foo \"\")\n");
}

TEST(LineParser, BoundsOnbuildNesting) {
  const Error e = parse_error("FROM a\nONBUILD ONBUILD ONBUILD ONBUILD ONBUILD RUN x\n");
  EXPECT_NE(std::string(e.what()).find("ONBUILD nested too deeply"), std::string::npos);
}

TEST(GoQuote, MatchesStrconvQuote) {
  EXPECT_EQ(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(go_quote(std::string_view("\a\b\f\n\r\t\v\x01\x7f", 9)), "\"\\a\\b\\f\\n\\r\\t\\v\\x01\\x7f\"");
  EXPECT_EQ(go_quote(std::string_view("\0", 1)), "\"\\x00\"");
  EXPECT_EQ(go_quote("\xE2\x99\xA5"), "\"\xE2\x99\xA5\"");          // ♥ stays literal
  EXPECT_EQ(go_quote("\xC2\xA0"), "\"\\u00a0\"");                      // NBSP is not printable
  EXPECT_EQ(go_quote("\xEF\xBB\xBF"), "\"\\ufeff\"");
  EXPECT_EQ(go_quote("\xff"), "\"\\xff\"");                            // invalid UTF-8 byte
  EXPECT_EQ(go_quote("\xF3\xA0\x80\x81"), "\"\\U000e0001\"");
}
