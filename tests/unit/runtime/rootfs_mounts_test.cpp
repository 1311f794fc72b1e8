// plan_mounts: -v/--tmpfs validation and the strings the child uses.

#include "runtime/rootfs.hpp"

#include "common/error.hpp"
#include "common/temp_dir.hpp"

#include <sys/mount.h>

#include <fstream>

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

MountSpec bind_mount(std::string source, std::string destination, bool read_only = false) {
  MountSpec m;
  m.type = MountSpec::Type::bind;
  m.source = std::move(source);
  m.destination = std::move(destination);
  m.read_only = read_only;
  return m;
}

MountSpec tmpfs(std::string destination, std::string options) {
  MountSpec m;
  m.type = MountSpec::Type::tmpfs;
  m.destination = std::move(destination);
  m.options = std::move(options);
  return m;
}

TEST(PlanMounts, PrefixesOfTheDestination) {
  TempDir dir;
  const auto planned = plan_mounts({bind_mount(dir.path(), "/a//b/./c/")});
  ASSERT_EQ(planned.size(), 1U);
  EXPECT_EQ(planned[0].prefixes, (std::vector<std::string>{"a", "a/b", "a/b/c"}));
  EXPECT_FALSE(planned[0].target_is_file);
  EXPECT_EQ(planned[0].flags, 0UL);
}

TEST(PlanMounts, ReadOnlyBindAndFileSource) {
  TempDir dir;
  const std::string file = dir.path() + "/f";
  std::ofstream(file) << "x";
  const auto planned = plan_mounts({bind_mount(file, "/etc/motd", true)});
  EXPECT_TRUE(planned[0].target_is_file);
  EXPECT_EQ(planned[0].flags, static_cast<unsigned long>(MS_RDONLY));
}

TEST(PlanMounts, RefusesEscapesAndRoot) {
  TempDir dir;
  EXPECT_THROW(std::ignore = plan_mounts({bind_mount(dir.path(), "relative")}), Error);
  EXPECT_THROW(std::ignore = plan_mounts({bind_mount(dir.path(), "/a/../../etc")}), Error);
  EXPECT_THROW(std::ignore = plan_mounts({bind_mount(dir.path(), "/")}), Error);
  EXPECT_THROW(std::ignore = plan_mounts({bind_mount(dir.path() + "/missing", "/data")}), Error);
}

TEST(PlanMounts, TmpfsOptionsAsDocker) {
  const auto defaults = plan_mounts({tmpfs("/run", "")});
  EXPECT_EQ(defaults[0].flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_NOEXEC));
  EXPECT_EQ(defaults[0].data, "");
  const auto custom = plan_mounts({tmpfs("/run", "size=64m,exec,mode=1777,ro")});
  EXPECT_EQ(custom[0].flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(custom[0].data, "size=64m,mode=1777");
  EXPECT_THROW(std::ignore = plan_mounts({tmpfs("/run", "bogus=1")}), Error);
}

} // namespace
} // namespace strata::runtime
