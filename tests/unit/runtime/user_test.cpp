#include "runtime/user.hpp"

#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace strata::runtime {
namespace {

constexpr const char* k_passwd = "root:x:0:0:root:/root:/bin/sh\n"
                                 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                 "\n"
                                 "  alice:x:1000:1000:Alice:/home/alice:/bin/sh  \n"
                                 "bob:x:1001:100::/home/bob:/bin/sh\n"
                                 "alice:x:2000:2000:dup:/nope:/bin/sh\n";
constexpr const char* k_group = "root:x:0:\n"
                                "wheel:x:10:alice,bob\n"
                                "users:x:100:bob\n"
                                "alice:x:1000:\n"
                                "audio:x:29:carol,alice\n";

class ResolveUser : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_EQ(::mkdir((dir_.path() + "/etc").c_str(), 0755), 0); }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_.path() + "/" + rel) << text;
  }
  void symlink(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), (dir_.path() + "/" + rel).c_str()), 0);
  }
  ExecUser resolve(const std::string& spec) {
    const UniqueFd root(::open(dir_.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    return resolve_user(root.get(), spec);
  }
  std::string error_of(const std::string& spec) {
    try {
      std::ignore = resolve(spec);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  TempDir dir_{"strata-user-"};
};

TEST_F(ResolveUser, NamesAndNumbers) {
  write("etc/passwd", k_passwd);
  write("etc/group", k_group);
  EXPECT_EQ(resolve(""), (ExecUser{0, 0, {}, "/root"}));
  EXPECT_EQ(resolve("root"), (ExecUser{0, 0, {}, "/root"}));
  // First match wins; supplementary groups list every group naming the user.
  EXPECT_EQ(resolve("alice"), (ExecUser{1000, 1000, {10, 29}, "/home/alice"}));
  EXPECT_EQ(resolve("1001"), (ExecUser{1001, 100, {10, 100}, "/home/bob"}));
  // A numeric uid without an entry: gid 0, home "/".
  EXPECT_EQ(resolve("4242"), (ExecUser{4242, 0, {}, "/"}));
}

TEST_F(ResolveUser, ExplicitGroups) {
  write("etc/passwd", k_passwd);
  write("etc/group", k_group);
  // An explicit group replaces the primary gid and drops the supplementary ones.
  EXPECT_EQ(resolve("alice:wheel"), (ExecUser{1000, 10, {}, "/home/alice"}));
  EXPECT_EQ(resolve("alice:29"), (ExecUser{1000, 29, {}, "/home/alice"}));
  EXPECT_EQ(resolve("4242:777"), (ExecUser{4242, 777, {}, "/"}));
  EXPECT_EQ(resolve(":audio"), (ExecUser{0, 29, {}, "/root"}));
  EXPECT_EQ(error_of("alice:nogroup"),
            "unable to find group nogroup: no matching entries in group file");
}

TEST_F(ResolveUser, UnknownNamesUseDockersMessage) {
  write("etc/passwd", k_passwd);
  EXPECT_EQ(error_of("mallory"), "unable to find user mallory: no matching entries in passwd file");
  EXPECT_EQ(error_of("bad\x1bname"),
            "unable to find user \"bad\\x1bname\": no matching entries in passwd file");
  EXPECT_EQ(error_of("-1"), "uids and gids must be in range 0-2147483647");
  EXPECT_EQ(error_of("2147483648"), "uids and gids must be in range 0-2147483647");
}

TEST_F(ResolveUser, MissingFilesStillAllowNumericIds) {
  EXPECT_EQ(resolve("123:456"), (ExecUser{123, 456, {}, "/"}));
  EXPECT_EQ(resolve(""), (ExecUser{0, 0, {}, "/"}));
  EXPECT_EQ(error_of("root"), "unable to find user root: no matching entries in passwd file");
  EXPECT_EQ(error_of("0:wheel"), "unable to find group wheel: no matching entries in group file");
}

TEST_F(ResolveUser, MissingEtcIsLikeMissingFiles) {
  ASSERT_EQ(::rmdir((dir_.path() + "/etc").c_str()), 0);
  write("etc", "not a directory");
  EXPECT_EQ(resolve("7"), (ExecUser{7, 0, {}, "/"}));
}

TEST_F(ResolveUser, EscapingSymlinkResolvesInsideTheRootfs) {
  // The host has /etc/passwd with root; the rootfs's passwd is a symlink climbing out of it. It
  // must land on the rootfs's own /etc/shadow, which names a user the host does not have.
  symlink("/../../../../../../../etc/shadow", "etc/passwd");
  symlink("../../../../../../../../etc/group", "etc/group"); // a loop onto itself, in-root
  write("etc/shadow", "intruder:x:31337:31337::/trap:/bin/sh\n");
  try {
    const ExecUser u = resolve("intruder");
    EXPECT_EQ(u.uid, 31337U);
    EXPECT_EQ(u.home, "/trap");
  } catch (const Error& e) {
    // ELOOP from the self-referencing group symlink is acceptable; a host file is not.
    EXPECT_EQ(e.sys_errno(), ELOOP) << e.what();
  }
  ASSERT_EQ(::unlink((dir_.path() + "/etc/group").c_str()), 0);
  EXPECT_EQ(resolve("intruder"), (ExecUser{31337, 31337, {}, "/trap"}));
  EXPECT_EQ(error_of("root"), "unable to find user root: no matching entries in passwd file");
}

TEST_F(ResolveUser, DanglingEscapeIsAMissingFile) {
  symlink("/../../../../../../etc/passwd-host-only", "etc/passwd");
  EXPECT_EQ(error_of("root"), "unable to find user root: no matching entries in passwd file");
  EXPECT_EQ(resolve("0"), (ExecUser{0, 0, {}, "/"}));
}

TEST_F(ResolveUser, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((dir_.path() + "/etc/passwd").c_str(), 0644), 0);
  EXPECT_NE(error_of("0").find("not a regular file"), std::string::npos);
}

TEST(ResolveUserFromText, GoParsingQuirks) {
  const std::string passwd = "svc:x:notanumber:5:::\nx:x:9:9\n";
  EXPECT_EQ(resolve_user_from("svc", &passwd, nullptr), (ExecUser{0, 5, {}, ""}));
  EXPECT_EQ(resolve_user_from("x:7:extra", &passwd, nullptr), (ExecUser{9, 7, {}, ""}));
  EXPECT_EQ(resolve_user_from("+9", &passwd, nullptr).uid, 9U);
}

} // namespace
} // namespace strata::runtime
