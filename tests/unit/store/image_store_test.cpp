// ImageStore: layer import into blob + snapshot, images and tags in index.json (moving tags,
// dangling images), resolution as docker does it, removal with garbage collection, and check.
#include "store/image_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/layer_import.hpp"
#include "store/media_types.hpp"
#include "store/sha256.hpp"
#include "unit/store/store_test_support.hpp"

namespace strata::store {
namespace {

using test_support::entries;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Tars `dir` with the system tar (numeric owners, sorted) into `out`.
void make_tar(const std::string& dir, const std::string& out, const std::string& extra = "") {
  const std::string cmd =
      fmt::format("tar --numeric-owner --sort=name {} -C '{}' -cf '{}' .", extra, dir, out);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

std::string config_for(const std::vector<Digest>& diff_ids, const std::string& created) {
  nlohmann::json ids = nlohmann::json::array();
  nlohmann::json history = nlohmann::json::array();
  for (const auto& d : diff_ids) {
    ids.push_back(d.str());
    history.push_back({{"created", created}, {"created_by", "test"}});
  }
  return nlohmann::json{{"architecture", "amd64"},
                        {"os", "linux"},
                        {"created", created},
                        {"config", {{"Cmd", {"/bin/sh"}}}},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", ids}}},
                        {"history", history}}
      .dump();
}

class ImageStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    ::mkdir((dir_.path() + "/tree").c_str(), 0755);
    write_text(dir_.path() + "/tree/hello.txt", "hello\n");
    ::mkdir((dir_.path() + "/tree/etc").c_str(), 0755);
    write_text(dir_.path() + "/tree/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    make_tar(dir_.path() + "/tree", dir_.path() + "/layer.tar");
  }

  ImportedLayer import_file(const std::string& path, const std::optional<Digest>& parent = {}) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return import_layer(store_, fd.get(), parent);
  }

  ImageRecord make_image(const std::vector<Reference>& tags, const std::string& created) {
    const ImportedLayer layer = import_file(dir_.path() + "/layer.tar");
    return store_.commit_image(config_for({layer.snapshot.diff_id}, created), {layer.blob}, tags);
  }

  // Everything on disk except lock files, for "unchanged" comparisons.
  std::string state() {
    std::string out = read_file(store_.root() + "/index.json");
    for (const char* sub : {"/blobs/sha256", "/snapshots", "/ingest", "/tmp"}) {
      for (const auto& e : entries(store_.root() + sub)) {
        out += std::string(sub) + "/" + e + "\n";
      }
    }
    return out;
  }

  TempDir dir_{"image-store-test-"};
  ImageStore store_ = ImageStore::open(dir_.path() + "/root");
};

TEST_F(ImageStoreTest, ImportLayerStoresBlobAndSnapshotInOnePass) {
  const ImportedLayer layer = import_file(dir_.path() + "/layer.tar");
  EXPECT_EQ(layer.blob.media_type, media_type::oci_layer);
  EXPECT_EQ(layer.blob.digest, layer.snapshot.diff_id); // plain tar: digest == diff ID
  EXPECT_EQ(layer.snapshot.chain_id, layer.snapshot.diff_id);
  EXPECT_TRUE(store_.blobs().contains(layer.blob.digest));
  EXPECT_EQ(read_file(layer.snapshot.fs_path + "/hello.txt"), "hello\n");
  EXPECT_TRUE(entries(store_.root() + "/tmp").empty());
  EXPECT_TRUE(entries(store_.root() + "/ingest").empty());
}

TEST_F(ImageStoreTest, GzipLayerKeepsItsBytesAndSharesTheSnapshot) {
  ASSERT_EQ(std::system(fmt::format("gzip -k -n '{}/layer.tar'", dir_.path()).c_str()), 0);
  const ImportedLayer plain = import_file(dir_.path() + "/layer.tar");
  const ImportedLayer gz = import_file(dir_.path() + "/layer.tar.gz");
  EXPECT_EQ(gz.blob.media_type, media_type::oci_layer_gzip);
  EXPECT_EQ(gz.blob.digest, sha256_of(read_file(dir_.path() + "/layer.tar.gz")));
  EXPECT_EQ(gz.snapshot.diff_id, plain.snapshot.diff_id);
  EXPECT_EQ(store_.snapshots().list().size(), 1U);
}

TEST_F(ImageStoreTest, WhiteoutsBecomeOverlayWhiteoutsInSnapshots) {
  const std::string upper = dir_.path() + "/upper";
  ::mkdir(upper.c_str(), 0755);
  write_text(upper + "/.wh.hello.txt", "");
  ::mkdir((upper + "/etc").c_str(), 0755);
  write_text(upper + "/etc/.wh..wh..opq", "");
  make_tar(upper, dir_.path() + "/upper.tar");
  const ImportedLayer base = import_file(dir_.path() + "/layer.tar");
  const ImportedLayer top = import_file(dir_.path() + "/upper.tar", base.snapshot.chain_id);
  EXPECT_EQ(top.snapshot.parent, base.snapshot.chain_id);
  EXPECT_EQ(top.snapshot.chain_id, chain_ids({base.snapshot.diff_id, top.snapshot.diff_id})[1]);
  struct stat st {};
  ASSERT_EQ(::lstat((top.snapshot.fs_path + "/hello.txt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, 0U);
  char value[8] = {};
  EXPECT_EQ(::lgetxattr((top.snapshot.fs_path + "/etc").c_str(), "trusted.overlay.opaque", value,
                        sizeof value),
            1);
  EXPECT_EQ(value[0], 'y');
}

TEST_F(ImageStoreTest, HostileLayerLeavesStoreUnchanged) {
  const std::string before = state();
  write_text(dir_.path() + "/garbage.tar", std::string(4096, 'x'));
  EXPECT_THROW(std::ignore = import_file(dir_.path() + "/garbage.tar"), Error);
  // A name climbing out of the root.
  ASSERT_EQ(std::system(fmt::format("cd '{}' && tar -cf evil.tar --absolute-names "
                                    "--transform 's,^,../,' tree/hello.txt",
                                    dir_.path())
                            .c_str()),
            0);
  EXPECT_THROW(std::ignore = import_file(dir_.path() + "/evil.tar"), Error);
  EXPECT_EQ(state(), before);
}

TEST_F(ImageStoreTest, CommitTagsAndResolves) {
  const ImageRecord image = make_image({Reference::parse("busybox")}, "2024-01-02T03:04:05Z");
  ASSERT_EQ(image.names.size(), 1U);
  EXPECT_EQ(image.names[0].str(), "docker.io/library/busybox:latest");
  for (const std::string& text : std::vector<std::string>{"busybox", "busybox:latest", "docker.io/library/busybox:latest", image.id.str(),
        image.id.hex().substr(0, 12), image.id.hex().substr(0, 3), image.manifest.digest.str(),
        "busybox@" + image.manifest.digest.str()}) {
    EXPECT_EQ(store_.resolve(text).id, image.id) << text;
  }
  EXPECT_FALSE(store_.try_resolve("busybox:other"));
  EXPECT_FALSE(store_.try_resolve("nosuch"));
  try {
    std::ignore = store_.resolve("nosuch");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("No such image: nosuch"), std::string::npos);
  }
  // index.json is an OCI index with both annotations.
  const auto index = nlohmann::json::parse(read_file(store_.root() + "/index.json"));
  ASSERT_EQ(index["manifests"].size(), 1U);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
            "busybox:latest");
  EXPECT_EQ(index["manifests"][0]["annotations"]["io.containerd.image.name"],
            "docker.io/library/busybox:latest");
  const ImageDetail detail = store_.load(image);
  EXPECT_EQ(detail.manifest.media_type, media_type::oci_manifest);
  EXPECT_EQ(sha256_of(detail.config_bytes), image.id);
}

TEST_F(ImageStoreTest, MovingTheLastTagLeavesADanglingImage) {
  const ImageRecord a = make_image({Reference::parse("app:1")}, "2024-01-01T00:00:00Z");
  const ImageRecord b = make_image({Reference::parse("app:1")}, "2024-02-01T00:00:00Z");
  ASSERT_NE(a.id, b.id);
  const auto images = store_.list();
  ASSERT_EQ(images.size(), 2U);
  const auto old = std::find_if(images.begin(), images.end(), [&](auto& r) { return r.id == a.id; });
  ASSERT_NE(old, images.end());
  EXPECT_TRUE(old->names.empty());
  EXPECT_EQ(store_.resolve("app:1").id, b.id);
  // Tagging twice, untagging one.
  store_.tag(b, Reference::parse("app:2"));
  EXPECT_EQ(store_.resolve("app:2").names.size(), 2U);
  const auto untagged = store_.untag(Reference::parse("app:1"));
  ASSERT_TRUE(untagged);
  EXPECT_EQ(untagged->id, b.id);
  EXPECT_FALSE(store_.try_resolve("app:1"));
  EXPECT_FALSE(store_.untag(Reference::parse("app:1")));
}

TEST_F(ImageStoreTest, AmbiguousPrefixIsAUsageError) {
  // Hex digit prefixes of two IDs can collide; "" is never a prefix match.
  // The names are not hex: a name matches before an ID prefix (as docker's),
  // so an image named "b" would win over an ID starting with "b".
  const ImageRecord a = make_image({Reference::parse("first")}, "2024-01-01T00:00:00Z");
  const ImageRecord b = make_image({Reference::parse("second")}, "2024-01-02T00:00:00Z");
  std::size_t common = 0;
  while (a.id.hex()[common] == b.id.hex()[common]) {
    ++common;
  }
  if (common > 0) {
    EXPECT_THROW(std::ignore = store_.resolve(a.id.hex().substr(0, common)), Error);
  }
  EXPECT_EQ(store_.resolve(a.id.hex().substr(0, common + 1)).id, a.id);
}

TEST_F(ImageStoreTest, RemoveThenGcDeletesOnlyWhatNothingReferences) {
  const ImageRecord a = make_image({Reference::parse("a")}, "2024-01-01T00:00:00Z");
  const ImageRecord b = make_image({Reference::parse("b")}, "2024-01-02T00:00:00Z");
  store_.remove(a.manifest.digest);
  const GcResult gc = store_.collect_garbage();
  EXPECT_EQ(gc.blobs, 2U); // a's manifest and config; the shared layer stays
  EXPECT_EQ(gc.snapshots, 0U);
  EXPECT_TRUE(store_.check().empty());
  const ImageDetail detail = store_.load(b);
  EXPECT_TRUE(store_.blobs().contains(detail.manifest.layers[0].digest));
  store_.remove(b.manifest.digest);
  const GcResult all = store_.collect_garbage();
  EXPECT_EQ(all.blobs, 3U);
  EXPECT_EQ(all.snapshots, 1U);
  EXPECT_TRUE(store_.blobs().list().empty());
}

TEST_F(ImageStoreTest, GcDefersInsteadOfWaitingForAContentLockHolder) {
  const ImageRecord a = make_image({Reference::parse("a")}, "2024-01-01T00:00:00Z");
  store_.remove(a.manifest.digest);
  {
    const FileLock running = store_.content_lock(); // a running container, say
    const GcResult gc = store_.collect_garbage({}, ImageStore::GcWait::no);
    EXPECT_TRUE(gc.deferred);
    EXPECT_EQ(gc.blobs, 0U);
    EXPECT_EQ(store_.blobs().list().size(), 3U);
  }
  const GcResult later = store_.collect_garbage({}, ImageStore::GcWait::no);
  EXPECT_FALSE(later.deferred);
  EXPECT_EQ(later.blobs, 3U);
}

TEST_F(ImageStoreTest, GcRemovesStaleStagingButNotLiveOnes) {
  ::mkdir((store_.root() + "/tmp/snapshot-dead").c_str(), 0700);
  write_text(store_.root() + "/.index.json.tmp.abcdef", "{");
  const GcResult gc = store_.collect_garbage();
  EXPECT_EQ(gc.staging, 2U);
  EXPECT_TRUE(entries(store_.root() + "/tmp").empty());
}

TEST_F(ImageStoreTest, CheckReportsCorruptionAndMissingBlobs) {
  const ImageRecord image = make_image({Reference::parse("a")}, "2024-01-01T00:00:00Z");
  EXPECT_TRUE(store_.check().empty());
  const ImageDetail detail = store_.load(image);
  const std::string layer = store_.root() + "/" + detail.manifest.layers[0].digest.blob_path();
  ::chmod(layer.c_str(), 0644);
  std::ofstream(layer, std::ios::app) << "tampered";
  auto problems = store_.check();
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find(detail.manifest.layers[0].digest.str()), std::string::npos);
  ::unlink((store_.root() + "/" + detail.manifest.config.digest.blob_path()).c_str());
  problems = store_.check();
  EXPECT_GE(problems.size(), 2U);
}

TEST_F(ImageStoreTest, UnpackCreatesEverySnapshotOnce) {
  const ImageRecord image = make_image({Reference::parse("a")}, "2024-01-01T00:00:00Z");
  const ImageDetail detail = store_.load(image);
  ASSERT_TRUE(store_.snapshots().remove(chain_ids(detail.config.diff_ids)[0]));
  const auto chains = store_.unpack(detail);
  ASSERT_EQ(chains.size(), 1U);
  const auto info = store_.snapshots().get(chains[0]);
  ASSERT_TRUE(info);
  EXPECT_EQ(read_file(info->fs_path + "/hello.txt"), "hello\n");
  EXPECT_EQ(store_.unpack(detail), chains);
  EXPECT_TRUE(store_.check().empty());
}

TEST_F(ImageStoreTest, ConcurrentImportsOfOneLayerAgree) {
  std::vector<std::thread> threads;
  std::vector<Digest> chains(4, sha256_of(""));
  for (std::size_t i = 0; i < chains.size(); ++i) {
    threads.emplace_back([&, i] {
      ImageStore own = ImageStore::open(store_.root());
      const UniqueFd fd(::open((dir_.path() + "/layer.tar").c_str(), O_RDONLY | O_CLOEXEC));
      chains[i] = import_layer(own, fd.get(), std::nullopt).snapshot.chain_id;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& c : chains) {
    EXPECT_EQ(c, chains[0]);
  }
  EXPECT_EQ(store_.snapshots().list().size(), 1U);
  EXPECT_EQ(store_.blobs().list().size(), 1U);
  EXPECT_TRUE(entries(store_.root() + "/tmp").empty());
}

} // namespace
} // namespace strata::store
