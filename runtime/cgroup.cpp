#include "runtime/cgroup.hpp"

#include "common/error.hpp"
#include "common/quote.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

namespace strata::runtime {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto k_freeze_timeout = 5s;
constexpr auto k_kill_timeout = 10s;
constexpr auto k_rmdir_timeout = 2s;

void validate_name(std::string_view name) {
  std::string_view rest = name;
  bool ok = !name.empty() && name.find('\0') == std::string_view::npos;
  while (ok && !rest.empty()) {
    const auto component = rest.substr(0, rest.find('/'));
    ok = !component.empty() && component != "." && component != ".." && component.size() < 256;
    rest = component.size() == rest.size() ? std::string_view{} : rest.substr(component.size() + 1);
    ok = ok && !(rest.empty() && name.back() == '/');
  }
  if (!ok) {
    throw Error(ErrorKind::usage, fmt::format("invalid cgroup name {}", quote_untrusted(name)));
  }
}

// Sleeps a little longer each time: the first checks are cheap and usually succeed.
void backoff(int attempt) {
  std::this_thread::sleep_for(attempt < 20 ? 1ms : 10ms);
}

[[noreturn]] void throw_file_error(std::string_view op, const std::string& path, int err,
                                   std::string_view hint = {}) {
  throw Error(ErrorKind::io, fmt::format("{} {}: {}{}", op, path, std::strerror(err), hint), err);
}

// Writes `content` to an existing control file (cgroupfs files are never created).
void write_control(const std::string& path, std::string_view content) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    throw_file_error("write", path, errno);
  }
  if (::write(fd.get(), content.data(), content.size()) < 0) {
    const int err = errno; // before formatting, which may clobber it
    throw_file_error(fmt::format("write {} to", content), path, err);
  }
}

std::string read_control(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw_file_error("read", path, errno);
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof(buf))) > 0) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  if (n < 0) {
    throw_file_error("read", path, errno);
  }
  return text;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool has_word(const std::string& text, std::string_view word) {
  std::istringstream in(text);
  for (std::string w; in >> w;) {
    if (w == word) {
      return true;
    }
  }
  return false;
}

// `cgroup.events` has "key value" lines; true when `key` is "1".
bool event_set(const std::string& events, std::string_view key) {
  std::istringstream in(events);
  for (std::string k, v; in >> k >> v;) {
    if (k == key) {
      return v == "1";
    }
  }
  return false;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.pop_back();
  }
  return s;
}

void mkdir_one(const std::string& path, bool must_be_new) {
  if (::mkdir(path.c_str(), 0755) == 0) {
    return;
  }
  if (errno != EEXIST) {
    throw_file_error("create cgroup", path, errno);
  }
  if (must_be_new) {
    throw Error(ErrorKind::already_exists, fmt::format("cgroup {} already exists", path), EEXIST);
  }
}

} // namespace

Cgroup Cgroup::create(std::string_view name, const CgroupLimits& limits) {
  return create(detect_cgroup_layout(), name, limits);
}

Cgroup Cgroup::create(const CgroupLayout& layout, std::string_view name,
                      const CgroupLimits& limits) {
  validate_name(name);
  Cgroup cg(layout, std::string(name));
  if (layout.version == CgroupVersion::v2) {
    cg.enable_v2_controllers(limits);
  }
  cg.make_directories();
  ScopeExit undo([&] {
    try {
      cg.destroy();
    } catch (const Error&) {
      std::ignore = 0; // the original failure is the one to report
    }
  });
  cg.write_limits(limits);
  undo.release();
  return cg;
}

std::optional<Cgroup> Cgroup::open(std::string_view name) {
  return open(detect_cgroup_layout(), name);
}

std::optional<Cgroup> Cgroup::open(const CgroupLayout& layout, std::string_view name) {
  validate_name(name);
  Cgroup cg(layout, std::string(name));
  const auto all = cg.dirs();
  if (std::none_of(all.begin(), all.end(), exists)) {
    return std::nullopt;
  }
  return cg;
}

std::optional<std::string> Cgroup::dir(std::string_view controller) const {
  if (layout_.version == CgroupVersion::v2) {
    return layout_.unified + "/" + name_;
  }
  const auto it = layout_.v1.find(std::string(controller));
  if (it == layout_.v1.end()) {
    return std::nullopt;
  }
  return it->second + "/" + name_;
}

std::vector<std::string> Cgroup::dirs() const {
  if (layout_.version == CgroupVersion::v2) {
    return {layout_.unified + "/" + name_};
  }
  std::set<std::string> unique; // co-mounted controllers (cpu,cpuacct) share one directory
  for (const auto& [controller, mount] : layout_.v1) {
    unique.insert(mount + "/" + name_);
  }
  return {unique.begin(), unique.end()};
}

std::string Cgroup::primary_dir() const {
  for (const char* c : {"freezer", "pids", "memory", "cpu"}) {
    if (auto d = dir(c)) {
      return *d;
    }
  }
  throw Error(ErrorKind::unsupported, "no cgroup hierarchy for " + name_);
}

void Cgroup::make_directories() const {
  for (const auto& leaf : dirs()) {
    // Parents first; the root of the hierarchy is the mount point and always exists.
    for (auto slash = leaf.find('/', leaf.size() - name_.size()); slash != std::string::npos;
         slash = leaf.find('/', slash + 1)) {
      mkdir_one(leaf.substr(0, slash), false);
    }
    mkdir_one(leaf, true);
  }
}

// v2 limits need their controllers enabled in `cgroup.subtree_control` of every ancestor, from
// the root down to the parent of the leaf (the "no internal processes" rule keeps these
// intermediate directories free of processes, so the writes succeed).
void Cgroup::enable_v2_controllers(const CgroupLimits& limits) const {
  const std::string offered = read_control(layout_.unified + "/cgroup.controllers");
  std::vector<std::string> wanted;
  for (const auto& file : cgroup_limit_files(CgroupVersion::v2, limits)) {
    if (!has_word(offered, file.controller)) {
      throw_file_error("write", layout_.unified + "/" + name_ + "/" + file.file, ENOENT,
                       fmt::format(" (the {} controller is not available in {}/cgroup.controllers)",
                                   file.controller, layout_.unified));
    }
    if (std::find(wanted.begin(), wanted.end(), file.controller) == wanted.end()) {
      wanted.push_back(file.controller);
    }
  }
  std::string parent = layout_.unified;
  std::string_view rest = name_;
  for (auto slash = rest.find('/');; slash = rest.find('/')) {
    for (const auto& c : wanted) {
      if (!has_word(read_control(parent + "/cgroup.subtree_control"), c)) {
        write_control(parent + "/cgroup.subtree_control", "+" + c);
      }
    }
    if (slash == std::string_view::npos) {
      break;
    }
    parent += "/" + std::string(rest.substr(0, slash));
    mkdir_one(parent, false);
    rest.remove_prefix(slash + 1);
  }
}

void Cgroup::write_limits(const CgroupLimits& limits) const {
  for (const auto& file : cgroup_limit_files(layout_.version, limits)) {
    const auto d = dir(file.controller);
    if (!d) {
      throw Error(ErrorKind::io,
                  fmt::format("write {}: the cgroup v1 {} controller is not mounted", file.file,
                              file.controller),
                  ENOENT);
    }
    const std::string path = *d + "/" + file.file;
    if (file.optional && !exists(path)) {
      continue;
    }
    write_control(path, file.content);
  }
}

void Cgroup::add_process(pid_t pid) const {
  for (const auto& d : dirs()) {
    write_control(d + "/cgroup.procs", std::to_string(pid));
  }
}

std::uint64_t Cgroup::oom_kills() const {
  std::string path;
  if (layout_.version == CgroupVersion::v2) {
    path = layout_.unified + "/" + name_ + "/memory.events";
  } else if (const auto d = dir("memory")) {
    path = *d + "/memory.oom_control";
  } else {
    return 0;
  }
  try {
    std::istringstream in(read_control(path));
    std::string key;
    std::uint64_t value = 0;
    while (in >> key >> value) {
      if (key == "oom_kill") {
        return value;
      }
    }
  } catch (const Error&) {
    return 0;
  }
  return 0;
}

std::vector<pid_t> Cgroup::pids() const {
  std::istringstream in(read_control(primary_dir() + "/cgroup.procs"));
  std::vector<pid_t> out;
  for (pid_t pid; in >> pid;) {
    out.push_back(pid);
  }
  return out;
}

void Cgroup::freeze() const {
  std::string path;
  if (layout_.version == CgroupVersion::v2) {
    path = layout_.unified + "/" + name_ + "/cgroup.freeze";
  } else if (const auto d = dir("freezer")) {
    path = *d + "/freezer.state";
  } else {
    throw Error(ErrorKind::io,
                "write freezer.state: the cgroup v1 freezer controller is not mounted", ENOENT);
  }
  const bool v2 = layout_.version == CgroupVersion::v2;
  const auto deadline = Clock::now() + k_freeze_timeout;
  for (int attempt = 0; Clock::now() < deadline; ++attempt) {
    // v1 can stay FREEZING when a task is in an uninterruptible sleep; asking again (as runc
    // does) lets the kernel retry the tasks it skipped.
    if (attempt % 10 == 0) {
      write_control(path, v2 ? "1" : "FROZEN");
    }
    if (is_frozen()) {
      return;
    }
    backoff(attempt);
  }
  thaw();
  throw Error(ErrorKind::io, fmt::format("freeze {}: timed out", path), ETIMEDOUT);
}

void Cgroup::thaw() const {
  if (layout_.version == CgroupVersion::v2) {
    write_control(layout_.unified + "/" + name_ + "/cgroup.freeze", "0");
  } else if (const auto d = dir("freezer")) {
    write_control(*d + "/freezer.state", "THAWED");
  } else {
    throw Error(ErrorKind::io,
                "write freezer.state: the cgroup v1 freezer controller is not mounted", ENOENT);
  }
}

bool Cgroup::is_frozen() const {
  try {
    if (layout_.version == CgroupVersion::v2) {
      return event_set(read_control(layout_.unified + "/" + name_ + "/cgroup.events"), "frozen");
    }
    const auto d = dir("freezer");
    return d && trim(read_control(*d + "/freezer.state")) == "FROZEN";
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT) {
      return false; // removed meanwhile (its last process exited and its monitor cleaned up)
    }
    throw;
  }
}

void Cgroup::signal_each(int sig) const {
  const bool can_freeze = layout_.version == CgroupVersion::v2 || dir("freezer").has_value();
  if (can_freeze) {
    freeze();
  }
  for (const pid_t pid : pids()) {
    if (::kill(pid, sig) != 0 && errno != ESRCH) {
      const int err = errno;
      if (can_freeze) {
        thaw();
      }
      throw_errno("kill", std::to_string(pid), err);
    }
  }
  if (can_freeze) {
    thaw(); // frozen tasks act on SIGKILL only once thawed
  }
}

void Cgroup::kill_all(int sig) const {
  bool kernel_kills = false;
  if (sig == SIGKILL && layout_.version == CgroupVersion::v2) {
    const std::string path = layout_.unified + "/" + name_ + "/cgroup.kill";
    kernel_kills = exists(path);
    if (kernel_kills) {
      write_control(path, "1");
    }
  }
  if (sig != SIGKILL) {
    signal_each(sig);
    return;
  }
  const auto deadline = Clock::now() + k_kill_timeout;
  for (int attempt = 0; !pids().empty(); ++attempt) {
    if (Clock::now() >= deadline) {
      throw Error(ErrorKind::io, fmt::format("kill cgroup {}: processes remain", name_), EBUSY);
    }
    if (!kernel_kills && attempt % 10 == 0) {
      signal_each(SIGKILL);
    }
    backoff(attempt);
  }
}

void Cgroup::destroy() const {
  for (const auto& d : dirs()) {
    const auto deadline = Clock::now() + k_rmdir_timeout;
    for (int attempt = 0; ::rmdir(d.c_str()) != 0; ++attempt) {
      if (errno == ENOENT) {
        break;
      }
      if (errno != EBUSY || Clock::now() >= deadline) {
        throw_file_error("remove cgroup", d, errno);
      }
      backoff(attempt);
    }
  }
}

} // namespace strata::runtime
