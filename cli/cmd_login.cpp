// `strata login [-u USER] [-p PASS | --password-stdin] [--tls-verify=false] [SERVER]`: docker
// login — the credentials are checked against the registry (GET /v2/, answering its challenge)
// and only then stored in Docker's config (store/credentials.hpp): in its credential helper when
// one is configured, else base64 in config.json's `auths`. SERVER defaults to Docker Hub.
// Missing user or password are prompted for on a terminal (the password without echo).

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "store/credentials.hpp"
#include "store/registry_client.hpp"

namespace strata::cli {
namespace {

struct LoginOptions {
  std::string server;
  std::string username;
  std::string password;
  bool password_stdin = false;
  bool tls_verify = true;
};

// Echo off on the terminal while it lives.
class NoEcho {
public:
  NoEcho() : active_(::tcgetattr(STDIN_FILENO, &saved_) == 0) {
    if (active_) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;
  ~NoEcho() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    }
  }

private:
  termios saved_{};
  bool active_;
};

std::string prompt(const char* label, bool echo) {
  fmt::print("{}", label);
  std::fflush(stdout);
  std::string line;
  if (echo) {
    std::getline(std::cin, line);
  } else {
    const NoEcho quiet;
    std::getline(std::cin, line);
    fmt::print("\n");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.pop_back();
  }
  return line;
}

// docker's rules for where the user name and password come from.
void gather_credentials(LoginOptions& o) {
  if (!o.password.empty()) {
    fmt::print(stderr,
               "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    if (o.password_stdin) {
      throw Error(ErrorKind::io, "--password and --password-stdin are mutually exclusive");
    }
  }
  if (o.password_stdin) {
    if (o.username.empty()) {
      throw Error(ErrorKind::io, "Must provide --username with --password-stdin");
    }
    o.password = read_file("-", 1024UL * 1024);
    // docker: one trailing "\n", then one "\r"; anything before them is the password.
    if (o.password.ends_with('\n')) {
      o.password.pop_back();
    }
    if (o.password.ends_with('\r')) {
      o.password.pop_back();
    }
  }
  if ((o.username.empty() || o.password.empty()) && ::isatty(STDIN_FILENO) == 0) {
    throw Error(ErrorKind::io, "Cannot perform an interactive login from a non TTY device");
  }
  if (o.username.empty()) {
    o.username = prompt("Username: ", true);
    if (o.username.empty()) {
      throw Error(ErrorKind::io, "Non-null Username Required");
    }
  }
  if (o.password.empty()) {
    o.password = prompt("Password: ", false);
    if (o.password.empty()) {
      throw Error(ErrorKind::io, "Password Required");
    }
  }
}

int run_login(LoginOptions o) {
  try {
    const std::string key = store::credentials_key(o.server.empty() ? "docker.io" : o.server);
    gather_credentials(o);
    store::RegistryOptions registry;
    registry.tls_verify = o.tls_verify;
    registry.credentials = store::Credentials{o.username, o.password, {}};
    try {
      store::check_login(key, registry);
    } catch (const Error& e) {
      fmt::print(stderr, "Error response from daemon: {}\n", e.what());
      return k_exit_failure;
    }
    const store::CredentialStore credentials;
    if (credentials.helper_for(key).empty()) {
      fmt::print(stderr,
                 "WARNING! Your password will be stored unencrypted in {}.\n"
                 "Configure a credential helper to remove this warning. See\n"
                 "https://docs.docker.com/engine/reference/commandline/login/#credentials-store\n"
                 "\n",
                 credentials.config_path());
    }
    credentials.save(key, *registry.credentials);
    fmt::print("Login Succeeded\n");
    return k_exit_ok;
  } catch (const Error& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return e.kind() == ErrorKind::usage ? k_exit_usage : k_exit_failure;
  }
}

} // namespace

Action setup_login(CLI::App& app, const GlobalOptions& /*global*/) {
  auto options = std::make_shared<LoginOptions>();
  app.add_option("server", options->server, "SERVER (default: Docker Hub)");
  app.add_option("-u,--username", options->username, "Username");
  app.add_option("-p,--password", options->password, "Password");
  app.add_flag("--password-stdin", options->password_stdin, "Take the password from stdin");
  app.add_flag("--tls-verify", options->tls_verify,
               "Verify the registry's HTTPS certificate (default true; loopback registries use "
               "plain HTTP)");
  return [options] { return run_login(*options); };
}

} // namespace strata::cli
