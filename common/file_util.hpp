#pragma once
// Small file and directory helpers. `read_file` is for trusted paths (the CLI's own inputs) and is
// bounded: a file larger than `max_bytes` is an error rather than an allocation of its size.

#include <cstddef>
#include <string>
#include <vector>

namespace strata {

inline constexpr std::size_t k_default_max_file = 64UL * 1024 * 1024;

// Reads `path` ("-" = standard input) whole. Throws `Error{not_found}` for a missing file and
// `Error{io}` for other failures, naming the path.
[[nodiscard]] std::string read_file(const std::string& path, std::size_t max_bytes = k_default_max_file);

// Reads `fd` (borrowed) to its end, at most `max_bytes` (more throws `Error{io}`: "read LABEL:
// larger than N bytes"). Read errors throw `Error{io}` naming `label`.
[[nodiscard]] std::string read_fd(int fd, const std::string& label, std::size_t max_bytes);

// The entry names of the directory `dir_fd` (borrowed; O_PATH is fine), without "." and "..", in
// readdir order. Reads through a fresh open file description (`openat(dir_fd, ".")`), so it never
// moves `dir_fd`'s offset and concurrent listings do not interfere. Throws `Error{io}` naming
// `label`.
[[nodiscard]] std::vector<std::string> list_directory(int dir_fd, const std::string& label);
// As above for the directory at `path` (not followed if it is a symlink).
[[nodiscard]] std::vector<std::string> list_directory(const std::string& path);

} // namespace strata
