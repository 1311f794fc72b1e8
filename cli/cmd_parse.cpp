// `strata parse [-f FILE|-] [--format ast|json] [--target STAGE] [--build-arg K[=V]]...`:
// prints what the Dockerfile front end read. `ast` is BuildKit's parser dump byte for byte;
// `json` the typed instructions and the stage graph (for tools and editors), after the same
// validation `strata build` does.

#include <cstdlib>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "parser/ast.hpp"
#include "parser/instruction_json.hpp"
#include "parser/instructions.hpp"
#include "parser/stage_graph.hpp"

namespace strata::cli {
namespace {

struct ParseOptions {
  std::string file = "Dockerfile";
  std::string format = "ast";
  std::string target;
  std::vector<std::string> build_args;
};

// `--build-arg K=V`, or `--build-arg K` taking K from the environment (skipped when unset), as
// docker does.
parser::BuildInputs build_inputs(const std::vector<std::string>& args) {
  parser::BuildInputs inputs;
  for (const std::string& arg : args) {
    const auto eq = arg.find('=');
    if (eq == 0) {
      throw Error(ErrorKind::usage, fmt::format("invalid build arg {:?}: the name is empty", arg));
    }
    if (eq != std::string::npos) {
      inputs.build_args[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (const char* value = std::getenv(arg.c_str())) {
      inputs.build_args[arg] = value;
    }
  }
  return inputs;
}

int run_parse(const ParseOptions& options) {
  const std::string text = read_file(options.file, parser::k_max_dockerfile_bytes);
  const std::string name = options.file == "-" ? "Dockerfile" : options.file;
  const parser::Ast ast = parser::parse_dockerfile(text, name);
  for (const parser::Warning& warning : ast.warnings) {
    log::warn("{}:{}: {}", name, warning.line, warning.message);
  }
  if (options.format == "ast") {
    fmt::print("{}", parser::dump(ast));
    return k_exit_ok;
  }
  auto instructions = parser::to_instructions(ast);
  const auto graph = parser::StageGraph::build(ast, instructions, build_inputs(options.build_args));
  for (const auto& unused : graph.unused_build_args(options.target)) {
    log::warn("one or more build-args [{}] were not consumed", unused);
  }
  fmt::print("{}\n", parser::to_json(ast, graph.instructions(), parser::stages_to_json(graph, options.target)));
  return k_exit_ok;
}

} // namespace

Action setup_parse(CLI::App& app, const GlobalOptions& /*global*/) {
  auto options = std::make_shared<ParseOptions>();
  app.add_option("-f,--file", options->file, "Name of the Dockerfile (- for standard input)");
  app.add_option("--format", options->format, "Output format: ast (BuildKit's dump) or json")
      ->check(CLI::IsMember({"ast", "json"}));
  app.add_option("--target", options->target, "With --format json: the stage to build");
  app.add_option("--build-arg", options->build_args, "With --format json: a build arg K=V or K");
  return [options] { return run_parse(*options); };
}

} // namespace strata::cli
