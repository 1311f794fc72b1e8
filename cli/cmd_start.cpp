// `strata start [-a] [-i] CONTAINER...`: starts created or stopped containers, as `docker start`.
// Without `-a` each runs under a forked monitor and its name is printed; with `-a` (one
// container) this process attaches and exits with the container's status.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/container_control.hpp"
#include "cli/container_start.hpp"
#include "cli/error_output.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"

namespace strata::cli {

Action setup_start(CLI::App& app, const GlobalOptions& global) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto attach = std::make_shared<bool>(false);
  auto interactive = std::make_shared<bool>(false);
  app.add_flag("-a,--attach", *attach, "Attach STDOUT/STDERR and forward signals");
  app.add_flag("-i,--interactive", *interactive, "Attach container's STDIN");
  app.add_option("containers", *names, "Containers to start")->required();
  return [&global, names, attach, interactive] {
    if ((*attach || *interactive) && names->size() > 1) {
      print_error(Error(ErrorKind::usage, "you cannot start and attach multiple containers at once"));
      return k_exit_failure;
    }
    if (*attach || *interactive) {
      try {
        const store::ContainerRecord record = open_containers(global).resolve(names->front());
        return start_attached(global, record, *interactive);
      } catch (const Error& e) {
        print_error(e);
        return k_exit_failure;
      }
    }
    return for_each_container(global, *names, true,
                              [&](store::ContainerStore&, const store::ContainerRecord& record) {
                                if (const int status = start_detached(global, record); status != 0) {
                                  throw Error(ErrorKind::child_failed,
                                              fmt::format("failed to start container: {}",
                                                          record.name));
                                }
                              });
  };
}

} // namespace strata::cli
