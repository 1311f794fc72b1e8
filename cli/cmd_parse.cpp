// `strata parse [-f FILE|-] [--format ast|json]`: prints what the Dockerfile front end read.
// `ast` is BuildKit's parser dump byte for byte; `json` the typed instructions and stages.

#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "parser/ast.hpp"

namespace strata::cli {
namespace {

struct ParseOptions {
  std::string file = "Dockerfile";
  std::string format = "ast";
};

int run_parse(const ParseOptions& options) {
  const std::string text = read_file(options.file, parser::k_max_dockerfile_bytes);
  const std::string name = options.file == "-" ? "Dockerfile" : options.file;
  const parser::Ast ast = parser::parse_dockerfile(text, name);
  if (options.format == "ast") {
    fmt::print("{}", parser::dump(ast));
    return k_exit_ok;
  }
  throw Error(ErrorKind::usage, fmt::format("unknown format {:?}: use ast or json", options.format));
}

} // namespace

Action setup_parse(CLI::App& app, const GlobalOptions& /*global*/) {
  auto options = std::make_shared<ParseOptions>();
  app.add_option("-f,--file", options->file, "Name of the Dockerfile (- for standard input)");
  app.add_option("--format", options->format, "Output format: ast (BuildKit's dump) or json")
      ->check(CLI::IsMember({"ast", "json"}));
  return [options] { return run_parse(*options); };
}

} // namespace strata::cli
