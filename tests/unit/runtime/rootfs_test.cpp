#include "runtime/etc_files.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/process.hpp"
#include "runtime/rootfs.hpp"

#include "common/error.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <span>
#include <string_view>
#include <tuple>

namespace strata::runtime {
namespace {

ContainerSpec spec_with_lowers(std::vector<std::string> lowers) {
  ContainerSpec spec;
  spec.lower_dirs = std::move(lowers);
  spec.upper_dir = "/c/upper";
  spec.work_dir = "/c/work";
  return spec;
}

TEST(OverlayOptions, AbsolutePathsTopFirst) {
  const OverlayOptions o = overlay_mount_options(spec_with_lowers({"/s/b/fs", "/s/a/fs"}));
  EXPECT_EQ(o.chdir, "");
  EXPECT_EQ(o.options, "lowerdir=/s/b/fs:/s/a/fs,upperdir=/c/upper,workdir=/c/work");
}

TEST(OverlayOptions, ManyLayersBecomeRelativeToTheirCommonParent) {
  std::vector<std::string> lowers;
  for (int i = 0; i < 50; ++i) {
    lowers.push_back(fmt::format("/var/lib/strata/snapshots/{:064x}/fs", i));
  }
  const OverlayOptions o = overlay_mount_options(spec_with_lowers(lowers));
  EXPECT_EQ(o.chdir, "/var/lib/strata/snapshots/");
  EXPECT_TRUE(o.options.starts_with(fmt::format("lowerdir={:064x}/fs:", 0))) << o.options;
  EXPECT_LE(o.options.size(), k_max_mount_options);
}

TEST(OverlayOptions, HundredsOfLayersGoThroughShortLinks) {
  std::vector<std::string> lowers;
  for (int i = 0; i < 200; ++i) {
    lowers.push_back(fmt::format("/s/{:064x}/fs", i));
  }
  ContainerSpec spec = spec_with_lowers(lowers);
  spec.state_dir = "/state";
  const OverlayOptions o = overlay_mount_options(spec);
  EXPECT_EQ(o.chdir, "/state/l");
  EXPECT_TRUE(o.options.starts_with("lowerdir=0:1:2:")) << o.options;
  EXPECT_TRUE(o.options.ends_with(":199,upperdir=/c/upper,workdir=/c/work")) << o.options;
  ASSERT_EQ(o.links.size(), 200U);
  EXPECT_EQ(o.links[0], (std::pair<std::string, std::string>{"0", lowers[0]}));
}

TEST(OverlayOptions, TooManyLayersFailClearly) {
  std::vector<std::string> lowers;
  for (int i = 0; i < 1200; ++i) {
    lowers.push_back(fmt::format("/s/{:064x}/fs", i));
  }
  ContainerSpec spec = spec_with_lowers(lowers);
  spec.state_dir = "/state";
  try {
    std::ignore = overlay_mount_options(spec);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
    EXPECT_NE(std::string_view(e.what()).find("1200 layers"), std::string_view::npos) << e.what();
  }
}

TEST(OverlayOptions, RejectsSeparatorsAndNoLowers) {
  EXPECT_THROW(std::ignore = overlay_mount_options(spec_with_lowers({"/a:b"})), Error);
  EXPECT_THROW(std::ignore = overlay_mount_options(spec_with_lowers({"/a,b"})), Error);
  EXPECT_THROW(std::ignore = overlay_mount_options(spec_with_lowers({})), Error);
}

TEST(RootfsPlan, StateFilesComeFromTheStateDir) {
  ContainerSpec spec = spec_with_lowers({"/l"});
  spec.state_dir = "/state";
  spec.rootfs = "/c/rootfs";
  const RootfsPlan plan = make_rootfs_plan(spec);
  EXPECT_EQ(plan.hosts, "/state/hosts");
  EXPECT_EQ(plan.hostname, "/state/hostname");
  EXPECT_EQ(plan.resolv_conf, "/state/resolv.conf");
  EXPECT_EQ(plan.rootfs, "/c/rootfs");
}

bool listed(std::span<const char* const> list, std::string_view path) {
  return std::any_of(list.begin(), list.end(), [&](const char* p) { return path == p; });
}

TEST(MaskedPaths, DockersLists) {
  for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                           "/proc/scsi", "/proc/acpi", "/sys/firmware", "/proc/latency_stats"}) {
    EXPECT_TRUE(listed(k_masked_paths, path)) << path;
  }
  for (const char* path :
       {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    EXPECT_TRUE(listed(k_readonly_paths, path)) << path;
  }
  for (const char* path : k_masked_paths) {
    EXPECT_FALSE(listed(k_readonly_paths, path)) << path;
  }
}

TEST(ExecPath, SearchesTheContainerPathInOrder) {
  const std::vector<std::string> env = {"A=1", "PATH=/usr/bin:/bin/:relative::/sbin"};
  EXPECT_EQ(exec_candidates("ls", env),
            (std::vector<std::string>{"/usr/bin/ls", "/bin/ls", "/sbin/ls"}));
}

TEST(ExecPath, DefaultPathWhenUnset) {
  EXPECT_EQ(exec_candidates("sh", {}).size(), 6U);
  EXPECT_EQ(exec_candidates("sh", {}).front(), "/usr/local/sbin/sh");
  EXPECT_EQ(path_of_env({"PATHX=1"}), k_default_path);
}

TEST(ExecPath, SlashMeansNoSearch) {
  EXPECT_EQ(exec_candidates("/bin/sh", {"PATH=/x"}), (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(exec_candidates("./run", {"PATH=/x"}), (std::vector<std::string>{"./run"}));
  EXPECT_TRUE(exec_candidates("", {}).empty());
}

TEST(ExecPath, DockerExitStatuses) {
  EXPECT_EQ(exec_failure_status(ENOENT), 127);
  EXPECT_EQ(exec_failure_status(ENOTDIR), 127);
  EXPECT_EQ(exec_failure_status(EACCES), 126);
  EXPECT_EQ(exec_failure_status(ENOEXEC), 126);
  EXPECT_EQ((ContainerExit{ContainerExit::How::signaled, 9}.status()), 137);
  EXPECT_EQ((ContainerExit{ContainerExit::How::exited, 3}.status()), 3);
  EXPECT_EQ((ContainerExit{ContainerExit::How::exec_failed, ENOENT}.status()), 127);
}

TEST(EtcFiles, ResolvConfDropsLocalhostNameservers) {
  EXPECT_EQ(container_resolv_conf("search x\nnameserver 127.0.0.53\nnameserver 10.0.0.1\n"),
            "search x\nnameserver 10.0.0.1\n");
  EXPECT_EQ(container_resolv_conf("nameserver 127.0.0.1\n"),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

} // namespace
} // namespace strata::runtime
