// `strata logout [SERVER]`: docker logout — removes SERVER's credentials from Docker's config and
// its credential helper (store/credentials.hpp). SERVER defaults to Docker Hub. Not being logged
// in is not an error ("Not logged in to HOST", exit 0).

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "store/credentials.hpp"

namespace strata::cli {
namespace {

int run_logout(const std::string& server) {
  try {
    const std::string key = store::credentials_key(server.empty() ? "docker.io" : server);
    const store::CredentialStore credentials;
    if (!credentials.erase(key)) {
      fmt::print("Not logged in to {}\n", key);
      return k_exit_ok;
    }
    fmt::print("Removing login credentials for {}\n", key);
    return k_exit_ok;
  } catch (const Error& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return k_exit_failure;
  }
}

} // namespace

Action setup_logout(CLI::App& app, const GlobalOptions& /*global*/) {
  auto server = std::make_shared<std::string>();
  app.add_option("server", *server, "SERVER (default: Docker Hub)");
  return [server] { return run_logout(*server); };
}

} // namespace strata::cli
