// `strata save [-o FILE] IMAGE...`: images as one tar archive in Docker 25's combined format
// (store/archive_save.hpp), to FILE or to stdout.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "store/archive_save.hpp"

namespace strata::cli {
namespace {

struct SaveOptions {
  std::string output;
  std::vector<std::string> images;
};

// The `-o` file, written under a temporary name in the same directory and renamed over FILE only
// once the whole archive is written, so a failed save never leaves a truncated archive (as the
// docker CLI does). Not fsynced: an archive is a user's file, not store state.
class OutputFile {
public:
  explicit OutputFile(std::string path) : path_(std::move(path)) {
    const auto slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
    const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    temp_ = dir + "/." + base + ".strata-save-XXXXXX";
    fd_ = UniqueFd(::mkostemp(temp_.data(), O_CLOEXEC));
    if (!fd_) {
      throw_errno("create", temp_);
    }
    const mode_t mask = ::umask(0);
    ::umask(mask);
    if (::fchmod(fd_.get(), 0666 & ~mask) != 0) {
      throw_errno("chmod", temp_);
    }
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (!committed_) {
      std::ignore = ::unlink(temp_.c_str());
    }
  }

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  void commit() {
    fd_.close();
    if (::rename(temp_.c_str(), path_.c_str()) != 0) {
      throw_errno("rename to", path_);
    }
    committed_ = true;
  }

private:
  std::string path_;
  std::string temp_;
  UniqueFd fd_;
  bool committed_ = false;
};

int run_save(const GlobalOptions& global, const SaveOptions& options) {
  if (options.output.empty() && stdout_is_terminal()) {
    // docker exits 1 here, not 2: the arguments are fine, the destination is not.
    throw Error(ErrorKind::unsupported,
                "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  const store::ImageStore images = open_store(global);
  const std::vector<store::SaveImage> chosen = store::resolve_save_names(images, options.images);
  if (options.output.empty()) {
    store::save_archive(images, chosen, STDOUT_FILENO, "stdout");
    return k_exit_ok;
  }
  OutputFile out(options.output);
  store::save_archive(images, chosen, out.fd(), options.output);
  out.commit();
  return k_exit_ok;
}

} // namespace

Action setup_save(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<SaveOptions>();
  app.add_option("-o,--output", options->output, "Write to a file, instead of STDOUT");
  app.add_option("image", options->images, "Images to save")->required();
  return [&global, options] { return run_save(global, *options); };
}

} // namespace strata::cli
