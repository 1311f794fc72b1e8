// Typed instruction layer: keywords and positions, FROM, ENV, LABEL and ARG.

#include "parser/instructions.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "unit/parser/instructions_test_support.hpp"

namespace strata::parser {
namespace {

using instructions_test::caught;
using instructions_test::error_of;
using instructions_test::last;
using instructions_test::parse;

// ---------------------------------------------------------------- keywords and positions

TEST(Instructions, KindNamesRoundTrip) {
  EXPECT_EQ(to_string(InstructionKind::healthcheck), "healthcheck");
  EXPECT_EQ(to_string(InstructionKind::maintainer), "maintainer");
  EXPECT_EQ(instruction_kind("CoPy"), InstructionKind::copy);
  EXPECT_EQ(instruction_kind("STOPSIGNAL"), InstructionKind::stopsignal);
  EXPECT_EQ(instruction_kind("FORM"), std::nullopt);
}

TEST(Instructions, KeywordsAreCaseInsensitive) {
  const auto ins = parse(R"(from a
Run echo
cOpY a b
)");
  ASSERT_EQ(ins.size(), 3U);
  EXPECT_EQ(ins[0].kind, InstructionKind::from);
  EXPECT_EQ(ins[1].kind, InstructionKind::run);
  EXPECT_EQ(ins[1].keyword, "Run");
  EXPECT_EQ(ins[2].kind, InstructionKind::copy);
}

TEST(Instructions, UnknownInstructionSuggestsClosest) {
  EXPECT_EQ(error_of(R"(FROM a
RUN x
FORM b
)"),
            "Dockerfile:3:1: unknown instruction: FORM (did you mean FROM?)");
}

TEST(Instructions, UnknownInstructionSuggestionFollowsCase) {
  EXPECT_EQ(error_of("form b\n"), "Dockerfile:1:1: unknown instruction: form (did you mean from?)");
  EXPECT_EQ(error_of(R"(FROM a
CPY a b
)"),
            "Dockerfile:2:1: unknown instruction: CPY (did you mean COPY?)");
}

TEST(Instructions, UnknownInstructionWithoutSuggestion) {
  EXPECT_EQ(error_of(R"(FROM a
FOOBARBAZ x
)"),
            "Dockerfile:2:1: unknown instruction: FOOBARBAZ");
}

TEST(Instructions, UnknownInstructionIndentedColumnAndSourceLine) {
  const Error e = caught(R"(FROM a
   FORM b
)");
  ASSERT_TRUE(e.where().has_value());
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_EQ(e.where()->column, 4U);
  EXPECT_EQ(e.source_line(), "   FORM b");
  EXPECT_EQ(e.message(), "unknown instruction: FORM (did you mean FROM?)");
}

TEST(Instructions, PositionsOfInstructionsAndArguments) {
  const auto ins = parse("FROM a\n\n  RUN echo a \\\n    b\nCOPY  x  y\n");
  ASSERT_EQ(ins.size(), 3U);
  EXPECT_EQ(ins[1].line, 3U);
  EXPECT_EQ(ins[1].column, 3U);
  EXPECT_EQ(ins[1].end_line, 4U);
  EXPECT_EQ(ins[1].original, "RUN echo a     b");
  EXPECT_EQ(ins[1].args_position.line, 3U);
  EXPECT_EQ(ins[1].args_position.column, 7U);
  const auto& copy = ins[2].as<CopyInstruction>();
  EXPECT_EQ(copy.sources[0].position.column, 7U);
  EXPECT_EQ(copy.destination.position.column, 10U);
  EXPECT_EQ(ins[2].range("Dockerfile").line, 5U);
}

TEST(Instructions, WordPositionsOnContinuationLines) {
  const auto ins = last("ENV A=1 \\\n    B=2\n");
  const auto& env = ins.as<EnvInstruction>();
  ASSERT_EQ(env.pairs.size(), 2U);
  EXPECT_EQ(env.pairs[0].position.line, 1U);
  EXPECT_EQ(env.pairs[0].position.column, 5U);
  EXPECT_EQ(env.pairs[1].position.line, 2U);
  EXPECT_EQ(env.pairs[1].position.column, 5U);
}

// ---------------------------------------------------------------- FROM

TEST(From, ImageOnly) {
  const auto ins = last("FROM alpine:3.19\n");
  const auto& from = ins.as<FromInstruction>();
  EXPECT_EQ(from.base.value, "alpine:3.19");
  EXPECT_EQ(from.base.position.column, 6U);
  EXPECT_FALSE(from.stage_name);
  EXPECT_FALSE(from.platform);
}

TEST(From, StageNameIsLowerCased) {
  const auto ins = last("FROM golang:1.22 as Build-Env_1.x\n");
  const auto& from = ins.as<FromInstruction>();
  ASSERT_TRUE(from.stage_name);
  EXPECT_EQ(from.stage_name->value, "build-env_1.x");
  EXPECT_EQ(from.stage_name->position.column, 21U);
}

TEST(From, PlatformIsKeptUnexpanded) {
  const auto ins = last("FROM --platform=$BUILDPLATFORM ${IMAGE} AS b\n");
  const auto& from = ins.as<FromInstruction>();
  EXPECT_EQ(from.platform->value, "$BUILDPLATFORM");
  EXPECT_EQ(from.base.value, "${IMAGE}");
}

TEST(From, InvalidStageName) {
  EXPECT_EQ(error_of("FROM a AS 1abc\n"),
            "Dockerfile:1:11: invalid name for build stage: \"1abc\", name can't start with a "
            "number or contain symbols");
  EXPECT_EQ(error_of("FROM a AS b@c\n"),
            "Dockerfile:1:11: invalid name for build stage: \"b@c\", name can't start with a "
            "number or contain symbols");
}

TEST(From, WrongArgumentCounts) {
  EXPECT_EQ(error_of("FROM a AS\n"), "Dockerfile:1:6: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a b c\n"),
            "Dockerfile:1:6: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a AS b c\n"),
            "Dockerfile:1:6: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM\n"), "Dockerfile:1:1: FROM requires either one or three arguments");
}

TEST(From, UnknownFlag) {
  EXPECT_EQ(error_of("FROM --platfrom=linux/amd64 a\n"),
            "Dockerfile:1:6: unknown flag --platfrom for FROM (did you mean --platform?)");
}

// ---------------------------------------------------------------- ENV, LABEL, ARG

TEST(Env, PairsKeepQuotesAndVariables) {
  const auto& env = last("ENV A=1 B=\"two words\" C=${A}x\n").as<EnvInstruction>();
  ASSERT_EQ(env.pairs.size(), 3U);
  EXPECT_EQ(env.pairs[0].key, "A");
  EXPECT_EQ(env.pairs[0].value, "1");
  EXPECT_FALSE(env.pairs[0].legacy);
  EXPECT_EQ(env.pairs[1].value, "\"two words\"");
  EXPECT_EQ(env.pairs[1].position.column, 9U);
  EXPECT_EQ(env.pairs[2].value, "${A}x");
}

TEST(Env, LegacyForm) {
  const auto& env = last("ENV PATH /usr/bin:$PATH with spaces\n").as<EnvInstruction>();
  ASSERT_EQ(env.pairs.size(), 1U);
  EXPECT_EQ(env.pairs[0].key, "PATH");
  EXPECT_EQ(env.pairs[0].value, "/usr/bin:$PATH with spaces");
  EXPECT_TRUE(env.pairs[0].legacy);
}

TEST(Env, Errors) {
  EXPECT_EQ(error_of("ENV\n"), "Dockerfile:1:1: ENV requires at least one argument");
  EXPECT_EQ(error_of("ENV A=1 =x\n"), "Dockerfile:1:9: ENV names can not be blank");
}

TEST(Label, PairsAndErrors) {
  const auto& label = last("LABEL a=b \"c d\"=e\n").as<LabelInstruction>();
  ASSERT_EQ(label.pairs.size(), 2U);
  EXPECT_EQ(label.pairs[1].key, "\"c d\"");
  EXPECT_EQ(label.pairs[1].value, "e");
  EXPECT_EQ(last("LABEL maintainer me <m@x>\n").as<LabelInstruction>().pairs[0].value, "me <m@x>");
  EXPECT_EQ(error_of("LABEL\n"), "Dockerfile:1:1: LABEL requires at least one argument");
  EXPECT_EQ(error_of("LABEL =x\n"), "Dockerfile:1:7: LABEL names can not be blank");
}

TEST(Arg, SeveralPerLine) {
  const auto& arg = last("ARG A B=2 C=\"x y\" D=\n").as<ArgInstruction>();
  ASSERT_EQ(arg.args.size(), 4U);
  EXPECT_EQ(arg.args[0].name, "A");
  EXPECT_FALSE(arg.args[0].default_value);
  EXPECT_EQ(arg.args[1].default_value, "2");
  EXPECT_EQ(arg.args[1].position.column, 7U);
  EXPECT_EQ(arg.args[2].default_value, "\"x y\"");
  EXPECT_EQ(arg.args[3].default_value, "");
}

TEST(Arg, Errors) {
  EXPECT_EQ(error_of("ARG\n"), "Dockerfile:1:1: ARG requires at least one argument");
  EXPECT_EQ(error_of("ARG A =1\n"), "Dockerfile:1:7: ARG names can not be blank");
}

} // namespace
} // namespace strata::parser
