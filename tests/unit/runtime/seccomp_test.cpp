#include "runtime/seccomp.hpp"

#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "unit/runtime/child_support.hpp"

#include <gtest/gtest.h>

#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace strata::runtime {
namespace {

// In a forked child: no_new_privs, install `program`, then run `probe`; the exit code is 0 when
// every expectation held, else a small number naming the failed check.
template <typename Probe>
testing::ChildResult run_confined(const SeccompProgram& program, Probe probe) {
  return testing::run_in_child([&](int out) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || program.install() != 0) {
      testing::child_write(out, "install failed");
      return 100;
    }
    return probe(out);
  });
}

// `errno` of a raw system call, 0 on success.
int err_of(long rc) {
  return rc < 0 ? errno : 0;
}

TEST(Seccomp, DefaultProfileAllowsTheCommonAndBlocksTheDangerous) {
  const auto program = compile_seccomp(default_seccomp_profile(), docker_default_capabilities());
  ASSERT_GT(program.code().size(), 100U);
  const auto result = run_confined(program, [](int out) {
    if (::getpid() <= 0 || ::access("/", F_OK) != 0) {
      return 1;
    }
    const pid_t child = ::fork(); // clone without namespace flags is allowed
    if (child == 0) {
      ::_exit(0);
    }
    if (child < 0) {
      return 2;
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    const struct {
      int got;
      int want;
      const char* what;
    } checks[] = {
        {err_of(::unshare(CLONE_NEWUSER)), EPERM, "unshare"},
        {err_of(::syscall(SYS_keyctl, 0, 0, 0, 0, 0)), EPERM, "keyctl"},
        {err_of(::syscall(SYS_add_key, "user", "x", "y", 1, 0)), EPERM, "add_key"},
        {err_of(::syscall(SYS_kexec_load, 0, 0, nullptr, 0)), EPERM, "kexec_load"},
        {err_of(::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr)), EPERM, "mount"},
        {err_of(::syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0)), EPERM, "clone(NEWNS)"},
        {err_of(::syscall(SYS_clone3, nullptr, 0)), ENOSYS, "clone3"},
        {err_of(::socket(40 /* AF_VSOCK */, SOCK_STREAM, 0)), EPERM, "socket(AF_VSOCK)"},
        {err_of(::personality(0xffffffff)), 0, "personality(query)"},
        {err_of(::personality(READ_IMPLIES_EXEC)), EPERM, "personality(READ_IMPLIES_EXEC)"},
    };
    int failures = 0;
    for (const auto& c : checks) {
      if (c.got != c.want) {
        testing::child_write(out, std::string(c.what) + " errno " + std::to_string(c.got) + "\n");
        ++failures;
      }
    }
    return failures == 0 ? 0 : 3;
  });
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(Seccomp, SysAdminUnlocksTheNamespaceSyscalls) {
  CapabilitySet caps = docker_default_capabilities();
  caps.add(CAP_SYS_ADMIN);
  const auto program = compile_seccomp(default_seccomp_profile(), caps);
  const auto result = run_confined(program, [](int out) {
    // Allowed by the filter: any error now comes from the kernel, never the filter's EPERM
    // for clone3 (ENOSYS) — a null clone_args is EFAULT.
    const int e = err_of(::syscall(SYS_clone3, nullptr, 64));
    testing::child_write(out, std::to_string(e));
    return e == EFAULT ? 0 : 1;
  });
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

class SeccompFile : public ::testing::Test {
protected:
  std::string write(const std::string& text) {
    const std::string path = dir_.path() + "/profile.json";
    std::ofstream(path) << text;
    return path;
  }
  TempDir dir_{"strata-seccomp-"};
};

TEST_F(SeccompFile, CustomProfileFromFile) {
  const auto path = write(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"name": "getppid", "action": "SCMP_ACT_ERRNO", "args": null},
      {"names": ["fchmod"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
      {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}
    ]})");
  const auto profile = seccomp_profile_for_option(path);
  ASSERT_TRUE(profile.has_value());
  ASSERT_EQ(profile->syscalls.size(), 4U);
  const auto program = compile_seccomp(*profile, docker_default_capabilities());
  const std::string dir = dir_.path();
  const auto result = run_confined(program, [&](int) {
    const bool ok = err_of(::mkdir((dir + "/x").c_str(), 0755)) == EACCES &&
                    err_of(::syscall(SYS_getppid)) == EPERM && err_of(::fchmod(0, 0777)) == EPERM &&
                    ::getpid() > 0;
    return ok ? 0 : 1;
  });
  EXPECT_EQ(result.exit_code, 0);
}

std::string error_of(const std::string& option) {
  try {
    std::ignore = seccomp_profile_for_option(option);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(SeccompFile, MalformedProfilesNameTheFile) {
  const auto path = write("{\"defaultAction\": \"SCMP_ACT_ALLOW\", ");
  const auto msg = error_of(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("decoding failed"), std::string::npos) << msg;

  write(R"({"defaultAction": "SCMP_ACT_MAYBE"})");
  EXPECT_NE(error_of(path).find("unrecognized seccomp action \"SCMP_ACT_MAYBE\""),
            std::string::npos);
  EXPECT_NE(error_of(path).find(path), std::string::npos);
  write(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
            "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})");
  EXPECT_NE(error_of(path).find("use either 'architectures' or 'archMap'"), std::string::npos);
  write(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
            "action": "SCMP_ACT_ERRNO",
            "args": [{"index": 9, "value": 0, "op": "SCMP_CMP_EQ"}]}]})");
  EXPECT_NE(error_of(path).find("index 9"), std::string::npos);
  write("[]");
  EXPECT_NE(error_of(path).find(path), std::string::npos);
  EXPECT_NE(error_of(dir_.path() + "/missing.json").find("missing.json"), std::string::npos);
}

TEST(SeccompOption, UnconfinedAndBuiltin) {
  EXPECT_FALSE(seccomp_profile_for_option("unconfined").has_value());
  const auto builtin = seccomp_profile_for_option("builtin");
  ASSERT_TRUE(builtin.has_value());
  EXPECT_EQ(builtin->default_action, SeccompAction::errno_ret);
  EXPECT_EQ(builtin->default_errno, 1);
}

TEST(SeccompOption, NotifyIsUnsupported) {
  const auto profile = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_NOTIFY"})", "inline");
  try {
    std::ignore = compile_seccomp(profile, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
  }
}

} // namespace
} // namespace strata::runtime
