#pragma once
#include <string>
#include <cstdio>
struct Tally { int passed = 0; int failed = 0;
  void check(bool ok, const std::string& what) { if (ok) { ++passed; } else { ++failed; std::fprintf(stderr, "FAIL %s\n", what.c_str()); } } };
