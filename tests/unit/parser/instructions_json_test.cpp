// Typed instruction layer: the JSON rendering of the AST and its instructions.

#include "parser/instructions.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "parser/instruction_json.hpp"

namespace strata::parser {
namespace {

// ---------------------------------------------------------------- JSON

TEST(Json, DocumentShape) {
  const Ast ast = parse_dockerfile(R"(# escape=`
FROM a AS b
COPY --from=b --exclude=x --link /a /b
)");
  const auto ins = to_instructions(ast);
  const auto j = nlohmann::ordered_json::parse(to_json(ast, ins));
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"file", "escape", "directives", "warnings", "instructions"}));
  EXPECT_EQ(j["file"], "Dockerfile");
  EXPECT_EQ(j["escape"], "`");
  EXPECT_EQ(j["directives"][0]["name"], "escape");
  const auto& copy = j["instructions"][1];
  EXPECT_EQ(copy["kind"], "copy");
  EXPECT_EQ(copy["line"], 3);
  EXPECT_EQ(copy["column"], 1);
  EXPECT_EQ(copy["end_line"], 3);
  EXPECT_EQ(copy["original"], "COPY --from=b --exclude=x --link /a /b");
  EXPECT_EQ(copy["flags"]["from"], "b");
  EXPECT_EQ(copy["flags"]["exclude"], nlohmann::json::array({"x"}));
  EXPECT_EQ(copy["flags"]["link"], true);
  EXPECT_EQ(copy["sources"], nlohmann::json::array({"/a"}));
  EXPECT_EQ(copy["destination"], "/b");
  EXPECT_EQ(copy["from"], "b");
  EXPECT_EQ(j["instructions"][0]["stage_name"], "b");
}

TEST(Json, EveryKindRenders) {
  const Ast ast = parse_dockerfile(
      "ARG A=1\nFROM a\nRUN --mount=type=cache,target=/c <<EOF\nx\nEOF\nCMD [\"a\"]\n"
      "ENTRYPOINT b\nSHELL [\"sh\"]\nLABEL a=b\nENV c d\nEXPOSE 80\nADD a b\nVOLUME /v\n"
      "USER u\nWORKDIR /w\nONBUILD RUN x\nSTOPSIGNAL 9\nHEALTHCHECK --retries=2 CMD c\n"
      "MAINTAINER m\nHEALTHCHECK NONE\n");
  const auto j = nlohmann::json::parse(to_json(ast, to_instructions(ast), -1));
  const auto& list = j["instructions"];
  ASSERT_EQ(list.size(), 18U);
  EXPECT_EQ(list[2]["mounts"][0]["type"], "cache");
  EXPECT_EQ(list[2]["command"]["heredocs"][0]["content"], "x\n");
  EXPECT_EQ(list[7]["pairs"][0]["legacy"], true);
  EXPECT_EQ(list[13]["trigger"]["kind"], "run");
  EXPECT_EQ(list[15]["retries"], 2);
  EXPECT_EQ(list[17]["none"], true);
  EXPECT_EQ(list[17]["command"], nullptr);
  EXPECT_EQ(list[0]["args"][0]["default"], "1");
}

TEST(Json, StagesAreEmbedded) {
  const Ast ast = parse_dockerfile("FROM a\n");
  const auto ins = to_instructions(ast);
  const auto j = nlohmann::json::parse(to_json(ast, ins, R"([{"name":"x"}])"));
  EXPECT_EQ(j["stages"][0]["name"], "x");
  EXPECT_THROW((void)to_json(ast, ins, "{not json"), Error);
  EXPECT_EQ(to_json(ast, ins, -1).find('\n'), std::string::npos);
}

TEST(Json, InvalidUtf8DoesNotThrow) {
  const Ast ast = parse_dockerfile("FROM a\nRUN echo \xff\xfe\n");
  EXPECT_NO_THROW((void)to_json(ast, to_instructions(ast)));
}

} // namespace
} // namespace strata::parser
