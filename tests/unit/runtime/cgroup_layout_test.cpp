#include "runtime/cgroup_layout.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

// This machine's shape: v1 hierarchies (cpu and cpuacct apart) plus an empty v2 mount.
constexpr const char* k_hybrid =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A systemd host: optional fields before the dash, cpu co-mounted with cpuacct.
constexpr const char* k_systemd_v1 =
    "25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "26 24 0:23 / /sys/fs/cgroup/pids rw,nosuid shared:10 - cgroup cgroup rw,pids\n";

constexpr const char* k_pure_v2 =
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

TEST(CgroupLayout, ParsesHybridMounts) {
  const auto mounts = parse_cgroup_mounts(k_hybrid);
  ASSERT_TRUE(mounts.unified.has_value());
  EXPECT_EQ(*mounts.unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts.v1.size(), 4U);
  EXPECT_EQ(mounts.v1.at("cpu"), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(mounts.v1.at("freezer"), "/sys/fs/cgroup/freezer");
  EXPECT_EQ(mounts.v1.count("cpuacct"), 0U); // not one strata manages
}

TEST(CgroupLayout, HybridWithEmptyV2UsesV1) {
  const auto layout = choose_cgroup_layout(parse_cgroup_mounts(k_hybrid), "");
  EXPECT_EQ(layout.version, CgroupVersion::v1);
  EXPECT_EQ(layout.v1.at("memory"), "/sys/fs/cgroup/memory");
  // The same mounts whose v2 root offers memory: v2 wins.
  EXPECT_EQ(choose_cgroup_layout(parse_cgroup_mounts(k_hybrid), "cpu io memory pids\n").version,
            CgroupVersion::v2);
}

TEST(CgroupLayout, CoMountedAndOptionalFields) {
  const auto mounts = parse_cgroup_mounts(k_systemd_v1);
  EXPECT_EQ(mounts.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts.v1.at("pids"), "/sys/fs/cgroup/pids");
  EXPECT_FALSE(mounts.unified.has_value());
}

TEST(CgroupLayout, PureV2EvenWithoutControllers) {
  const auto layout = choose_cgroup_layout(parse_cgroup_mounts(k_pure_v2), "");
  EXPECT_EQ(layout.version, CgroupVersion::v2);
  EXPECT_EQ(layout.unified, "/sys/fs/cgroup");
}

TEST(CgroupLayout, EscapedMountPointsAndNothingMounted) {
  const auto mounts =
      parse_cgroup_mounts("1 2 0:1 / /a\\040b rw - cgroup2 cgroup2 rw\nshort line\n");
  EXPECT_EQ(mounts.unified.value_or(""), "/a b");
  EXPECT_THROW(std::ignore = choose_cgroup_layout(parse_cgroup_mounts("junk\n"), ""), Error);
}

std::string render(const std::vector<CgroupFile>& files) {
  std::string out;
  for (const auto& f : files) {
    out += f.controller + ":" + f.file + "=" + f.content + (f.optional ? "?" : "") + "\n";
  }
  return out;
}

TEST(CgroupLimitFiles, V2) {
  const CgroupLimits limits{64 << 20, 100, 1.5};
  EXPECT_EQ(render(cgroup_limit_files(CgroupVersion::v2, limits)), "memory:memory.max=67108864\n"
                                                                   "memory:memory.swap.max=0?\n"
                                                                   "pids:pids.max=100\n"
                                                                   "cpu:cpu.max=150000 100000\n");
}

TEST(CgroupLimitFiles, V1) {
  const CgroupLimits limits{64 << 20, 100, 0.5};
  EXPECT_EQ(render(cgroup_limit_files(CgroupVersion::v1, limits)),
            "memory:memory.limit_in_bytes=67108864\n"
            "memory:memory.memsw.limit_in_bytes=67108864?\n"
            "pids:pids.max=100\n"
            "cpu:cpu.cfs_period_us=100000\n"
            "cpu:cpu.cfs_quota_us=50000\n");
}

TEST(CgroupLimitFiles, UnlimitedAndTinyValues) {
  EXPECT_EQ(render(cgroup_limit_files(CgroupVersion::v2, {})), "");
  EXPECT_EQ(render(cgroup_limit_files(CgroupVersion::v2, {0, -1, 0.0})), "pids:pids.max=max\n");
  EXPECT_EQ(render(cgroup_limit_files(CgroupVersion::v2, {std::nullopt, 0, 0.001})),
            "pids:pids.max=max\ncpu:cpu.max=1000 100000\n");
}

} // namespace
} // namespace strata::runtime
