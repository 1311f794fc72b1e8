#pragma once
// Where the cgroup hierarchies are, which version strata uses, and what a limit writes.
//
// Vocabulary:
// - v2 (unified): one `cgroup2` mount; controllers are listed in its `cgroup.controllers` and
//   enabled for children through `cgroup.subtree_control`; freezing (`cgroup.freeze`) and killing
//   (`cgroup.kill`, Linux 5.14) are core files, not controllers.
// - v1: one `cgroup` mount per hierarchy, each carrying one or more controllers named in its
//   super options (`rw,cpu,cpuacct`). strata uses memory, pids, freezer and cpu.
// - hybrid: v1 hierarchies plus a `cgroup2` mount with no controllers (systemd's
//   /sys/fs/cgroup/unified, or this machine's). strata then uses v1: the v2 side cannot limit.
//
// Choice (`choose_cgroup_layout`): v2 when a cgroup2 mount exists and either no v1 hierarchy of
// strata's controllers is mounted or the v2 root offers the memory controller; else v1 when any
// of them is mounted; else `Error{unsupported}`.
//
// Thread-safety: pure functions, except `detect_cgroup_layout`, which reads
// /proc/self/mountinfo and the v2 root's `cgroup.controllers` on every call.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

enum class CgroupVersion { v1, v2 };

// The controllers strata manages on v1 (on v2 the same names, freezer being core).
inline constexpr std::string_view k_cgroup_v1_controllers[] = {"memory", "pids", "freezer", "cpu"};

// The cgroup mounts found in a mountinfo text.
struct CgroupMounts {
  std::optional<std::string> unified;    // the first cgroup2 mount point
  std::map<std::string, std::string> v1; // controller → mount point (first mount wins)
};

struct CgroupLayout {
  CgroupVersion version = CgroupVersion::v2;
  std::string unified;                   // v2: the mount point
  std::map<std::string, std::string> v1; // v1: controller → mount point, strata's only
};

// Resource limits, as `docker run` takes them. Absent = unlimited. Values <= 0 mean unlimited,
// as Docker's 0 and -1 do.
struct CgroupLimits {
  std::optional<std::int64_t> memory_bytes; // -m: no swap on top of it (memsw/swap.max)
  std::optional<std::int64_t> pids_max;     // --pids-limit
  std::optional<double> cpus;               // --cpus: CFS quota over a 100 ms period
};

// One control file a limit writes, relative to the container's cgroup directory of `controller`.
struct CgroupFile {
  std::string controller;
  std::string file;
  std::string content;
  // Files that some kernels lack (swap accounting off): skipped when absent, as Docker warns.
  bool optional = false;
};

// Parses /proc/self/mountinfo text (mount points unescaped: `\040` → space).
[[nodiscard]] CgroupMounts parse_cgroup_mounts(std::string_view mountinfo);

// Applies the choice above; `v2_root_controllers` is the v2 root's `cgroup.controllers` content.
[[nodiscard]] CgroupLayout choose_cgroup_layout(const CgroupMounts& mounts,
                                                std::string_view v2_root_controllers);

// Reads this process's mounts and chooses.
[[nodiscard]] CgroupLayout detect_cgroup_layout();

// The files `limits` writes, in write order (v1: the period before the quota, the memory limit
// before memsw, which may not be set below it):
//   v2: memory.max, memory.swap.max=0 (optional), pids.max, cpu.max "QUOTA 100000";
//   v1: memory.limit_in_bytes, memory.memsw.limit_in_bytes (optional), pids.max,
//       cpu.cfs_period_us=100000, cpu.cfs_quota_us=QUOTA.
// A pids limit <= 0 writes "max"; memory or cpus <= 0 write nothing. QUOTA is at least 1000 µs,
// the kernel's minimum.
[[nodiscard]] std::vector<CgroupFile> cgroup_limit_files(CgroupVersion version,
                                                         const CgroupLimits& limits);

} // namespace strata::runtime
