// Tests for the rootfs copy (runtime/rootfs_copy.hpp): layers merged bottom to top with
// overlayfs's whiteouts and opaque directories, metadata, hardlinks and special files kept, made
// once. Most cases need root (devices, owners, trusted.* xattrs) and skip otherwise.

#include "runtime/rootfs_copy.hpp"

#include "common/temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <string>

namespace strata::runtime {
namespace {

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class RootfsCopy : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root (whiteout devices, owners, trusted xattrs)";
    }
    base_ = tmp_.path() + "/base";
    top_ = tmp_.path() + "/top";
    copy_ = tmp_.path() + "/copy";
    for (const std::string& dir : {base_, top_}) {
      ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    }
    // base: files, a hardlink pair, a symlink, a fifo, a set-uid file with an owner and an xattr,
    // a directory that the top layer makes opaque and one it keeps.
    write_file(base_ + "/a", "a");
    write_file(base_ + "/gone", "gone");
    ASSERT_EQ(::link((base_ + "/a").c_str(), (base_ + "/a2").c_str()), 0);
    ASSERT_EQ(::symlink("/etc/passwd", (base_ + "/s").c_str()), 0);
    ASSERT_EQ(::mkfifo((base_ + "/p").c_str(), 0640), 0);
    write_file(base_ + "/suid", "x");
    ASSERT_EQ(::chown((base_ + "/suid").c_str(), 1000, 1001), 0);
    ASSERT_EQ(::chmod((base_ + "/suid").c_str(), 04750), 0);
    ASSERT_EQ(::setxattr((base_ + "/suid").c_str(), "user.note", "hi", 2, 0), 0);
    for (const char* dir : {"/d", "/d/sub", "/keep"}) {
      ASSERT_EQ(::mkdir((base_ + dir).c_str(), 0755), 0);
    }
    write_file(base_ + "/d/old", "old");
    write_file(base_ + "/keep/k", "k");
    // top: a whiteout, an opaque d, a file over a directory, a new file in keep.
    ASSERT_EQ(::mknod((top_ + "/gone").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
    ASSERT_EQ(::mkdir((top_ + "/d").c_str(), 0700), 0);
    ASSERT_EQ(::setxattr((top_ + "/d").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    write_file(top_ + "/d/new", "new");
    ASSERT_EQ(::mkdir((top_ + "/keep").c_str(), 0755), 0);
    write_file(top_ + "/keep/k2", "k2");
  }

  TempDir tmp_{"strata-rootfs-copy-"};
  std::string base_, top_, copy_;
};

TEST_F(RootfsCopy, MergesLayersWithWhiteoutsAndOpaqueDirectories) {
  EXPECT_FALSE(rootfs_copy_exists(copy_));
  make_rootfs_copy(copy_, {top_, base_});
  EXPECT_TRUE(rootfs_copy_exists(copy_));
  EXPECT_FALSE(exists(copy_ + ".partial"));
  EXPECT_EQ(read_text(copy_ + "/a"), "a");
  EXPECT_FALSE(exists(copy_ + "/gone")) << "the whiteout removes it";
  EXPECT_FALSE(exists(copy_ + "/d/old")) << "the opaque directory hides the base's";
  EXPECT_FALSE(exists(copy_ + "/d/sub"));
  EXPECT_EQ(read_text(copy_ + "/d/new"), "new");
  EXPECT_EQ(stat_of(copy_ + "/d").st_mode & 07777, 0700u);
  char opaque[4] = {};
  EXPECT_LT(::getxattr((copy_ + "/d").c_str(), "trusted.overlay.opaque", opaque, sizeof opaque), 0)
      << "no overlay xattr in the copy";
  EXPECT_EQ(read_text(copy_ + "/keep/k"), "k") << "a plain directory merges";
  EXPECT_EQ(read_text(copy_ + "/keep/k2"), "k2");
}

TEST_F(RootfsCopy, KeepsMetadataLinksAndSpecialFiles) {
  make_rootfs_copy(copy_, {top_, base_});
  const struct stat a = stat_of(copy_ + "/a");
  const struct stat a2 = stat_of(copy_ + "/a2");
  EXPECT_EQ(a.st_ino, a2.st_ino) << "a hardlink stays one";
  char target[64] = {};
  ASSERT_GT(::readlink((copy_ + "/s").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/etc/passwd") << "a symlink is copied, not followed";
  EXPECT_TRUE(S_ISFIFO(stat_of(copy_ + "/p").st_mode));
  EXPECT_EQ(stat_of(copy_ + "/p").st_mode & 07777, 0640u);
  const struct stat suid = stat_of(copy_ + "/suid");
  const struct stat original = stat_of(base_ + "/suid");
  EXPECT_EQ(suid.st_mode & 07777, 04750u);
  EXPECT_EQ(suid.st_uid, 1000u);
  EXPECT_EQ(suid.st_gid, 1001u);
  EXPECT_EQ(suid.st_mtim.tv_sec, original.st_mtim.tv_sec);
  EXPECT_EQ(suid.st_mtim.tv_nsec, original.st_mtim.tv_nsec);
  char note[8] = {};
  EXPECT_EQ(::getxattr((copy_ + "/suid").c_str(), "user.note", note, sizeof note), 2);
  EXPECT_STREQ(note, "hi");
  EXPECT_EQ(stat_of(copy_ + "/keep").st_mtim.tv_nsec, stat_of(top_ + "/keep").st_mtim.tv_nsec)
      << "directory times are set after their children";
}

TEST_F(RootfsCopy, MadeOnceAndAPartialCopyIsRedone) {
  ASSERT_EQ(::mkdir((copy_ + ".partial").c_str(), 0700), 0);
  write_file(copy_ + ".partial/junk", "crash");
  make_rootfs_copy(copy_, {top_, base_});
  EXPECT_FALSE(exists(copy_ + "/junk"));
  write_file(copy_ + "/mine", "container change");
  make_rootfs_copy(copy_, {top_, base_});
  EXPECT_EQ(read_text(copy_ + "/mine"), "container change") << "an existing copy is kept";
}

TEST_F(RootfsCopy, ASymlinkInALayerIsNeverFollowed) {
  // base has dir -> /tmp-like target outside; the top layer writes below the same name.
  const std::string outside = tmp_.path() + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (base_ + "/evil").c_str()), 0);
  ASSERT_EQ(::mkdir((top_ + "/evil").c_str(), 0755), 0);
  write_file(top_ + "/evil/planted", "x");
  make_rootfs_copy(copy_, {top_, base_});
  EXPECT_FALSE(exists(outside + "/planted"));
  EXPECT_TRUE(S_ISDIR(stat_of(copy_ + "/evil").st_mode));
  EXPECT_EQ(read_text(copy_ + "/evil/planted"), "x");
}

TEST(OverlayRefused, TheErrnosTheCopyAvoids) {
  for (const int err : {EINVAL, EPERM, ENODEV, EOPNOTSUPP}) {
    EXPECT_TRUE(overlay_refused(err)) << err;
  }
  for (const int err : {ENOENT, ENOMEM, EIO, ENOSPC}) {
    EXPECT_FALSE(overlay_refused(err)) << err;
  }
}

} // namespace
} // namespace strata::runtime
