#include "cli/store_access.hpp"

#include <cerrno>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/human.hpp"

namespace strata::cli {

store::ImageStore open_store(const GlobalOptions& global) {
  return store::ImageStore::open(global.root);
}

store::ContainerStore open_containers(const GlobalOptions& global) {
  try {
    return store::ContainerStore(global.root);
  } catch (const Error& e) {
    if (e.sys_errno() != ENOENT) {
      throw;
    }
  }
  std::ignore = open_store(global); // a new root: make the OCI layout first
  return store::ContainerStore(global.root);
}

store::Reference parse_reference_argument(const std::string& text) {
  try {
    return store::Reference::parse(text);
  } catch (const Error& e) {
    throw Error(ErrorKind::unsupported, e.what());
  }
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string creation_time() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    char* end = nullptr;
    const long long seconds = std::strtoll(epoch, &end, 10);
    if (*end != '\0' || seconds < 0) {
      throw Error(ErrorKind::usage, fmt::format("invalid SOURCE_DATE_EPOCH: {}", epoch));
    }
    return store::format_rfc3339(seconds);
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds);
  return store::format_rfc3339(seconds.count(), static_cast<long>(nanos.count()));
}

std::string created_since(const std::string& rfc3339) {
  const auto when = store::parse_rfc3339(rfc3339);
  if (!when) {
    return "N/A";
  }
  const std::int64_t age = std::max<std::int64_t>(0, now_seconds() - *when);
  return human_duration(std::chrono::seconds(age)) + " ago";
}

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}

} // namespace strata::cli
