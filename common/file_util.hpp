#pragma once
// Small whole-file helpers for trusted paths (the CLI's own inputs). Bounded: a file larger than
// `max_bytes` is an error rather than an allocation of its size.

#include <cstddef>
#include <string>

namespace strata {

inline constexpr std::size_t k_default_max_file = 64UL * 1024 * 1024;

// Reads `path` ("-" = standard input) whole. Throws `Error{not_found}` for a missing file and
// `Error{io}` for other failures, naming the path.
[[nodiscard]] std::string read_file(const std::string& path, std::size_t max_bytes = k_default_max_file);

} // namespace strata
