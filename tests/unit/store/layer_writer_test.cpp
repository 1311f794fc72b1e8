// Tests for `write_layer`: round trips through `apply_layer`, the blob's names and sizes, the tar's
// shape (order, names, ids), reproducibility, overlayfs whiteout conversion both ways, and that a
// failure publishes nothing. They run as root (devices, trusted.* xattrs, mounts) and skip the
// cases that need it otherwise.

#include "store/layer_writer.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/scope_exit.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/sha256.hpp"
#include "store/tar_apply.hpp"
#include "store_test_support.hpp"

namespace strata::store {
namespace {

using test_support::describe_tree;
using test_support::entries;

void write_file(const std::string& path, const std::string& content, mode_t mode = 0644) {
  const UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  ASSERT_TRUE(fd.is_valid()) << path;
  ASSERT_EQ(write(fd.get(), content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ASSERT_EQ(fchmod(fd.get(), mode), 0);
}

void set_xattr(const std::string& path, const std::string& name, const std::string& value) {
  ASSERT_EQ(lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0), 0)
      << name << " on " << path << ": " << strerror(errno);
}

bool is_root() { return geteuid() == 0; }

LayerWriteOptions with(Compression compression, LayerSource source = LayerSource::tree) {
  LayerWriteOptions options;
  options.compression = compression;
  options.source = source;
  return options;
}

// One tar entry as listed back by libarchive.
struct Listed {
  std::string name;
  unsigned type = 0;
  std::string link;
  bool has_uname = false;
  std::vector<std::string> xattrs;
};

// Lists a (possibly compressed) tar with libarchive.
std::vector<Listed> list_tar(const std::string& path) {
  std::vector<Listed> out;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 1 << 16), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Listed l{archive_entry_pathname(e), archive_entry_filetype(e), {}, false, {}};
    if (const char* h = archive_entry_hardlink(e)) {
      l.link = h;
    } else if (const char* s = archive_entry_symlink(e)) {
      l.link = s;
    }
    const char* uname = archive_entry_uname(e);
    const char* gname = archive_entry_gname(e);
    l.has_uname = (uname != nullptr && *uname != '\0') || (gname != nullptr && *gname != '\0');
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

class LayerWriter : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(src_.c_str(), 0755), 0);
    store_.emplace(BlobStore::open(tmp_.path() + "/store"));
  }

  [[nodiscard]] UniqueFd open_dir(const std::string& path) const {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(fd.is_valid()) << path;
    return fd;
  }

  LayerBlob write(const LayerWriteOptions& options = {}) {
    return write_layer(*store_, open_dir(src_).get(), options);
  }

  // Applies the blob into a fresh directory and returns its path.
  std::string apply(const LayerBlob& blob, WhiteoutMode whiteouts = WhiteoutMode::remove) {
    const std::string dst = fmt::format("{}/dst{}", tmp_.path(), counter_++);
    EXPECT_EQ(mkdir(dst.c_str(), 0755), 0);
    const UniqueFd in = store_->open_blob(blob.digest);
    ApplyOptions options;
    options.privileged = Privileged::yes;
    options.whiteouts = whiteouts;
    const ApplyResult r = apply_layer(in.get(), open_dir(dst).get(), options);
    EXPECT_EQ(r.diff_id, blob.diff_id);
    EXPECT_EQ(r.compressed_digest, blob.digest);
    return dst;
  }

  std::string blob_path(const LayerBlob& blob) const { return *store_->path_of(blob.digest); }

  // A tree with every kind of node and metadata a layer carries.
  void make_rich_tree() {
    ASSERT_EQ(mkdir((src_ + "/bin").c_str(), 0755), 0);
    write_file(src_ + "/bin/ping", std::string(300'000, 'p'), 04755);
    set_xattr(src_ + "/bin/ping", "security.capability",
              std::string("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                          "\x00\x00\x00\x00",
                          20));
    set_xattr(src_ + "/bin/ping", "user.note", "hello");
    ASSERT_EQ(link((src_ + "/bin/ping").c_str(), (src_ + "/bin/ping6").c_str()), 0);
    ASSERT_EQ(symlink("ping", (src_ + "/bin/p").c_str()), 0);
    ASSERT_EQ(symlink(("/dangling/" + std::string(200, 't')).c_str(), (src_ + "/bin/long").c_str()), 0);
    ASSERT_EQ(mkdir((src_ + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(chmod((src_ + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(mkdir((src_ + "/empty").c_str(), 0700), 0);
    set_xattr(src_ + "/empty", "user.dir", "d");
    ASSERT_EQ(mkdir((src_ + "/home").c_str(), 0755), 0);
    write_file(src_ + "/home/secret", "s", 0600);
    ASSERT_EQ(lchown((src_ + "/home/secret").c_str(), 1000, 1001), 0);
    ASSERT_EQ(lchown((src_ + "/bin/p").c_str(), 7, 8), 0);
    ASSERT_EQ(mkfifo((src_ + "/fifo").c_str(), 0640), 0);
    ASSERT_EQ(mknod((src_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(mknod((src_ + "/sda").c_str(), S_IFBLK | 0660, makedev(8, 0)), 0);
    const std::string deep = src_ + "/" + std::string(120, 'n');
    ASSERT_EQ(mkdir(deep.c_str(), 0755), 0);
    write_file(deep + "/" + std::string(120, 'f'), "long name");
    write_file(src_ + "/empty-file", "");
  }

  TempDir tmp_{"layer-writer-"};
  std::string src_ = tmp_.path() + "/src";
  std::optional<BlobStore> store_;
  int counter_ = 0;
};

TEST_F(LayerWriter, RoundTripPreservesTheTree) {
  if (!is_root()) {
    GTEST_SKIP() << "needs root (devices, ownership)";
  }
  make_rich_tree();
  for (const auto compression : {Compression::gzip, Compression::zstd, Compression::none}) {
    SCOPED_TRACE(to_string(compression));
    const LayerBlob blob = write(with(compression));
    EXPECT_EQ(describe_tree(apply(blob)), describe_tree(src_));
  }
}

TEST_F(LayerWriter, DigestDiffIdAndSizesAreRight) {
  make_rich_tree();
  const LayerBlob gz = write();
  EXPECT_EQ(gz.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(sha256_of_file(AT_FDCWD, blob_path(gz)), gz.digest);
  EXPECT_EQ(*store_->size_of(gz.digest), gz.size);
  EXPECT_EQ(gz.content_size, 300'000U + 1 + 9); // the hardlink counted once
  EXPECT_FALSE(gz.already_present);

  const LayerBlob tar = write(with(Compression::none));
  EXPECT_EQ(tar.media_type, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(tar.digest, tar.diff_id);
  EXPECT_EQ(tar.diff_id, gz.diff_id);
  EXPECT_EQ(tar.size, tar.tar_size);
  EXPECT_EQ(gz.tar_size, tar.tar_size);
  EXPECT_EQ(tar.tar_size % 512, 0U);
  EXPECT_EQ(sha256_of_file(AT_FDCWD, blob_path(tar)), tar.diff_id);

  const LayerBlob zst = write(with(Compression::zstd));
  EXPECT_EQ(zst.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(zst.diff_id, tar.diff_id);
  EXPECT_EQ(sha256_of_file(AT_FDCWD, blob_path(zst)), zst.digest);

  EXPECT_TRUE(write().already_present);
}

TEST_F(LayerWriter, CompressedBlobsPassTheTools) {
  make_rich_tree();
  const auto gz = write();
  EXPECT_EQ(std::system(fmt::format("gzip -t '{}'", blob_path(gz)).c_str()), 0);
  const auto zst = write(with(Compression::zstd));
  EXPECT_EQ(std::system(fmt::format("zstd -q -t '{}'", blob_path(zst)).c_str()), 0);
  const auto tar = write(with(Compression::none));
  EXPECT_EQ(std::system(fmt::format("tar -tf '{}' >/dev/null", blob_path(tar)).c_str()), 0);
}

TEST_F(LayerWriter, SortedOrderDockerNamesNumericIds) {
  ASSERT_EQ(mkdir((src_ + "/a").c_str(), 0755), 0);
  write_file(src_ + "/a/z", "");
  write_file(src_ + "/a/b", "");
  write_file(src_ + "/a-c", "");
  write_file(src_ + "/B", "");
  ASSERT_EQ(link((src_ + "/a/z").c_str(), (src_ + "/0link").c_str()), 0);
  const auto listed = list_tar(blob_path(write(with(Compression::none))));
  EXPECT_EQ(names_of(listed), (std::vector<std::string>{"0link", "B", "a/", "a/b", "a/z", "a-c"}));
  EXPECT_TRUE(listed[0].link.empty()); // the first path of the inode holds the data...
  EXPECT_EQ(listed[4].link, "0link");  // ...later ones are hardlink entries to it
  for (const auto& l : listed) {
    EXPECT_FALSE(l.has_uname) << l.name;
  }
}

TEST_F(LayerWriter, SourceDateEpochMakesDigestsReproducible) {
  make_rich_tree();
  LayerWriteOptions options;
  options.source_date_epoch = 1'700'000'000;
  const LayerBlob first = write(options);
  const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  ASSERT_EQ(utimensat(AT_FDCWD, (src_ + "/home/secret").c_str(), now, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (src_ + "/bin").c_str(), now, 0), 0);
  const LayerBlob second = write(options);
  EXPECT_EQ(second.digest, first.digest);
  EXPECT_TRUE(second.already_present);
  const auto dst = apply(second);
  struct stat st{};
  ASSERT_EQ(lstat((dst + "/home/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'700'000'000);
  // Without it, the touched mtime shows.
  EXPECT_NE(write().diff_id, first.diff_id);
}

TEST_F(LayerWriter, SocketsAreSkipped) {
  write_file(src_ + "/f", "f");
  const UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = src_ + "/sock";
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(names_of(list_tar(blob_path(write()))), std::vector<std::string>{"f"});
}

TEST_F(LayerWriter, BadCompressionNamesAndLevelsAreUsageErrors) {
  for (const std::string_view bad : {"lz4", "GZIP", "", "gzip "}) {
    try {
      std::ignore = parse_compression(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      EXPECT_NE(std::string(e.what()).find("gzip, zstd or none"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(parse_compression("zstd"), Compression::zstd);
  for (const auto& [compression, level] :
       std::vector<std::pair<Compression, int>>{{Compression::gzip, 10},
                                                {Compression::gzip, -1},
                                                {Compression::zstd, 0},
                                                {Compression::zstd, 20}}) {
    try {
      LayerWriteOptions options = with(compression);
      options.level = level;
      std::ignore = write(options);
      ADD_FAILURE() << level;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
    }
  }
  EXPECT_TRUE(store_->list().empty());
}

// ---- overlayfs upper dirs ------------------------------------------------------------------------

std::string xattr_of(const std::string& path, const std::string& name) {
  char value[64];
  const auto n = lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
  return n < 0 ? "<none>" : std::string(value, static_cast<std::size_t>(n));
}

bool is_whiteout_device(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

TEST_F(LayerWriter, OverlayWhiteoutsConvertBothWays) {
  if (!is_root()) {
    GTEST_SKIP() << "needs root (mknod, trusted.* xattrs)";
  }
  ASSERT_EQ(mknod((src_ + "/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_EQ(mkdir((src_ + "/d").c_str(), 0755), 0);
  // overlayfs may share one whiteout inode between names: still two whiteouts, no hardlink.
  ASSERT_EQ(link((src_ + "/gone").c_str(), (src_ + "/d/w").c_str()), 0);
  ASSERT_EQ(mkdir((src_ + "/opq").c_str(), 0750), 0);
  set_xattr(src_ + "/opq", "trusted.overlay.opaque", "y");
  write_file(src_ + "/opq/new", "new");
  write_file(src_ + "/f", "f");
  set_xattr(src_ + "/f", "trusted.overlay.origin", "x");
  set_xattr(src_ + "/f", "user.keep", "k");

  const auto blob = write(with(Compression::none, LayerSource::overlay_upper));
  const auto raw = read_file(blob_path(blob));
  EXPECT_NE(raw.find("SCHILY.xattr.user.keep=k"), std::string::npos);
  EXPECT_EQ(raw.find("LIBARCHIVE.xattr"), std::string::npos); // Go readers know only SCHILY
  EXPECT_EQ(raw.find("overlay."), std::string::npos);
  const auto listed = list_tar(blob_path(blob));
  EXPECT_EQ(names_of(listed), (std::vector<std::string>{"d/", "d/.wh.w", "f", ".wh.gone", "opq/",
                                                        "opq/.wh..wh..opq", "opq/new"}));
  for (const auto& l : listed) {
    EXPECT_TRUE(l.link.empty()) << l.name;
    EXPECT_EQ(l.xattrs, l.name == "f" ? std::vector<std::string>{"user.keep"}
                                      : std::vector<std::string>{})
        << l.name;
  }

  const auto snapshot = apply(blob, WhiteoutMode::overlay);
  EXPECT_TRUE(is_whiteout_device(snapshot + "/gone"));
  EXPECT_TRUE(is_whiteout_device(snapshot + "/d/w"));
  EXPECT_EQ(xattr_of(snapshot + "/opq", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(entries(snapshot + "/opq"), std::vector<std::string>{"new"});
  EXPECT_EQ(xattr_of(snapshot + "/f", "trusted.overlay.origin"), "<none>");
  EXPECT_EQ(xattr_of(snapshot + "/f", "user.keep"), "k");
  // And the snapshot, read as an upper dir again, gives the same layer.
  EXPECT_EQ(write_layer(*store_, open_dir(snapshot).get(),
                        with(Compression::none, LayerSource::overlay_upper))
                .diff_id,
            blob.diff_id);

  const auto merged = apply(blob, WhiteoutMode::remove);
  EXPECT_EQ(entries(merged), (std::vector<std::string>{"d", "f", "opq"}));
  EXPECT_EQ(xattr_of(merged + "/opq", "trusted.overlay.opaque"), "<none>");

  // As a plain tree the device is just a device and nothing is opaque.
  const auto plain = list_tar(blob_path(write(with(Compression::none))));
  EXPECT_EQ(names_of(plain), (std::vector<std::string>{"d/", "d/w", "f", "gone", "opq/", "opq/new"}));
  EXPECT_EQ(plain[3].link, "d/w");
}

TEST_F(LayerWriter, OverlayMetacopyUpperIsUnsupported) {
  if (!is_root()) {
    GTEST_SKIP() << "needs root (trusted.* xattrs)";
  }
  write_file(src_ + "/f", "");
  set_xattr(src_ + "/f", "trusted.overlay.metacopy", "");
  try {
    std::ignore = write(with(Compression::gzip, LayerSource::overlay_upper));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported) << e.what();
  }
  EXPECT_TRUE(store_->list().empty());
}

TEST_F(LayerWriter, RealOverlayMountUpperDir) {
  const std::string lower = tmp_.path() + "/lower";
  const std::string upper = src_;
  const std::string work = tmp_.path() + "/work";
  const std::string merged = tmp_.path() + "/merged";
  for (const auto& dir : {lower, work, merged, lower + "/dd"}) {
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  }
  write_file(lower + "/keep", "keep");
  write_file(lower + "/del", "del");
  write_file(lower + "/dd/old", "old");
  const auto options = fmt::format("lowerdir={},upperdir={},workdir={}", lower, upper, work);
  if (mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0) {
    GTEST_SKIP() << "mount -t overlay: " << strerror(errno);
  }
  {
    ScopeExit unmount([&] { std::ignore = umount2(merged.c_str(), MNT_DETACH); });
    ASSERT_EQ(unlink((merged + "/del").c_str()), 0);
    ASSERT_EQ(unlink((merged + "/dd/old").c_str()), 0);
    ASSERT_EQ(rmdir((merged + "/dd").c_str()), 0);
    ASSERT_EQ(mkdir((merged + "/dd").c_str(), 0755), 0); // a new, opaque directory
    write_file(merged + "/dd/new", "new");
    write_file(merged + "/added", "added");
  }
  const auto blob = write(with(Compression::gzip, LayerSource::overlay_upper));
  EXPECT_EQ(names_of(list_tar(blob_path(blob))),
            (std::vector<std::string>{"added", "dd/", "dd/.wh..wh..opq", "dd/new", ".wh.del"}));
  // Applied on top of the lower tree, the layer gives what the mount showed.
  const UniqueFd in = store_->open_blob(blob.digest);
  std::ignore = apply_layer(in.get(), open_dir(lower).get(), ApplyLimits{}, Privileged::yes);
  EXPECT_EQ(entries(lower), (std::vector<std::string>{"added", "dd", "keep"}));
  EXPECT_EQ(entries(lower + "/dd"), std::vector<std::string>{"new"});
}

// ---- failures publish nothing ---------------------------------------------------------------------

TEST_F(LayerWriter, UnreadableSourcePublishesNothing) {
  write_file(src_ + "/f", "f");
  const UniqueFd not_a_dir(open((src_ + "/f").c_str(), O_RDONLY | O_CLOEXEC));
  try {
    std::ignore = write_layer(*store_, not_a_dir.get(), {});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io) << e.what();
    EXPECT_EQ(e.sys_errno(), ENOTDIR) << e.what();
  }
  if (!is_root()) {
    write_file(src_ + "/secret", "s", 0000);
    EXPECT_THROW(std::ignore = write(), Error);
  }
  EXPECT_TRUE(store_->list().empty());
  EXPECT_TRUE(entries(tmp_.path() + "/store/ingest").empty());
}

TEST_F(LayerWriter, FullDiskIsEnospcAndPublishesNothing) {
  const std::string small = tmp_.path() + "/small";
  ASSERT_EQ(mkdir(small.c_str(), 0700), 0);
  if (mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "mount tmpfs: " << strerror(errno);
  }
  ScopeExit unmount([&] { std::ignore = umount2(small.c_str(), MNT_DETACH); });
  auto store = BlobStore::open(small + "/store");
  ASSERT_EQ(std::system(fmt::format("head -c 3000000 /dev/urandom > '{}/random'", src_).c_str()),
            0);
  for (const auto compression : {Compression::gzip, Compression::zstd, Compression::none}) {
    try {
      std::ignore = write_layer(store, open_dir(src_).get(), with(compression));
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::io) << e.what();
      EXPECT_EQ(e.sys_errno(), ENOSPC) << e.what();
    }
    EXPECT_TRUE(store.list().empty());
    EXPECT_TRUE(entries(small + "/store/ingest").empty());
  }
}

} // namespace
} // namespace strata::store
