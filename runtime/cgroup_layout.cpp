#include "runtime/cgroup_layout.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace strata::runtime {
namespace {

constexpr std::int64_t k_cfs_period_us = 100000;
constexpr std::int64_t k_min_cfs_quota_us = 1000;

// mountinfo escapes space, tab, newline and backslash as `\ooo`.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto octal = [&](std::size_t k) { return s[k] >= '0' && s[k] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER".
void add_mount(CgroupMounts& mounts, std::string_view line) {
  const auto fields = split(line, ' ');
  const auto dash = std::find(fields.begin(), fields.end(), "-");
  if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) {
    return;
  }
  const std::string mount_point = unescape(fields[4]);
  const std::string& fstype = dash[1];
  if (fstype == "cgroup2" && !mounts.unified) {
    mounts.unified = mount_point;
  } else if (fstype == "cgroup") {
    for (const auto& option : split(dash[3], ',')) {
      const auto* known =
          std::find(std::begin(k_cgroup_v1_controllers), std::end(k_cgroup_v1_controllers), option);
      if (known != std::end(k_cgroup_v1_controllers)) {
        mounts.v1.emplace(option, mount_point);
      }
    }
  }
}

bool lists(std::string_view words, std::string_view word) {
  std::istringstream in{std::string(words)};
  for (std::string w; in >> w;) {
    if (w == word) {
      return true;
    }
  }
  return false;
}

} // namespace

CgroupMounts parse_cgroup_mounts(std::string_view mountinfo) {
  CgroupMounts mounts;
  for (const auto& line : split(mountinfo, '\n')) {
    add_mount(mounts, line);
  }
  return mounts;
}

CgroupLayout choose_cgroup_layout(const CgroupMounts& mounts,
                                  std::string_view v2_root_controllers) {
  CgroupLayout layout;
  if (mounts.unified && (mounts.v1.empty() || lists(v2_root_controllers, "memory"))) {
    layout.version = CgroupVersion::v2;
    layout.unified = *mounts.unified;
    return layout;
  }
  if (mounts.v1.empty()) {
    throw Error(ErrorKind::unsupported, "no cgroup hierarchy is mounted (/proc/self/mountinfo)");
  }
  layout.version = CgroupVersion::v1;
  layout.v1 = mounts.v1;
  return layout;
}

CgroupLayout detect_cgroup_layout() {
  const auto mounts = parse_cgroup_mounts(read_file("/proc/self/mountinfo"));
  std::string controllers;
  if (mounts.unified) {
    try {
      controllers = read_file(*mounts.unified + "/cgroup.controllers", 64 * 1024);
    } catch (const Error&) {
      controllers.clear(); // unreadable: treat as offering nothing
    }
  }
  return choose_cgroup_layout(mounts, controllers);
}

std::vector<CgroupFile> cgroup_limit_files(CgroupVersion version, const CgroupLimits& limits) {
  const bool v2 = version == CgroupVersion::v2;
  std::vector<CgroupFile> files;
  if (limits.memory_bytes && *limits.memory_bytes > 0) {
    const auto bytes = std::to_string(*limits.memory_bytes);
    files.push_back({"memory", v2 ? "memory.max" : "memory.limit_in_bytes", bytes});
    // No swap beyond the memory limit: v2 counts swap separately, v1 memsw counts memory + swap.
    files.push_back(
        {"memory", v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes", v2 ? "0" : bytes, true});
  }
  if (limits.pids_max) {
    files.push_back(
        {"pids", "pids.max", *limits.pids_max > 0 ? std::to_string(*limits.pids_max) : "max"});
  }
  if (limits.cpus && *limits.cpus > 0) {
    const auto quota = std::max<std::int64_t>(
        k_min_cfs_quota_us, std::llround(*limits.cpus * static_cast<double>(k_cfs_period_us)));
    if (v2) {
      files.push_back({"cpu", "cpu.max", fmt::format("{} {}", quota, k_cfs_period_us)});
    } else {
      files.push_back({"cpu", "cpu.cfs_period_us", std::to_string(k_cfs_period_us)});
      files.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(quota)});
    }
  }
  return files;
}

} // namespace strata::runtime
