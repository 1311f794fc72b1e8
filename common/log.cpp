#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <string>
#include <tuple>

namespace strata::log {
namespace {
std::atomic<Level> g_level{Level::warn};
}

void set_level(Level level) noexcept { g_level.store(level); }

bool is_enabled(Level level) noexcept { return level >= g_level.load(); }

void write(Level level, std::string_view message) noexcept {
  try {
    std::string line;
    switch (level) {
    case Level::debug: line = "DEBU "; break;
    case Level::info: line = "INFO "; break;
    case Level::warn: line = "WARN "; break;
    case Level::error: line = "ERRO "; break;
    }
    line += message;
    line += '\n';
    std::ignore = ::write(STDERR_FILENO, line.data(), line.size());
  } catch (...) {
    // Logging never throws.
  }
}

} // namespace strata::log
