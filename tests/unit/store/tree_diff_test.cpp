// Tests for `write_diff_layer` (docker's naive diff): a tree copied from overlay-form layers,
// changed, diffed back into a layer whose entries are exactly the changes, and which, applied on
// the merged layers, gives the tree again. Need root (whiteout devices, trusted.* xattrs).

#include "store/tree_diff.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/tar_apply.hpp"
#include "store_test_support.hpp"

namespace strata::store {
namespace {

using test_support::describe_tree;

constexpr std::string_view k_empty_tar_diff_id =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

void write_file(const std::string& path, const std::string& content) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd.is_valid()) << path;
  ASSERT_EQ(::write(fd.get(), content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
}

void run(const std::string& command) {
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

UniqueFd open_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(fd.is_valid()) << path;
  return fd;
}

std::vector<std::string> tar_names(const std::string& path) {
  std::vector<std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 1 << 16), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    out.emplace_back(archive_entry_pathname(e));
  }
  archive_read_free(a);
  return out;
}

class TreeDiff : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root (whiteout devices, trusted xattrs)";
    }
    store_.emplace(BlobStore::open(tmp_.path() + "/store"));
    // bottom: a, gone, d/{old, sub/deep}, keep/{k, same}, s -> a; top (overlay form): gone whited
    // out, d opaque with only new, c added.
    run(fmt::format("mkdir -p {0}/bottom/d/sub {0}/bottom/keep {0}/top/d", tmp_.path()));
    write_file(bottom() + "/a", "a");
    write_file(bottom() + "/gone", "gone");
    write_file(bottom() + "/d/old", "old");
    write_file(bottom() + "/d/sub/deep", "deep");
    write_file(bottom() + "/keep/k", "k");
    write_file(bottom() + "/keep/same", "same");
    ASSERT_EQ(::symlink("a", (bottom() + "/s").c_str()), 0);
    ASSERT_EQ(::mknod((top() + "/gone").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
    ASSERT_EQ(::setxattr((top() + "/d").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    write_file(top() + "/d/new", "new");
    write_file(top() + "/c", "c");
    merge_into(tree());
  }

  // The merged view of the two layers, by hand (cp -a keeps times to the nanosecond).
  void merge_into(const std::string& dir) {
    run(fmt::format("cp -a {0}/bottom {1} && rm {1}/gone && rm -r {1}/d && "
                    "cp -a {0}/top/d {0}/top/c {1}/",
                    tmp_.path(), dir));
    ::removexattr((dir + "/d").c_str(), "trusted.overlay.opaque");
  }

  std::string bottom() const { return tmp_.path() + "/bottom"; }
  std::string top() const { return tmp_.path() + "/top"; }
  std::string tree() const { return tmp_.path() + "/tree"; }

  LayerBlob diff() {
    LayerWriteOptions options;
    options.compression = Compression::none;
    return write_diff_layer(*store_, open_dir(tree()).get(), {top(), bottom()}, options);
  }

  std::vector<std::string> names_of(const LayerBlob& blob) {
    return tar_names(*store_->path_of(blob.digest));
  }

  TempDir tmp_{"strata-tree-diff-"};
  std::optional<BlobStore> store_;
};

TEST_F(TreeDiff, AnUnchangedTreeIsTheEmptyLayer) {
  const LayerBlob blob = diff();
  EXPECT_EQ(blob.diff_id.str(), k_empty_tar_diff_id);
  EXPECT_TRUE(names_of(blob).empty());
}

TEST_F(TreeDiff, TheLayerHoldsExactlyTheChanges) {
  run(fmt::format("cd {} && echo changed >a && rm keep/k s && mkdir -p n/m && echo x >n/m/f && "
                  "chmod 700 d && echo more >>d/new && rm -r d/new && mkdir d/new",
                  tree()));
  const LayerBlob blob = diff();
  EXPECT_EQ(names_of(blob),
            (std::vector<std::string>{"a", "d/", "d/new/", "keep/", "keep/.wh.k", "n/", "n/m/",
                                      "n/m/f", ".wh.s"}))
      << "sorted by name with each whiteout at its name's place; unchanged keep/ as a parent";
}

TEST_F(TreeDiff, AppliedOnTheLayersItGivesTheTreeAgain) {
  run(fmt::format("cd {} && echo changed >a && rm -r keep c && mkdir -p n && echo x >n/f && "
                  "chmod 750 d && chown 7:8 d/new",
                  tree()));
  const LayerBlob blob = diff();
  // The merged base, then the diff on it.
  const std::string merged = tmp_.path() + "/merged";
  merge_into(merged);
  const UniqueFd in = store_->open_blob(blob.digest);
  ApplyOptions options;
  options.privileged = Privileged::yes;
  const ApplyResult result = apply_layer(in.get(), open_dir(merged).get(), options);
  EXPECT_EQ(result.diff_id, blob.diff_id);
  EXPECT_EQ(describe_tree(merged), describe_tree(tree()));
}

TEST_F(TreeDiff, AFileReplacingADirectoryAndBack) {
  run(fmt::format("cd {} && rm -r keep && echo file >keep && rm a && mkdir a && echo in >a/x",
                  tree()));
  const LayerBlob blob = diff();
  EXPECT_EQ(names_of(blob), (std::vector<std::string>{"a/", "a/x", "keep"}));
}

} // namespace
} // namespace strata::store
