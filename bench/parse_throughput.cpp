// Parse throughput of the Dockerfile front end on synthetic Dockerfiles: a large one (MB/s) and a
// typical 100-line one (microseconds per parse). Prints one line per case; `parse_bench.sh`
// puts the figures in bench/results.md.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "parser/ast.hpp"
#include "parser/instructions.hpp"

namespace {

// A realistic mix: ARGs, stages, RUN with continuations, COPY with flags, ENV/LABEL, heredocs.
std::string synthetic(int stages, int steps_per_stage) {
  std::string out = "# syntax=docker/dockerfile:1\nARG BASE=debian:12\n";
  for (int s = 0; s < stages; ++s) {
    out += "FROM ${BASE} AS stage" + std::to_string(s) + "\n";
    for (int i = 0; i < steps_per_stage; ++i) {
      switch (i % 6) {
      case 0: out += "RUN apt-get update \\\n && apt-get install -y curl make gcc \\\n && rm -rf /var/lib/apt/lists/*\n"; break;
      case 1: out += "COPY --chown=1000:1000 --chmod=0644 src/file" + std::to_string(i) + ".c /src/\n"; break;
      case 2: out += "ENV PATH=/opt/bin:$PATH VERSION=\"1.2.3\" NAME=value" + std::to_string(i) + "\n"; break;
      case 3: out += "RUN --mount=type=cache,target=/root/.cache make -C /src -j4 target" + std::to_string(i) + "\n"; break;
      case 4: out += "LABEL org.example.step=\"" + std::to_string(i) + "\" maintainer=\"dev@example.com\"\n"; break;
      default: out += "RUN <<EOF\nset -e\necho step " + std::to_string(i) + "\nEOF\n"; break;
      }
    }
    if (s > 0) {
      out += "COPY --from=stage" + std::to_string(s - 1) + " /src /prev\n";
    }
  }
  out += "CMD [\"/bin/sh\"]\n";
  return out;
}

template <typename F> double best_seconds(int rounds, F&& fn) {
  double best = 1e9;
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    best = std::min(best, d.count());
  }
  return best;
}

void run_case(const char* name, const std::string& text, int iterations) {
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  const double raw = best_seconds(5, [&] {
    for (int i = 0; i < iterations; ++i) {
      (void)strata::parser::parse_dockerfile(text);
    }
  }) / iterations;
  const double typed = best_seconds(5, [&] {
    for (int i = 0; i < iterations; ++i) {
      const auto ast = strata::parser::parse_dockerfile(text);
      (void)strata::parser::to_instructions(ast);
    }
  }) / iterations;
  std::printf("%-10s %7zu lines %9zu bytes  parse %9.1f us (%6.1f MB/s)  parse+typed %9.1f us (%6.1f MB/s)\n",
              name, lines, text.size(), raw * 1e6, static_cast<double>(text.size()) / raw / 1e6,
              typed * 1e6, static_cast<double>(text.size()) / typed / 1e6);
}

} // namespace

int main() {
  run_case("typical", synthetic(2, 30), 2000);
  run_case("large", synthetic(200, 300), 3);
  return 0;
}
