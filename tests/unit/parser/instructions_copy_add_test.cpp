// Typed instruction layer: flag parsing (unknown, duplicate, boolean, missing values), COPY and
// ADD.

#include "parser/instructions.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "unit/parser/instructions_test_support.hpp"

namespace strata::parser {
namespace {

using instructions_test::error_of;
using instructions_test::last;

// ---------------------------------------------------------------- flags

TEST(Flags, UnknownFlagPointsAtTheFlagAndSuggests) {
  EXPECT_EQ(error_of(R"(FROM a





COPY --form=build /a /b
)"),
            "Dockerfile:7:6: unknown flag --form for COPY (did you mean --from?)");
}

TEST(Flags, UnknownFlagWithoutSuggestion) {
  EXPECT_EQ(error_of(R"(FROM a
RUN --foo=bar x
)"),
            "Dockerfile:2:5: unknown flag --foo for RUN");
}

TEST(Flags, SecondFlagColumn) {
  EXPECT_EQ(error_of("COPY --chown=1 --lnk a b\n"),
            "Dockerfile:1:16: unknown flag --lnk for COPY (did you mean --link?)");
}

TEST(Flags, FlagOnContinuationLine) {
  EXPECT_EQ(error_of("FROM a\nCOPY --chown=1 \\\n    --lnik a b\n"),
            "Dockerfile:3:5: unknown flag --lnik for COPY (did you mean --link?)");
}

TEST(Flags, InstructionsWithoutFlagsRejectAny) {
  EXPECT_EQ(error_of("WORKDIR --x /a\n"), "Dockerfile:1:9: unknown flag --x for WORKDIR");
  EXPECT_EQ(error_of("ENV --a=b x=y\n"), "Dockerfile:1:5: unknown flag --a for ENV");
  EXPECT_EQ(error_of("CMD --x echo\n"), "Dockerfile:1:5: unknown flag --x for CMD");
  EXPECT_EQ(error_of("ARG --x y\n"), "Dockerfile:1:5: unknown flag --x for ARG");
  EXPECT_EQ(error_of("ONBUILD --x RUN y\n"), "Dockerfile:1:9: unknown flag --x for ONBUILD");
}

TEST(Flags, DuplicateFlag) {
  EXPECT_EQ(error_of("COPY --from=a --from=b x y\n"),
            "Dockerfile:1:15: duplicate flag specified: --from");
  EXPECT_EQ(error_of("COPY --link --link x y\n"),
            "Dockerfile:1:13: duplicate flag specified: --link");
}

TEST(Flags, RepeatableFlags) {
  const auto ins = last("COPY --exclude=*.md --exclude=*.txt a b\n");
  const auto& copy = ins.as<CopyInstruction>();
  ASSERT_EQ(copy.excludes.size(), 2U);
  EXPECT_EQ(copy.excludes[0].value, "*.md");
  EXPECT_EQ(copy.excludes[1].value, "*.txt");
  EXPECT_EQ(copy.excludes[1].position.column, 31U);
}

TEST(Flags, BooleanValues) {
  EXPECT_TRUE(last("COPY --link a b\n").as<CopyInstruction>().link);
  EXPECT_TRUE(last("COPY --link=TRUE a b\n").as<CopyInstruction>().link);
  EXPECT_FALSE(last("COPY --link=false a b\n").as<CopyInstruction>().link);
  EXPECT_FALSE(last("COPY a b\n").as<CopyInstruction>().link);
  EXPECT_TRUE(last("COPY --parents a b\n").as<CopyInstruction>().parents);
  EXPECT_TRUE(last("ADD --keep-git-dir=true a b\n").as<AddInstruction>().keep_git_dir);
}

TEST(Flags, BadBooleanValue) {
  EXPECT_EQ(error_of("COPY --link=yes a b\n"),
            "Dockerfile:1:6: expecting boolean value for flag --link, not: yes");
  EXPECT_EQ(error_of("COPY --link= a b\n"), "Dockerfile:1:6: missing a value on flag: --link");
  EXPECT_EQ(error_of("COPY --parents=1 a b\n"),
            "Dockerfile:1:6: expecting boolean value for flag --parents, not: 1");
}

TEST(Flags, MissingValue) {
  EXPECT_EQ(error_of("COPY --from a b\n"), "Dockerfile:1:6: missing a value on flag: --from");
  EXPECT_EQ(error_of("RUN --mount x\n"), "Dockerfile:1:5: missing a value on flag: --mount");
  EXPECT_EQ(error_of("FROM --platform a\n"), "Dockerfile:1:6: missing a value on flag: --platform");
}

TEST(Flags, AddOnlyAndCopyOnlyFlags) {
  EXPECT_EQ(error_of("COPY --checksum=sha256:0 a b\n"),
            "Dockerfile:1:6: checksum can't be specified for COPY");
  EXPECT_EQ(error_of("COPY --keep-git-dir a b\n"),
            "Dockerfile:1:6: keep-git-dir can't be specified for COPY");
  EXPECT_EQ(error_of("ADD --from=x a b\n"), "Dockerfile:1:5: from can't be specified for ADD");
  EXPECT_EQ(error_of("ADD --parents a b\n"), "Dockerfile:1:5: parents can't be specified for ADD");
}

TEST(Flags, QuotesInFlagValuesAreRemoved) {
  const auto ins = last("COPY --chown=\"app user\" a b\n");
  EXPECT_EQ(ins.as<CopyInstruction>().chown->value, "app user");
  ASSERT_EQ(ins.flags.size(), 1U);
  EXPECT_EQ(ins.flags[0].name, "chown");
  EXPECT_TRUE(ins.flags[0].has_value);
}

TEST(Flags, FlagValuePositionPointsPastEquals) {
  const auto ins = last("COPY --from=build a b\n");
  EXPECT_EQ(ins.as<CopyInstruction>().from->position.column, 13U);
  EXPECT_EQ(ins.flags[0].position.column, 6U);
}

// ---------------------------------------------------------------- COPY, ADD

TEST(Copy, SourcesDestinationAndFlags) {
  const auto ins = last("COPY --from=build --chown=app:app --chmod=0755 --link a b/ /dst/\n");
  const auto& copy = ins.as<CopyInstruction>();
  ASSERT_EQ(copy.sources.size(), 2U);
  EXPECT_EQ(copy.sources[1].value, "b/");
  EXPECT_EQ(copy.destination.value, "/dst/");
  EXPECT_EQ(copy.from->value, "build");
  EXPECT_EQ(copy.chown->value, "app:app");
  EXPECT_EQ(copy.chmod->value, "0755");
  EXPECT_TRUE(copy.link);
  EXPECT_FALSE(copy.parents);
}

TEST(Copy, JsonFormAndUnquotedShellForm) {
  const auto& json = last("COPY [\"a b\", \"/x y/\"]\n").as<CopyInstruction>();
  EXPECT_EQ(json.sources.at(0).value, "a b");
  EXPECT_EQ(json.destination.value, "/x y/");
  const auto& shell = last("COPY \"a b\" /x\n").as<CopyInstruction>();
  EXPECT_EQ(shell.sources.size(), 2U); // not quote-aware, as BuildKit
}

TEST(Copy, NeedsTwoArguments) {
  EXPECT_EQ(error_of(R"(FROM a
COPY onlyone
)"),
            "Dockerfile:2:6: COPY requires at least two arguments, but only one was provided. "
            "Destination could not be determined.");
  EXPECT_EQ(error_of("ADD\n"),
            "Dockerfile:1:1: ADD requires at least two arguments, but only one was provided. "
            "Destination could not be determined.");
}

TEST(Copy, ChmodOctalAndSymbolic) {
  for (const char* mode :
       {"755", "0644", "07777", "u+x", "a+rX,go-w", "u=rwx,g=rx,o=", "+x", "ug+s", "o-t", "u=g"}) {
    EXPECT_EQ(
        last(std::string("COPY --chmod=") + mode + " a b\n").as<CopyInstruction>().chmod->value,
        mode);
  }
  EXPECT_EQ(last("COPY --chmod=$MODE a b\n").as<CopyInstruction>().chmod->value, "$MODE");
  EXPECT_FALSE(last("COPY --chmod= a b\n").as<CopyInstruction>().chmod);
}

TEST(Copy, BadChmod) {
  EXPECT_EQ(error_of("COPY --chmod=64a a b\n"),
            "Dockerfile:1:14: invalid chmod parameter: '64a'. it should be octal string and "
            "between 0 and 07777");
  EXPECT_EQ(error_of("ADD --chmod=10000 a b\n"),
            "Dockerfile:1:13: invalid chmod parameter: '10000'. it should be octal string and "
            "between 0 and 07777");
  for (const char* mode : {"u+q", "z+x", "u+x,", "u", "rwx", "8"}) {
    EXPECT_THROW(check_chmod(mode), Error) << mode;
  }
  EXPECT_NO_THROW(check_chmod("g-w,o-rwx"));
}

TEST(Copy, HeredocSources) {
  const auto& copy = last("COPY <<EOF <<-\"TAB\" path /dst/\nhello $X\nEOF\n\t\tindented\n\tTAB\n")
                         .as<CopyInstruction>();
  ASSERT_EQ(copy.inline_sources.size(), 2U);
  EXPECT_EQ(copy.inline_sources[0].name, "EOF");
  EXPECT_EQ(copy.inline_sources[0].content, "hello $X\n");
  EXPECT_TRUE(copy.inline_sources[0].expand);
  EXPECT_EQ(copy.inline_sources[1].name, "TAB");
  EXPECT_EQ(copy.inline_sources[1].content, "indented\n");
  EXPECT_FALSE(copy.inline_sources[1].expand);
  EXPECT_TRUE(copy.inline_sources[1].chomp);
  ASSERT_EQ(copy.sources.size(), 1U);
  EXPECT_EQ(copy.sources[0].value, "path");
}

TEST(Copy, HeredocDestinationIsAnError) {
  EXPECT_EQ(error_of(R"(COPY a <<EOF
x
EOF
)"),
            "Dockerfile:1:8: COPY cannot accept a heredoc as a destination");
}

TEST(Copy, ParentsAndExclude) {
  const auto& copy = last("COPY --parents --exclude=**/*.o ./x/./y /dst\n").as<CopyInstruction>();
  EXPECT_TRUE(copy.parents);
  ASSERT_EQ(copy.excludes.size(), 1U);
  EXPECT_EQ(copy.excludes[0].value, "**/*.o");
}

TEST(Add, AllFlags) {
  const auto ins = last("ADD --chown=1:1 --chmod=644 --link --exclude=x --keep-git-dir "
                        "--checksum=sha256:abc https://e.com/a.tgz /a\n");
  const auto& add = ins.as<AddInstruction>();
  EXPECT_EQ(add.checksum->value, "sha256:abc");
  EXPECT_TRUE(add.keep_git_dir);
  EXPECT_TRUE(add.link);
  EXPECT_EQ(add.chown->value, "1:1");
  EXPECT_EQ(add.excludes.size(), 1U);
  EXPECT_EQ(add.sources.at(0).value, "https://e.com/a.tgz");
}

TEST(Add, ChecksumNeedsOneSource) {
  EXPECT_EQ(error_of("ADD --checksum=sha256:abc a b /c\n"),
            "Dockerfile:1:16: checksum can't be specified for multiple sources");
}

TEST(Add, Heredoc) {
  const auto& add = last(R"(ADD <<EOF /x
body
EOF
)")
                        .as<AddInstruction>();
  ASSERT_EQ(add.inline_sources.size(), 1U);
  EXPECT_EQ(add.inline_sources[0].content, "body\n");
}

} // namespace
} // namespace strata::parser
