// BuildKit's parser vectors: the 33 `result` files byte for byte, the negatives, the line-number
// case, the heredoc table and the misc tables (conformance README §3).

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "parser/ast.hpp"
#include "parser/directives.hpp"
#include "parser/line_parser_internal.hpp"
#include "tally.hpp"

namespace fs = std::filesystem;
using strata::parser::parse_dockerfile;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void run_results(const fs::path& dir, Tally& tally) {
  for (const auto& entry : fs::directory_iterator(dir / "parser/testfiles")) {
    const std::string name = "testfiles/" + entry.path().filename().string();
    try {
      const auto ast = parse_dockerfile(slurp(entry.path() / "Dockerfile"));
      const std::string got = strata::parser::dump(ast);
      const std::string want = slurp(entry.path() / "result");
      tally.check(got == want, name + "\n--- got\n" + got + "--- want\n" + want);
    } catch (const std::exception& e) {
      tally.check(false, name + ": " + e.what());
    }
  }
  for (const auto& entry : fs::directory_iterator(dir / "parser/testfiles-negative")) {
    const std::string name = "testfiles-negative/" + entry.path().filename().string();
    try {
      (void)parse_dockerfile(slurp(entry.path() / "Dockerfile"));
      tally.check(false, name + ": parsed, expected an error");
    } catch (const strata::Error& e) {
      tally.check(e.kind() == strata::ErrorKind::parse, name + ": " + e.what());
    }
  }
}

void run_line_numbers(const fs::path& dir, const nlohmann::json& spec, Tally& tally) {
  const auto ast = parse_dockerfile(slurp(dir / spec["file"].get<std::string>()));
  tally.check(ast.root.start_line == spec["root_start_end"][0] &&
                  ast.root.end_line == spec["root_start_end"][1],
              "line_numbers root");
  const auto& children = spec["children_start_end"];
  tally.check(ast.root.children.size() == children.size(), "line_numbers child count");
  for (std::size_t i = 0; i < children.size() && i < ast.root.children.size(); ++i) {
    const auto& c = ast.root.children[i];
    tally.check(c.start_line == children[i][0] && c.end_line == children[i][1],
                "line_numbers child " + std::to_string(i) + ": got " + std::to_string(c.start_line) +
                    "-" + std::to_string(c.end_line));
  }
}

void run_heredocs(const fs::path& dir, Tally& tally) {
  const auto ast = parse_dockerfile(slurp(dir / "derived/heredoc/Dockerfile"));
  const auto expected = nlohmann::json::parse(slurp(dir / "derived/heredoc/expected.json"));
  for (const auto& inst : expected["instructions"]) {
    const auto index = inst["index"].get<std::size_t>();
    const std::string name = "heredoc[" + std::to_string(index) + "] " + inst["first_line"].get<std::string>();
    if (index >= ast.root.children.size()) {
      tally.check(false, name + ": missing instruction");
      continue;
    }
    const auto& got = ast.root.children[index].heredocs;
    bool ok = got.size() == inst["heredocs"].size();
    for (std::size_t i = 0; ok && i < got.size(); ++i) {
      const auto& want = inst["heredocs"][i];
      ok = got[i].name == want["name"] && got[i].content == want["content"] &&
           got[i].expand == want["expand"].get<bool>() && got[i].chomp == want["chomp"].get<bool>() &&
           got[i].fd == want["fd"].get<int>();
    }
    tally.check(ok, name);
  }
  const std::string unverified = slurp(dir / "derived/heredoc/result.unverified");
  tally.check(strata::parser::dump(ast) == unverified, "heredoc result.unverified");
}

void run_misc_words_json(const nlohmann::json& misc, Tally& tally) {
  using namespace strata::parser::detail;
  for (const auto& c : misc["parse_words"]["cases"]) {
    tally.check(parse_words(c["input"].get<std::string>(), '\\') == c["expect"].get<std::vector<std::string>>(),
                "parse_words " + c["input"].get<std::string>());
  }
  for (const auto& c : misc["json_array"]["valid"]) {
    const auto got = parse_json_array(c["input"].get<std::string>());
    tally.check(got && *got == c["expect"].get<std::vector<std::string>>(), "json valid " + c["input"].get<std::string>());
  }
  for (const auto& c : misc["json_array"]["non_string"]) {
    bool threw = false;
    try {
      (void)parse_json_array(c.get<std::string>());
    } catch (const LineError&) {
      threw = true;
    }
    tally.check(threw, "json non_string " + c.get<std::string>());
  }
}

void run_misc_heredoc(const nlohmann::json& misc, Tally& tally) {
  using namespace strata::parser::detail;
  for (const auto& w : misc["heredoc_word"]["valid_name_EOF"]) {
    const auto h = parse_heredoc_word(w.get<std::string>());
    tally.check(h && h->name == "EOF", "heredoc_word valid " + w.get<std::string>());
  }
  for (const auto& w : misc["heredoc_word"]["error"]) {
    bool threw = false;
    try {
      (void)parse_heredoc_word(w.get<std::string>());
    } catch (const LineError&) {
      threw = true;
    }
    tally.check(threw, "heredoc_word error " + w.get<std::string>());
  }
  for (const auto& w : misc["heredoc_word"]["not_heredoc"]) {
    tally.check(!parse_heredoc_word(w.get<std::string>()), "heredoc_word not " + w.get<std::string>());
  }
  for (const auto& c : misc["heredocs_from_line"]["cases"]) {
    const auto& want = c.contains("expected_actual") ? c["expected_actual"] : c["names"];
    std::vector<std::string> names;
    for (const auto& h : heredocs_from_line(c["line"].get<std::string>())) {
      names.push_back(h.name);
    }
    tally.check(names == want.get<std::vector<std::string>>(), "heredocs_from_line " + c["line"].get<std::string>());
  }
  for (const auto& line : misc["json_form_never_heredoc"]) {
    const auto ast = parse_dockerfile(line.get<std::string>() + "\n");
    tally.check(!can_contain_heredoc(ast.root.children[0]) && ast.root.children[0].heredocs.empty(),
                "json_form_never_heredoc " + line.get<std::string>());
  }
}

void run_misc_lines(const nlohmann::json& misc, Tally& tally) {
  const auto& w = misc["empty_continuation_warning"];
  const auto ast = parse_dockerfile(w["dockerfile"].get<std::string>());
  bool ok = ast.warnings.size() == w["warning_count"].get<std::size_t>();
  for (std::size_t i = 0; ok && i < ast.warnings.size(); ++i) {
    for (const auto& part : w["warning_short_contains"][i]) {
      ok = ok && ast.warnings[i].message.find(part.get<std::string>()) != std::string::npos;
    }
  }
  tally.check(ok, "empty_continuation_warning");
  bool threw = false;
  try {
    (void)parse_dockerfile("FROM image\nLABEL test=" + std::string(65536, 'a') + "\n");
  } catch (const strata::Error& e) {
    threw = std::string(e.what()).find("dockerfile line greater than max allowed size of 65535") != std::string::npos;
  }
  tally.check(threw, "max_line_length");
}

std::string hex_decode(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

void check_found(const nlohmann::json& c, const std::optional<strata::parser::SyntaxDirective>& got,
                 const std::string& what, Tally& tally) {
  bool ok = got.has_value() == c["found"].get<bool>();
  if (ok && got) {
    ok = got->ref == c["ref"].get<std::string>();
    if (c.contains("cmdline")) ok = ok && got->cmdline == c["cmdline"].get<std::string>();
    if (c.contains("line")) ok = ok && got->line == c["line"].get<std::uint32_t>();
  }
  tally.check(ok, what);
}

void run_misc_directives(const nlohmann::json& misc, Tally& tally) {
  const auto& d = misc["directives"];
  for (const auto& c : d["parse_all"]) {
    const auto ast = parse_dockerfile(c["input"].get<std::string>() + "FROM x\n");
    bool ok = ast.directives.size() == c["directives"].size();
    for (std::size_t i = 0; ok && i < ast.directives.size(); ++i) {
      ok = ast.directives[i].name == c["directives"][i]["name"] && ast.directives[i].value == c["directives"][i]["value"];
    }
    tally.check(ok, "directives parse_all " + c["input"].get<std::string>());
  }
  for (const auto& c : d["detect_syntax"]) {
    const std::string input = (c.contains("input_hex_prefix") ? hex_decode(c["input_hex_prefix"]) : "") + c["input"].get<std::string>();
    check_found(c, strata::parser::detect_syntax(input), "detect_syntax " + c["input"].get<std::string>(), tally);
  }
  for (const auto& c : d["parse_directive_check"]) {
    check_found(c, strata::parser::find_directive("check", c["input"].get<std::string>()),
                "check directive " + c["input"].get<std::string>(), tally);
  }
}

} // namespace

void run_parser_vectors(const std::string& dir_name, Tally& tally) {
  const fs::path dir(dir_name);
  run_results(dir, tally);
  const auto misc = nlohmann::json::parse(slurp(dir / "derived/parser/misc_cases.json"));
  run_line_numbers(dir, misc["line_numbers"], tally);
  run_heredocs(dir, tally);
  run_misc_words_json(misc, tally);
  run_misc_heredoc(misc, tally);
  run_misc_lines(misc, tally);
  run_misc_directives(misc, tally);
}
