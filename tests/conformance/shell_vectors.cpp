// Runs BuildKit's shell-lexer vectors (conformance README §4) against `parser::ShellLexer`:
// every A and U line of shell/envVarTest, every case of shell/wordsTest (normal mode) and every
// case of derived/shell/process_word_cases.json. The vectors are read from `dir` at run time.

#include "parser/shell_lexer.hpp"
#include "tests/conformance/tally.hpp"

#include "common/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using strata::parser::Env;
using strata::parser::ShellLexer;

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Lines split at '\n' only, like Go's bufio.Scanner (which also drops one '\r' before '\n').
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    lines.push_back(line);
  }
  return lines;
}

// Go's strings.TrimSpace for the ASCII white space the files use.
std::string trim(const std::string& s, bool right = true) {
  constexpr const char* k_space = " \t\n\v\f\r";
  const auto begin = s.find_first_not_of(k_space);
  if (begin == std::string::npos) {
    return {};
  }
  const auto end = right ? s.find_last_not_of(k_space) + 1 : s.size();
  return s.substr(begin, end - begin);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  for (auto pos = s.find(sep); pos != std::string::npos; pos = s.find(sep, start)) {
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
  parts.push_back(s.substr(start));
  return parts;
}

// README §4.1: `PLATFORM|SOURCE|EXPECTED`, run on A and U lines with ProcessWord.
void run_env_var_test(const std::string& dir, Tally& tally) {
  const auto text = read_text(dir + "/shell/envVarTest");
  if (!text) {
    tally.check(false, "envVarTest: cannot read " + dir + "/shell/envVarTest");
    return;
  }
  const Env env{{"PWD", "/home"}, {"SHELL", "bash"}, {"KOREAN", "한국어"}, {"NULL", ""}};
  const ShellLexer lexer;
  int number = 0;
  for (const std::string& raw : split_lines(*text)) {
    ++number;
    const std::string line = trim(raw);
    if (raw.starts_with("#") || line.empty()) {
      continue;
    }
    const auto fields = split(line, '|');
    const std::string where = "envVarTest:" + std::to_string(number);
    if (fields.size() != 3) {
      tally.check(false, where + ": malformed line");
      continue;
    }
    const std::string platform = trim(fields[0]);
    if (platform == "W") {
      continue; // Windows-only: case-insensitive names, not our platform
    }
    const std::string source = trim(fields[1]);
    const std::string expected = trim(fields[2]);
    std::string got;
    try {
      got = lexer.process_word(source, env).word;
    } catch (const strata::Error& e) {
      got = "error";
      tally.check(expected == "error", where + " " + source + ": unexpected " + e.what());
      continue;
    }
    tally.check(got == expected,
                where + " " + source + ": got [" + got + "] want [" + expected + "]");
  }
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "[" : ",[") + w + "]";
  }
  return out;
}

// README §4.2: ENV lines accumulate, other lines are `INPUT | W1,W2,...` with ProcessWords.
void run_words_test(const std::string& dir, Tally& tally) {
  const auto text = read_text(dir + "/shell/wordsTest");
  if (!text) {
    tally.check(false, "wordsTest: cannot read " + dir + "/shell/wordsTest");
    return;
  }
  Env env;
  const ShellLexer lexer;
  int number = 0;
  for (const std::string& line : split_lines(*text)) {
    ++number;
    if (line.starts_with("#")) {
      continue;
    }
    if (line.starts_with("ENV ")) {
      const auto start = line.find_first_not_of(' ', 3);
      const std::string def = start == std::string::npos ? "" : line.substr(start);
      const auto eq = def.find('=');
      env[def.substr(0, eq)] = eq == std::string::npos ? "" : def.substr(eq + 1);
      continue;
    }
    const auto sides = split(line, '|');
    const std::string where = "wordsTest:" + std::to_string(number);
    if (sides.size() != 2) {
      tally.check(false, where + ": should have exactly one |");
      continue;
    }
    const std::string input = trim(sides[0]);
    const auto expected = split(trim(sides[1], false), ',');
    std::vector<std::string> got;
    try {
      got = lexer.process_words(input, env);
    } catch (const strata::Error&) {
      got = {"error"};
    }
    tally.check(got == expected, where + " " + input + ": got " + join(got) + " want " +
                                     join(expected));
  }
}

std::set<std::string> as_set(const nlohmann::json& list) {
  return list.get<std::set<std::string>>();
}

void run_json_case(const nlohmann::json& c, const std::string& where, Tally& tally) {
  const ShellLexer lexer;
  const std::string input = c.at("input").get<std::string>();
  const Env env = c.at("env").get<Env>();
  const std::string what = where + " " + input;
  if (c.value("error", false)) {
    try {
      const auto r = lexer.process_word(input, env);
      tally.check(false, what + ": expected an error, got [" + r.word + "]");
    } catch (const strata::Error& e) {
      const std::string needle = c.value("error_contains", std::string());
      tally.check(std::string(e.what()).find(needle) != std::string::npos,
                  what + ": error [" + e.what() + "] lacks [" + needle + "]");
    }
    return;
  }
  try {
    const auto r = lexer.process_word(input, env);
    bool ok = r.word == c.at("expected").get<std::string>();
    if (c.contains("matched")) {
      ok = ok && r.matched == as_set(c.at("matched"));
    }
    if (c.contains("unmatched")) {
      ok = ok && r.unmatched == as_set(c.at("unmatched"));
    }
    tally.check(ok, what + ": got [" + r.word + "] or wrong matched/unmatched sets");
  } catch (const strata::Error& e) {
    tally.check(false, what + ": unexpected " + e.what());
  }
}

// README §4.3: single-word cases with their own env and optional matched/unmatched sets.
void run_process_word_cases(const std::string& dir, Tally& tally) {
  const std::string path = dir + "/derived/shell/process_word_cases.json";
  const auto text = read_text(path);
  if (!text) {
    tally.check(false, "process_word_cases: cannot read " + path);
    return;
  }
  const auto doc = nlohmann::json::parse(*text);
  int index = 0;
  for (const auto& c : doc.at("cases")) {
    run_json_case(c, "process_word_cases[" + std::to_string(index++) + "]", tally);
  }
}

} // namespace

int run_shell_vectors(const std::string& dir, Tally& tally) {
  const int failed_before = tally.failed;
  run_env_var_test(dir, tally);
  run_words_test(dir, tally);
  try {
    run_process_word_cases(dir, tally);
  } catch (const nlohmann::json::exception& e) {
    tally.check(false, std::string("process_word_cases: bad JSON: ") + e.what());
  }
  return tally.failed - failed_before;
}
