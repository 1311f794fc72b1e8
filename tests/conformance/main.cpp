// The conformance harness: runs every vector under shared/conformance/buildkit (read at test
// time, never copied) and prints "N passed, N failed". Exit 1 on any failure.

#include <cstdio>
#include <exception>
#include <string>

#include "tally.hpp"

void run_parser_vectors(const std::string& dir, Tally& tally);
int run_shell_vectors(const std::string& dir, Tally& tally);
int run_dockerignore_vectors(const std::string& dir, Tally& tally);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SHARED/conformance/buildkit\n", argv[0]);
    return 2;
  }
  Tally tally;
  const std::string dir = argv[1];
  struct Suite {
    const char* name;
    void (*run)(const std::string&, Tally&);
  };
  const Suite suites[] = {
      {"parser", [](const std::string& d, Tally& t) { run_parser_vectors(d, t); }},
      {"shell", [](const std::string& d, Tally& t) { (void)run_shell_vectors(d, t); }},
      {"dockerignore", [](const std::string& d, Tally& t) { (void)run_dockerignore_vectors(d, t); }},
  };
  for (const Suite& suite : suites) {
    const int before_passed = tally.passed;
    const int before_failed = tally.failed;
    try {
      suite.run(dir, tally);
    } catch (const std::exception& e) {
      tally.check(false, std::string(suite.name) + ": " + e.what());
    }
    std::printf("%s: %d passed, %d failed\n", suite.name, tally.passed - before_passed,
                tally.failed - before_failed);
  }
  std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
  return tally.failed == 0 ? 0 : 1;
}
