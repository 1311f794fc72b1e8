#pragma once
// The CLI's command table (ninja's tool table): each `cmd_*.cpp` defines one `Command`.
// `setup` declares the subcommand's flags on its `CLI::App` and returns the action that runs
// after parsing; the action returns the process exit code.

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace strata::cli {

// Options every command sees (`strata --root DIR --debug COMMAND …`).
struct GlobalOptions {
  std::string root; // --root, else $STRATA_ROOT, else the default store
  bool debug = false;
};

using Action = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;
  Action (*setup)(CLI::App& app, const GlobalOptions& global);
};

// Exit codes shared by every command (docker's; `run` adds 125/126/127).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;

Action setup_build(CLI::App& app, const GlobalOptions& global);
Action setup_commit(CLI::App& app, const GlobalOptions& global);
Action setup_create(CLI::App& app, const GlobalOptions& global);
Action setup_exec(CLI::App& app, const GlobalOptions& global);
Action setup_export(CLI::App& app, const GlobalOptions& global);
Action setup_history(CLI::App& app, const GlobalOptions& global);
Action setup_image(CLI::App& app, const GlobalOptions& global);
Action setup_images(CLI::App& app, const GlobalOptions& global);
Action setup_import(CLI::App& app, const GlobalOptions& global);
Action setup_inspect(CLI::App& app, const GlobalOptions& global);
Action setup_kill(CLI::App& app, const GlobalOptions& global);
Action setup_load(CLI::App& app, const GlobalOptions& global);
Action setup_login(CLI::App& app, const GlobalOptions& global);
Action setup_logout(CLI::App& app, const GlobalOptions& global);
Action setup_logs(CLI::App& app, const GlobalOptions& global);
Action setup_parse(CLI::App& app, const GlobalOptions& global);
Action setup_pause(CLI::App& app, const GlobalOptions& global);
Action setup_ps(CLI::App& app, const GlobalOptions& global);
Action setup_pull(CLI::App& app, const GlobalOptions& global);
Action setup_push(CLI::App& app, const GlobalOptions& global);
Action setup_rm(CLI::App& app, const GlobalOptions& global);
Action setup_rmi(CLI::App& app, const GlobalOptions& global);
Action setup_run(CLI::App& app, const GlobalOptions& global);
Action setup_save(CLI::App& app, const GlobalOptions& global);
Action setup_start(CLI::App& app, const GlobalOptions& global);
Action setup_stop(CLI::App& app, const GlobalOptions& global);
Action setup_system(CLI::App& app, const GlobalOptions& global);
Action setup_tag(CLI::App& app, const GlobalOptions& global);
Action setup_unpause(CLI::App& app, const GlobalOptions& global);
Action setup_version(CLI::App& app, const GlobalOptions& global);
Action setup_wait(CLI::App& app, const GlobalOptions& global);

} // namespace strata::cli
