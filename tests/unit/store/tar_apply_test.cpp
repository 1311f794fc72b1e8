// Tests for `apply_layer`. Archives are written by hand (ustar + PAX), which is also how the
// hostile ones are made. Every test has a canary in a sibling `outside/` directory that must stay
// untouched.

#include "store/tar_apply.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/sha256.hpp"

namespace strata::store {
namespace {

struct Hdr {
  std::string name{};
  char type = '0';
  std::string content{};
  std::string link{};
  unsigned mode = 0644;
  unsigned uid = 0;
  unsigned gid = 0;
  long mtime = 1'600'000'000;
  unsigned dev_major = 0;
  unsigned dev_minor = 0;
  std::map<std::string, std::string> pax{};
  std::string raw_size{}; // overrides the octal size field when set
};

void put_octal(std::string& block, std::size_t off, std::size_t len, unsigned long long value) {
  const auto text = fmt::format("{:0{}o}", value, len - 1);
  ASSERT_EQ(text.size(), len - 1);
  block.replace(off, len - 1, text);
  block[off + len - 1] = '\0';
}

std::string pax_record(const std::string& key, const std::string& value) {
  const auto body = fmt::format(" {}={}\n", key, value);
  std::size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) {
    ++len;
  }
  return std::to_string(len) + body;
}

void pad(std::string& out) {
  out.append((512 - out.size() % 512) % 512, '\0');
}

class Tar {
public:
  Tar& add(const Hdr& h) {
    auto pax = h.pax;
    if (h.name.size() > 99) {
      pax["path"] = h.name;
    }
    if (h.link.size() > 99) {
      pax["linkpath"] = h.link;
    }
    if (!pax.empty()) {
      std::string body;
      for (const auto& [k, v] : pax) {
        body += pax_record(k, v);
      }
      raw_header("PaxHeader", 'x', body.size(), 0644, 0, 0, 0, "", 0, 0, {});
      data_ += body;
      pad(data_);
    }
    raw_header(h.name.substr(0, 99), h.type, h.content.size(), h.mode, h.uid, h.gid, h.mtime,
               h.link.substr(0, 99), h.dev_major, h.dev_minor, h.raw_size);
    data_ += h.content;
    pad(data_);
    return *this;
  }
  Tar& file(const std::string& name, const std::string& content, unsigned mode = 0644) {
    return add({.name = name, .content = content, .mode = mode});
  }
  Tar& dir(const std::string& name, unsigned mode = 0755) {
    return add({.name = name, .type = '5', .mode = mode});
  }
  Tar& symlink(const std::string& name, const std::string& target) {
    return add({.name = name, .type = '2', .link = target, .mode = 0777});
  }
  Tar& hardlink(const std::string& name, const std::string& target) {
    return add({.name = name, .type = '1', .link = target});
  }
  [[nodiscard]] std::string str() const { return data_ + std::string(1024, '\0'); }

private:
  void raw_header(const std::string& name, char type, std::size_t size, unsigned mode, unsigned uid,
                  unsigned gid, long mtime, const std::string& link, unsigned major,
                  unsigned minor, const std::string& raw_size) {
    std::string b(512, '\0');
    b.replace(0, name.size(), name);
    put_octal(b, 100, 8, mode);
    put_octal(b, 108, 8, uid);
    put_octal(b, 116, 8, gid);
    put_octal(b, 124, 12, size);
    if (!raw_size.empty()) {
      b.replace(124, raw_size.size(), raw_size);
    }
    put_octal(b, 136, 12, static_cast<unsigned long long>(mtime));
    b[156] = type;
    b.replace(157, link.size(), link);
    b.replace(257, 6, std::string("ustar\0", 6));
    b.replace(263, 2, "00");
    put_octal(b, 329, 8, major);
    put_octal(b, 337, 8, minor);
    b.replace(148, 8, "        ");
    unsigned sum = 0;
    for (const char c : b) {
      sum += static_cast<unsigned char>(c);
    }
    b.replace(148, 8, fmt::format("{:06o}", sum) + std::string("\0 ", 2));
    data_ += b;
  }

  std::string data_;
};

std::set<std::string> list(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return out;
  }
  while (const dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") {
      out.insert(n);
    }
  }
  closedir(d);
  return out;
}

bool exists(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0;
}

struct stat lstat_of(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

void write_file(const std::string& path, const std::string& content) {
  const UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd.is_valid()) << path;
  ASSERT_EQ(write(fd.get(), content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
}

class TarApply : public ::testing::Test {
protected:
  void SetUp() override {
    root_ = tmp_.path() + "/root";
    outside_ = tmp_.path() + "/outside";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    ASSERT_EQ(chmod(outside_.c_str(), 0755), 0);
    write_file(outside_ + "/canary", "canary");
    canary_ = lstat_of(outside_ + "/canary");
    root_fd_ = UniqueFd(open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.is_valid());
  }

  void TearDown() override {
    // The canary and its directory are untouched; nothing new appeared next to the root.
    EXPECT_EQ(list(outside_), std::set<std::string>{"canary"});
    EXPECT_EQ(read_file(outside_ + "/canary"), "canary");
    const auto st = lstat_of(outside_ + "/canary");
    EXPECT_EQ(st.st_nlink, 1U);
    EXPECT_EQ(st.st_mode, canary_.st_mode);
    EXPECT_EQ(st.st_uid, canary_.st_uid);
    EXPECT_EQ(st.st_mtim.tv_sec, canary_.st_mtim.tv_sec);
    EXPECT_EQ(lstat_of(outside_).st_mode & 07777, 0755U);
    for (const auto& name : list(tmp_.path())) {
      EXPECT_TRUE(name == "root" || name == "outside" || name.starts_with("layer")) << name;
    }
  }

  ApplyResult apply_bytes(const std::string& bytes, const ApplyLimits& limits = {},
                          Privileged privileged = Privileged::yes) {
    const auto path = fmt::format("{}/layer{}", tmp_.path(), counter_++);
    write_file(path, bytes);
    const UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return apply_layer(in.get(), root_fd_.get(), limits, privileged);
  }

  ApplyResult apply_overlay(const std::string& bytes) {
    const auto path = fmt::format("{}/layer{}", tmp_.path(), counter_++);
    write_file(path, bytes);
    const UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    ApplyOptions options;
    options.privileged = Privileged::yes;
    options.whiteouts = WhiteoutMode::overlay;
    return apply_layer(in.get(), root_fd_.get(), options);
  }

  // Applies `bytes` and expects `Error{corrupt}`.
  void expect_corrupt(const std::string& bytes, const ApplyLimits& limits = {},
                      const std::string& message = {}) {
    try {
      std::ignore = apply_bytes(bytes, limits);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::corrupt) << e.what();
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
      if (std::getenv("TAR_APPLY_VERBOSE") != nullptr) {
        fmt::print(stderr, "  corrupt: {}\n", e.what());
      }
    }
  }

  std::string compress(const std::string& tar, const std::string& tool) {
    const auto in = fmt::format("{}/layer-plain{}", tmp_.path(), counter_++);
    write_file(in, tar);
    const auto out = in + ".z";
    const auto cmd = fmt::format("{} -c -q < '{}' > '{}'", tool, in, out);
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return read_file(out, 1ULL << 30);
  }

  TempDir tmp_{"tar-apply-"};
  std::string root_;
  std::string outside_;
  struct stat canary_{};
  UniqueFd root_fd_;
  int counter_ = 0;
};

TEST_F(TarApply, RoundTripsFilesDirsLinksWithMetadata) {
  const auto tar = Tar{}
                       .add({.name = "d/", .type = '5', .mode = 0750, .uid = 10, .gid = 20,
                             .mtime = 1'000'000'000})
                       .add({.name = "d/f", .content = "hello", .mode = 04751, .uid = 1001,
                             .gid = 1002, .mtime = 1'234'567'890})
                       .symlink("d/l", "f")
                       .hardlink("d/h", "d/f")
                       .add({.name = "./e/deep/x", .content = "x"})
                       .str();
  const auto result = apply_bytes(tar);
  EXPECT_EQ(result.entries, 5U);
  EXPECT_EQ(result.bytes, tar.size());
  EXPECT_EQ(result.diff_id, sha256_of(tar));
  EXPECT_EQ(result.compressed_digest, sha256_of(tar));

  EXPECT_EQ(read_file(root_ + "/d/f"), "hello");
  const auto f = lstat_of(root_ + "/d/f");
  EXPECT_EQ(f.st_mode & 07777, 04751U);
  EXPECT_EQ(f.st_uid, 1001U);
  EXPECT_EQ(f.st_gid, 1002U);
  EXPECT_EQ(f.st_mtim.tv_sec, 1'234'567'890);
  EXPECT_EQ(f.st_nlink, 2U);
  EXPECT_EQ(lstat_of(root_ + "/d/h").st_ino, f.st_ino);
  const auto d = lstat_of(root_ + "/d");
  EXPECT_TRUE(S_ISDIR(d.st_mode));
  EXPECT_EQ(d.st_mode & 07777, 0750U);
  EXPECT_EQ(d.st_uid, 10U);
  EXPECT_EQ(d.st_mtim.tv_sec, 1'000'000'000); // deferred: not disturbed by the children
  char buf[64] = {};
  ASSERT_EQ(readlink((root_ + "/d/l").c_str(), buf, sizeof buf), 1);
  EXPECT_STREQ(buf, "f");
  EXPECT_EQ(read_file(root_ + "/e/deep/x"), "x");
  EXPECT_EQ(lstat_of(root_ + "/e").st_mode & 07777, 0755U);
}

TEST_F(TarApply, GzipAndZstdDigests) {
  const auto tar = Tar{}.file("a", std::string(100'000, 'a')).dir("b/").file("b/c", "c").str();
  for (const std::string tool : {"gzip", "zstd"}) {
    const auto compressed = compress(tar, tool);
    ASSERT_NE(compressed, tar);
    const auto result = apply_bytes(compressed);
    EXPECT_EQ(result.diff_id, sha256_of(tar)) << tool;
    EXPECT_EQ(result.compressed_digest, sha256_of(compressed)) << tool;
    EXPECT_EQ(result.bytes, tar.size());
    EXPECT_EQ(read_file(root_ + "/a"), std::string(100'000, 'a'));
    EXPECT_EQ(read_file(root_ + "/b/c"), "c");
  }
}

TEST_F(TarApply, TrailingDataAfterEndMarkerIsHashed) {
  const auto tar = Tar{}.file("a", "a").str() + std::string(4096, '\0');
  const auto gz = compress(tar, "gzip");
  const auto result = apply_bytes(gz);
  EXPECT_EQ(result.diff_id, sha256_of(tar));
  EXPECT_EQ(result.compressed_digest, sha256_of(gz));
}

TEST_F(TarApply, RejectsNamesClimbingAboveRoot) {
  expect_corrupt(Tar{}.file("../outside/canary", "pwned").str(), {}, "climbs above the root");
  expect_corrupt(Tar{}.file("a/../../outside/canary", "pwned").str());
  expect_corrupt(Tar{}.file("./../x", "pwned").str());
  EXPECT_TRUE(list(root_).empty());
}

TEST_F(TarApply, AbsoluteNamesLandInsideRoot) {
  std::ignore = apply_bytes(Tar{}.file("/outside/canary", "inside").file("//x/./y/../z", "z").str());
  EXPECT_EQ(read_file(root_ + "/outside/canary"), "inside");
  EXPECT_EQ(read_file(root_ + "/x/z"), "z");
}

TEST_F(TarApply, SymlinkParentsAreResolvedInRoot) {
  std::ignore = apply_bytes(Tar{}
                                .symlink("evil", "/")
                                .file("evil/x", "x")
                                .symlink("evil2", "../../outside")
                                .file("evil2/canary", "inside")
                                .symlink("evil3", "/proc/self/root/outside")
                                .str());
  EXPECT_EQ(read_file(root_ + "/x"), "x");
  EXPECT_EQ(read_file(root_ + "/outside/canary"), "inside");
  EXPECT_TRUE(S_ISLNK(lstat_of(root_ + "/evil2").st_mode)); // stored verbatim
  // `/proc` inside the root is just a directory: the dangling link is created in-root.
  std::ignore = apply_bytes(Tar{}.file("evil3/canary", "inside").str());
  EXPECT_EQ(read_file(root_ + "/proc/self/root/outside/canary"), "inside");
}

TEST_F(TarApply, AbsoluteSymlinkParentsAndHardlinkTargetsStayInRoot) {
  // BuildKit's regression cases: `var/run -> /run` + `var/run/x` lands at `<root>/run/x`, and a
  // hardlink through an absolute symlink links the in-root file.
  std::ignore = apply_bytes(Tar{}
                                .symlink("var/run", "/run")
                                .file("var/run/x", "x")
                                .symlink("abs", "/")
                                .hardlink("h", "abs/run/x")
                                .str());
  EXPECT_EQ(read_file(root_ + "/run/x"), "x");
  EXPECT_EQ(lstat_of(root_ + "/h").st_ino, lstat_of(root_ + "/run/x").st_ino);
}

TEST_F(TarApply, FinalSymlinkIsReplacedNotFollowed) {
  ASSERT_EQ(symlink("../outside/canary", (root_ + "/f").c_str()), 0);
  std::ignore = apply_bytes(Tar{}.file("f", "new").str());
  EXPECT_FALSE(S_ISLNK(lstat_of(root_ + "/f").st_mode));
  EXPECT_EQ(read_file(root_ + "/f"), "new");
}

TEST_F(TarApply, HardlinksOutsideOrToDirectoriesAreRejected) {
  expect_corrupt(Tar{}.hardlink("h", "../outside/canary").str(), {}, "climbs above the root");
  expect_corrupt(Tar{}.hardlink("h", "/outside/canary").str(), {}, "does not exist");
  expect_corrupt(Tar{}.symlink("s", "/").hardlink("h", "s/../outside/canary").str());
  expect_corrupt(Tar{}.symlink("up", "../outside").hardlink("h", "up/canary").str());
  expect_corrupt(Tar{}.dir("d/").hardlink("h", "d").str(), {}, "is a directory");
  expect_corrupt(Tar{}.hardlink("h", "/").str());
  EXPECT_FALSE(exists(root_ + "/h"));
}

TEST_F(TarApply, HardlinkToSymlinkLinksTheSymlink) {
  std::ignore =
      apply_bytes(Tar{}.symlink("s", "../outside/canary").hardlink("h", "/s").str());
  const auto h = lstat_of(root_ + "/h");
  EXPECT_TRUE(S_ISLNK(h.st_mode));
  EXPECT_EQ(h.st_ino, lstat_of(root_ + "/s").st_ino);
}

TEST_F(TarApply, InvalidWhiteoutsAreRejected) {
  write_file(root_ + "/keep", "keep");
  ASSERT_EQ(mkdir((root_ + "/d").c_str(), 0755), 0);
  write_file(root_ + "/d/keep", "keep");
  for (const std::string name : {".wh..", ".wh...", ".wh.", "d/.wh..", "d/.wh..."}) {
    SCOPED_TRACE(name);
    expect_corrupt(Tar{}.file(name, "").str(), {}, "invalid whiteout");
  }
  EXPECT_EQ(read_file(root_ + "/keep"), "keep");
  EXPECT_EQ(read_file(root_ + "/d/keep"), "keep");
}

TEST_F(TarApply, WhiteoutsRemoveWithoutFollowing) {
  write_file(root_ + "/gone", "x");
  ASSERT_EQ(mkdir((root_ + "/dir").c_str(), 0755), 0);
  write_file(root_ + "/dir/inner", "x");
  ASSERT_EQ(symlink("../outside", (root_ + "/link").c_str()), 0);
  ASSERT_EQ(symlink("/", (root_ + "/rootlink").c_str()), 0);
  std::ignore = apply_bytes(Tar{}
                                .file(".wh.gone", "")
                                .file(".wh.dir", "")
                                .file(".wh.link", "")
                                .file("rootlink/.wh.missing", "")
                                .file(".wh..wh.plnk", "")
                                .str());
  EXPECT_TRUE(list(root_) == std::set<std::string>{"rootlink"}) << fmt::format("{}", fmt::join(list(root_), ","));
}

TEST_F(TarApply, OpaqueWhiteoutKeepsThisLayersFiles) {
  ASSERT_EQ(mkdir((root_ + "/d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root_ + "/d/sub").c_str(), 0755), 0);
  write_file(root_ + "/d/old", "old");
  write_file(root_ + "/d/sub/old", "old");
  ASSERT_EQ(symlink("../outside", (root_ + "/d/out").c_str()), 0);
  std::ignore = apply_bytes(Tar{}
                                .file("d/new", "new")
                                .file("d/sub/new", "new")
                                .file("d/.wh..wh..opq", "")
                                .file("d/after", "after")
                                .str());
  EXPECT_EQ(list(root_ + "/d"), (std::set<std::string>{"new", "sub", "after"}));
  EXPECT_EQ(list(root_ + "/d/sub"), std::set<std::string>{"new"});
}

bool is_whiteout_device(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

TEST_F(TarApply, OverlayModeStoresWhiteoutsAsOverlayfsDoes) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root (trusted.* xattrs)";
  }
  write_file(root_ + "/top", "replaced by the whiteout");
  std::ignore = apply_overlay(Tar{}
                                  .dir("d/")
                                  .file("d/.wh.gone", "")
                                  .file(".wh.top", "")
                                  .file("sub/deeper/.wh.x", "") // parents have no entries
                                  .dir("opq/", 0750)
                                  .file("opq/.wh..wh..opq", "")
                                  .file("opq/kept", "kept")
                                  .file("mine", "mine")
                                  .file(".wh.mine", "")
                                  .file(".wh.later", "")
                                  .file("later", "later")
                                  .file("late/.wh..wh..opq", "")
                                  .file(".wh..wh.plnk", "")
                                  .str());
  EXPECT_TRUE(is_whiteout_device(root_ + "/d/gone"));
  EXPECT_TRUE(is_whiteout_device(root_ + "/top"));
  EXPECT_TRUE(is_whiteout_device(root_ + "/sub/deeper/x"));
  EXPECT_EQ(lstat_of(root_ + "/sub/deeper").st_mode & 07777, 0755U);
  char value[8] = {};
  EXPECT_EQ(lgetxattr((root_ + "/opq").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
  EXPECT_EQ(value[0], 'y');
  EXPECT_EQ(lstat_of(root_ + "/opq").st_mode & 07777, 0750U);
  EXPECT_EQ(read_file(root_ + "/opq/kept"), "kept");
  EXPECT_EQ(lgetxattr((root_ + "/late").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
  EXPECT_EQ(read_file(root_ + "/mine"), "mine"); // a whiteout never hides this layer's own entry
  EXPECT_EQ(read_file(root_ + "/later"), "later");
  EXPECT_EQ(list(root_), (std::set<std::string>{"d", "top", "sub", "opq", "mine", "later", "late"}));
}

TEST_F(TarApply, OverlayModeRejectsInvalidWhiteoutsAndStaysInRoot) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root (mknod in a user namespace is not what this tests)";
  }
  for (const std::string name : {".wh..", ".wh...", ".wh.", "d/.wh.."}) {
    SCOPED_TRACE(name);
    try {
      std::ignore = apply_overlay(Tar{}.file(name, "").str());
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::corrupt) << e.what();
    }
  }
  // A whiteout below a symlink lands in-root, never in the canary's directory.
  std::ignore = apply_overlay(Tar{}.symlink("out", "../outside").file("out/.wh.canary", "").str());
  EXPECT_TRUE(is_whiteout_device(root_ + "/outside/canary") ||
              S_ISLNK(lstat_of(root_ + "/out").st_mode));
}

TEST_F(TarApply, DirectoryAndFileReplaceEachOther) {
  ASSERT_EQ(mkdir((root_ + "/a").c_str(), 0755), 0);
  write_file(root_ + "/a/inner", "x");
  write_file(root_ + "/b", "file");
  ASSERT_EQ(mkdir((root_ + "/c").c_str(), 0700), 0);
  write_file(root_ + "/c/kept", "kept");
  std::ignore = apply_bytes(Tar{}.file("a", "now a file").dir("b/", 0711).dir("c/", 0755).str());
  EXPECT_EQ(read_file(root_ + "/a"), "now a file");
  EXPECT_TRUE(S_ISDIR(lstat_of(root_ + "/b").st_mode));
  EXPECT_EQ(lstat_of(root_ + "/b").st_mode & 07777, 0711U);
  EXPECT_EQ(read_file(root_ + "/c/kept"), "kept"); // existing directory kept, metadata updated
  EXPECT_EQ(lstat_of(root_ + "/c").st_mode & 07777, 0755U);
}

TEST_F(TarApply, DeferredDirMetadataNotAppliedThroughLaterSymlink) {
  std::ignore = apply_bytes(Tar{}
                                .add({.name = "d/", .type = '5', .mode = 0700, .uid = 4242,
                                      .mtime = 1})
                                .symlink("d", "../outside")
                                .add({.name = "e/", .type = '5', .mode = 0777, .mtime = 1})
                                .file(".wh.e", "")
                                .symlink("e", "/outside")
                                .str());
  EXPECT_TRUE(S_ISLNK(lstat_of(root_ + "/d").st_mode));
  EXPECT_NE(lstat_of(outside_).st_uid, 4242U);
  EXPECT_NE(lstat_of(outside_).st_mtim.tv_sec, 1);
}

TEST_F(TarApply, DevicesSkippedWhenUnprivilegedFifosCreated) {
  const auto tar = Tar{}
                       .add({.name = "dev/null", .type = '3', .mode = 0666, .dev_major = 1,
                             .dev_minor = 3})
                       .add({.name = "dev/sda", .type = '4', .mode = 0660, .dev_major = 8})
                       .add({.name = "fifo", .type = '6', .mode = 0640})
                       .str();
  const auto result = apply_bytes(tar, {}, Privileged::no);
  EXPECT_EQ(result.skipped_devices, 2U);
  EXPECT_FALSE(exists(root_ + "/dev/null"));
  EXPECT_FALSE(exists(root_ + "/dev/sda"));
  const auto fifo = lstat_of(root_ + "/fifo");
  EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
  EXPECT_EQ(fifo.st_mode & 07777, 0640U);
}

TEST_F(TarApply, DevicesCreatedWhenPrivileged) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root";
  }
  const auto result = apply_bytes(
      Tar{}.add({.name = "null", .type = '3', .mode = 0666, .dev_major = 1, .dev_minor = 3}).str());
  EXPECT_EQ(result.skipped_devices, 0U);
  const auto st = lstat_of(root_ + "/null");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

TEST_F(TarApply, OverlayXattrsDropped) {
  std::ignore = apply_bytes(Tar{}
                                .add({.name = "f", .content = "x",
                                      .pax = {{"SCHILY.xattr.trusted.overlay.opaque", "y"},
                                              {"SCHILY.xattr.user.overlay.x", "y"}}})
                                .str());
  char value[8];
  EXPECT_LT(lgetxattr((root_ + "/f").c_str(), "trusted.overlay.opaque", value, sizeof value), 0);
  EXPECT_LT(lgetxattr((root_ + "/f").c_str(), "user.overlay.x", value, sizeof value), 0);
}

TEST_F(TarApply, EntryCountLimit) {
  ApplyLimits limits;
  limits.max_entries = 2;
  expect_corrupt(Tar{}.file("a", "").file("b", "").file("c", "").str(), limits, "more than 2");
  std::ignore = apply_bytes(Tar{}.file("a", "").file("b", "").str(), limits);
}

TEST_F(TarApply, RatioAndSizeLimits) {
  const auto tar = Tar{}.file("zeros", std::string(8 << 20, '\0')).str();
  const auto gz = compress(tar, "gzip");
  ApplyLimits ratio;
  ratio.max_ratio = 10;
  expect_corrupt(gz, ratio, "decompresses more than");
  ApplyLimits bytes;
  bytes.max_bytes = 1 << 20;
  expect_corrupt(tar, bytes, "absurd size");
  // An absurd declared size (base-256) is rejected before any data is read.
  std::string big_size("\x80\0\0\0\x7f\xff\xff\xff\xff\xff\xff\xff", 12);
  expect_corrupt(Tar{}.add({.name = "big", .raw_size = big_size}).str());
  EXPECT_FALSE(exists(root_ + "/big"));
}

TEST_F(TarApply, NameAndHeaderLimits) {
  ApplyLimits limits;
  limits.max_name = 200;
  expect_corrupt(Tar{}.file(std::string(150, 'a') + "/" + std::string(150, 'b'), "").str(),
                 limits);
  ApplyLimits header;
  header.max_header = 100;
  expect_corrupt(
      Tar{}.add({.name = "f", .pax = {{"SCHILY.xattr.user.big", std::string(200, 'v')}}}).str(),
      header);
  // PAX headers above 1 MiB are refused by the parser itself.
  expect_corrupt(Tar{}.add({.name = "f", .pax = {{"comment", std::string(2 << 20, 'c')}}}).str());
  EXPECT_TRUE(list(root_).empty());
}

TEST_F(TarApply, GnuSparseRejected) {
  expect_corrupt(Tar{}
                     .add({.name = "sparse", .content = "hello",
                           .pax = {{"GNU.sparse.size", "1000"}, {"GNU.sparse.map", "0,5"}}})
                     .str(),
                 {}, "sparse");
}

TEST_F(TarApply, TruncatedArchivesAreCorrupt) {
  const auto tar = Tar{}.file("a", std::string(10'000, 'a')).file("b", "b").str();
  expect_corrupt(tar.substr(0, 512 + 4000));
  expect_corrupt(tar.substr(0, 300)); // inside the first header
  const auto gz = compress(tar, "gzip");
  expect_corrupt(gz.substr(0, gz.size() / 2));
  expect_corrupt(std::string("\x1f\x8b garbage that is not gzip", 27));
}

TEST_F(TarApply, NonTarInputIsCorrupt) {
  expect_corrupt(std::string(2000, 'x'));
}

} // namespace
} // namespace strata::store
