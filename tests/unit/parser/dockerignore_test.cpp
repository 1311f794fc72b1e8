#include "parser/dockerignore.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace strata::parser {
namespace {

bool excluded(const std::vector<std::string>& patterns, std::string_view path) {
  return PatternMatcher(patterns).matches_or_parent_matches(path);
}

// The message of the `Error{parse}` that compiling `pattern` throws, or "" if it compiles.
std::string compile_error(const std::string& pattern) {
  try {
    (void)PatternMatcher({pattern});
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::parse) << pattern;
    return e.what();
  }
  return "";
}

TEST(ReadIgnoreFile, FollowsBuildKitReadAll) {
  const std::string text = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n"
                           "! /inverted/abs/path\n!\n! ";
  const std::vector<std::string> want = {"test1",    "test2", "a/file/here", "lastfile",
                                         "!inverted/abs/path", "!",     "!"};
  EXPECT_EQ(read_ignore_file(text), want);
}

TEST(ReadIgnoreFile, StripsBomCrlfAndUnicodeSpace) {
  const std::string text = "\xEF\xBB\xBF"
                           "first\r\n\xC2\xA0second\xE3\x80\x80\r\n\t./third/../fourth/\n";
  const std::vector<std::string> want = {"first", "second", "fourth"};
  EXPECT_EQ(read_ignore_file(text), want);
}

TEST(ReadIgnoreFile, CommentsOnlyAtColumnOne) {
  const std::vector<std::string> want = {"# not a comment", "!#x"};
  EXPECT_EQ(read_ignore_file("#comment\n  # not a comment\n!#x\n"), want);
}

TEST(ReadIgnoreFile, BomOnlyOnFirstLine) {
  const std::vector<std::string> want = {"a", "\xEF\xBB\xBF" "b"};
  EXPECT_EQ(read_ignore_file("a\n\xEF\xBB\xBF" "b"), want);
}

TEST(ReadIgnoreFile, KeepsRootAndCleansExceptions) {
  const std::vector<std::string> want = {"/", "!b", "!/"};
  EXPECT_EQ(read_ignore_file("/\n! /a/../b\n!/\n"), want);
}

TEST(ReadIgnoreFile, RejectsLinesGoCannotScan) {
  EXPECT_EQ(read_ignore_file(std::string(65535, 'x') + "\n").size(), 1U);
  EXPECT_THROW((void)read_ignore_file("ok\n" + std::string(65536, 'x')), Error);
}

TEST(CleanPath, MatchesGo) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "."},         {".", "."},          {"a/", "a"},         {"a//b", "a/b"},
      {"./a/./b", "a/b"}, {"a/../..", ".."},  {"../../a", "../../a"}, {"/..", "/"},
      {"/a/../b/", "/b"}, {"a/b/../../c", "c"}, {"!./x", "!./x"},   {"**/", "**"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(clean_path(in), want) << in;
  }
}

TEST(PatternMatcher, RejectsBadPatternsNamingThem) {
  for (const std::string bad : {"[", "a[", "[^", "[^bc", "[]a]", "[-]", "[x-]", "[-x]", "[a-b-c]",
                                "\\", "a/b\\", "[z-a]", "[Local-Only]/", "!", " ! ", "[\xFF]"}) {
    const std::string message = compile_error(bad);
    EXPECT_NE(message, "") << bad;
    EXPECT_NE(message.find(std::string("\"") + bad + "\""), std::string::npos) << message;
  }
}

TEST(PatternMatcher, AcceptsWhatGoAccepts) {
  for (const std::string good : {"[\\]a]", "[\\-]", "[x\\-]", "a]b", "[[]", "[!]", "a\\\\",
                                 "[a/b]", "\xFF*", "\\*", "!a", "**/**/**"}) {
    EXPECT_EQ(compile_error(good), "") << good;
  }
}

TEST(PatternMatcher, SkipsBlankEntriesAndRecordsExceptions) {
  const PatternMatcher matcher({"docs", "", "  ", "  !docs/README.md  "});
  ASSERT_EQ(matcher.patterns().size(), 2U);
  EXPECT_TRUE(matcher.has_exclusions());
  EXPECT_EQ(matcher.patterns()[1].text, "docs/README.md");
  EXPECT_TRUE(matcher.patterns()[1].is_exception);
  EXPECT_FALSE(PatternMatcher({"a", "b"}).has_exclusions());
}

TEST(PatternMatcher, ClassifiesLikeMoby) {
  const std::pair<const char*, MatchType> cases[] = {
      {"abc.def", MatchType::exact},     {"a^b", MatchType::exact},
      {"dir/**", MatchType::prefix},     {"dir**", MatchType::prefix},
      {"**", MatchType::suffix},         {"**/foo/bar", MatchType::suffix},
      {"**/a*", MatchType::regexp},      {"a\\b", MatchType::regexp},
      {"a]", MatchType::regexp},         {"**/a/**", MatchType::regexp},
  };
  for (const auto& [pattern, type] : cases) {
    EXPECT_EQ(PatternMatcher({pattern}).patterns()[0].type, type) << pattern;
  }
  EXPECT_EQ(to_string(MatchType::suffix), "suffixMatch");
}

TEST(PatternMatcher, LaterPatternsOverrideEarlierOnes) {
  EXPECT_FALSE(excluded({"*.go", "!main.go"}, "main.go"));
  EXPECT_TRUE(excluded({"!main.go", "*.go"}, "main.go"));
  EXPECT_FALSE(excluded({"docs", "!docs/README.md"}, "docs/README.md"));
  EXPECT_TRUE(excluded({"docs", "!docs/README.md"}, "docs/other.md"));
  EXPECT_TRUE(excluded({"**", "!keep", "keep/tmp"}, "keep/tmp/x"));
  EXPECT_FALSE(excluded({"**", "!keep", "keep/tmp"}, "keep/src/x"));
}

TEST(PatternMatcher, ParentDirectoriesMatchAtAnyDepth) {
  EXPECT_TRUE(excluded({"a/b"}, "a/b/c/d/e"));
  EXPECT_TRUE(excluded({"a/*"}, "a/b/c/d"));
  EXPECT_TRUE(excluded({"**/node_modules"}, "x/node_modules/y/z"));
  EXPECT_FALSE(excluded({"a/b"}, "a/bc/d"));
  EXPECT_FALSE(excluded({"b"}, "a/b/c")); // patterns are anchored at the root
}

TEST(PatternMatcher, WildcardsFollowFilepathMatch) {
  EXPECT_TRUE(excluded({"a?c"}, "a\xE2\x98\xBA" "c")); // `?` is one code point
  EXPECT_FALSE(excluded({"a?c"}, "a/c"));
  EXPECT_TRUE(excluded({"a[/]c"}, "a/c")); // but a class can match '/'
  EXPECT_TRUE(excluded({"a[!x]c"}, "a!c")); // `!` is a member, not negation
  EXPECT_FALSE(excluded({"a[!x]c"}, "abc"));
  EXPECT_TRUE(excluded({"a[^x]c"}, "abc"));
  EXPECT_TRUE(excluded({"[a-\xCE\xB6]*"}, "\xCE\xB1"));
  EXPECT_TRUE(excluded({"a\\[b"}, "a[b"));
  EXPECT_TRUE(excluded({"*\xFF"}, "x\xFE")); // invalid bytes are all U+FFFD, as in Go
}

TEST(PatternMatcher, DoubleStarQuirksFollowMoby) {
  EXPECT_TRUE(excluded({"**.go"}, "a/b.go"));      // suffix test
  EXPECT_TRUE(excluded({"dir**"}, "directory/x")); // prefix test
  EXPECT_TRUE(excluded({"a**/b"}, "a/b"));
  EXPECT_TRUE(excluded({"a**/b"}, "axy/b"));
  EXPECT_FALSE(excluded({"a**b"}, "axb")); // `**` inside a name only spans whole directories
  EXPECT_TRUE(excluded({"a**b"}, "ax/b"));
  EXPECT_FALSE(excluded({"abc/**"}, "abc"));
}

TEST(PatternMatcher, DeliberateDifferencesFromMoby) {
  EXPECT_TRUE(excluded({"file\\d"}, "filed")); // moby: `\d` is a regexp digit class
  EXPECT_FALSE(excluded({"file\\d"}, "file1"));
  EXPECT_TRUE(excluded({"a[*]"}, "a*")); // moby's translation breaks the class
  EXPECT_FALSE(excluded({"a[*]"}, "ab"));
  EXPECT_TRUE(excluded({"x^y*"}, "x^yz")); // moby: `^` is an anchor that never matches here
  EXPECT_TRUE(excluded({"a/**/z*"}, "a/line\nbreak/z1")); // moby's `.` stops at newlines
  EXPECT_EQ(describe_pattern("file\\d").go_regexp, "^filed$");
  EXPECT_EQ(describe_pattern("x^y*").go_regexp, "^x\\^y[^/]*$");
}

TEST(PatternMatcher, PathsAreNotCleaned) {
  EXPECT_TRUE(excluded({"**/dir2/*"}, "dir/dir2/file/"));
  EXPECT_FALSE(excluded({"a/b"}, "./a/b"));
  EXPECT_TRUE(excluded({"a/b"}, "a//b/c")); // but parents come from filepath.Dir, which cleans
  EXPECT_TRUE(excluded({"a/?"}, "a//b/c"));
  EXPECT_FALSE(excluded({"a/?"}, "a/./b")); // the parents are "a" only, never "a/."
  EXPECT_TRUE(excluded({"a/?"}, "a/b/c/"));
}

TEST(PatternMatcher, LegacyMatchesTriesOneParent) {
  const PatternMatcher matcher({"a*/b"});
  EXPECT_TRUE(matcher.matches_legacy("abc/b/c/d"));
  EXPECT_FALSE(PatternMatcher({"a*"}).matches_legacy("."));
  EXPECT_TRUE(PatternMatcher({"a*"}).matches_legacy("ab/c"));
  EXPECT_FALSE(PatternMatcher({"a/*/c"}).matches_legacy("a/b"));
}

TEST(PatternMatcher, HostilePatternsStayFast) {
  // A backtracking matcher needs about 2^30 steps here; the NFA needs length x states.
  std::string pattern;
  for (int i = 0; i < 30; ++i) {
    pattern += "*a";
  }
  pattern += "*b";
  const std::string path(4000, 'a');
  EXPECT_FALSE(excluded({pattern, "**/" + pattern}, path));
  std::string stars;
  for (int i = 0; i < 200; ++i) {
    stars += "**/";
  }
  EXPECT_TRUE(excluded({stars + "x"}, "a/b/c/x"));
  EXPECT_FALSE(excluded({stars + "a*"}, std::string(2000, 'b') + "/y"));
}

TEST(PatternMatcher, CopiesAndMovesKeepPrograms) {
  PatternMatcher original({"a*b"});
  const PatternMatcher copy = original;
  const PatternMatcher moved = std::move(original);
  EXPECT_TRUE(copy.matches_or_parent_matches("axb"));
  EXPECT_TRUE(moved.matches_or_parent_matches("axb/c"));
}

const std::vector<std::string> k_tree = {
    "a", "a/b", "a/b/c", "a/b/c/d.txt", "a/keep", "a/keep/x.md", "docs", "docs/README.md",
    "docs/api", "docs/api/index.md", "src", "src/main.go", "src/tmp", "src/tmp/x.go", "README.md",
};

const std::vector<std::vector<std::string>> k_pattern_sets = {
    {"**", "!a/keep"},       {"a", "!a/b/c"},        {"docs", "!docs/**/*.md", "docs/api"},
    {"*.md", "!docs"},       {"**/tmp", "!src/tmp/x.go"}, {"src/*", "!**/main.go"},
    {"**/*.go", "!src/**"},  {"a/**", "!a/b", "a/b/c/d.txt"},
};

// Walks `k_tree` (parents first) the way fsutil does, passing each directory's results down,
// and checks every verdict against the direct query.
void walk_and_compare(const PatternMatcher& matcher) {
  std::vector<std::pair<std::string, PatternMatcher::MatchInfo>> infos;
  for (const std::string& path : k_tree) {
    PatternMatcher::MatchInfo parent;
    for (const auto& [dir, info] : infos) {
      if (path.starts_with(dir + "/") && path.find('/', dir.size() + 1) == std::string::npos) {
        parent = info;
      }
    }
    const auto result = matcher.matches_using_parent_results(path, parent);
    EXPECT_EQ(result.excluded, matcher.matches_or_parent_matches(path)) << path;
    infos.emplace_back(path, result.info);
  }
}

TEST(PatternMatcher, ParentResultsAgreeWithDirectQueries) {
  for (const auto& patterns : k_pattern_sets) {
    walk_and_compare(PatternMatcher(patterns));
  }
}

// Ordered random mixes of patterns and exceptions over `k_tree`.
std::vector<std::vector<std::string>> random_pattern_sets() {
  const std::vector<std::string> pool = {"a",      "a/b",      "**/c", "*.md",      "docs/*",
                                         "src/**", "**/*.go",  "a/*/c", "docs/api", "**",
                                         "README.md", "src/tmp", "a/**/d.txt", "*/keep"};
  std::mt19937 rng(7);
  std::vector<std::vector<std::string>> sets;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> patterns;
    for (int n = 2 + static_cast<int>(rng() % 3); n > 0; --n) {
      patterns.push_back((rng() % 2 == 0 ? "!" : "") + pool[rng() % pool.size()]);
    }
    sets.push_back(std::move(patterns));
  }
  return sets;
}

TEST(PatternMatcher, ParentResultsAgreeOnRandomPatternSets) {
  for (const auto& patterns : random_pattern_sets()) {
    walk_and_compare(PatternMatcher(patterns));
  }
}

// moby's `MatchesUsingParentResults` keeps this file; `docs/api` excludes it (see the header).
TEST(PatternMatcher, ParentResultsRememberSkippedPatterns) {
  const PatternMatcher matcher({"docs", "!docs/**/*.md", "docs/api"});
  const auto docs = matcher.matches_using_parent_results("docs", {});
  const auto api = matcher.matches_using_parent_results("docs/api", docs.info);
  EXPECT_TRUE(matcher.matches_using_parent_results("docs/api/index.md", api.info).excluded);
  EXPECT_FALSE(matcher.matches_using_parent_results("docs/index.md", docs.info).excluded);
}

TEST(PatternMatcher, ParentResultsFromAnotherMatcherAreRejected) {
  const PatternMatcher two({"a", "b"});
  const auto info = two.matches_using_parent_results("a", {}).info;
  EXPECT_THROW((void)PatternMatcher({"a"}).matches_using_parent_results("a/b", info), Error);
}

TEST(PatternMatcher, MayReincludeUnder) {
  EXPECT_FALSE(PatternMatcher({"docs"}).may_reinclude_under("docs"));
  EXPECT_FALSE(PatternMatcher({"**", "!*.md"}).may_reinclude_under("docs"));
  EXPECT_TRUE(PatternMatcher({"**", "!docs/README.md"}).may_reinclude_under("docs"));
  EXPECT_FALSE(PatternMatcher({"**", "!docs/README.md"}).may_reinclude_under("src"));
  EXPECT_TRUE(PatternMatcher({"**", "!**/keep"}).may_reinclude_under("src"));
  EXPECT_TRUE(PatternMatcher({"**", "!a/*/keep"}).may_reinclude_under("a/b"));
  EXPECT_FALSE(PatternMatcher({"**", "!a/*/keep"}).may_reinclude_under("a/b/c"));
  EXPECT_TRUE(PatternMatcher({"**", "!a"}).may_reinclude_under("a/b"));
  EXPECT_TRUE(PatternMatcher({"**", "!a/b/**"}).may_reinclude_under("a"));
  EXPECT_TRUE(PatternMatcher({"**", "!x"}).may_reinclude_under("."));
}

// Soundness: whenever some path below `dir` is matched by an exception, the answer is true.
TEST(PatternMatcher, MayReincludeUnderNeverWronglyDenies) {
  auto sets = random_pattern_sets();
  sets.insert(sets.end(), k_pattern_sets.begin(), k_pattern_sets.end());
  for (const auto& patterns : sets) {
    const PatternMatcher matcher(patterns);
    for (const std::string& dir : k_tree) {
      for (const std::string& path : k_tree) {
        if (!path.starts_with(dir + "/")) {
          continue;
        }
        for (const auto& p : matcher.patterns()) {
          if (p.is_exception && excluded({p.text}, path)) {
            EXPECT_TRUE(matcher.may_reinclude_under(dir)) << dir << " " << path << " " << p.text;
          }
        }
      }
    }
  }
}

// A naive backtracking reading of the pattern syntax, straight from the header's description
// (regexp-type patterns only, ASCII only, classes without escapes). Exponential in general, but
// the inputs below are tiny; it exists to cross-check the NFA.
bool reference_match(std::string_view p, std::string_view s) {
  if (p.empty()) {
    return s.empty();
  }
  if (p.starts_with("**")) {
    p.remove_prefix(p.starts_with("**/") ? 3 : 2);
    if (p.empty()) {
      return true; // trailing `**`: anything, across directories
    }
    for (std::size_t k = 0; k <= s.size(); ++k) { // `(.*/)?`: nothing, or up to some '/'
      if ((k == 0 || s[k - 1] == '/') && reference_match(p, s.substr(k))) {
        return true;
      }
    }
    return false;
  }
  if (p[0] == '*') {
    for (std::size_t k = 0; k <= s.size() && (k == 0 || s[k - 1] != '/'); ++k) {
      if (reference_match(p.substr(1), s.substr(k))) {
        return true;
      }
    }
    return false;
  }
  if (s.empty()) {
    return false;
  }
  if (p[0] == '[') {
    const std::size_t close = p.find(']', 2);
    const bool negated = p[1] == '^';
    const std::string_view body = p.substr(negated ? 2 : 1, close - (negated ? 2 : 1));
    bool in = false;
    for (std::size_t i = 0; i < body.size(); ++i) {
      const bool range = i + 2 < body.size() && body[i + 1] == '-';
      in = in || (range ? body[i] <= s[0] && s[0] <= body[i + 2] : body[i] == s[0]);
      i += range ? 2 : 0;
    }
    return in != negated && reference_match(p.substr(close + 1), s.substr(1));
  }
  const std::size_t width = p[0] == '\\' ? 2 : 1;
  const bool ok = p[0] == '?' ? s[0] != '/' : p[width - 1] == s[0];
  return ok && reference_match(p.substr(width), s.substr(1));
}

TEST(PatternMatcher, NfaAgreesWithNaiveReference) {
  const std::vector<std::string> pieces = {"a", "b", ".", "/", "*", "?", "[ab]", "[^a]",
                                           "[a-b]", "\\*", "**", "**/", "+"};
  const std::vector<std::string> names = {"a", "b", "ab", "ba", "a.b", "*", "aa", "b+"};
  std::mt19937 rng(12345);
  int compared = 0;
  for (int round = 0; round < 400; ++round) {
    std::string pattern;
    for (int n = 1 + static_cast<int>(rng() % 5); n > 0; --n) {
      pattern += pieces[rng() % pieces.size()];
    }
    const PatternMatcher matcher({pattern});
    const IgnorePattern& compiled = matcher.patterns()[0];
    if (compiled.type != MatchType::regexp) {
      continue; // the plain string tests are checked by the conformance vectors
    }
    for (int k = 0; k < 20; ++k) {
      std::string path = names[rng() % names.size()];
      for (int depth = static_cast<int>(rng() % 3); depth > 0; --depth) {
        path += "/" + names[rng() % names.size()];
      }
      bool want = reference_match(compiled.text, path);
      for (std::size_t s = path.find('/'); s != std::string::npos; s = path.find('/', s + 1)) {
        want = want || reference_match(compiled.text, path.substr(0, s));
      }
      EXPECT_EQ(matcher.matches_or_parent_matches(path), want) << compiled.text << " " << path;
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000);
}

} // namespace
} // namespace strata::parser

TEST(IgnoreFileCandidates, DockerfileSpecificFirst) {
  using strata::parser::ignore_file_candidates;
  EXPECT_EQ(ignore_file_candidates("ctx/build/app.Dockerfile", "ctx"),
            (std::vector<std::string>{"ctx/build/app.Dockerfile.dockerignore", "ctx/.dockerignore"}));
  EXPECT_EQ(ignore_file_candidates("-", "ctx/"), (std::vector<std::string>{"ctx/.dockerignore"}));
  EXPECT_EQ(ignore_file_candidates("Dockerfile", ""),
            (std::vector<std::string>{"Dockerfile.dockerignore", "./.dockerignore"}));
}
