#include "parser/dockerignore.hpp"

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/glob_match.hpp"
#include "parser/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace strata::parser {

namespace {

using detail::glob::Program;
using detail::glob::run_nfa;
using detail::glob::Scan;
using text::trim_space; // Go's `strings.TrimSpace`, as moby and BuildKit's ignorefile trim

// Go's bufio.Scanner gives up on longer lines, which fails `docker build`.
constexpr std::size_t k_max_line = 65535;
constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

// Go's `filepath.Dir`: everything before the last '/', cleaned ("." when there is none).
std::string go_dir(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return clean_path(slash == std::string_view::npos ? "" : path.substr(0, slash + 1));
}

// moby's `Pattern.match`: does this one pattern match `path` itself?
bool pattern_matches(const IgnorePattern& p, const Program& program, std::string_view path) {
  const std::string_view text = p.text;
  switch (p.type) {
  case MatchType::exact: return path == text;
  case MatchType::prefix: return path.starts_with(text.substr(0, text.size() - 2));
  case MatchType::suffix: {
    const std::string_view suffix = text.substr(2);
    return path.ends_with(suffix) || (suffix.starts_with('/') && path == suffix.substr(1));
  }
  case MatchType::regexp: return run_nfa(program, path, Scan::whole);
  }
  return false;
}

// Does the pattern match one of the directories "a", "a/b", ... that make up `parent` (a result
// of `go_dir`, not ".")? moby joins the split parts, which gives exactly these prefixes.
bool pattern_matches_a_dir(const IgnorePattern& p, const Program& program,
                           std::string_view parent) {
  if (p.type == MatchType::regexp) {
    return run_nfa(program, parent, Scan::each_dir);
  }
  for (std::size_t slash = parent.find('/');; slash = parent.find('/', slash + 1)) {
    if (pattern_matches(p, program, parent.substr(0, slash))) {
      return true;
    }
    if (slash == std::string_view::npos) {
      return false;
    }
  }
}

// moby's per-pattern test in `MatchesOrParentMatches`: `path` itself, or (unless `parent` is ".")
// one of the directories that make up `parent == go_dir(path)`. When `parent` is literally the
// part of `path` before its last '/', as for clean paths, one NFA pass covers both.
bool matches_path_or_dirs(const IgnorePattern& p, const Program& program, std::string_view path,
                          std::string_view parent) {
  if (parent == ".") {
    return pattern_matches(p, program, path);
  }
  if (p.type == MatchType::regexp && path.rfind('/') == parent.size() && path.starts_with(parent)) {
    return run_nfa(program, path, Scan::each_dir);
  }
  return pattern_matches(p, program, path) || pattern_matches_a_dir(p, program, parent);
}

// Could the pattern match some path that starts with `inside` ("dir/")?
bool could_match_below(const IgnorePattern& p, const Program& program, std::string_view inside) {
  const std::string_view text = p.text;
  switch (p.type) {
  case MatchType::exact: return text.starts_with(inside);
  case MatchType::prefix: {
    const std::string_view head = text.substr(0, text.size() - 2);
    return inside.starts_with(head) || head.starts_with(inside);
  }
  case MatchType::suffix: return true; // "dir/<suffix>" always ends with the suffix
  case MatchType::regexp: return run_nfa(program, inside, Scan::alive);
  }
  return true;
}

// Per-pattern states in `MatchInfo`: whether the directory or one of its parents matched.
constexpr char k_unmatched = 0;
constexpr char k_matched = 1;
constexpr char k_unknown = 2; // skipped because it could not change that directory's verdict

std::size_t count_dirs(std::string_view path) {
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) + 1;
}

// The first `n` '/'-separated parts of `path`, joined again.
std::string_view first_dirs(std::string_view path, std::size_t n) {
  std::size_t end = 0;
  for (std::size_t i = 0; i < n; ++i) {
    end = path.find('/', i == 0 ? 0 : end + 1);
    if (end == std::string_view::npos) {
      return path;
    }
  }
  return path.substr(0, end);
}

// One line of the ignore file, after the BOM and `\r` are gone. Empty for comments and blanks.
std::optional<std::string> normalize_line(std::string_view line) {
  if (line.starts_with('#')) {
    return std::nullopt;
  }
  std::string_view text = trim_space(line);
  if (text.empty()) {
    return std::nullopt;
  }
  const bool exception = text.front() == '!';
  if (exception) {
    text = trim_space(text.substr(1));
  }
  std::string pattern;
  if (!text.empty()) {
    pattern = clean_path(text);
    if (pattern.size() > 1 && pattern.front() == '/') {
      pattern.erase(0, 1); // "/foo" means "foo" at the context root
    }
  }
  return exception ? "!" + pattern : pattern;
}

} // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) {
    return ".";
  }
  const bool rooted = path.front() == '/';
  std::string out = rooted ? "/" : "";
  std::size_t fixed = out.size(); // `out[0, fixed)` is "/" or leading ".." that `..` cannot undo
  for (std::size_t pos = 0; pos < path.size();) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view element = path.substr(pos, end - pos);
    pos = end + 1;
    if (element.empty() || element == ".") {
      continue;
    }
    if (element == "..") {
      if (out.size() > fixed) {
        const std::size_t slash = out.rfind('/');
        out.resize(slash == std::string::npos || slash < fixed ? fixed : slash);
      } else if (!rooted) {
        out += out.empty() ? ".." : "/..";
        fixed = out.size();
      }
      continue;
    }
    if (out.size() > (rooted ? 1U : 0U)) {
      out += '/';
    }
    out += element;
  }
  return out.empty() ? "." : out;
}

std::vector<std::string> ignore_file_candidates(std::string_view dockerfile_path,
                                                std::string_view context_dir) {
  std::vector<std::string> out;
  if (!dockerfile_path.empty() && dockerfile_path != "-") {
    out.push_back(std::string(dockerfile_path) + ".dockerignore");
  }
  std::string root(context_dir.empty() ? "." : context_dir);
  if (root.back() != '/') {
    root += '/';
  }
  out.push_back(root + ".dockerignore");
  return out;
}

std::vector<std::string> read_ignore_file(std::string_view text) {
  std::vector<std::string> patterns;
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line.size() > k_max_line) {
      throw Error(ErrorKind::parse, fmt::format(messages::k_ignore_line_too_long, line_number));
    }
    if (line_number == 1 && line.starts_with(k_utf8_bom)) {
      line.remove_prefix(k_utf8_bom.size());
    }
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (auto pattern = normalize_line(line)) {
      patterns.push_back(std::move(*pattern));
    }
  }
  return patterns;
}

std::string_view to_string(MatchType type) noexcept {
  switch (type) {
  case MatchType::exact: return "exactMatch";
  case MatchType::prefix: return "prefixMatch";
  case MatchType::suffix: return "suffixMatch";
  case MatchType::regexp: return "regexpMatch";
  }
  return "unknownMatch";
}

PatternInfo describe_pattern(std::string_view pattern, char separator) {
  STRATA_CHECK(separator == '/' || separator == '\\');
  return detail::glob::compile(pattern, separator, pattern).info;
}

PatternMatcher::PatternMatcher(const std::vector<std::string>& patterns) {
  for (const std::string& raw : patterns) {
    const std::string_view trimmed = trim_space(raw);
    if (trimmed.empty()) {
      continue;
    }
    IgnorePattern pattern;
    // moby cleans before removing `!`, so the text after `!` is not cleaned again.
    pattern.text = clean_path(trimmed);
    if (pattern.text.front() == '!') {
      if (pattern.text.size() == 1) {
        throw Error(ErrorKind::parse, fmt::format(messages::k_ignore_bad_pattern, raw,
                                                  messages::k_ignore_lone_exception));
      }
      pattern.is_exception = true;
      pattern.text.erase(0, 1);
      has_exclusions_ = true;
    }
    detail::glob::CompiledPattern compiled = detail::glob::compile(pattern.text, '/', raw);
    pattern.type = compiled.info.type;
    patterns_.push_back(std::move(pattern));
    programs_.push_back(std::move(compiled.program));
  }
}

PatternMatcher::~PatternMatcher() = default;
PatternMatcher::PatternMatcher(const PatternMatcher& other) = default;
PatternMatcher& PatternMatcher::operator=(const PatternMatcher& other) = default;
PatternMatcher::PatternMatcher(PatternMatcher&& other) noexcept = default;
PatternMatcher& PatternMatcher::operator=(PatternMatcher&& other) noexcept = default;

bool PatternMatcher::matches_or_parent_matches(std::string_view path) const {
  const std::string parent = go_dir(path);
  bool matched = false;
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    if (p.is_exception != matched) {
      continue; // this pattern cannot change the verdict
    }
    if (matches_path_or_dirs(p, programs_[i], path, parent)) {
      matched = !p.is_exception;
    }
  }
  return matched;
}

bool PatternMatcher::matches_legacy(std::string_view raw_path) const {
  const std::string path = clean_path(raw_path);
  if (path == ".") {
    return false; // moby: "don't let them exclude everything"
  }
  const std::string parent = go_dir(path);
  const std::size_t parent_depth = count_dirs(parent);
  bool matched = false;
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    if (p.is_exception != matched) {
      continue;
    }
    bool match = pattern_matches(p, programs_[i], path);
    const std::size_t depth = count_dirs(p.text);
    if (!match && parent != "." && depth <= parent_depth) {
      match = pattern_matches(p, programs_[i], first_dirs(parent, depth));
    }
    if (match) {
      matched = !p.is_exception;
    }
  }
  return matched;
}

PatternMatcher::WalkResult
PatternMatcher::matches_using_parent_results(std::string_view path, const MatchInfo& parent) const {
  const std::vector<char>& inherited = parent.parent_matched_;
  STRATA_CHECK(inherited.empty() || inherited.size() == patterns_.size());
  std::optional<std::string> parent_dir; // computed only when some pattern needs it
  WalkResult result;
  result.info.parent_matched_.assign(patterns_.size(), k_unknown);
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    const char known = inherited.empty() ? k_unknown : inherited[i];
    bool match = known == k_matched;
    if (!match) {
      if (p.is_exception != result.excluded) {
        continue; // cannot change the verdict; stays `k_unknown` for the children
      }
      if (known == k_unmatched) {
        match = pattern_matches(p, programs_[i], path); // no parent matched: skip their checks
      } else {
        parent_dir = parent_dir ? parent_dir : go_dir(path);
        match = matches_path_or_dirs(p, programs_[i], path, *parent_dir);
      }
    }
    result.info.parent_matched_[i] = match ? k_matched : k_unmatched;
    if (match) {
      result.excluded = !p.is_exception;
    }
  }
  return result;
}

bool PatternMatcher::may_reinclude_under(std::string_view dir) const {
  if (dir.empty() || dir == ".") {
    return has_exclusions_;
  }
  const std::string inside = std::string(dir) + '/';
  const std::string parent = go_dir(dir);
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    if (!p.is_exception) {
      continue;
    }
    // An exception that matches `dir` or one of its parents matches everything below `dir`.
    if (matches_path_or_dirs(p, programs_[i], dir, parent) ||
        could_match_below(p, programs_[i], inside)) {
      return true;
    }
  }
  return false;
}

} // namespace strata::parser
