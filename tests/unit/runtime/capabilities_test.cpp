#include "runtime/capabilities.hpp"

#include "common/error.hpp"
#include "unit/runtime/child_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/capability.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace strata::runtime {
namespace {

constexpr std::uint64_t k_docker_mask = 0x00000000a80425fbULL;

TEST(Capabilities, DockerDefaultMask) {
  EXPECT_EQ(docker_default_capabilities().mask(), k_docker_mask);
  const auto names = docker_default_capabilities().names();
  ASSERT_EQ(names.size(), 14U);
  EXPECT_EQ(names.front(), "CAP_CHOWN");
  EXPECT_EQ(names.back(), "CAP_SETFCAP");
}

TEST(Capabilities, ParsesDockersSpellings) {
  EXPECT_EQ(parse_capability("NET_ADMIN"), CAP_NET_ADMIN);
  EXPECT_EQ(parse_capability("cap_net_admin"), CAP_NET_ADMIN);
  EXPECT_EQ(parse_capability("Cap_Sys_Admin"), CAP_SYS_ADMIN);
  EXPECT_EQ(parse_capability("sys_ptrace"), CAP_SYS_PTRACE);
  EXPECT_EQ(parse_capability("CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  EXPECT_EQ(capability_name(63), "63");
}

TEST(Capabilities, UnknownCapabilityIsAUsageErrorNamingIt) {
  try {
    std::ignore = parse_capability("net_bogus");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_STREQ(e.what(), "unknown capability: \"CAP_NET_BOGUS\"");
  }
  for (const char* bad : {"", "CAP_", "CAP_ALL", " CHOWN", "CHOWN "}) {
    EXPECT_THROW(std::ignore = parse_capability(bad), Error) << bad;
  }
  const std::vector<std::string> add{"chown", "what"};
  EXPECT_THROW(std::ignore = resolve_capabilities(docker_default_capabilities(), add, {}), Error);
}

CapabilitySet resolve(std::vector<std::string> add, std::vector<std::string> drop) {
  return resolve_capabilities(docker_default_capabilities(), add, drop);
}

TEST(Capabilities, AddAndDropArithmetic) {
  EXPECT_EQ(resolve({}, {}).mask(), k_docker_mask);
  const auto with_admin = resolve({"SYS_ADMIN"}, {"NET_RAW", "cap_mknod"});
  EXPECT_TRUE(with_admin.has(CAP_SYS_ADMIN));
  EXPECT_FALSE(with_admin.has(CAP_NET_RAW));
  EXPECT_FALSE(with_admin.has(CAP_MKNOD));
  EXPECT_TRUE(with_admin.has(CAP_CHOWN));
  // Dropping something not in the set and adding something already there are no-ops.
  EXPECT_EQ(resolve({"CHOWN"}, {"SYS_ADMIN"}).mask(), k_docker_mask);
}

TEST(Capabilities, AllInAddOrDrop) {
  EXPECT_EQ(resolve({"all"}, {}), all_capabilities());
  const auto all_but = resolve({"ALL"}, {"SYS_ADMIN"});
  EXPECT_FALSE(all_but.has(CAP_SYS_ADMIN));
  EXPECT_TRUE(all_but.has(CAP_SYS_MODULE));
  EXPECT_TRUE(all_but.has(40));
  EXPECT_FALSE(all_but.has(41));
  // Drop ALL keeps only the adds, even ones in the default set.
  const auto only = resolve({"chown", "NET_BIND_SERVICE"}, {"all"});
  CapabilitySet expected;
  expected.add(CAP_CHOWN);
  expected.add(CAP_NET_BIND_SERVICE);
  EXPECT_EQ(only, expected);
  EXPECT_TRUE(resolve({}, {"ALL"}).is_empty());
  // ALL in both: moby checks the add side first.
  EXPECT_EQ(resolve({"ALL"}, {"ALL"}), all_capabilities());
}

TEST(Capabilities, PrivilegedGetsEverything) {
  EXPECT_EQ(resolve_capabilities(docker_default_capabilities(), {}, {}, Privileged::yes),
            all_capabilities());
}

std::string status_line(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + ":")) {
      return line.substr(key.size() + 2);
    }
  }
  return {};
}

TEST(Capabilities, ApplyInChildGivesDockersSets) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (CAP_SETPCAP to shrink the bounding set)";
  }
  const auto result = testing::run_in_child([](int out) {
    if (const int err = apply_capabilities(docker_default_capabilities()); err != 0) {
      testing::child_write(out, "apply failed");
      return err;
    }
    std::ifstream in("/proc/self/status");
    std::stringstream text;
    text << in.rdbuf();
    testing::child_write(out, text.str());
    return 0;
  });
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(status_line(result.output, "CapEff"), "00000000a80425fb");
  EXPECT_EQ(status_line(result.output, "CapPrm"), "00000000a80425fb");
  EXPECT_EQ(status_line(result.output, "CapBnd"), "00000000a80425fb");
  EXPECT_EQ(status_line(result.output, "CapInh"), "0000000000000000");
  EXPECT_EQ(status_line(result.output, "CapAmb"), "0000000000000000");
}

} // namespace
} // namespace strata::runtime
