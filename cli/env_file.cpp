// `--env-file` (env_file.hpp).

#include "cli/env_file.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace strata::cli {

std::vector<std::string> read_env_file(const std::string& path) {
  std::string text = read_file(path, 1 << 20);
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.erase(0, 3);
  }
  std::vector<std::string> entries;
  std::size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    line.erase(0, line.find_first_not_of(" \t\r\v\f"));
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::size_t eq = line.find('=');
    const std::string key = line.substr(0, eq);
    if (key.empty()) {
      throw Error(ErrorKind::usage,
                  fmt::format("{}:{}: no variable name on line '{}'", path, number, line));
    }
    if (std::any_of(key.begin(), key.end(), [](unsigned char c) { return std::isspace(c); })) {
      throw Error(ErrorKind::usage,
                  fmt::format("{}:{}: poorly formatted environment: variable '{}' contains "
                              "whitespaces",
                              path, number, key));
    }
    if (eq != std::string::npos) {
      entries.push_back(line);
    } else if (const char* value = std::getenv(key.c_str()); value != nullptr) {
      entries.push_back(key + "=" + value);
    }
  }
  return entries;
}

} // namespace strata::cli
