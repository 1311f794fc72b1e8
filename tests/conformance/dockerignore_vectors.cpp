// moby/patternmatcher's vectors (conformance README §5), read from
// derived/patternmatcher/cases.json at run time. Every case of every section runs. A case marked
// `windows_only` would be skipped with a printed note (there are none today). `unix_only` cases
// run.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "parser/dockerignore.hpp"
#include "tally.hpp"

using nlohmann::json;
using strata::parser::PatternMatcher;

namespace {

std::string describe_case(const std::string& section, std::size_t index, const json& c) {
  return fmt::format("dockerignore {}[{}] {}", section, index, c.dump());
}

bool is_windows_only(const json& c, const std::string& name) {
  if (c.value("windows_only", false)) {
    std::fprintf(stderr, "SKIP %s: Windows-only\n", name.c_str());
    return true;
  }
  return false;
}

// `single` and `multi`: `MatchesOrParentMatches` on a fresh matcher.
void run_matches(const json& cases, const std::string& section, Tally& tally) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    const std::string name = describe_case(section, i, c);
    if (is_windows_only(c, name)) {
      continue;
    }
    try {
      const std::vector<std::string> patterns =
          c.contains("patterns") ? c["patterns"].get<std::vector<std::string>>()
                                 : std::vector<std::string>{c["pattern"].get<std::string>()};
      const PatternMatcher matcher(patterns);
      const bool got = matcher.matches_or_parent_matches(c["path"].get<std::string>());
      tally.check(got == c["match"].get<bool>(), fmt::format("{}: got {}", name, got));
    } catch (const std::exception& e) {
      tally.check(false, name + ": " + e.what());
    }
  }
}

// `legacy_Matches`: the package-level `Matches`; `error` means construction must fail.
void run_legacy(const json& cases, Tally& tally) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    const std::string name = describe_case("legacy_Matches", i, c);
    if (is_windows_only(c, name)) {
      continue;
    }
    bool got = false;
    std::string error;
    try {
      const PatternMatcher matcher({c["pattern"].get<std::string>()});
      got = matcher.matches_legacy(c["path"].get<std::string>());
    } catch (const strata::Error& e) {
      error = e.what();
      if (e.kind() != strata::ErrorKind::parse) {
        error.insert(0, "wrong kind: ");
      }
    }
    const bool want_error = c["error"].get<bool>();
    const bool ok = got == c["match"].get<bool>() && error.empty() != want_error &&
                    error.rfind("wrong kind", 0) != 0;
    tally.check(ok, fmt::format("{}: got match={} error={}", name, got, error));
  }
}

// `compile`: classification and regexp text, for both of moby's separators (upstream runs the
// backslash variant on every platform, so it is not Windows-only).
void run_compile(const json& cases, Tally& tally) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    const std::string name = describe_case("compile", i, c);
    if (is_windows_only(c, name)) {
      continue;
    }
    const std::string cleaned = strata::parser::clean_path(c["pattern"].get<std::string>());
    std::string windows = cleaned;
    for (char& ch : windows) {
      ch = ch == '/' ? '\\' : ch;
    }
    const struct {
      const std::string& pattern;
      char separator;
      const char* field;
    } variants[] = {{cleaned, '/', "regexp_slash"}, {windows, '\\', "regexp_backslash"}};
    for (const auto& v : variants) {
      try {
        const auto info = strata::parser::describe_pattern(v.pattern, v.separator);
        const std::string type(strata::parser::to_string(info.type));
        tally.check(type == c["match_type"].get<std::string>() &&
                        info.go_regexp == c[v.field].get<std::string>(),
                    fmt::format("{} ({}): got {} {}", name, v.field, type, info.go_regexp));
      } catch (const std::exception& e) {
        tally.check(false, fmt::format("{} ({}): {}", name, v.field, e.what()));
      }
    }
  }
}

void run_read_all(const json& c, Tally& tally) {
  const std::string name = "dockerignore ignorefile_ReadAll";
  try {
    const auto got = strata::parser::read_ignore_file(c["input"].get<std::string>());
    tally.check(got == c["expected"].get<std::vector<std::string>>(),
                name + ": got " + json(got).dump());
  } catch (const std::exception& e) {
    tally.check(false, name + ": " + e.what());
  }
}

} // namespace

// Runs every section of cases.json under `dir` (shared/conformance/buildkit). Returns the number
// of failures this call added to `tally`; an unreadable file counts as one.
int run_dockerignore_vectors(const std::string& dir, Tally& tally) {
  const int failed_before = tally.failed;
  const std::string path = dir + "/derived/patternmatcher/cases.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    tally.check(false, "dockerignore: cannot open " + path);
    return tally.failed - failed_before;
  }
  const json cases = json::parse(in);
  run_matches(cases.at("single"), "single", tally);
  run_matches(cases.at("multi"), "multi", tally);
  run_legacy(cases.at("legacy_Matches"), tally);
  run_compile(cases.at("compile"), tally);
  const json& read_all = cases.at("ignorefile_ReadAll");
  if (read_all.is_array()) {
    for (const json& c : read_all) {
      run_read_all(c, tally);
    }
  } else {
    run_read_all(read_all, tally);
  }
  return tally.failed - failed_before;
}
