// `strata pull [--platform OS/ARCH[/VARIANT]] [--tls-verify=false] [-q] NAME[:TAG|@DIGEST]`: an
// image from a registry (store/registry_client.hpp), with docker's output: status lines in a
// pipe, rows redrawn with progress bars on a terminal (transfer_display.hpp).

#include <unistd.h>

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/transfer_display.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "store/registry_client.hpp"

namespace strata::cli {
namespace {

struct PullOptions {
  std::string reference;
  std::string platform;
  bool tls_verify = true;
  bool quiet = false;
};

store::Platform parse_platform(const std::string& text) {
  store::Platform platform;
  const std::size_t first = text.find('/');
  if (first == std::string::npos || first == 0) {
    throw Error(ErrorKind::unsupported,
                fmt::format("invalid platform \"{}\": expected OS/ARCH[/VARIANT]", text));
  }
  platform.os = text.substr(0, first);
  const std::string rest = text.substr(first + 1);
  const std::size_t second = rest.find('/');
  platform.architecture = rest.substr(0, second);
  platform.variant = second == std::string::npos ? "" : rest.substr(second + 1);
  if (platform.architecture.empty() || platform.variant.find('/') != std::string::npos) {
    throw Error(ErrorKind::unsupported,
                fmt::format("invalid platform \"{}\": expected OS/ARCH[/VARIANT]", text));
  }
  return platform;
}

int run_pull(const GlobalOptions& global, const PullOptions& options) {
  try {
    const store::Reference ref = parse_reference_argument(options.reference).with_default_tag();
    store::RegistryOptions registry;
    registry.tls_verify = options.tls_verify;
    if (!options.platform.empty()) {
      registry.platform = parse_platform(options.platform);
    }
    auto display = std::make_shared<TransferDisplay>(stdout, "Downloading");
    if (!options.quiet && ::isatty(STDOUT_FILENO) == 1) {
      registry.progress = [display](std::string_view line) { display->line(line); };
      registry.transfer_progress = [display](const store::Digest& blob, std::uint64_t done,
                                             std::uint64_t total) {
        display->bytes(blob, done, total);
      };
    } else if (!options.quiet) {
      registry.progress = [](std::string_view line) {
        fmt::print("{}\n", line);
        std::fflush(stdout);
      };
    }
    store::ImageStore images = open_store(global);
    const store::PullResult result = store::pull_image(images, ref, registry);
    if (!options.quiet) {
      fmt::print("Digest: {}\n", result.digest.str());
      fmt::print("Status: {} for {}\n",
                 result.updated ? "Downloaded newer image" : "Image is up to date", ref.familiar());
    }
    fmt::print("{}\n", ref.str());
    return k_exit_ok;
  } catch (const Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "Error response from daemon: {}\n", e.what());
    return k_exit_failure;
  }
}

} // namespace

Action setup_pull(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<PullOptions>();
  app.add_option("reference", options->reference, "NAME[:TAG|@DIGEST]")->required();
  app.add_option("--platform", options->platform,
                 "Set platform if server is multi-platform capable (default linux/amd64)");
  app.add_flag("--tls-verify", options->tls_verify,
               "Verify the registry's HTTPS certificate (default true; loopback registries use "
               "plain HTTP)");
  app.add_flag("-q,--quiet", options->quiet, "Suppress verbose output");
  return [&global, options] { return run_pull(global, *options); };
}

} // namespace strata::cli
