// `exec_in_container` against a real running container: `run_container` (busybox `sleep`) in a
// forked helper, then processes exec'd into it, each from a forked child whose stdout is
// captured (child_support.hpp). Needs root, overlayfs, cgroups and /bin/busybox
// (busybox-static); skipped otherwise.

#include "runtime/exec_process.hpp"

#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/exec_target.hpp"
#include "runtime/process.hpp"
#include "tests/unit/runtime/child_support.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace strata::runtime {
namespace {

using testing::child_write;
using testing::ChildResult;
using testing::run_in_child;

// /proc/PID/cmdline of the container's PID 1, NULs included.
const std::string k_sleep_cmdline("busybox\0sleep\0"
                                  "1000",
                                  19);

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class ExecProcessTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0 || ::access("/bin/busybox", X_OK) != 0) {
      GTEST_SKIP() << "needs root and /bin/busybox";
    }
    make_rootfs();
    start_container();
  }

  void TearDown() override {
    if (helper_ > 0) {
      // PID 1 killed: run_container returns and removes the cgroup; no PID 1: the helper.
      ::kill(pid1_ > 0 ? pid1_ : helper_, SIGKILL);
      int status = 0;
      ::waitpid(helper_, &status, 0);
    }
  }

  void make_rootfs() {
    const std::string& d = dir_.path();
    for (const char* sub : {"/lower", "/lower/bin", "/lower/etc", "/lower/home", "/lower/home/user",
                            "/upper", "/work", "/rootfs", "/state", "/cache"}) {
      ASSERT_EQ(::mkdir((d + sub).c_str(), 0755), 0) << sub;
    }
    std::ifstream in("/bin/busybox", std::ios::binary);
    std::ofstream out(d + "/lower/bin/busybox", std::ios::binary);
    out << in.rdbuf();
    out.close();
    ASSERT_EQ(::chmod((d + "/lower/bin/busybox").c_str(), 0755), 0);
    std::ofstream(d + "/lower/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                           << "user:x:1000:1000:user:/home/user:/bin/sh\n";
    std::ofstream(d + "/lower/etc/group") << "root:x:0:\nuser:x:1000:\nextra:x:2000:user\n";
    std::ofstream(d + "/lower/only-in-container") << "inside\n";
  }

  // The container runs in a forked helper (run_container blocks until PID 1 exits); its PID 1
  // is found through its cgroup.
  void start_container() {
    ContainerSpec spec;
    const std::string& d = dir_.path();
    spec.lower_dirs = {d + "/lower"};
    spec.upper_dir = d + "/upper";
    spec.work_dir = d + "/work";
    spec.rootfs = d + "/rootfs";
    spec.state_dir = d + "/state";
    spec.hostname = "exec-unit";
    spec.env = {"PATH=/bin"};
    spec.args = {"busybox", "sleep", "1000"};
    spec.cgroup_name = cgroup_name_;
    spec.default_seccomp_cache = d + "/cache";
    helper_ = ::fork();
    ASSERT_GE(helper_, 0);
    if (helper_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      try {
        ::_exit(run_container(spec).status());
      } catch (const Error&) {
        ::_exit(125);
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && pid1_ == 0) {
      // The cgroup's hierarchies appear one by one: one that is not there yet is "not yet".
      try {
        if (const std::optional<Cgroup> cgroup = Cgroup::open(cgroup_name_)) {
          for (const pid_t pid : cgroup->pids()) {
            if (slurp(fmt::format("/proc/{}/cmdline", pid)) == k_sleep_cmdline) {
              pid1_ = pid;
            }
          }
        }
      } catch (const Error&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(pid1_, 0) << "the container did not start";
    start_time_ = process_start_time(pid1_).value_or(0);
    ASSERT_NE(start_time_, 0U);
  }

  [[nodiscard]] ExecSpec exec_spec(std::vector<std::string> args) const {
    ExecSpec spec;
    spec.target = pid1_;
    spec.target_start_time = start_time_;
    spec.cgroup_name = cgroup_name_;
    spec.args = std::move(args);
    spec.env = {"PATH=/bin"};
    spec.default_seccomp_cache = dir_.path() + "/cache";
    return spec;
  }

  // Runs the exec from a forked child with stdout into the result; an `Error` is written out as
  // "ERROR kind errno: what" with exit code 200.
  static ChildResult exec(const ExecSpec& spec) {
    return run_in_child([&spec](int out) {
      if (::dup2(out, STDOUT_FILENO) < 0) {
        return 201;
      }
      try {
        const ContainerExit exit = exec_in_container(spec);
        if (exit.how == ContainerExit::How::exec_failed) {
          child_write(out, fmt::format("exec_failed {}\n", exit.value));
        }
        return exit.status();
      } catch (const Error& e) {
        child_write(out,
                    fmt::format("ERROR {} {}: {}\n", to_string(e.kind()), e.sys_errno(), e.what()));
        return 200;
      }
    });
  }

  TempDir dir_{"strata-exec-"};
  std::string cgroup_name_ = fmt::format("strata/unit-exec-{}", ::getpid());
  pid_t helper_ = 0;
  pid_t pid1_ = 0;
  std::uint64_t start_time_ = 0;
};

TEST_F(ExecProcessTest, SeesTheContainersPidNamespace) {
  const ChildResult r =
      exec(exec_spec({"busybox", "sh", "-c", "echo $$; busybox tr '\\0' ' ' </proc/1/cmdline"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string own_pid = r.output.substr(0, r.output.find('\n'));
  EXPECT_NE(own_pid, "1");
  EXPECT_LT(std::stoi(own_pid), 100) << "a PID of the container's namespace, not the host's";
  EXPECT_NE(r.output.find("busybox sleep 1000"), std::string::npos) << r.output;
}

TEST_F(ExecProcessTest, SeesTheContainersHostnameAndFiles) {
  ASSERT_NE(::access("/only-in-container", F_OK), 0) << "the host must not have the file";
  const ChildResult r =
      exec(exec_spec({"busybox", "sh", "-c", "busybox hostname && cat /only-in-container"}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "exec-unit\ninside\n");
}

TEST_F(ExecProcessTest, WritesLandInTheContainersUpperDir) {
  EXPECT_EQ(exec(exec_spec({"busybox", "touch", "/from-exec"})).exit_code, 0);
  struct stat st {};
  EXPECT_EQ(::stat((dir_.path() + "/upper/from-exec").c_str(), &st), 0);
}

TEST_F(ExecProcessTest, JoinsTheContainersCgroup) {
  const ChildResult r = exec(exec_spec({"busybox", "cat", "/proc/self/cgroup"}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(cgroup_name_), std::string::npos) << r.output;
}

TEST_F(ExecProcessTest, ExitStatusPassesThrough) {
  EXPECT_EQ(exec(exec_spec({"busybox", "sh", "-c", "exit 3"})).exit_code, 3);
  EXPECT_EQ(exec(exec_spec({"busybox", "true"})).exit_code, 0);
}

TEST_F(ExecProcessTest, MissingCommandIs127) {
  const ChildResult r = exec(exec_spec({"no-such-command"}));
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.output, fmt::format("exec_failed {}\n", ENOENT));
}

TEST_F(ExecProcessTest, NonExecutableIs126) {
  const ChildResult r = exec(exec_spec({"/etc/passwd"}));
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_EQ(r.output, fmt::format("exec_failed {}\n", EACCES));
}

TEST_F(ExecProcessTest, CapabilitiesSeccompAndNoNewPrivs) {
  const std::vector<std::string> probe = {
      "busybox", "grep", "-E", "^(CapEff|CapBnd|Seccomp|NoNewPrivs):", "/proc/self/status"};
  ChildResult r = exec(exec_spec(probe));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("CapEff:\t00000000a80425fb"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CapBnd:\t00000000a80425fb"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Seccomp:\t2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NoNewPrivs:\t1"), std::string::npos) << r.output;

  ExecSpec spec = exec_spec(probe);
  spec.capabilities.remove(13); // CAP_NET_RAW
  spec.seccomp.reset();
  r = exec(spec);
  EXPECT_NE(r.output.find("CapEff:\t00000000a80405fb"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Seccomp:\t0"), std::string::npos) << r.output;
}

TEST_F(ExecProcessTest, UserGroupsHomeAndWorkingDirectory) {
  ExecSpec spec = exec_spec({"busybox", "sh", "-c", "id -u; id -G; echo $HOME; pwd"});
  spec.user = "user";
  spec.cwd = "/home/user";
  const ChildResult r = exec(spec);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "1000\n1000 2000\n/home/user\n/home/user\n");
}

TEST_F(ExecProcessTest, NonRootHasNoEffectiveCapabilities) {
  ExecSpec spec = exec_spec({"busybox", "grep", "CapEff", "/proc/self/status"});
  spec.user = "1000:1000";
  const ChildResult r = exec(spec);
  EXPECT_NE(r.output.find("CapEff:\t0000000000000000"), std::string::npos) << r.output;
}

TEST_F(ExecProcessTest, MissingWorkingDirectoryIsAChdirFailure) {
  ExecSpec spec = exec_spec({"busybox", "true"});
  spec.cwd = "/no/such/dir";
  const ChildResult r = exec(spec);
  EXPECT_EQ(r.exit_code, 200);
  EXPECT_NE(r.output.find(fmt::format("child_failed {}", ENOENT)), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("chdir to cwd (\"/no/such/dir\")"), std::string::npos) << r.output;
}

TEST_F(ExecProcessTest, StdinIsDevNullAndFdsAreClosed) {
  const ChildResult r =
      exec(exec_spec({"busybox", "sh", "-c", "cat; ls /proc/self/fd | busybox wc -l"}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // 0, 1, 2 and ls's own directory fd; the shell's pipe is ls's stdout.
  EXPECT_LE(std::stoi(r.output), 4) << r.output;
}

// The terminal is one of the container's own ptys: /dev/pts/0 inside, the controlling
// terminal (/dev/tty opens), and what the command writes arrives on the master.
TEST_F(ExecProcessTest, PtyOfTheContainerIsTheControllingTerminal) {
  const ChildResult r = run_in_child([this](int out) {
    try {
      ExecSpec spec = exec_spec(
          {"busybox", "sh", "-c", "tty; test -t 0 && test -t 2 && : </dev/tty && echo ok"});
      spec.tty = ExecTty::yes;
      ExecProcess process = ExecProcess::start(spec);
      const UniqueFd master = process.take_pty_master();
      const int status = process.wait().status();
      // Everything the command wrote, then EIO: the slave is closed.
      char buffer[256];
      ssize_t n = 0;
      while ((n = ::read(master.get(), buffer, sizeof buffer)) > 0) {
        child_write(out, std::string_view(buffer, static_cast<std::size_t>(n)));
      }
      return status;
    } catch (const Error& e) {
      child_write(out, e.what());
      return 200;
    }
  });
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "/dev/pts/0\r\nok\r\n");
  ExecSpec spec = exec_spec({"busybox", "sh", "-c", "test -t 0 || test -t 1"});
  EXPECT_EQ(exec(spec).exit_code, 1) << "no terminal without ExecTty::yes";
}

TEST_F(ExecProcessTest, TargetGoneIsNotFound) {
  ExecSpec spec = exec_spec({"busybox", "true"});
  spec.target_start_time = start_time_ + 1; // a recycled PID
  ChildResult r = exec(spec);
  EXPECT_EQ(r.exit_code, 200);
  EXPECT_NE(
      r.output.find(fmt::format("ERROR not_found 0: container process {} is not running", pid1_)),
      std::string::npos)
      << r.output;

  ASSERT_EQ(::kill(pid1_, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(helper_, &status, 0), helper_);
  helper_ = 0;
  r = exec(exec_spec({"busybox", "true"}));
  EXPECT_EQ(r.exit_code, 200);
  EXPECT_NE(r.output.find("is not running"), std::string::npos) << r.output;
}

} // namespace
} // namespace strata::runtime
