#pragma once
// The one error type of strata (STYLE.md §3).
//
// Every failure is thrown as `strata::Error`. It carries a `kind()` that the CLI maps to an exit
// code, the `errno` of the failed system call (0 when none), an optional Dockerfile position and
// context frames added on the way up. `what()` renders outside-in:
//   "step 3/7 RUN make: mount overlay on /x/merged: Device or resource busy".

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

enum class ErrorKind {
  usage,
  parse,
  not_found,
  already_exists,
  conflict, // the operation would break something that uses the object (docker's "conflict:")
  io,
  corrupt,
  child_failed,
  unsupported,
  cancelled, // the user interrupted the operation (Ctrl-C)
  internal,
};

[[nodiscard]] std::string_view to_string(ErrorKind kind);

// A place in a source file. Lines and columns are 1-based; 0 means "unknown".
struct SourceRange {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::uint32_t end_line = 0;
};

// The exception type. Thread-safe to read; not to mutate concurrently.
class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, std::string message, int sys_errno = 0);
  Error(ErrorKind kind, std::string message, SourceRange where);

  [[nodiscard]] ErrorKind kind() const noexcept { return kind_; }
  [[nodiscard]] int sys_errno() const noexcept { return errno_; }
  [[nodiscard]] const std::optional<SourceRange>& where() const noexcept { return where_; }
  // The innermost message, without context frames, position or errno text.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  // The source line shown under a parse error, with a caret under `where()->column`.
  [[nodiscard]] const std::string& source_line() const noexcept { return source_line_; }

  // Adds an outer frame ("step 3/7 RUN make") and returns *this for rethrowing.
  Error& add_context(std::string frame);
  Error& set_source_line(std::string line);

  [[nodiscard]] const char* what() const noexcept override { return rendered_.c_str(); }

private:
  void render();

  ErrorKind kind_;
  int errno_ = 0;
  std::string message_;
  std::optional<SourceRange> where_;
  std::vector<std::string> frames_;
  std::string source_line_;
  std::string rendered_;
};

// Throws `Error{io}` naming the failed operation and its operand, with `errno` captured by the
// caller on the line that failed: `throw_errno("open", path)` → "open /x: No such file or directory".
[[noreturn]] void throw_errno(std::string_view operation, std::string_view operand = {},
                              int err = -1);

// Called by `STRATA_CHECK`. Takes the place as macros give it rather than `std::source_location`,
// which clang 14 (the fuzzing and clang-tidy compiler) cannot use with libstdc++ 12.
[[noreturn]] void throw_check_failure(const char* condition, const char* file, int line,
                                      const char* function);

} // namespace strata

// For broken invariants only, never for user input.
#define STRATA_CHECK(cond)                                                                         \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      ::strata::throw_check_failure(#cond, __FILE__, __LINE__, __func__);                          \
    }                                                                                              \
  } while (false)
