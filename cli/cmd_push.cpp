// `strata push [--tls-verify=false] [-q] NAME[:TAG]`: a stored image to a registry
// (store/registry_client.hpp), with docker's output (rows with progress bars on a terminal:
// transfer_display.hpp). `STRATA_PUSH_CHUNK_SIZE` (a size such as
// "16MiB"; "0" for one PUT per blob) sets the size above which blobs are sent in chunks.

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/transfer_display.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/human.hpp"
#include "store/registry_client.hpp"

namespace strata::cli {
namespace {

struct PushOptions {
  std::string reference;
  bool tls_verify = true;
  bool quiet = false;
};

int run_push(const GlobalOptions& global, const PushOptions& options) {
  try {
    const store::Reference ref = parse_reference_argument(options.reference).with_default_tag();
    if (ref.digest()) {
      throw Error(ErrorKind::unsupported,
                  fmt::format("push {}: cannot push a digest reference", options.reference));
    }
    store::RegistryOptions registry;
    registry.tls_verify = options.tls_verify;
    if (const char* chunk = std::getenv("STRATA_PUSH_CHUNK_SIZE"); chunk != nullptr) {
      registry.chunk_size = static_cast<std::uint64_t>(parse_size(chunk)); // "16MiB"; "0": one PUT
    }
    auto display = std::make_shared<TransferDisplay>(stdout, "Pushing");
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
    const auto image = images.try_resolve(ref.str());
    if (!image) {
      throw Error(
          ErrorKind::not_found,
          fmt::format("An image does not exist locally with the tag: {}", ref.familiar_name()));
    }
    const store::PushResult result = store::push_image(images, *image, ref, registry);
    if (options.quiet) {
      fmt::print("{}\n", ref.str());
    } else {
      fmt::print("{}: digest: {} size: {}\n", *ref.tag(), result.manifest_digest.str(),
                 result.size);
    }
    return k_exit_ok;
  } catch (const Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "Error response from daemon: {}\n", e.what());
    return k_exit_failure;
  }
}

} // namespace

Action setup_push(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<PushOptions>();
  app.add_option("reference", options->reference, "NAME[:TAG]")->required();
  app.add_flag("--tls-verify", options->tls_verify,
               "Verify the registry's HTTPS certificate (default true; loopback registries use "
               "plain HTTP)");
  app.add_flag("-q,--quiet", options->quiet, "Suppress verbose output");
  return [&global, options] { return run_push(global, *options); };
}

} // namespace strata::cli
