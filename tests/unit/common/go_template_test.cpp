// GoTemplate: Go text/template semantics over JSON, Docker's functions, messages and
// --format preprocessing.

#include "common/go_template.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace strata;
using nlohmann::json;

namespace {

const json k_data = json::parse(R"({
  "ID": "sha256:abc", "Repository": "alpine", "Tag": "latest", "Size": 7049000,
  "Ratio": 1.5, "Big": 1000000.0, "Null": null, "Empty": "", "Zero": 0, "Yes": true, "No": false,
  "List": ["a", "b", "c"], "Nums": [1, 2, 3], "NoItems": [],
  "Labels": {"b": "2", "a": "1"}, "NoLabels": {},
  "Config": {"Env": ["A=1", "B=2"], "Cmd": null, "User": "root"},
  "Mixed": [1, "x", null, [true], {"k": 1.25}]
})");

std::string render(std::string_view text, const json& data = k_data,
                   MissingKey missing = MissingKey::error) {
  return GoTemplate::parse(text).render(data, missing);
}

// The message of the `Error{usage}` that parsing or rendering `text` throws.
std::string error_of(std::string_view text, const json& data = k_data) {
  try {
    (void)render(text, data);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return {};
}

} // namespace

TEST(GoTemplate, TextAndFields) {
  EXPECT_EQ(render("plain text"), "plain text");
  EXPECT_EQ(render(""), "");
  EXPECT_EQ(render("{{.Repository}}:{{.Tag}}"), "alpine:latest");
  EXPECT_EQ(render("{{.Config.User}}"), "root");
  EXPECT_EQ(render("{{.}}", json("x")), "x");
  EXPECT_EQ(render("{{ .Tag }}"), "latest");
  EXPECT_EQ(render("{{.Tag}}\n{{.Tag}}"), "latest\nlatest");
  EXPECT_EQ(render("{{.Tag\n}}"), "latest"); // actions may span lines
}

TEST(GoTemplate, PrintsValuesAsGo) {
  EXPECT_EQ(render("{{.Size}} {{.Ratio}} {{.Big}} {{.Yes}} {{.Null}} {{.Empty}}|"),
            "7049000 1.5 1e+06 true <no value> |");
  EXPECT_EQ(render("{{.List}} {{.NoItems}} {{.Labels}} {{.NoLabels}}"),
            "[a b c] [] map[a:1 b:2] map[]");
  EXPECT_EQ(render("{{.Mixed}}"), "[1 x <nil> [true] map[k:1.25]]");
  EXPECT_EQ(render("{{.Config.Cmd}}"), "<no value>");
  EXPECT_EQ(render("{{123456.0}} {{0.0001}} {{0.00001}} {{1234567.0}}", json::object()),
            "123456 0.0001 1e-05 1.234567e+06");
}

TEST(GoTemplate, Literals) {
  EXPECT_EQ(render(R"({{"a\tb\u00e9\x41\101\"" }})"), "a\tbéAA\"");
  EXPECT_EQ(render("{{`raw\\n`}}"), "raw\\n");
  EXPECT_EQ(render("{{'a'}} {{'\\n'}} {{'é'}}"), "97 10 233");
  EXPECT_EQ(render("{{42}} {{-7}} {{+3}} {{0x1F}} {{0o17}} {{0b101}} {{017}} {{1_000}}"),
            "42 -7 3 31 15 5 15 1000");
  EXPECT_EQ(render("{{1.5}} {{1e3}} {{.5}}"), "1.5 1000 0.5");
  EXPECT_EQ(render("{{true}} {{false}}"), "true false");
}

TEST(GoTemplate, DockerFunctions) {
  EXPECT_EQ(render("{{json .Labels}}"), R"({"a":"1","b":"2"})");
  EXPECT_EQ(render("{{json .}}", json::parse(R"({"s":"<&>\u2028","f":1.0,"n":null})")),
            R"({"f":1,"n":null,"s":"<&>\u2028"})");
  EXPECT_EQ(render("{{.Config.Env | json}}"), R"(["A=1","B=2"])");
  EXPECT_EQ(render("{{json 1e-7}} {{json 1e21}} {{json 0.5}}", json::object()),
            "1e-7 1e+21 0.5");
  EXPECT_EQ(render(R"({{join .List ", "}})"), "a, b, c");
  EXPECT_EQ(render(R"({{join .Nums "+"}})"), "1+2+3");
  EXPECT_EQ(render(R"({{split "a,b,,c" ","}})"), "[a b  c]");
  EXPECT_EQ(render(R"({{split "hé" ""}})"), "[h é]");
  EXPECT_EQ(render(R"({{lower "ABC déF"}} {{upper "abc"}} {{title "hello wide-world_x a1b"}})"),
            "abc déf ABC Hello Wide-World_x A1b");
  EXPECT_EQ(render("{{.Repository | upper}}"), "ALPINE");
  EXPECT_EQ(render(R"([{{pad "x" 2 1}}] {{truncate "abcdef" 3}} {{truncate "ab" 3}})"),
            "[  x ] abc ab");
}

TEST(GoTemplate, GoBuiltins) {
  EXPECT_EQ(render(R"({{index .Labels "a"}} {{index .List 1}} {{index .Config.Env 0}})"),
            "1 b A=1");
  EXPECT_EQ(render(R"({{index .Labels "zz"}})"), "<no value>");
  EXPECT_EQ(render(R"({{index .Mixed 3 0}} {{index "abc" 1}})"), "true 98");
  EXPECT_EQ(render("{{len .List}} {{len .Labels}} {{len .Tag}} {{len .NoItems}}"), "3 2 6 0");
  EXPECT_EQ(render("{{slice .List 1}} {{slice .List 1 2}} {{slice .Tag 0 4}}"), "[b c] [b] late");
  EXPECT_EQ(render(R"({{println "a" 1}})"), "a 1\n");
  EXPECT_EQ(render(R"({{print "a" 1 2 "b"}})"), "a1 2b");
  EXPECT_EQ(render(R"({{printf "%s %d %v %q %%" .Tag .Size .List .Tag}})"),
            R"(latest 7049000 [a b c] "latest" %)");
  EXPECT_EQ(render(R"({{printf "[%-8s][%8s][%05d][%.2f][%x][%t][%c][%+d][%.3s]" "ab" "cd" 42 3.14159 255 true 65 5 "abcdef"}})"),
            "[ab      ][      cd][00042][3.14][ff][true][A][+5][abc]");
  EXPECT_EQ(render(R"({{printf "%d %s" "x"}})"), "%!d(string=x) %!s(MISSING)");
  EXPECT_EQ(render(R"({{printf "%s" "a" 1}})"), "a%!(EXTRA int=1)");
  EXPECT_EQ(render(R"({{printf "%v %s" .Null .Null}})"), "<nil> %!s(<nil>)");
  EXPECT_EQ(render(R"({{printf "%g %v %e" 1234567.0 .Ratio 1.0}})"),
            "1.234567e+06 1.5 1.000000e+00");
}

TEST(GoTemplate, Comparisons) {
  EXPECT_EQ(render(R"({{eq .Tag "latest"}} {{eq .Tag "x" "latest"}} {{ne .Tag "latest"}})"),
            "true true false");
  EXPECT_EQ(render("{{eq .Size 7049000}} {{eq .Ratio 1.5}} {{eq .Null nil}} {{eq .Tag nil}}"),
            "true true true false");
  EXPECT_EQ(render("{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 3 2}} {{lt \"a\" \"b\"}} {{lt -1 1}}"),
            "true true false true true true");
  EXPECT_EQ(render("{{not .Yes}} {{not .Empty}} {{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 .Empty}}"),
            "false true 0 2 3 ");
  // and/or short-circuit: the failing index is never evaluated.
  EXPECT_EQ(render("{{or .Yes (index .List 99)}} {{and .No (index .List 99)}}"), "true false");
}

TEST(GoTemplate, IfElseWith) {
  EXPECT_EQ(render("{{if .Yes}}y{{else}}n{{end}}{{if .No}}y{{else}}n{{end}}"), "yn");
  for (const char* falsy : {".No", ".Zero", ".Null", ".Empty", ".NoItems", ".NoLabels", "0.0"}) {
    EXPECT_EQ(render(std::string("{{if ") + falsy + "}}T{{else}}F{{end}}"), "F") << falsy;
  }
  EXPECT_EQ(render("{{if .No}}1{{else if .Zero}}2{{else if .Tag}}3{{else}}4{{end}}"), "3");
  EXPECT_EQ(render("{{if eq .Tag \"latest\"}}L{{end}}"), "L");
  EXPECT_EQ(render("{{with .Config}}{{.User}}{{end}} {{with .Null}}x{{else}}none{{end}}"),
            "root none");
  EXPECT_EQ(render("{{with .Empty}}x{{else with .Tag}}{{.}}{{end}}"), "latest");
  EXPECT_EQ(render("{{if $x := .Tag}}{{$x}}{{end}}"), "latest");
}

TEST(GoTemplate, Range) {
  EXPECT_EQ(render("{{range .List}}[{{.}}]{{end}}"), "[a][b][c]");
  EXPECT_EQ(render("{{range $i, $e := .List}}{{$i}}={{$e}} {{end}}"), "0=a 1=b 2=c ");
  EXPECT_EQ(render("{{range $e := .List}}{{$e}}{{end}}"), "abc");
  EXPECT_EQ(render("{{range $k, $v := .Labels}}{{$k}}:{{$v}},{{end}}"), "a:1,b:2,");
  EXPECT_EQ(render("{{range .NoItems}}x{{else}}empty{{end}}"), "empty");
  EXPECT_EQ(render("{{range .Null}}x{{else}}null{{end}}"), "null");
  EXPECT_EQ(render("{{range 3}}{{.}}{{end}}"), "012");
  EXPECT_EQ(render("{{range .List}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}"), "ac");
  EXPECT_EQ(render("{{range .List}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}"), "a");
  EXPECT_EQ(render("{{range .List}}{{$.Tag}}{{end}}"), "latestlatestlatest");
  EXPECT_EQ(render("{{range .Config.Env}}{{.}} {{end}}"), "A=1 B=2 ");
}

TEST(GoTemplate, VariablesAndPipelines) {
  EXPECT_EQ(render("{{$x := .Tag}}{{$x}}"), "latest");
  EXPECT_EQ(render("{{$x := 1}}{{$x = 2}}{{$x}}"), "2");
  EXPECT_EQ(render("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
  EXPECT_EQ(render("{{$.Config.User}}"), "root");
  EXPECT_EQ(render("{{$c := .Config}}{{$c.User}}"), "root");
  EXPECT_EQ(render("{{.Tag | printf \"%s!\"}}"), "latest!");
  EXPECT_EQ(render("{{.Labels | json | upper}}"), R"({"A":"1","B":"2"})");
  EXPECT_EQ(render("{{(index .Mixed 4).k}}"), "1.25");
  EXPECT_EQ(render("{{len (split .ID \":\")}}"), "2");
}

TEST(GoTemplate, TrimMarkersAndComments) {
  EXPECT_EQ(render("a  {{- .Tag -}}  \n b"), "alatestb");
  EXPECT_EQ(render("a {{- /* note */ -}} b"), "ab");
  EXPECT_EQ(render("a{{/* note */}}b"), "ab");
  EXPECT_EQ(render("{{range .List -}}\n  {{.}}\n{{- end}}"), "abc");
  EXPECT_EQ(render("{{-3}}"), "-3"); // no space after '-': a number
}

TEST(GoTemplate, MissingKeys) {
  EXPECT_EQ(error_of("{{.Nope}}"),
            "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type "
            "map[string]interface {}");
  EXPECT_EQ(render("{{.Nope}}", k_data, MissingKey::no_value), "<no value>");
  EXPECT_EQ(render("{{.Nope.Deeper}}", k_data, MissingKey::no_value), "<no value>");
  EXPECT_EQ(error_of("{{.Config.Cmd.X}}"),
            "template: :1:2: executing \"\" at <.Config.Cmd.X>: nil pointer evaluating "
            "interface {}.X");
  EXPECT_EQ(error_of("x\n {{.Tag.Name}}"),
            "template: :2:3: executing \"\" at <.Tag.Name>: can't evaluate field Name in type "
            "string");
}

TEST(GoTemplate, ParseErrors) {
  const auto parse_error = [](std::string_view text) {
    try {
      (void)GoTemplate::parse(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string prefix = "template parsing error: template: ";
  EXPECT_EQ(parse_error("{{.Tag }"), prefix + ":1: unexpected \"}\" in operand");
  EXPECT_EQ(parse_error("{{.Tag"), prefix + ":1: unclosed action");
  EXPECT_EQ(parse_error("a\n{{.Tag}"), prefix + ":2: bad character U+007D '}'");
  EXPECT_EQ(parse_error("{{nope .Tag}}"), prefix + ":1: function \"nope\" not defined");
  EXPECT_EQ(parse_error("{{end}}"), prefix + ":1: unexpected {{end}}");
  EXPECT_EQ(parse_error("{{else}}"), prefix + ":1: unexpected {{else}}");
  EXPECT_EQ(parse_error("{{if .Yes}}x"), prefix + ":1: unexpected EOF");
  EXPECT_EQ(parse_error("{{}}"), prefix + ":1: missing value for command");
  EXPECT_EQ(parse_error("{{$x}}"), prefix + ":1: undefined variable \"$x\"");
  EXPECT_EQ(parse_error("{{range}}{{end}}"), prefix + ":1: missing value for range");
  EXPECT_EQ(parse_error("{{\"abc}}"), prefix + ":1: unterminated quoted string");
  EXPECT_EQ(parse_error("{{1x}}"), prefix + ":1: bad number syntax: \"1x\"");
  EXPECT_EQ(parse_error("{{.Tag | \"x\"}}"), prefix + ":1: non executable command in pipeline stage 2");
  EXPECT_EQ(parse_error("{{break}}"), prefix + ":1: {{break}} outside {{range}}");
  EXPECT_EQ(parse_error("{{(.Tag}}"), prefix + ":1: unclosed left paren");
  EXPECT_EQ(parse_error("{{/* x"), prefix + ":1: unclosed comment");
  EXPECT_EQ(parse_error("{{template \"x\"}}"), prefix + ":1: {{template}} is not supported");
  EXPECT_EQ(parse_error("{{if .A}}{{else}}{{else}}{{end}}"),
            prefix + ":1: expected end; found {{else}}");
  EXPECT_EQ(parse_error("{{with $a, $b := .X}}{{end}}"), prefix + ":1: too many declarations in with");
  EXPECT_EQ(parse_error("{{\"\\z\"}}"), prefix + ":1: invalid syntax");
  EXPECT_EQ(parse_error("{{.A if}}"), prefix + ":1: unexpected <if> in operand");
}

TEST(GoTemplate, ExecutionErrors) {
  EXPECT_EQ(error_of("{{index .Tag \"k\"}}"),
            "template: :1:2: executing \"\" at <index .Tag \"k\">: error calling index: cannot "
            "index slice/array with type string");
  EXPECT_EQ(error_of("{{index .Size 1}}"),
            "template: :1:2: executing \"\" at <index .Size 1>: error calling index: can't index "
            "item of type int");
  EXPECT_EQ(error_of("{{index .List 5}}"),
            "template: :1:2: executing \"\" at <index .List 5>: error calling index: index out of "
            "range: 5");
  EXPECT_EQ(error_of("{{range .Tag}}{{end}}"),
            "template: :1:8: executing \"\" at <.Tag>: range can't iterate over latest");
  EXPECT_EQ(error_of("{{join .List}}"),
            "template: :1:2: executing \"\" at <join .List>: wrong number of args for join: want "
            "2 got 1");
  EXPECT_EQ(error_of("{{upper .Size}}"),
            "template: :1:2: executing \"\" at <upper .Size>: wrong type for value; expected "
            "string; got int");
  EXPECT_EQ(error_of("{{eq .Tag 1}}"),
            "template: :1:2: executing \"\" at <eq .Tag 1>: error calling eq: incompatible types "
            "for comparison");
  EXPECT_EQ(error_of("{{lt .List 1}}"),
            "template: :1:2: executing \"\" at <lt .List 1>: error calling lt: invalid type for "
            "comparison");
  EXPECT_EQ(error_of("{{len .Size}}"),
            "template: :1:2: executing \"\" at <len .Size>: error calling len: len of type int");
  EXPECT_EQ(error_of("{{.Tag 1}}"),
            "template: :1:2: executing \"\" at <.Tag>: Tag is not a method but has arguments");
  EXPECT_EQ(error_of("{{1 | printf \"%d\" | .Tag}}"),
            "template: :1:20: executing \"\" at <.Tag>: Tag is not a method but has arguments");
  EXPECT_EQ(error_of("{{\"x\" 1}}"),
            "template: :1:2: executing \"\" at <\"x\">: can't give argument to non-function \"x\"");
  EXPECT_EQ(error_of("{{nil}}"), "template: :1:2: executing \"\" at <nil>: nil is not a command");
  EXPECT_EQ(error_of("{{printf \"%s\" .Labels.Nope.Deeper.Still}}"),
            "template: :1:14: executing \"\" at <.Labels.Nope.Deeper....>: can't evaluate field "
            "Nope in type map[string]interface {}");
}

TEST(GoTemplate, HeaderRendering) {
  const auto tmpl = GoTemplate::parse("{{.Repository | lower}}\t{{json .ID}}\t{{pad .Tag 1 1}}\t{{.Other}}");
  const json headers = {{"Repository", "REPOSITORY"}, {"ID", "IMAGE ID"}, {"Tag", "TAG"}};
  EXPECT_EQ(tmpl.render_header(headers), "REPOSITORY\tIMAGE ID\tTAG\t<no value>");
}

TEST(GoTemplate, ConcurrentRendersShareOneTree) {
  const auto tmpl = GoTemplate::parse("{{.Tag}}");
  const GoTemplate copy = tmpl; // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.render(k_data), "latest");
  EXPECT_EQ(tmpl.render(json{{"Tag", "x"}}), "x");
}

TEST(ParseFormat, TableJsonAndEscapes) {
  auto spec = parse_format("table {{.ID}}\\t{{.Tag}}");
  EXPECT_TRUE(spec.table);
  EXPECT_EQ(spec.body, "{{.ID}}\t{{.Tag}}");
  spec = parse_format("table");
  EXPECT_TRUE(spec.table);
  EXPECT_EQ(spec.body, "");
  spec = parse_format("{{.ID}}\\n");
  EXPECT_FALSE(spec.table);
  EXPECT_EQ(spec.body, "{{.ID}}\n");
  spec = parse_format("json");
  EXPECT_FALSE(spec.table);
  EXPECT_EQ(spec.body, "{{json .}}");
  EXPECT_EQ(parse_format("  {{.A}}\\x  ").body, "{{.A}}\\x");
  EXPECT_EQ(parse_format("\\\\t").body, "\\\t");
}
