// Tests for `save_archive` and `load_archive`: round trips between two stores (same image IDs and
// manifest digests), the legacy `docker save` and skopeo layouts, OCI archives with nested
// indexes, whole-archive compression, and every bad archive leaving the store exactly as it was.
// Archives are built here with libarchive's writer, independently of strata's own tar writer.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/archive_load.hpp"
#include "store/archive_save.hpp"
#include "store/layer_import.hpp"
#include "store/media_types.hpp"
#include "store/sha256.hpp"
#include "store_test_support.hpp"

namespace strata::store {
namespace {

using json = nlohmann::json;
using test_support::entries;

// One entry of a test archive: type '0' file, '2' symlink (data = target), '1' hard link
// (data = target), '5' directory, '3' character device.
struct TarEntry {
  std::string name;
  std::string data;
  char type = '0';
};

enum class Filter { none, gzip, zstd };

std::string make_tar(const std::vector<TarEntry>& items, Filter filter = Filter::none) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (filter == Filter::gzip) {
    archive_write_add_filter_gzip(a);
  } else if (filter == Filter::zstd) {
    archive_write_add_filter_zstd(a);
  }
  std::string buffer(32UL << 20, '\0');
  std::size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a, buffer.data(), buffer.size(), &used), ARCHIVE_OK);
  for (const auto& item : items) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, item.name.c_str());
    archive_entry_set_perm(e, 0644);
    switch (item.type) {
    case '2': archive_entry_set_filetype(e, AE_IFLNK); archive_entry_set_symlink(e, item.data.c_str()); break;
    case '1': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_hardlink(e, item.data.c_str()); break;
    case '5': archive_entry_set_filetype(e, AE_IFDIR); break;
    case '3': archive_entry_set_filetype(e, AE_IFCHR); break;
    default:
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(item.data.size()));
    }
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (item.type == '0' && !item.data.empty()) {
      archive_write_data(a, item.data.data(), item.data.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  buffer.resize(used);
  return buffer;
}

std::string gzip(const std::string& bytes) {
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter_gzip(a);
  std::string buffer(bytes.size() + (1 << 20), '\0');
  std::size_t used = 0;
  archive_write_open_memory(a, buffer.data(), buffer.size(), &used);
  archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_write_header(a, e);
  archive_write_data(a, bytes.data(), bytes.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  buffer.resize(used);
  return buffer;
}

// A small layer tar with one file.
std::string layer_tar(const std::string& file, const std::string& content) {
  return make_tar({{"etc/", "", '5'}, {file, content}});
}

std::string config_json(const std::vector<std::string>& layers) {
  json diff_ids = json::array();
  for (const auto& layer : layers) {
    diff_ids.push_back(sha256_of(layer).str());
  }
  return json{{"architecture", "amd64"}, {"os", "linux"}, {"config", json::object()},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
      .dump();
}

struct StoreState {
  std::vector<Digest> blobs;
  std::vector<Digest> snapshots;
  std::string index;
  std::vector<std::string> ingest, tmp;
  bool operator==(const StoreState&) const = default;
};

class ArchiveTest : public ::testing::Test {
protected:
  TempDir dir_{"strata-archive-test-"};
  ImageStore store_ = ImageStore::open(dir_.path() + "/a");

  std::string write(const std::string& name, const std::string& bytes) {
    return write_at(dir_.path() + "/" + name, bytes);
  }

  static std::string write_at(const std::string& path, const std::string& bytes) {
    const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    EXPECT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    return path;
  }

  ImageRecord add_image(ImageStore& store, const std::vector<std::string>& layers,
                        const std::vector<std::string>& tags, bool gzip_layers = false) {
    std::vector<Descriptor> blobs;
    std::optional<Digest> parent;
    for (const auto& layer : layers) {
      const std::string path = write("layer", gzip_layers ? gzip(layer) : layer);
      const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      const ImportedLayer imported = import_layer(store, fd.get(), parent);
      parent = imported.snapshot.chain_id;
      blobs.push_back(imported.blob);
    }
    std::vector<Reference> refs;
    for (const auto& tag : tags) {
      refs.push_back(Reference::parse(tag));
    }
    return store.commit_image(config_json(layers), blobs, refs);
  }

  std::vector<LoadedImage> load(ImageStore& store, const std::string& bytes) {
    const std::string path = write("archive.tar", bytes);
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return load_archive(store, fd.get());
  }

  std::string save(const std::vector<std::string>& names) {
    const std::string path = dir_.path() + "/saved.tar";
    const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    save_archive(store_, resolve_save_names(store_, names), fd.get(), path);
    return read_file(path);
  }

  StoreState state(const ImageStore& store) {
    return {store.blobs().list(), store.snapshots().list(), read_file(store.root() + "/index.json"),
            entries(store.root() + "/ingest"), entries(store.root() + "/tmp")};
  }

  // Loading `bytes` fails with `Error{corrupt}` mentioning `needle`, and changes nothing.
  void expect_rejected(const std::string& bytes, const std::string& needle) {
    add_image(store_, {layer_tar("etc/existing", "x")}, {"existing:1"});
    const StoreState before = state(store_);
    try {
      std::ignore = load(store_, bytes);
      ADD_FAILURE() << "load succeeded; expected an error mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::corrupt) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_EQ(state(store_), before);
    EXPECT_TRUE(store_.check().empty());
  }
};

// The tar entries of an archive: name → content.
std::map<std::string, std::string> contents_of(const std::string& bytes) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, bytes.data(), bytes.size());
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data(static_cast<std::size_t>(archive_entry_size(e)), '\0');
    archive_read_data(a, data.data(), data.size());
    EXPECT_FALSE(out.contains(archive_entry_pathname(e))) << "twice: " << archive_entry_pathname(e);
    out[archive_entry_pathname(e)] = data;
  }
  archive_read_free(a);
  return out;
}

TEST_F(ArchiveTest, SaveThenLoadKeepsIdsDigestsAndTags) {
  const auto plain = add_image(store_, {layer_tar("etc/a", "1"), layer_tar("etc/b", "2")},
                               {"busybox:latest", "user/app:1"});
  const auto zipped = add_image(store_, {layer_tar("etc/c", "3")}, {"zipped:2"}, true);
  const std::string archive = save({"busybox", "user/app:1", zipped.id.str()});
  ImageStore other = ImageStore::open(dir_.path() + "/b");
  const auto loaded = load(other, archive);
  ASSERT_EQ(loaded.size(), 2U);
  EXPECT_EQ(loaded[0].id, plain.id);
  EXPECT_EQ(loaded[0].manifest, plain.manifest.digest);
  EXPECT_EQ(loaded[1].id, zipped.id);
  EXPECT_TRUE(loaded[1].tags.empty()); // saved by ID
  const auto records = other.list();
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].names, plain.names);
  EXPECT_EQ(other.blobs().list(), store_.blobs().list());
  EXPECT_EQ(other.snapshots().list(), store_.snapshots().list());
  EXPECT_TRUE(other.check().empty());
}

TEST_F(ArchiveTest, SaveWritesEachBlobOnceAndEveryTag) {
  const auto image = add_image(store_, {layer_tar("etc/a", "1")}, {"busybox:latest", "b:2"});
  const auto files = contents_of(save({"busybox:latest", "b:2", "busybox:latest"}));
  EXPECT_EQ(files.size(), 2 + 3 + 4U); // two dirs, three blobs, four documents
  EXPECT_TRUE(files.contains(image.id.blob_path()));
  const json index = json::parse(files.at("index.json"));
  ASSERT_EQ(index["manifests"].size(), 2U);
  EXPECT_EQ(index["manifests"][0]["annotations"]["io.containerd.image.name"],
            "docker.io/library/busybox:latest");
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
  const json manifest = json::parse(files.at("manifest.json"));
  EXPECT_EQ(manifest[0]["RepoTags"], json({"busybox:latest", "b:2"}));
  EXPECT_EQ(manifest[0]["Config"], image.id.blob_path());
}

TEST_F(ArchiveTest, SaveRejectsACorruptBlob) {
  const auto image = add_image(store_, {layer_tar("etc/a", "1")}, {"busybox:latest"});
  const Manifest manifest = Manifest::parse(store_.blobs().read_blob(image.manifest.digest), "m");
  const std::string path = *store_.blobs().path_of(manifest.layers[0].digest);
  ::chmod(path.c_str(), 0644);
  std::string bytes = read_file(path);
  bytes[600] ^= 1;
  write_at(path, bytes);
  try {
    std::ignore = save({"busybox"});
    ADD_FAILURE() << "save succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::corrupt);
    EXPECT_NE(std::string(e.what()).find(manifest.layers[0].digest.str()), std::string::npos);
  }
}

// The legacy `docker save` layout: `<id>/layer.tar`, `<hex>.json`; a duplicate layer as a symlink
// and skopeo's `<hex>.tar` with a link to it.
std::vector<TarEntry> legacy_archive(const std::string& layer1, const std::string& layer2,
                                     const std::string& config) {
  const std::string id = sha256_of(config).hex();
  const json manifest = json::array({{{"Config", id + ".json"},
                                      {"RepoTags", {"legacy:1", "other/name:2"}},
                                      {"Layers", {"aaa/layer.tar", "bbb/layer.tar", "ccc/layer.tar"}}}});
  return {{"aaa/", "", '5'},
          {"aaa/VERSION", "1.0"},
          {"aaa/json", "{}"},
          {"aaa/layer.tar", layer1},
          {"bbb/layer.tar", "../cafe.tar", '2'},
          {"cafe.tar", layer2},
          {"ccc/layer.tar", "../aaa/layer.tar", '2'},
          {id + ".json", config},
          {"repositories", R"({"legacy":{"1":"aaa"}})"},
          {"manifest.json", manifest.dump()}};
}

TEST_F(ArchiveTest, LoadsTheLegacyDockerAndSkopeoLayouts) {
  const std::string l1 = layer_tar("etc/a", "1"), l2 = layer_tar("etc/b", "2");
  const std::string config = config_json({l1, l2, l1});
  const auto loaded = load(store_, make_tar(legacy_archive(l1, l2, config)));
  ASSERT_EQ(loaded.size(), 1U);
  EXPECT_EQ(loaded[0].id, sha256_of(config));
  ASSERT_EQ(loaded[0].tags.size(), 2U);
  EXPECT_EQ(loaded[0].tags[0].str(), "docker.io/library/legacy:1");
  const ImageDetail image = store_.load(store_.resolve("other/name:2"));
  EXPECT_EQ(image.config_bytes, config);
  ASSERT_EQ(image.manifest.layers.size(), 3U);
  EXPECT_EQ(image.manifest.layers[0].media_type, media_type::oci_layer);
  EXPECT_EQ(image.manifest.layers[0].digest, sha256_of(l1));
  EXPECT_EQ(store_.snapshots().list().size(), 3U);
  EXPECT_TRUE(store_.check().empty());
}

// An OCI archive whose index entry is an index: the linux/amd64 image is loaded.
std::vector<TarEntry> oci_archive(const std::string& layer, const std::string& config,
                                  std::string ref_name = "busybox:latest") {
  auto blob = [](const std::string& b) { return TarEntry{sha256_of(b).blob_path(), b}; };
  auto desc = [](std::string_view type, const std::string& b) {
    return json{{"mediaType", type}, {"digest", sha256_of(b).str()}, {"size", b.size()}};
  };
  const std::string gz = gzip(layer);
  const std::string manifest = json{{"schemaVersion", 2},
                                    {"mediaType", media_type::oci_manifest},
                                    {"config", desc(media_type::oci_config, config)},
                                    {"layers", {desc(media_type::oci_layer_gzip, gz)}}}
                                   .dump();
  json arm = desc(media_type::oci_manifest, manifest);
  arm["digest"] = sha256_of("elsewhere").str();
  arm["platform"] = {{"os", "linux"}, {"architecture", "arm64"}};
  json amd = desc(media_type::oci_manifest, manifest);
  amd["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  const std::string nested =
      json{{"schemaVersion", 2}, {"mediaType", media_type::oci_index}, {"manifests", {arm, amd}}}
          .dump();
  json entry = desc(media_type::oci_index, nested);
  entry["annotations"] = {{"org.opencontainers.image.ref.name", ref_name}};
  const json index = {{"schemaVersion", 2}, {"manifests", {entry}}};
  return {{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"}, {"index.json", index.dump()},
          blob(gz), blob(config), blob(manifest), blob(nested)};
}

TEST_F(ArchiveTest, LoadsAnOciArchivePickingLinuxAmd64) {
  const std::string layer = layer_tar("etc/a", "1");
  const std::string config = config_json({layer});
  const auto loaded = load(store_, make_tar(oci_archive(layer, config)));
  ASSERT_EQ(loaded.size(), 1U);
  EXPECT_EQ(loaded[0].id, sha256_of(config));
  ASSERT_EQ(loaded[0].tags.size(), 1U);
  EXPECT_EQ(loaded[0].tags[0].familiar(), "busybox:latest");
  EXPECT_TRUE(store_.check().empty());
}

TEST_F(ArchiveTest, LoadsCompressedArchives) {
  const std::string layer = layer_tar("etc/a", "1");
  const std::string config = config_json({layer});
  for (const Filter filter : {Filter::gzip, Filter::zstd}) {
    ImageStore other = ImageStore::open(dir_.path() + fmt::format("/c{}", static_cast<int>(filter)));
    const auto loaded = load(other, make_tar(oci_archive(layer, config, "latest"), filter));
    ASSERT_EQ(loaded.size(), 1U);
    EXPECT_TRUE(loaded[0].tags.empty()); // a bare tag in ref.name names nothing
    EXPECT_EQ(loaded[0].id, sha256_of(config));
  }
}

// ---- Bad archives: each fails with a message naming the culprit and changes nothing ------------

class BadArchive : public ArchiveTest {
protected:
  std::string l1_ = layer_tar("etc/a", "1"), l2_ = layer_tar("etc/b", "2");
  std::string config_ = config_json({l1_, l2_, l1_});
  std::vector<TarEntry> good_ = legacy_archive(l1_, l2_, config_);

  TarEntry& entry(const std::string& name) {
    return *std::find_if(good_.begin(), good_.end(), [&](const TarEntry& e) { return e.name == name; });
  }
};

TEST_F(BadArchive, Truncated) {
  const std::string bytes = make_tar(good_);
  expect_rejected(bytes.substr(0, 4000), "aaa/layer.tar");
}

TEST_F(BadArchive, BlobNotMatchingItsName) {
  auto items = oci_archive(l1_, config_json({l1_}));
  items.push_back({sha256_of("x").blob_path(), "y"});
  expect_rejected(make_tar(items), sha256_of("x").hex());
}

TEST_F(BadArchive, MissingLayer) {
  std::erase_if(good_, [](const TarEntry& e) { return e.name == "cafe.tar"; });
  expect_rejected(make_tar(good_), "bbb/layer.tar");
}

TEST_F(BadArchive, DiffIdMismatch) {
  entry("cafe.tar").data = layer_tar("etc/b", "changed");
  expect_rejected(make_tar(good_), "layer 2");
}

TEST_F(BadArchive, MalformedManifestJson) {
  entry("manifest.json").data = "[{\"Config\":";
  expect_rejected(make_tar(good_), "manifest.json");
}

TEST_F(BadArchive, MalformedConfig) {
  const std::string id = sha256_of(config_).hex();
  entry(id + ".json").data = "{\"rootfs\":7}";
  expect_rejected(make_tar(good_), "rootfs");
}

TEST_F(BadArchive, TraversalName) {
  good_.push_back({"../../etc/evil", "x"});
  expect_rejected(make_tar(good_), "etc/evil");
}

TEST_F(BadArchive, SymlinkLeavingTheArchive) {
  entry("bbb/layer.tar") = {"bbb/layer.tar", "../../../etc/shadow", '2'};
  expect_rejected(make_tar(good_), "etc/shadow");
}

TEST_F(BadArchive, HardLinkToNothing) {
  good_.insert(good_.begin(), {"zzz/layer.tar", "/etc/passwd", '1'});
  expect_rejected(make_tar(good_), "hard link");
}

TEST_F(BadArchive, DeviceEntry) {
  good_.insert(good_.begin(), {"dev", "", '3'});
  expect_rejected(make_tar(good_), "not a regular file");
}

TEST_F(BadArchive, HugeDocument) {
  good_.push_back({"index.json", std::string(5UL << 20, ' ')});
  expect_rejected(make_tar(good_), "index.json");
}

TEST_F(BadArchive, NotAnImageArchive) {
  expect_rejected(make_tar({{"hello.txt", "hi"}}), "neither manifest.json nor index.json");
}

TEST_F(BadArchive, DescriptorSizeMismatch) {
  auto items = oci_archive(l1_, config_json({l1_}));
  json index = json::parse(items[1].data);
  index["manifests"][0]["size"] = 3;
  items[1].data = index.dump();
  expect_rejected(make_tar(items), "its descriptor says 3");
}

// A layer that passes every archive-level check but escapes when applied: the secure applier
// refuses it during unpack, after blobs were published, and the load is rolled back.
TEST_F(BadArchive, HostileLayerIsRolledBack) {
  const std::string evil = make_tar({{"../escape", "x"}});
  const std::string config = config_json({l1_, evil});
  const std::string id = sha256_of(config).hex();
  const json manifest = json::array({{{"Config", id + ".json"}, {"RepoTags", {"evil:1"}},
                                      {"Layers", {"a.tar", "b.tar"}}}});
  expect_rejected(make_tar({{"a.tar", l1_}, {"b.tar", evil}, {id + ".json", config},
                            {"manifest.json", manifest.dump()}}),
                  "escape");
  EXPECT_FALSE(store_.try_resolve("evil:1"));
}

} // namespace
} // namespace strata::store
