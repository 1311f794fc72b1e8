// The stage graph: stages by name and index, edges, ARG scoping in FROM and COPY --from, target
// pruning, cycles and the errors with their places.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "parser/ast.hpp"
#include "parser/instructions.hpp"
#include "parser/stage_graph.hpp"

using strata::Error;
using strata::ErrorKind;
using namespace strata::parser;

namespace {

StageGraph graph_of(std::string_view text, const BuildInputs& inputs = {}) {
  const Ast ast = parse_dockerfile(text);
  return StageGraph::build(ast, to_instructions(ast), inputs);
}

Error graph_error(std::string_view text) {
  try {
    (void)graph_of(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an error for: " << text;
  return Error(ErrorKind::internal, "none");
}

} // namespace

TEST(StageGraph, NamesIndicesAndSteps) {
  const auto g = graph_of("FROM a AS Build\nRUN x\nRUN y\nFROM build\nCOPY --from=0 /a /b\n");
  ASSERT_EQ(g.stages().size(), 2U);
  EXPECT_EQ(g.stages()[0].name, "build"); // stage names are lower-cased
  EXPECT_EQ(g.stages()[0].steps, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(g.stages()[1].base_stage, std::optional<std::size_t>(0));
  EXPECT_EQ(g.find_stage("BUILD"), std::optional<std::size_t>(0));
  EXPECT_EQ(g.find_stage("1"), std::optional<std::size_t>(1));
  EXPECT_FALSE(g.find_stage("2"));
  ASSERT_EQ(g.stages()[1].edges.size(), 2U);
  EXPECT_EQ(g.stages()[1].edges[0].kind, EdgeKind::from);
  EXPECT_EQ(g.stages()[1].edges[1].kind, EdgeKind::copy_from);
}

TEST(StageGraph, GlobalArgsExpandFromLines) {
  const auto g = graph_of("ARG TAG=1.0\nARG IMG=busybox\nFROM ${IMG}:${TAG}\n");
  EXPECT_EQ(g.stages()[0].base, "busybox:1.0");
  BuildInputs inputs;
  inputs.build_args["TAG"] = "2.0";
  EXPECT_EQ(graph_of("ARG TAG=1.0\nFROM busybox:$TAG\n", inputs).stages()[0].base, "busybox:2.0");
}

TEST(StageGraph, PlatformArgsAreAutomaticInFrom) {
  BuildInputs inputs;
  inputs.target_platform = "linux/arm64/v8";
  const auto g = graph_of("FROM --platform=$BUILDPLATFORM img-$TARGETARCH-$TARGETVARIANT\n", inputs);
  EXPECT_EQ(g.stages()[0].base, "img-arm64-v8");
  EXPECT_EQ(g.stages()[0].platform, "linux/amd64");
}

TEST(StageGraph, StageArgsInheritGlobalsOnlyWhenRedeclared) {
  // `COPY --from=$SRC` expands in the stage's scope: SRC is empty until ARG SRC is redeclared.
  const auto g = graph_of("ARG SRC=one\nFROM a AS one\nFROM b\nARG SRC\nCOPY --from=$SRC /x /y\n");
  ASSERT_EQ(g.stages()[1].edges.size(), 1U);
  EXPECT_EQ(g.stages()[1].edges[0].stage, 0U);
  // Without the redeclaration `--from=$SRC` is empty: the build context, as in BuildKit.
  const auto unscoped = graph_of("ARG SRC=one\nFROM a AS one\nFROM b\nCOPY --from=$SRC /x /y\n");
  EXPECT_TRUE(unscoped.stages()[1].edges.empty());
  EXPECT_TRUE(unscoped.stages()[1].images.empty());
}

TEST(StageGraph, EnvOverridesArg) {
  const auto g = graph_of("FROM a AS x\nFROM a AS y\nFROM b\nARG S=x\nENV S=y\nCOPY --from=$S /a /b\n");
  EXPECT_EQ(g.stages()[2].edges[0].stage, 1U);
}

TEST(StageGraph, UnknownFromIsAnImage) {
  const auto g = graph_of("FROM a\nCOPY --from=alpine:3 /a /b\nRUN --mount=from=tools,target=/t make\n");
  ASSERT_EQ(g.stages()[0].images.size(), 2U);
  EXPECT_EQ(g.stages()[0].images[0].reference, "alpine:3");
  EXPECT_EQ(g.stages()[0].images[1].kind, EdgeKind::mount_from);
}

TEST(StageGraph, FromNamesOnlyEarlierStages) {
  const auto g = graph_of("FROM later\nFROM a AS later\n");
  EXPECT_FALSE(g.stages()[0].base_stage);
}

TEST(StageGraph, CopyFromMayReferToALaterStage) {
  const auto g = graph_of("FROM a\nCOPY --from=tools /t /t\nFROM b AS tools\n");
  EXPECT_EQ(g.stages()[0].edges[0].stage, 1U);
  EXPECT_EQ(g.required_stages(), (std::vector<std::size_t>{1}));
  EXPECT_EQ(g.required_stages("tools"), (std::vector<std::size_t>{1}));
}

TEST(StageGraph, TargetPrunesToDependenciesFirst) {
  const auto g = graph_of("FROM a AS base\nFROM base AS build\nFROM c AS unrelated\n"
                          "FROM d AS final\nCOPY --from=build /o /o\nFROM e\n");
  EXPECT_EQ(g.required_stages("final"), (std::vector<std::size_t>{0, 1, 3}));
  EXPECT_EQ(g.required_stages(), (std::vector<std::size_t>{4}));
}

TEST(StageGraph, UnknownTargetIsNotFound) {
  const auto g = graph_of("FROM a AS x\n");
  try {
    (void)g.required_stages("y");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("target stage \"y\" could not be found"), std::string::npos);
  }
  EXPECT_THROW((void)g.required_stages("0"), Error); // targets are names, as in BuildKit
}

TEST(StageGraph, CyclesAreErrorsAtTheReference) {
  const Error e = graph_error("FROM a AS one\nCOPY --from=two /a /b\nFROM b AS two\nCOPY --from=one /c /d\n");
  EXPECT_EQ(e.kind(), ErrorKind::parse);
  EXPECT_NE(std::string(e.what()).find("circular dependency detected on stage"), std::string::npos);
  const Error self = graph_error("FROM a AS one\nCOPY --from=one /a /b\n");
  EXPECT_EQ(self.where()->line, 2U);
}

TEST(StageGraph, InvalidStageIndex) {
  const Error e = graph_error("FROM a\nCOPY --from=3 /a /b\n");
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_EQ(e.where()->column, 13U); // the caret points at the value
  EXPECT_NE(std::string(e.what()).find("invalid stage index 3"), std::string::npos);
}

TEST(StageGraph, DuplicateStageName) {
  const Error e = graph_error("FROM a AS x\nFROM b AS X\n");
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_NE(std::string(e.what()).find("duplicate stage name"), std::string::npos);
}

TEST(StageGraph, OnlyArgBeforeFirstFrom) {
  const Error e = graph_error("ARG A\nRUN x\nFROM a\n");
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_NE(std::string(e.what()).find("no build stage in current context"), std::string::npos);
}

TEST(StageGraph, BlankBaseAfterExpansion) {
  const Error e = graph_error("ARG IMG\nFROM $IMG\n");
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_NE(std::string(e.what()).find("base name ($IMG) should not be blank"), std::string::npos);
}

TEST(StageGraph, ReportsUnusedBuildArgs) {
  BuildInputs inputs;
  inputs.build_args = {{"USED", "1"}, {"UNUSED", "2"}, {"HTTP_PROXY", "x"}, {"LATE", "3"}};
  const auto g = graph_of("ARG USED\nFROM a AS other\nARG LATE\nFROM b\n", inputs);
  EXPECT_EQ(g.unused_build_args(), (std::vector<std::string>{"LATE", "UNUSED"}));
  EXPECT_EQ(g.unused_build_args("other"), (std::vector<std::string>{"UNUSED"}));
}

TEST(VariableScope, BuildArgBeatsDefaultBeatsGlobal) {
  BuildInputs inputs;
  inputs.build_args["A"] = "given";
  VariableScope scope('\\', inputs);
  scope.set_inherited(Env{{"C", "global"}});
  scope.declare_arg("A", std::string("default"));
  scope.declare_arg("B", scope.expand_word("${A}-b"));
  scope.declare_arg("C", std::nullopt);
  scope.declare_arg("D", std::nullopt);
  EXPECT_EQ(scope.expand_word("$A $B $C [$D]"), "given given-b global []");
  EXPECT_EQ(scope.declared().count("D"), 1U);
  EXPECT_EQ(scope.args().count("D"), 0U);
}

TEST(VariableScope, SplitsWordsAndHonoursTheEscapeToken) {
  BuildInputs inputs;
  VariableScope scope('`', inputs);
  scope.set_env("P", "80 443");
  EXPECT_EQ(scope.expand_words("$P 8080"), (std::vector<std::string>{"80", "443", "8080"}));
  EXPECT_EQ(scope.expand_word("a`$P"), "a$P");
}
