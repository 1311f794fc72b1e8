#pragma once
// `JsonLog`: a container's log in docker's json-file format (store/container_store.hpp): one
// JSON object per line, `{"log":"text\n","stream":"stdout","time":"2024-01-02T03:04:05.123Z"}`.
// Output is split at newlines as docker's log copier does: each line is one entry (with its
// "\n"); a partial line waits for the rest, up to 16 KiB, and is written as it is at `close()`.
// Each entry is one write(2) on an O_APPEND descriptor, so readers (`logs -f`) never see half
// an entry. A failing write (disk full) is reported once on stderr and logging stops; the
// container keeps running, as docker's.

#include "common/unique_fd.hpp"

#include <string>
#include <string_view>

namespace strata::runtime {

enum class LogStream { stdout_stream, stderr_stream };

class JsonLog {
public:
  // Opens (creating, mode 0640) `path` for appending; `Error{io}` on failure.
  explicit JsonLog(const std::string& path);
  ~JsonLog();
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;

  void write(LogStream stream, std::string_view bytes);
  // Writes the partial lines still buffered.
  void close();

private:
  void emit(LogStream stream, std::string_view line);
  UniqueFd fd_;
  std::string path_;
  std::string pending_[2];
  bool failed_ = false;
};

// docker's time format for log entries and State times: RFC 3339 in UTC with the nanoseconds'
// trailing zeros trimmed (Go's RFC3339Nano).
[[nodiscard]] std::string log_time_now();

} // namespace strata::runtime
