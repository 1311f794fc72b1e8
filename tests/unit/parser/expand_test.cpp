// Which instructions expand and how: BuildKit's `Expand` methods, ARG/ENV scoping across steps.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "parser/ast.hpp"
#include "parser/expand.hpp"
#include "parser/instructions.hpp"

using strata::Error;
using namespace strata::parser;

namespace {

// Parses `text` (one stage, FROM first) and expands every step after FROM in order.
struct Expanded {
  Ast ast;
  std::vector<Instruction> steps;
  BuildInputs inputs;
  std::unique_ptr<VariableScope> scope;
};

Expanded expand_all(std::string_view text, BuildInputs inputs = {}, Env global = {}) {
  Expanded out;
  out.ast = parse_dockerfile(text);
  out.inputs = std::move(inputs);
  out.scope = std::make_unique<VariableScope>(out.ast.escape, out.inputs);
  out.scope->set_inherited(std::move(global));
  const auto instructions = to_instructions(out.ast);
  for (std::size_t i = 1; i < instructions.size(); ++i) {
    out.steps.push_back(expand_step(instructions[i], *out.scope, out.ast));
  }
  return out;
}

} // namespace

TEST(Expand, EnvValuesSeeTheScopeBeforeTheLine) {
  const auto e = expand_all("FROM a\nENV a=old\nENV a=new b=$a\n");
  EXPECT_EQ(e.scope->env().at("b"), "old");
  EXPECT_EQ(e.scope->env().at("a"), "new");
}

TEST(Expand, EnvRemovesQuotesAndKeepsSpaces) {
  const auto e = expand_all("FROM a\nENV A=\"x  y\" B='$A' C=a\\ b\n");
  const auto& pairs = e.steps[0].as<EnvInstruction>().pairs;
  EXPECT_EQ(pairs[0].value, "x  y");
  EXPECT_EQ(pairs[1].value, "$A");
  EXPECT_EQ(pairs[2].value, "a b");
}

TEST(Expand, ArgPrecedenceAndEnvOverride) {
  BuildInputs inputs;
  inputs.build_args["V"] = "from-cli";
  const auto e = expand_all("FROM a\nARG V=default\nARG G\nLABEL v=$V g=$G\nENV V=env\nLABEL w=$V\n",
                            inputs, Env{{"G", "global"}});
  EXPECT_EQ(e.steps[2].as<LabelInstruction>().pairs[0].value, "from-cli");
  EXPECT_EQ(e.steps[2].as<LabelInstruction>().pairs[1].value, "global");
  EXPECT_EQ(e.steps[4].as<LabelInstruction>().pairs[0].value, "env");
}

TEST(Expand, ArgDefaultsExpandBeforeDeclaring) {
  const auto e = expand_all("FROM a\nARG A=1\nARG A=2 B=$A\n");
  EXPECT_EQ(e.scope->args().at("B"), "1");
}

TEST(Expand, CopyFieldsExpand) {
  const auto e = expand_all("FROM a\nARG U=1000 M=0755 S=src D=/dst F=build X=*.o\n"
                            "COPY --from=$F --chown=$U:$U --chmod=$M --exclude=$X $S/a ${D}/ \n");
  const auto& copy = e.steps[1].as<CopyInstruction>();
  EXPECT_EQ(copy.from->value, "build");
  EXPECT_EQ(copy.chown->value, "1000:1000");
  EXPECT_EQ(copy.chmod->value, "0755");
  EXPECT_EQ(copy.excludes[0].value, "*.o");
  EXPECT_EQ(copy.sources[0].value, "src/a");
  EXPECT_EQ(copy.destination.value, "/dst/");
}

TEST(Expand, EmptyFlagValuesMeanAbsent) {
  const auto e = expand_all("FROM a\nCOPY --from=$NONE --chown=$NONE --chmod=$NONE a b\n");
  const auto& copy = e.steps[0].as<CopyInstruction>();
  EXPECT_FALSE(copy.from);
  EXPECT_FALSE(copy.chown);
  EXPECT_FALSE(copy.chmod);
}

TEST(Expand, ChmodIsCheckedAfterExpansion) {
  try {
    (void)expand_all("FROM a\nARG M=999\nCOPY --chmod=$M a b\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where()->line, 3U);
    EXPECT_EQ(e.source_line(), "COPY --chmod=$M a b");
  }
}

TEST(Expand, SimpleInstructionsExpand) {
  const auto e = expand_all("FROM a\nARG D=/app U=app S=TERM V=/data\nWORKDIR $D/src\nUSER $U\n"
                            "STOPSIGNAL SIG$S\nVOLUME $V /cache\nADD --checksum=sha256:$D x y\n");
  EXPECT_EQ(e.steps[1].as<WorkdirInstruction>().path.value, "/app/src");
  EXPECT_EQ(e.steps[2].as<UserInstruction>().user.value, "app");
  EXPECT_EQ(e.steps[3].as<StopSignalInstruction>().signal.value, "SIGTERM");
  EXPECT_EQ(e.steps[4].as<VolumeInstruction>().volumes[0].value, "/data");
  EXPECT_EQ(e.steps[5].as<AddInstruction>().checksum->value, "sha256:/app");
}

TEST(Expand, ExposeSplitsWords) {
  const auto e = expand_all("FROM a\nENV PORTS=\"80 443/tcp\"\nEXPOSE $PORTS 8080\n");
  const auto& ports = e.steps[1].as<ExposeInstruction>().ports;
  ASSERT_EQ(ports.size(), 3U);
  EXPECT_EQ(ports[1].value, "443/tcp");
}

TEST(Expand, CommandsAreLeftToTheShell) {
  const auto e = expand_all("FROM a\nARG X=1\nRUN echo $X\nCMD echo $X\nENTRYPOINT [\"$X\"]\n"
                            "HEALTHCHECK CMD echo $X\nONBUILD RUN echo $X\n");
  EXPECT_EQ(e.steps[1].as<RunInstruction>().command.args[0], "echo $X");
  EXPECT_EQ(e.steps[2].as<CmdInstruction>().command.args[0], "echo $X");
  EXPECT_EQ(e.steps[3].as<EntrypointInstruction>().command.args[0], "$X");
  EXPECT_EQ(e.steps[4].as<HealthcheckInstruction>().command.args[0], "echo $X");
  EXPECT_EQ(e.steps[5].as<OnbuildInstruction>().expression, "RUN echo $X");
}

TEST(Expand, HeredocSourcesExpandUnlessQuoted) {
  const auto e = expand_all("FROM a\nARG N=world\nCOPY <<EOF <<'RAW' /dst/\nhello \"$N\"\nEOF\nhello $N\nRAW\n");
  const auto& files = e.steps[1].as<CopyInstruction>().inline_sources;
  ASSERT_EQ(files.size(), 2U);
  EXPECT_EQ(files[0].content, "hello \"world\"\n");
  EXPECT_EQ(files[1].content, "hello $N\n");
}

TEST(Expand, MountValuesExpand) {
  const auto e = expand_all("FROM a\nARG T=/cache ID=go\nRUN --mount=type=cache,target=$T,id=$ID make\n");
  const auto& mount = e.steps[1].as<RunInstruction>().mounts[0];
  EXPECT_EQ(mount.target, "/cache");
  EXPECT_EQ(mount.id, "go");
}

TEST(Expand, BacktickEscapeDirective) {
  const auto e = expand_all("# escape=`\nFROM a\nENV P=c:\\dir Q=`$P\nWORKDIR $P\n");
  EXPECT_EQ(e.scope->env().at("P"), "c:\\dir");
  EXPECT_EQ(e.scope->env().at("Q"), "$P");
  EXPECT_EQ(e.steps[1].as<WorkdirInstruction>().path.value, "c:\\dir");
}

TEST(Expand, ExpansionErrorsPointAtTheWord) {
  try {
    (void)expand_all("FROM a\nWORKDIR ${X:?is required}\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where()->line, 2U);
    EXPECT_EQ(e.where()->column, 9U);
    EXPECT_NE(std::string(e.what()).find("X: is required"), std::string::npos);
  }
}
