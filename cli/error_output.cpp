#include "cli/error_output.hpp"

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "cli/command.hpp"

namespace strata::cli {

void print_error(const Error& error) {
  std::string out = fmt::format("ERROR: {}\n", error.what());
  const auto& where = error.where();
  if (where && where->line > 0 && !error.source_line().empty()) {
    const std::string prefix = fmt::format(" {:>4} | ", where->line);
    out += prefix + error.source_line() + "\n";
    if (where->column > 0) {
      std::string pad(prefix.size() - 2, ' ');
      pad += "| ";
      // Keep tabs so the caret lines up with the source line on a terminal.
      for (std::uint32_t i = 1; i < where->column && i <= error.source_line().size(); ++i) {
        pad += error.source_line()[i - 1] == '\t' ? '\t' : ' ';
      }
      out += pad + "^\n";
    }
  }
  std::fputs(out.c_str(), stderr);
}

int exit_code_for(const Error& error) {
  return error.kind() == ErrorKind::usage ? k_exit_usage : k_exit_failure;
}

} // namespace strata::cli
