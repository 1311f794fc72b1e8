// The builder's small parts: cache-key inputs and their explanations, BuildKit's history words,
// and the plain progress format.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "builder/build_state.hpp"
#include "builder/progress.hpp"
#include "builder/step_run.hpp"
#include "builder/step_text.hpp"
#include "parser/ast.hpp"
#include "parser/instructions.hpp"
#include "store/sha256.hpp"

namespace strata::builder {
namespace {

StepInputs sample() {
  StepInputs in;
  in.parent = store::sha256_of("parent");
  in.instruction = R"({"kind":"copy"})";
  in.args = {{"VERSION", "1"}};
  in.files = {{"src", "sha256:aa"}, {"main.c", "sha256:bb"}};
  return in;
}

TEST(StepInputsTest, EqualInputsGiveEqualKeys) {
  EXPECT_EQ(sample().key(), sample().key());
}

TEST(StepInputsTest, EveryInputChangesTheKey) {
  const store::Digest base = sample().key();
  StepInputs a = sample();
  a.parent = store::sha256_of("other parent");
  StepInputs b = sample();
  b.instruction += " ";
  StepInputs c = sample();
  c.args["VERSION"] = "2";
  StepInputs d = sample();
  d.files["main.c"] = "sha256:cc";
  StepInputs e = sample();
  e.files.erase("src");
  for (const StepInputs* changed : {&a, &b, &c, &d, &e}) {
    EXPECT_NE(changed->key(), base);
  }
}

TEST(StepInputsTest, FieldBoundariesAreUnambiguous) {
  StepInputs a = sample();
  a.args = {{"AB", "C"}};
  StepInputs b = sample();
  b.args = {{"A", "BC"}};
  EXPECT_NE(a.key(), b.key());
}

TEST(StepInputsTest, DifferenceNamesTheChangedInput) {
  const StepInputs before = sample();
  StepInputs now = sample();
  EXPECT_EQ(now.difference(before), "no earlier result (pruned)");
  now.files["main.c"] = "sha256:cc";
  EXPECT_EQ(now.difference(before), "main.c changed");
  now = sample();
  now.args["VERSION"] = "2";
  EXPECT_EQ(now.difference(before), "build arg VERSION changed");
  now = sample();
  now.args["NEW"] = "x";
  EXPECT_EQ(now.difference(before), "build arg NEW added");
  now = sample();
  now.files.erase("src");
  EXPECT_EQ(now.difference(before), "src removed");
  now = sample();
  now.parent = store::sha256_of("p2");
  EXPECT_EQ(now.difference(before), "parent changed");
  now.instruction = "{}";
  EXPECT_EQ(now.difference(before), "instruction changed");
}

TEST(StepTextTest, RunCreatedByIsBuildKits) {
  EXPECT_EQ(run_created_by({"/bin/sh", "-c", "echo hi"}, {}), "RUN /bin/sh -c echo hi # buildkit");
  EXPECT_EQ(run_created_by({"/bin/sh", "-c", "make"}, {{"A", "1"}, {"B", "x y"}}),
            "RUN |2 A=1 B=x y /bin/sh -c make # buildkit");
}

TEST(StepTextTest, GoQuotedList) {
  EXPECT_EQ(go_quoted_list({"/bin/sh", "-c", "echo \"hi\""}), R"(["/bin/sh" "-c" "echo \"hi\""])");
  EXPECT_EQ(go_quoted_list({}), "[]");
}

parser::Instruction parse_one(const std::string& text, parser::Ast& ast) {
  ast = parser::parse_dockerfile(text);
  return parser::to_instructions(ast).at(1);
}

TEST(StepTextTest, CanonicalTextIgnoresPositions) {
  parser::Ast a;
  parser::Ast b;
  const parser::Instruction one = parse_one("FROM x\nCOPY a /b\n", a);
  const parser::Instruction two = parse_one("FROM x\n\n# moved\nCOPY a /b\n", b);
  EXPECT_EQ(canonical_text(a, one), canonical_text(b, two));
  parser::Ast c;
  const parser::Instruction three = parse_one("FROM x\nCOPY --chmod=600 a /b\n", c);
  EXPECT_NE(canonical_text(a, one), canonical_text(c, three));
}

TEST(StepTextTest, CopyCreatedBy) {
  parser::Ast ast;
  const parser::Instruction copy = parse_one("FROM x\nCOPY --from=build --chown=1:2 a b /dst/\n", ast);
  EXPECT_EQ(copy_created_by(copy), "COPY --from=build --chown=1:2 a b /dst/ # buildkit");
}

TEST(ProgressTest, PlainLinesAreBuildKits) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  {
    Progress progress(ProgressMode::plain, out, true);
    const int v = progress.begin("[2/3] RUN make");
    progress.output(v, "line one\nline ");
    progress.output(v, "two\n");
    progress.explain(v, "parent changed");
    progress.done(v);
    const int w = progress.begin("[3/3] COPY . .");
    progress.cached(w);
    EXPECT_EQ(progress.tail(v, 1), std::vector<std::string>{"line two"});
    EXPECT_EQ(progress.name(w), "[3/3] COPY . .");
  }
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  EXPECT_NE(text.find("\n#1 [2/3] RUN make\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" line one\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" line two\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#1 cache miss: parent changed\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#1 DONE "), std::string::npos) << text;
  EXPECT_NE(text.find("#2 CACHED\n"), std::string::npos) << text;
}

TEST(ProgressTest, QuietPrintsNothingButKeepsTheTail) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  {
    Progress progress(ProgressMode::quiet, out);
    const int v = progress.begin("[1/1] RUN x");
    progress.output(v, "a\nb\nc\n");
    progress.error(v, "boom");
    EXPECT_EQ(progress.tail(v, 2), (std::vector<std::string>{"b", "c"}));
  }
  std::fclose(out);
  EXPECT_EQ(size, 0U);
  std::free(buffer);
}

} // namespace
} // namespace strata::builder
