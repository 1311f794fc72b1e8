// Container states and process identities (container_store.hpp): state.json's codec
// (container_state.hpp), `ProcessIdentity` from /proc/PID/stat and the boot ID, `effective()`.

#include "store/container_state.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "store/image.hpp"

#include <time.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

namespace strata::store {
namespace {

using Json = nlohmann::ordered_json;

Json identity_json(const ProcessIdentity& p) {
  return Json{{"Pid", p.pid}, {"StartTime", p.start_time}, {"BootId", p.boot_id}};
}

ProcessIdentity identity_from(const Json& j) {
  ProcessIdentity p;
  if (j.is_object()) {
    p.pid = j.value("Pid", 0);
    p.start_time = j.value("StartTime", std::uint64_t{0});
    p.boot_id = j.value("BootId", std::string());
  }
  return p;
}

ContainerStatus status_from(const std::string& text) {
  for (const ContainerStatus s : {ContainerStatus::created, ContainerStatus::running,
                                  ContainerStatus::paused, ContainerStatus::exited,
                                  ContainerStatus::dead}) {
    if (text == status_name(s)) {
      return s;
    }
  }
  return ContainerStatus::dead;
}

std::string current_boot_id() {
  static const std::string id = [] {
    try {
      std::string text = read_file("/proc/sys/kernel/random/boot_id", 128);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
      }
      return text;
    } catch (const Error&) {
      return std::string();
    }
  }();
  return id;
}

// Field 22 (starttime) of /proc/PID/stat and whether the process is a zombie; nullopt if gone.
std::optional<std::pair<std::uint64_t, bool>> read_stat(pid_t pid) {
  std::string text;
  try {
    text = read_file(fmt::format("/proc/{}/stat", pid), 4096);
  } catch (const Error&) {
    return std::nullopt;
  }
  // The command name (field 2) is in parentheses and may contain anything: parse after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) {
    return std::nullopt;
  }
  const char state = text[close + 2];
  std::size_t pos = close + 2;
  for (int field = 3; field < 22; ++field) {
    pos = text.find(' ', pos);
    if (pos == std::string::npos) {
      return std::nullopt;
    }
    ++pos;
  }
  return std::make_pair(std::strtoull(text.c_str() + pos, nullptr, 10), state == 'Z');
}

} // namespace

std::string state_to_json(const ContainerState& s) {
  const Json j = {{"Status", status_name(s.status)},
                  {"Process", identity_json(s.process)},
                  {"Monitor", identity_json(s.monitor)},
                  {"ExitCode", s.exit_code},
                  {"Error", s.error},
                  {"StartedAt", s.started_at},
                  {"FinishedAt", s.finished_at},
                  {"OOMKilled", s.oom_killed}};
  return j.dump() + "\n";
}

ContainerState state_from_json(const std::string& text, const std::string& label) {
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) {
    throw Error(ErrorKind::corrupt, fmt::format("{}: not a JSON object", label));
  }
  ContainerState s;
  try {
    s.status = status_from(j.value("Status", std::string()));
    s.process = identity_from(j.value("Process", Json()));
    s.monitor = identity_from(j.value("Monitor", Json()));
    s.exit_code = j.value("ExitCode", 0);
    s.error = j.value("Error", std::string());
    s.started_at = j.value("StartedAt", std::string(k_zero_time));
    s.finished_at = j.value("FinishedAt", std::string(k_zero_time));
    s.oom_killed = j.value("OOMKilled", false);
  } catch (const Json::exception& e) {
    throw Error(ErrorKind::corrupt, fmt::format("{}: {}", label, e.what()));
  }
  return s;
}

const char* status_name(ContainerStatus status) noexcept {
  switch (status) {
  case ContainerStatus::created:
    return "created";
  case ContainerStatus::running:
    return "running";
  case ContainerStatus::paused:
    return "paused";
  case ContainerStatus::exited:
    return "exited";
  case ContainerStatus::dead:
    return "dead";
  }
  return "dead";
}

std::optional<ProcessIdentity> ProcessIdentity::of(pid_t pid) {
  const auto stat = read_stat(pid);
  if (!stat || stat->second) {
    return std::nullopt;
  }
  return ProcessIdentity{pid, stat->first, current_boot_id()};
}

bool ProcessIdentity::alive() const {
  if (pid <= 0 || boot_id != current_boot_id()) {
    return false;
  }
  const auto stat = read_stat(pid);
  return stat && !stat->second && stat->first == start_time;
}

ContainerState ContainerState::effective() const {
  if (!is_running() || monitor.alive()) {
    return *this;
  }
  ContainerState s = *this;
  s.status = ContainerStatus::exited;
  s.exit_code = 255;
  s.error = "the container's monitor process died";
  s.process = ProcessIdentity{};
  if (s.finished_at.empty() || s.finished_at == k_zero_time) {
    s.finished_at = started_at;
  }
  return s;
}

std::string now_rfc3339_nano() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::string text = format_rfc3339(now.tv_sec, now.tv_nsec);
  return text;
}

} // namespace strata::store
