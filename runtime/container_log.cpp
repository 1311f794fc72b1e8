// `JsonLog` (container_log.hpp).

#include "runtime/container_log.hpp"

#include "common/error.hpp"
#include "common/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace strata::runtime {
namespace {

constexpr std::size_t k_max_partial = 16 * 1024;

const char* stream_name(LogStream stream) {
  return stream == LogStream::stdout_stream ? "stdout" : "stderr";
}

} // namespace

std::string log_time_now() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  ::gmtime_r(&now.tv_sec, &utc);
  std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900,
                                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  if (now.tv_nsec != 0) {
    std::string nanos = fmt::format("{:09}", now.tv_nsec);
    while (nanos.back() == '0') {
      nanos.pop_back();
    }
    text += "." + nanos;
  }
  return text + "Z";
}

JsonLog::JsonLog(const std::string& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640)),
      path_(path) {
  if (!fd_) {
    throw_errno("open", path);
  }
}

JsonLog::~JsonLog() {
  try {
    close();
  } catch (...) { // NOLINT(bugprone-empty-catch): a destructor never throws
  }
}

void JsonLog::write(LogStream stream, std::string_view bytes) {
  std::string& pending = pending_[static_cast<int>(stream)];
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      pending.append(bytes);
      std::size_t start = 0;
      for (; pending.size() - start >= k_max_partial; start += k_max_partial) {
        emit(stream, std::string_view(pending).substr(start, k_max_partial));
      }
      pending.erase(0, start);
      return;
    }
    pending.append(bytes.substr(0, newline + 1));
    emit(stream, pending);
    pending.clear();
    bytes.remove_prefix(newline + 1);
  }
}

void JsonLog::close() {
  for (const LogStream stream : {LogStream::stdout_stream, LogStream::stderr_stream}) {
    std::string& pending = pending_[static_cast<int>(stream)];
    if (!pending.empty()) {
      emit(stream, pending);
      pending.clear();
    }
  }
}

void JsonLog::emit(LogStream stream, std::string_view line) {
  if (failed_ || !fd_) {
    return;
  }
  const nlohmann::json entry = {{"log", std::string(line)},
                                {"stream", stream_name(stream)},
                                {"time", log_time_now()}};
  // Invalid UTF-8 (binary output) is replaced, as Go's encoder does.
  const std::string text =
      entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      failed_ = true;
      log::warn("container log {}: {}; logging stops", path_, std::strerror(errno));
      return;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

} // namespace strata::runtime
