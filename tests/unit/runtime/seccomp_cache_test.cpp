#include "runtime/seccomp_cache.hpp"

#include "common/temp_dir.hpp"
#include "runtime/seccomp.hpp"

#include <dirent.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace strata::runtime {
namespace {

bool same(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') {
        names.emplace_back(e->d_name);
      }
    }
    ::closedir(d);
  }
  return names;
}

TEST(SeccompCache, CachedProgramEqualsTheCompiledOne) {
  const TempDir dir("strata-seccomp-cache-");
  const std::string cache = dir.path() + "/cache";
  const CapabilitySet caps = docker_default_capabilities();
  const std::vector<sock_filter> compiled = compile_seccomp(default_seccomp_profile(), caps).code();
  EXPECT_TRUE(same(default_seccomp_program(caps, cache), compiled)); // miss: compiles, stores
  const std::vector<std::string> names = files_in(cache);
  ASSERT_EQ(names.size(), 1U);
  EXPECT_TRUE(names[0].starts_with("default-00000000a80425fb-")) << names[0];
  EXPECT_TRUE(same(default_seccomp_program(caps, cache), compiled)); // hit
}

TEST(SeccompCache, KeyedByCapabilitiesAndBadFilesIgnored) {
  const TempDir dir("strata-seccomp-cache-");
  const std::string cache = dir.path() + "/cache";
  CapabilitySet admin = docker_default_capabilities();
  admin.add(21); // CAP_SYS_ADMIN changes the profile's clone/unshare rules
  std::ignore = default_seccomp_program(docker_default_capabilities(), cache);
  const std::vector<sock_filter> with_admin = default_seccomp_program(admin, cache);
  EXPECT_TRUE(same(with_admin, compile_seccomp(default_seccomp_profile(), admin).code()));
  EXPECT_EQ(files_in(cache).size(), 2U);
  for (const std::string& name : files_in(cache)) {
    std::ofstream(cache + "/" + name, std::ios::trunc) << "junk"; // not a whole program
  }
  EXPECT_TRUE(same(default_seccomp_program(admin, cache), with_admin));
}

} // namespace
} // namespace strata::runtime
