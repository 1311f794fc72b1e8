// `strata rm [-f] [-v] CONTAINER...`: removes containers (their rw layer, state and log), as
// `docker rm`; a running one only with `-f`, which kills it first.

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/container_control.hpp"
#include "common/error.hpp"

namespace strata::cli {

Action setup_rm(CLI::App& app, const GlobalOptions& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto volumes = std::make_shared<bool>(false);
  app.add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
  app.add_flag("-v,--volumes", *volumes, "Remove anonymous volumes (strata has none)");
  app.add_option("containers", *names, "Containers to remove")->required();
  return [&global, names, force] {
    return for_each_container(
        global, *names, true,
        [&](store::ContainerStore& containers, const store::ContainerRecord& record) {
          std::ignore = remove_container(containers, record, *force);
        });
  };
}

} // namespace strata::cli
