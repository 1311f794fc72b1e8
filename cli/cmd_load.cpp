// `strata load [-i FILE|-] [-q]`: images from a tar archive (docker save, docker-archive,
// oci-archive; plain, gzip or zstd) into the store (store/archive_load.hpp), with docker's output.

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "store/archive_load.hpp"

namespace strata::cli {
namespace {

struct LoadOptions {
  std::string input;
  bool quiet = false; // there is no progress output to suppress; accepted for docker's sake
};

UniqueFd open_input(const std::string& input) {
  if (input.empty() || input == "-") {
    if (::isatty(STDIN_FILENO) == 1) {
      // docker exits 1 with this text when nothing is piped in.
      throw Error(ErrorKind::unsupported, "requested load from stdin, but stdin is empty");
    }
    return UniqueFd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3));
  }
  UniqueFd fd(::open(input.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", input);
  }
  return fd;
}

int run_load(const GlobalOptions& global, const LoadOptions& options) {
  const UniqueFd input = open_input(options.input);
  if (!input) {
    throw_errno("duplicate", "stdin");
  }
  store::ImageStore images = open_store(global);
  for (const auto& image : store::load_archive(images, input.get())) {
    for (const auto& tag : image.tags) {
      fmt::print("Loaded image: {}\n", tag.familiar());
    }
    if (image.tags.empty()) {
      fmt::print("Loaded image ID: {}\n", image.id.str());
    }
  }
  return k_exit_ok;
}

} // namespace

Action setup_load(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LoadOptions>();
  app.add_option("-i,--input", options->input, "Read from tar archive file, instead of STDIN");
  app.add_flag("-q,--quiet", options->quiet, "Suppress the load output");
  return [&global, options] { return run_load(global, *options); };
}

} // namespace strata::cli
