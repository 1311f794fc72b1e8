// `strata export [-o FILE] CONTAINER`: the container's merged filesystem as one flat tar, as
// `docker export` writes it: its image's layers with its own changes on top, deleted files absent,
// no whiteouts. Works for created, running and exited containers (a running one is not paused,
// as in docker). To stdout, which must not be a terminal, or to FILE.
//
// The merged tree is a read-only overlayfs view that no other process sees
// (runtime/merged_view.hpp), tarred by store/tree_tar.hpp; a container running on a rootfs copy
// (overlayfs refused, cli/container_rootfs.hpp) has its tree already: the copy is tarred (with the
// init layer's mount points and /etc files, as docker's export shows them).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/container_rootfs.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "runtime/merged_view.hpp"
#include "store/atomic_file.hpp"
#include "store/tree_tar.hpp"

namespace strata::cli {
namespace {

struct ExportOptions {
  std::string output;
  std::string container;
};

// The container's layers, top first: its upper dir, then its image's snapshots top to bottom.
std::vector<std::string> layer_dirs(const store::ImageStore& images,
                                    const store::ContainerRecord& record) {
  std::vector<std::string> layers = image_layer_dirs(images.snapshots(), record);
  layers.insert(layers.begin(), record.dir + "/upper");
  return layers;
}

// The container's merged tree: its rootfs copy, or a read-only overlay view of its layers.
UniqueFd open_tree(const store::ImageStore& images, const store::ContainerRecord& record) {
  if (const std::optional<std::string> copy = rootfs_copy_of(record)) {
    UniqueFd fd(::open(copy->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      throw_errno("open", *copy);
    }
    return fd;
  }
  return runtime::open_merged_view(layer_dirs(images, record), record.dir + "/rootfs");
}

// `-o FILE`: written under a temporary name next to FILE and renamed over it only once the whole
// tar is written, so a failed export never leaves a truncated archive (as the docker CLI does).
// Mode 0666 minus the umask, as a file the shell would create.
void export_to_file(int view_fd, const std::string& path) {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  store::AtomicFile file(path, 0666 & ~mask);
  std::ignore =
      store::write_tree_tar(view_fd, [&file](std::string_view bytes) { file.write(bytes); });
  file.commit();
}

int run_export(const GlobalOptions& global, const ExportOptions& options) {
  if (options.output.empty() && stdout_is_terminal()) {
    // docker exits 1 here, not 2: the arguments are fine, the destination is not.
    throw Error(ErrorKind::unsupported,
                "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  const store::ContainerRecord record = open_containers(global).resolve(options.container);
  const store::ImageStore images = open_store(global);
  // Shared: a concurrent `rm` + gc cannot sweep the snapshots while they are being read.
  const store::FileLock lock = images.content_lock();
  const UniqueFd view = open_tree(images, record);
  if (options.output.empty()) {
    std::ignore = store::write_tree_tar(view.get(), store::fd_sink(STDOUT_FILENO, "stdout"));
  } else {
    export_to_file(view.get(), options.output);
  }
  return k_exit_ok;
}

} // namespace

Action setup_export(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ExportOptions>();
  app.add_option("-o,--output", options->output, "Write to a file, instead of STDOUT");
  app.add_option("container", options->container, "The container to export")->required();
  return [&global, options] { return run_export(global, *options); };
}

} // namespace strata::cli
