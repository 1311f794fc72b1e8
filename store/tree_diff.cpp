// `write_diff_layer` (tree_diff.hpp): the tree and its merged lower dirs walked side by side, one
// directory level at a time, every entry through the layer writer's walker.

#include "store/tree_diff.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/unique_fd.hpp"
#include "store/layer_writer_internal.hpp"

namespace strata::store {
namespace {

using layer_writer_detail::TarEntry;
using layer_writer_detail::TarStream;
using layer_writer_detail::TreeWalker;

constexpr std::string_view k_whiteout_prefix = ".wh.";

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_opaque(int dir_fd) {
  for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    char value[2] = {};
    if (::fgetxattr(dir_fd, name, value, sizeof value) == 1 && value[0] == 'y') {
      return true;
    }
  }
  return false;
}

UniqueFd open_directory(int dir_fd, const std::string& name, const std::string& path) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", path);
  }
  return fd;
}

// `stat` of `name` in `dir_fd`, or nullopt when there is nothing by that name.
std::optional<struct stat> stat_at(int dir_fd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return st;
  }
  if (errno == ENOENT) {
    return std::nullopt;
  }
  throw_errno("stat", path);
}

// One directory of the merged lower dirs: the layers' fds where it is a directory, top first,
// ending at an opaque one.
class MergedDir {
public:
  static MergedDir of_roots(const std::vector<std::string>& dirs) {
    MergedDir merged;
    for (const std::string& dir : dirs) {
      merged.layers_.emplace_back(open_directory(AT_FDCWD, dir, dir));
    }
    return merged;
  }

  // The entry `name` as overlayfs shows it: the topmost layer's, nullopt when absent or whited
  // out.
  [[nodiscard]] std::optional<struct stat> lookup(const std::string& name,
                                                  const std::string& path) const {
    for (const UniqueFd& layer : layers_) {
      if (const std::optional<struct stat> st = stat_at(layer.get(), name, path)) {
        return is_whiteout(*st) ? std::nullopt : st;
      }
    }
    return std::nullopt;
  }

  // The directory `name` (which `lookup` found a directory) one level down.
  [[nodiscard]] MergedDir child(const std::string& name, const std::string& path) const {
    MergedDir merged;
    for (const UniqueFd& layer : layers_) {
      const std::optional<struct stat> st = stat_at(layer.get(), name, path);
      if (!st) {
        continue;
      }
      if (!S_ISDIR(st->st_mode)) {
        break; // a whiteout or a non-directory hides the layers below
      }
      merged.layers_.emplace_back(open_directory(layer.get(), name, path));
      if (is_opaque(merged.layers_.back().get())) {
        break;
      }
    }
    return merged;
  }

  // Every name in any layer, sorted, without duplicates (whited-out ones included).
  [[nodiscard]] std::vector<std::string> names(const std::string& path) const {
    std::vector<std::string> all;
    for (const UniqueFd& layer : layers_) {
      std::vector<std::string> some = list_directory(layer.get(), path);
      all.insert(all.end(), some.begin(), some.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

private:
  std::vector<UniqueFd> layers_;
};

// docker's `statDifferent`.
bool differs(const struct stat& tree, const struct stat& lower) {
  if (tree.st_mode != lower.st_mode || tree.st_uid != lower.st_uid ||
      tree.st_gid != lower.st_gid || tree.st_rdev != lower.st_rdev) {
    return true;
  }
  return !S_ISDIR(tree.st_mode) &&
         (tree.st_size != lower.st_size || tree.st_mtim.tv_sec != lower.st_mtim.tv_sec ||
          tree.st_mtim.tv_nsec != lower.st_mtim.tv_nsec);
}

class TreeDiffer {
public:
  TreeDiffer(TreeWalker& walker, TarStream& tar) : walker_(walker), tar_(tar) {}

  void diff_dir(int tree_fd, const MergedDir& lower, const std::string& prefix) {
    const std::string label = prefix.empty() ? "." : prefix;
    std::vector<std::string> names = list_directory(tree_fd, label);
    std::sort(names.begin(), names.end());
    const std::vector<std::string> lower_names = lower.names(label);
    std::vector<std::string> all;
    std::set_union(names.begin(), names.end(), lower_names.begin(), lower_names.end(),
                   std::back_inserter(all));
    for (const std::string& name : all) {
      const std::string path = prefix + name;
      const std::optional<struct stat> before = lower.lookup(name, path);
      const std::optional<struct stat> now = stat_at(tree_fd, name, path);
      if (now) {
        diff_entry(tree_fd, lower, name, path, *now, before);
      } else if (before) {
        whiteout(prefix, name);
      }
    }
  }

private:
  // A directory whose entry is written only once something below it is (docker adds the
  // parents of every change).
  struct Pending {
    int fd;
    std::string path;
    struct stat st;
    bool written;
  };

  void diff_entry(int tree_fd, const MergedDir& lower, const std::string& name,
                  const std::string& path, const struct stat& now,
                  const std::optional<struct stat>& before) {
    if (before && S_ISDIR(now.st_mode) && S_ISDIR(before->st_mode)) {
      const UniqueFd child = open_directory(tree_fd, name, path);
      pending_.push_back({child.get(), path, now, false});
      if (differs(now, *before)) {
        flush_pending();
      }
      diff_dir(child.get(), lower.child(name, path), path + "/");
      pending_.pop_back();
    } else if (!before || differs(now, *before)) {
      flush_pending();
      walker_.add(tree_fd, name, path, now); // a new directory with everything below it
    }
  }

  void flush_pending() {
    for (Pending& parent : pending_) {
      if (!parent.written) {
        walker_.add_directory_entry(parent.fd, parent.path, parent.st);
        parent.written = true;
      }
    }
  }

  void whiteout(const std::string& prefix, const std::string& name) {
    flush_pending();
    TarEntry entry;
    entry.name = prefix + std::string(k_whiteout_prefix) + name;
    entry.mode = 0600;
    tar_.begin(entry);
    tar_.end();
  }

  TreeWalker& walker_;
  TarStream& tar_;
  std::vector<Pending> pending_;
};

} // namespace

LayerBlob write_diff_layer(BlobStore& store, int tree_fd,
                           const std::vector<std::string>& lower_dirs,
                           const LayerWriteOptions& options) {
  LayerWriteOptions tree_options = options;
  tree_options.source = LayerSource::tree;
  const MergedDir lower = MergedDir::of_roots(lower_dirs);
  return layer_writer_detail::write_layer_with(
      store, tree_options, [&](TreeWalker& walker, TarStream& tar) {
        TreeDiffer(walker, tar).diff_dir(tree_fd, lower, "");
      });
}

} // namespace strata::store
