// `strata logs [-f] [-t] [--tail N|all] [--since T] [--until T] CONTAINER`: prints the container's
// json-file log (store/container_store.hpp: one {"log","stream","time"} object per line) as
// docker does: each entry's text to stdout or stderr by its stream, `-t` prefixing the time with
// nine fraction digits, `--tail` keeping the last N entries, and `-f` following the file until
// the container is no longer running.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/container_rows.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "store/image.hpp"

namespace strata::cli {
namespace {

constexpr std::int64_t k_second = 1'000'000'000;
constexpr auto k_follow_interval = std::chrono::milliseconds(100);

struct LogsOptions {
  std::string container;
  bool follow = false;
  bool timestamps = false;
  std::string tail = "all";
  std::string since;
  std::string until;
};

struct LogEntry {
  std::string text;
  bool is_stderr = false;
  std::int64_t time = 0; // nanoseconds since the epoch
};

// One line of the json-file log; nullopt when it is not a log object.
std::optional<LogEntry> parse_entry(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  const auto log = j.find("log");
  const auto stream = j.find("stream");
  const auto time = j.find("time");
  if (log == j.end() || !log->is_string()) {
    return std::nullopt;
  }
  LogEntry entry;
  entry.text = log->get<std::string>();
  entry.is_stderr = stream != j.end() && stream->is_string() && *stream == "stderr";
  entry.time = time != j.end() && time->is_string() ? rfc3339_nanos(time->get<std::string>()) : 0;
  return entry;
}

// docker's RFC3339NanoFixed in UTC: "2024-01-02T03:04:05.120000000Z".
std::string fixed_time(std::int64_t nanos) {
  std::string text = store::format_rfc3339(nanos / k_second);
  text.pop_back(); // the 'Z'
  return fmt::format("{}.{:09}Z", text, nanos % k_second);
}

// A Go duration ("90s", "1h30m", "1.5h", "250ms"), in nanoseconds; nullopt when it is not one.
std::optional<std::int64_t> parse_go_duration(std::string_view text) {
  static constexpr std::pair<std::string_view, double> k_units[] = {
      {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
      ++i;
    }
    if (i == start) {
      return std::nullopt;
    }
    const double number = std::stod(std::string(text.substr(start, i - start)));
    const auto unit = std::find_if(std::begin(k_units), std::end(k_units), [&](const auto& u) {
      return text.substr(i).starts_with(u.first) &&
             // "m" must not take the "m" of "ms"
             !(u.first == "m" && text.substr(i).starts_with("ms"));
    });
    if (unit == std::end(k_units)) {
      return std::nullopt;
    }
    total += number * unit->second;
    i += unit->first.size();
  }
  return i == 0 ? std::nullopt : std::optional<std::int64_t>(static_cast<std::int64_t>(total));
}

// docker's `--since`/`--until` values: a Unix time ("1700000000[.5]"), a duration before now
// ("10m", "1h30m"), or an RFC 3339 time ("2024-01-02T03:04:05Z", a date or a time without a zone
// read as UTC). 0 for empty.
std::int64_t parse_time_spec(const std::string& text, const char* flag, std::int64_t now) {
  if (text.empty()) {
    return 0;
  }
  if (text.find_first_not_of("0123456789.") == std::string::npos) {
    const auto dot = text.find('.');
    const std::int64_t seconds = std::stoll(text.substr(0, dot));
    std::int64_t fraction = 0;
    if (dot != std::string::npos) {
      const std::string digits = (text.substr(dot + 1) + "000000000").substr(0, 9);
      fraction = std::stoll(digits);
    }
    return seconds * k_second + fraction;
  }
  if (const auto duration = parse_go_duration(text)) {
    return now - *duration;
  }
  std::string full = text;
  if (full.size() == 10) {
    full += "T00:00:00";
  }
  if (full.size() == 19) {
    full += "Z";
  }
  if (const std::int64_t when = rfc3339_nanos(full); when != 0) {
    return when;
  }
  throw Error(ErrorKind::usage, fmt::format("invalid value for \"{}\": {}", flag, text));
}

// `--tail`: the number of entries to keep, or -1 for all.
long parse_tail(const std::string& text) {
  if (text == "all") {
    return -1;
  }
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    throw Error(ErrorKind::usage, fmt::format("invalid value for \"tail\": {}", text));
  }
  return n < 0 ? -1 : n;
}

// Writes entries to stdout or stderr by stream, flushing on each change of stream so the two
// keep their relative order on a shared terminal.
class Printer {
public:
  explicit Printer(bool timestamps) : timestamps_(timestamps) {}
  Printer(const Printer&) = delete;
  Printer& operator=(const Printer&) = delete;
  ~Printer() { flush(); }

  void print(const LogEntry& entry) {
    if (entry.is_stderr != to_stderr_ || buffer_.size() > (64U << 10)) {
      flush();
      to_stderr_ = entry.is_stderr;
    }
    if (timestamps_) {
      buffer_ += fixed_time(entry.time) + " ";
    }
    buffer_ += entry.text;
  }

  void flush() noexcept {
    const int fd = to_stderr_ ? STDERR_FILENO : STDOUT_FILENO;
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break; // a closed pipe: nothing more can be shown
      }
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

private:
  bool timestamps_;
  bool to_stderr_ = false;
  std::string buffer_;
};

// The log file read line by line as it grows; a last line without its newline waits for it.
class LogFile {
public:
  explicit LogFile(std::string path) : path_(std::move(path)) {}

  // Calls `on_line` for each complete line appended since the last call. A missing file is empty.
  template <typename F> void read_lines(F&& on_line) {
    if (!fd_.is_valid()) {
      fd_ = UniqueFd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd_.is_valid()) {
        if (errno != ENOENT) {
          throw_errno("open", path_);
        }
        return;
      }
    }
    char chunk[64 << 10];
    for (;;) {
      const ssize_t n = ::read(fd_.get(), chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        throw_errno("read", path_);
      }
      if (n == 0) {
        return;
      }
      pending_.append(chunk, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (auto nl = pending_.find('\n'); nl != std::string::npos;
           nl = pending_.find('\n', start)) {
        on_line(std::string_view(pending_).substr(start, nl - start));
        start = nl + 1;
      }
      pending_.erase(0, start);
    }
  }

private:
  std::string path_;
  UniqueFd fd_;
  std::string pending_;
};

struct Window {
  std::int64_t since = 0; // entries before are skipped
  std::int64_t until = 0; // entries after end the output (0: no end)
};

// Prints one line's entry if it falls inside `window`; false once an entry passes `until`.
bool print_line(std::string_view line, const Window& window, Printer& printer) {
  const auto entry = parse_entry(line);
  if (!entry) {
    log::debug("logs: skipping a malformed line");
    return true;
  }
  if (window.until != 0 && entry->time > window.until) {
    return false;
  }
  if (entry->time >= window.since) {
    printer.print(*entry);
  }
  return true;
}

bool is_running(const store::ContainerStore& containers, const std::string& id) {
  try {
    return containers.read_state(id).effective().is_running();
  } catch (const Error&) {
    return false; // removed while we followed it
  }
}

// What the log holds now: every entry, or only the last `tail` ones (kept in a bounded queue).
// False once an entry passed `until`.
bool print_existing(LogFile& file, long tail, const Window& window, Printer& printer) {
  bool more = true;
  if (tail < 0) {
    file.read_lines(
        [&](std::string_view line) { more = more && print_line(line, window, printer); });
    return more;
  }
  std::deque<std::string> last;
  file.read_lines([&](std::string_view line) {
    last.emplace_back(line);
    if (last.size() > static_cast<std::size_t>(tail)) {
      last.pop_front();
    }
  });
  for (const auto& line : last) {
    more = more && print_line(line, window, printer);
  }
  return more;
}

int run_logs(const GlobalOptions& global, const LogsOptions& options) {
  const long tail = parse_tail(options.tail);
  const std::int64_t now = now_nanos();
  const Window window{parse_time_spec(options.since, "since", now),
                      parse_time_spec(options.until, "until", now)};
  const store::ContainerStore containers = open_containers(global);
  const store::ContainerRecord record = containers.resolve(options.container);
  LogFile file(record.log_path());
  Printer printer(options.timestamps);
  bool more = print_existing(file, tail, window, printer);
  while (options.follow && more) {
    // The state is read before the file: whatever the container wrote before it stopped is
    // already in the file when "not running" is seen, so the last read gets it all.
    const bool running = is_running(containers, record.id);
    file.read_lines(
        [&](std::string_view line) { more = more && print_line(line, window, printer); });
    printer.flush();
    if (!running) {
      break;
    }
    std::this_thread::sleep_for(k_follow_interval);
  }
  return k_exit_ok;
}

} // namespace

Action setup_logs(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LogsOptions>();
  app.add_option("container", options->container, "Container (name, ID or ID prefix)")->required();
  app.add_flag("-f,--follow", options->follow, "Follow log output");
  app.add_flag("-t,--timestamps", options->timestamps, "Show timestamps");
  app.add_option("-n,--tail", options->tail,
                 "Number of lines to show from the end of the logs (default \"all\")");
  app.add_option("--since", options->since,
                 "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
                 "\"42m\" for 42 minutes)");
  app.add_option("--until", options->until,
                 "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
                 "\"42m\" for 42 minutes)");
  return [&global, options] { return run_logs(global, *options); };
}

} // namespace strata::cli
