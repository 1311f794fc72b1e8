// `run_container` on its own (no store, no CLI): a plain directory holding a static busybox as
// the only lower dir. Needs root, overlayfs and /bin/busybox (busybox-static); skipped otherwise.

#include "runtime/process.hpp"

#include "common/error.hpp"
#include "common/temp_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace strata::runtime {
namespace {

class RunContainer : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0 || ::access("/bin/busybox", X_OK) != 0) {
      GTEST_SKIP() << "needs root and /bin/busybox";
    }
    const std::string& d = dir_.path();
    for (const char* sub :
         {"/lower", "/lower/bin", "/lower/etc", "/upper", "/work", "/rootfs", "/state"}) {
      ASSERT_EQ(::mkdir((d + sub).c_str(), 0755), 0) << sub;
    }
    std::ifstream in("/bin/busybox", std::ios::binary);
    std::ofstream out(d + "/lower/bin/busybox", std::ios::binary);
    out << in.rdbuf();
    out.close();
    ASSERT_EQ(::chmod((d + "/lower/bin/busybox").c_str(), 0755), 0);
    std::ofstream(d + "/lower/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
    spec_.lower_dirs = {d + "/lower"};
    spec_.upper_dir = d + "/upper";
    spec_.work_dir = d + "/work";
    spec_.rootfs = d + "/rootfs";
    spec_.state_dir = d + "/state";
    spec_.hostname = "unit";
    spec_.env = {"PATH=/bin"};
  }

  TempDir dir_{"strata-run-"};
  ContainerSpec spec_;
};

TEST_F(RunContainer, ExitStatusPassesThrough) {
  spec_.args = {"busybox", "sh", "-c",
                "test $$ = 1 && test \"$(busybox hostname)\" = unit && exit 7"};
  const ContainerExit exit = run_container(spec_);
  EXPECT_EQ(exit.how, ContainerExit::How::exited);
  EXPECT_EQ(exit.status(), 7);
}

TEST_F(RunContainer, WritesLandInTheUpperDir) {
  spec_.args = {"/bin/busybox", "touch", "/made-here"};
  EXPECT_EQ(run_container(spec_).status(), 0);
  struct stat st {};
  EXPECT_EQ(::stat((dir_.path() + "/upper/made-here").c_str(), &st), 0);
  EXPECT_NE(::stat((dir_.path() + "/lower/made-here").c_str(), &st), 0);
}

TEST_F(RunContainer, MissingCommandIsAnExecFailure) {
  spec_.args = {"no-such-command"};
  const ContainerExit exit = run_container(spec_);
  EXPECT_EQ(exit.how, ContainerExit::How::exec_failed);
  EXPECT_EQ(exit.value, ENOENT);
  EXPECT_EQ(exit.status(), 127);
}

TEST_F(RunContainer, SetupFailureIsChildFailed) {
  spec_.lower_dirs = {dir_.path() + "/no-such-lower"};
  spec_.args = {"busybox", "true"};
  try {
    std::ignore = run_container(spec_);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::child_failed);
    EXPECT_NE(std::string(e.what()).find("mount overlay"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace strata::runtime
