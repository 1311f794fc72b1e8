#pragma once
// Logging to stderr: `log::debug` only with `--debug` (or STRATA_DEBUG=1), `log::warn` always.
// Thread-safe: each message is written with one write(2) call.

#include <string_view>

#include <fmt/format.h>

namespace strata::log {

enum class Level { debug, info, warn, error };

void set_level(Level level) noexcept;
[[nodiscard]] bool is_enabled(Level level) noexcept;
void write(Level level, std::string_view message) noexcept;

template <typename... Args> void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (is_enabled(Level::debug)) {
    write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args> void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (is_enabled(Level::warn)) {
    write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
  }
}

} // namespace strata::log
