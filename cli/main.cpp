// strata's entry point: global flags, the command table, and the one place where errors become
// messages and exit codes (STYLE.md §3).

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/error_output.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

namespace strata::cli {
namespace {

constexpr Command k_commands[] = {
    {"build", "Build an image from a Dockerfile", setup_build},
    {"commit", "Create a new image from a container's changes", setup_commit},
    {"create", "Create a new container", setup_create},
    {"exec", "Execute a command in a running container", setup_exec},
    {"export", "Export a container's filesystem as a tar archive", setup_export},
    {"history", "Show the history of an image", setup_history},
    {"image", "Manage images", setup_image},
    {"images", "List images", setup_images},
    {"import", "Import the contents from a tarball to create a filesystem image", setup_import},
    {"inspect", "Return low-level information on images and containers", setup_inspect},
    {"kill", "Kill one or more running containers", setup_kill},
    {"load", "Load an image from a tar archive or STDIN", setup_load},
    {"login", "Log in to a registry", setup_login}, {"logout", "Log out from a registry", setup_logout},
    {"logs", "Fetch the logs of a container", setup_logs},
    {"parse", "Parse a Dockerfile and print its syntax tree", setup_parse},
    {"pause", "Pause all processes within one or more containers", setup_pause},
    {"ps", "List containers", setup_ps},
    {"pull", "Download an image from a registry", setup_pull},
    {"push", "Upload an image to a registry", setup_push},
    {"rm", "Remove one or more containers", setup_rm},
    {"rmi", "Remove one or more images", setup_rmi},
    {"run", "Create and run a new container from an image", setup_run},
    {"save", "Save one or more images to a tar archive (streamed to STDOUT by default)", setup_save},
    {"start", "Start one or more stopped containers", setup_start},
    {"stop", "Stop one or more running containers", setup_stop},
    {"system", "Manage the store (check, df, prune)", setup_system},
    {"tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", setup_tag},
    {"unpause", "Unpause all processes within one or more containers", setup_unpause},
    {"version", "Show the strata version information", setup_version},
    {"wait", "Block until one or more containers stop, then print their exit codes", setup_wait},
};

std::string default_root() {
  if (const char* env = std::getenv("STRATA_ROOT"); env != nullptr && *env != '\0') {
    return env;
  }
  if (::geteuid() == 0) {
    return "/var/lib/strata";
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/strata";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.local/share/strata";
}

// Docker's flags take one value per occurrence (`-c A -c B`); CLI11's vector options would also
// swallow the positional arguments that follow (`import -c 'CMD x' FILE`).
void one_value_per_flag(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->nonpositional()) {
      option->allow_extra_args(false);
    }
  }
  for (CLI::App* sub : app.get_subcommands({})) {
    one_value_per_flag(*sub);
  }
}

// The command named on the command line (after the global flags), or "" when there is none: only
// that command's flags are declared, which keeps `run`'s start-up lean (CLI11 builds every
// option object eagerly). Help and errors without a command declare them all.
std::string command_named(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--root") {
      ++i;
    } else if (!arg.starts_with('-')) {
      for (const Command& command : k_commands) {
        if (arg == command.name) {
          return command.name;
        }
      }
      return "";
    }
  }
  return "";
}

int run_main(int argc, char** argv) {
  CLI::App app{"strata: a daemonless Dockerfile builder and container runtime", "strata"};
  app.set_version_flag("-v,--version", "strata version " STRATA_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  global.root = default_root();
  app.add_option("--root", global.root, "Root directory of the store (also $STRATA_ROOT)");
  app.add_flag("-D,--debug", global.debug, "Enable debug output");

  Action chosen;
  const std::string named = command_named(argc, argv);
  for (const Command& command : k_commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    if (!named.empty() && named != command.name) {
      continue; // never parsed: listed in help only
    }
    Action action = command.setup(*sub, global);
    sub->callback([&chosen, action] { chosen = action; });
  }
  one_value_per_flag(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    // `docker run`, `create` and `exec` report their own errors, flag errors included, with 125
    // (the command's own statuses stay free for the container's).
    const auto parsed = app.get_subcommands();
    const std::string name = parsed.empty() ? "" : parsed.front()->get_name();
    const bool own_status = name == "run" || name == "create" || name == "exec";
    return own_status ? 125 : k_exit_usage;
  }
  if (global.debug || std::getenv("STRATA_DEBUG") != nullptr) {
    log::set_level(log::Level::debug);
  }
  return chosen ? chosen() : k_exit_usage;
}

} // namespace
} // namespace strata::cli

int main(int argc, char** argv) {
  try {
    return strata::cli::run_main(argc, argv);
  } catch (const strata::Error& e) {
    strata::cli::print_error(e);
    return strata::cli::exit_code_for(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "strata: internal error: {}\n", e.what());
    return strata::cli::k_exit_failure;
  }
}
