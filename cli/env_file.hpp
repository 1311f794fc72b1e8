#pragma once
// `--env-file` (create, run, exec): docker's env-file format, read once for every command.

#include <string>
#include <vector>

namespace strata::cli {

// One KEY=VALUE per line (a UTF-8 BOM and leading whitespace dropped, the value kept as written,
// a trailing CR dropped), `#` comments and blank lines skipped; a bare KEY takes the caller's
// value, or is dropped when the caller has none (docker's `ReadKVEnvStrings`). A line without a
// name, or a name with whitespace, is `Error{usage}` naming the file and line.
[[nodiscard]] std::vector<std::string> read_env_file(const std::string& path);

} // namespace strata::cli
