// `write_tree_tar` (store/tree_tar.hpp): `export`'s flat tar of a tree — a faithful round trip,
// the layer writer's exact bytes, no whiteout conversion, O_PATH roots, and sink failures.

#include "store/tree_tar.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/blob_store.hpp"
#include "store/layer_writer.hpp"
#include "store/tar_apply.hpp"
#include "store_test_support.hpp"

namespace strata::store {
namespace {

using test_support::describe_tree;

bool is_root() {
  return geteuid() == 0;
}

void write_file(const std::string& path, const std::string& content, mode_t mode = 0644) {
  const UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  ASSERT_TRUE(fd.is_valid()) << path;
  ASSERT_EQ(write(fd.get(), content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ASSERT_EQ(fchmod(fd.get(), mode), 0);
}

// One entry as libarchive lists it back.
struct Listed {
  std::string name;
  unsigned type = 0;
  std::string link;
  std::vector<std::string> xattrs;
};

std::vector<Listed> list_tar(const std::string& bytes) {
  std::vector<Listed> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Listed l{archive_entry_pathname(e), archive_entry_filetype(e), {}, {}};
    if (const char* h = archive_entry_hardlink(e)) {
      l.link = h;
    } else if (const char* s = archive_entry_symlink(e)) {
      l.link = s;
    }
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      l.xattrs.emplace_back(name);
    }
    out.push_back(std::move(l));
  }
  archive_read_free(a);
  return out;
}

std::vector<std::string> names_of(const std::vector<Listed>& listed) {
  std::vector<std::string> out;
  for (const auto& l : listed) {
    out.push_back(l.name);
  }
  return out;
}

class TreeTar : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_EQ(mkdir(src_.c_str(), 0755), 0); }

  [[nodiscard]] UniqueFd open_dir(const std::string& path, int flags = O_RDONLY) const {
    UniqueFd fd(open(path.c_str(), flags | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(fd.is_valid()) << path;
    return fd;
  }

  // The tar of `src_`, in memory.
  std::string tar_of(int flags = O_RDONLY) {
    std::string bytes;
    stats_ = write_tree_tar(open_dir(src_, flags).get(),
                            [&bytes](std::string_view piece) { bytes.append(piece); });
    return bytes;
  }

  void make_tree() {
    ASSERT_EQ(mkdir((src_ + "/bin").c_str(), 0755), 0);
    write_file(src_ + "/bin/tool", std::string(200'000, 't'), 04755);
    ASSERT_EQ(link((src_ + "/bin/tool").c_str(), (src_ + "/bin/tool2").c_str()), 0);
    ASSERT_EQ(symlink("tool", (src_ + "/bin/t").c_str()), 0);
    ASSERT_EQ(symlink("/etc/../../outside", (src_ + "/abs").c_str()), 0);
    ASSERT_EQ(mkdir((src_ + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(chmod((src_ + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(mkdir((src_ + "/etc").c_str(), 0755), 0);
    write_file(src_ + "/etc/secret", "s", 0600);
    write_file(src_ + "/etc/empty", "");
    ASSERT_EQ(lsetxattr((src_ + "/etc/secret").c_str(), "user.note", "hi", 2, 0), 0);
    ASSERT_EQ(mkfifo((src_ + "/fifo").c_str(), 0640), 0);
    write_file(src_ + "/" + std::string(150, 'n'), "long name");
  }

  TempDir tmp_{"tree-tar-"};
  std::string src_ = tmp_.path() + "/src";
  TreeTarStats stats_;
};

TEST_F(TreeTar, RoundTripPreservesTheTree) {
  if (!is_root()) {
    GTEST_SKIP() << "needs root (ownership, devices)";
  }
  make_tree();
  ASSERT_EQ(lchown((src_ + "/etc/secret").c_str(), 1000, 1001), 0);
  ASSERT_EQ(lchown((src_ + "/bin/t").c_str(), 7, 8), 0);
  ASSERT_EQ(mknod((src_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  const std::string tar = tar_of();
  const std::string path = tmp_.path() + "/out.tar";
  write_file(path, tar);
  const std::string dst = tmp_.path() + "/dst";
  ASSERT_EQ(mkdir(dst.c_str(), 0755), 0);
  ApplyOptions options;
  options.privileged = Privileged::yes;
  const UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::ignore = apply_layer(in.get(), open_dir(dst).get(), options);
  EXPECT_EQ(describe_tree(dst), describe_tree(src_));
}

TEST_F(TreeTar, SortedNamesHardlinksSymlinksXattrs) {
  make_tree();
  const auto listed = list_tar(tar_of());
  EXPECT_EQ(
      names_of(listed),
      (std::vector<std::string>{"abs", "bin/", "bin/t", "bin/tool", "bin/tool2", "etc/",
                                "etc/empty", "etc/secret", "fifo", std::string(150, 'n'), "tmp/"}));
  EXPECT_EQ(listed[0].link, "/etc/../../outside"); // verbatim, never followed
  EXPECT_EQ(listed[2].link, "tool");
  EXPECT_TRUE(listed[3].link.empty());
  EXPECT_EQ(listed[4].link, "bin/tool"); // the later name of an inode is a hardlink entry
  EXPECT_EQ(listed[7].xattrs, std::vector<std::string>{"user.note"});
  EXPECT_EQ(listed[8].type, static_cast<unsigned>(AE_IFIFO));
  EXPECT_EQ(stats_.content_size, 200'000U + 1U + 9U);
}

TEST_F(TreeTar, SameBytesAsAnUncompressedLayerOfTheTree) {
  make_tree();
  const std::string tar = tar_of();
  EXPECT_EQ(stats_.tar_size, tar.size());
  EXPECT_EQ(tar_of(), tar); // deterministic
  BlobStore blobs = BlobStore::open(tmp_.path() + "/store");
  LayerWriteOptions options;
  options.compression = Compression::none;
  const LayerBlob layer = write_layer(blobs, open_dir(src_).get(), options);
  EXPECT_EQ(read_file(*blobs.path_of(layer.digest)), tar);
}

TEST_F(TreeTar, EmptyTreeIsTwoZeroBlocks) {
  EXPECT_EQ(tar_of(), std::string(1024, '\0'));
}

TEST_F(TreeTar, WorksFromAnOPathRoot) {
  write_file(src_ + "/f", "data");
  EXPECT_EQ(names_of(list_tar(tar_of(O_PATH))), std::vector<std::string>{"f"});
}

TEST_F(TreeTar, NoWhiteoutConversionAndNoOverlayXattrs) {
  if (!is_root()) {
    GTEST_SKIP() << "needs root (mknod, trusted.* xattrs)";
  }
  ASSERT_EQ(mknod((src_ + "/gone").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
  ASSERT_EQ(mkdir((src_ + "/dir").c_str(), 0755), 0);
  ASSERT_EQ(lsetxattr((src_ + "/dir").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  const auto listed = list_tar(tar_of());
  EXPECT_EQ(names_of(listed), (std::vector<std::string>{"dir/", "gone"}));
  EXPECT_TRUE(listed[0].xattrs.empty());
  EXPECT_EQ(listed[1].type, static_cast<unsigned>(AE_IFCHR));
}

TEST_F(TreeTar, SinkFailureStopsTheStream) {
  write_file(src_ + "/big", std::string(3'000'000, 'b'));
  std::size_t got = 0;
  const auto failing = [&got](std::string_view piece) {
    got += piece.size();
    if (got > 100'000) {
      throw Error(ErrorKind::io, "write out: No space left on device");
    }
  };
  try {
    std::ignore = write_tree_tar(open_dir(src_).get(), failing);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "write out: No space left on device");
  }
  EXPECT_LT(got, 3'000'000U);
}

TEST_F(TreeTar, FdSinkWritesEverythingAndNamesItsLabel) {
  const std::string path = tmp_.path() + "/out";
  const UniqueFd out(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(out.is_valid());
  const std::string data(5'000'000, 'x');
  fd_sink(out.get(), "out")(data);
  EXPECT_EQ(read_file(path), data);
  const UniqueFd read_only(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  try {
    fd_sink(read_only.get(), "the export")("x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("write the export"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace strata::store
