#pragma once
// Registry credentials as Docker keeps them, so that `docker login` and `strata login` share them.
//
// On disk: `<config dir>/config.json`, the config dir being `$DOCKER_CONFIG` when set, else
// `$HOME/.docker`. The parts read and written here:
//   {"auths": {"<key>": {"auth": base64("user:password"), "identitytoken": "..."}, ...},
//    "credsStore": "<helper>",                  // every registry's credentials in a helper
//    "credHelpers": {"<key>": "<helper>", ...}}  // per registry, takes precedence
// Every other key is kept as it was when the file is rewritten (atomically: temp file, fsync,
// rename; mode 0600; the directory is created 0700 when missing).
// - key: Docker Hub's is `https://index.docker.io/v1/`; any other registry's is its host[:port].
//   Keys written by other tools with an `http(s)://` prefix or a path (`https://reg:5000/v2/`)
//   are matched by their host[:port] too, as docker does.
// - helper: `docker-credential-<helper>` on PATH (credential_helper.hpp): `get` (the key on stdin,
//   `{"ServerURL","Username","Secret"}` on stdout; "credentials not found in native keychain"
//   means none), `store` (that JSON on stdin) and `erase` (the key on stdin). A `Username` of
//   `<token>` means `Secret` is an identity token. When a helper holds the credentials, `auths`
//   keeps an empty entry for the key (as docker does, so that `logout` knows there is a login).
//
// Failure: `Error{corrupt}` for a config.json that is not a JSON object or an `auth` that is not
// base64 `user:password`; `Error{child_failed}` when a helper fails (its output is in the
// message) or times out (30 s); `Error{not_found}` when the helper is not on PATH; `Error{io}`
// when the file cannot be read or written.
// Thread-safety: objects are immutable; concurrent `save`/`erase` by several processes follow
// the last-rename-wins rule of `AtomicFile` (docker does no better).

#include <optional>
#include <string>
#include <string_view>

namespace strata::store {

struct Credentials {
  std::string username;
  std::string secret;         // the password
  std::string identity_token; // an OAuth refresh token (`identitytoken`, or a helper's `<token>`)
  [[nodiscard]] bool empty() const noexcept {
    return username.empty() && secret.empty() && identity_token.empty();
  }
};

// Docker Hub's key.
inline constexpr std::string_view k_docker_hub_key = "https://index.docker.io/v1/";

// The key for a server named the way a user or a reference names it: "docker.io",
// "index.docker.io", "registry-1.docker.io" (any with a scheme or a path) are Docker Hub's key;
// anything else is its host[:port], without scheme and path.
[[nodiscard]] std::string credentials_key(std::string_view server);

// `$DOCKER_CONFIG`, else `$HOME/.docker`.
[[nodiscard]] std::string default_docker_config_dir();

class CredentialStore {
public:
  explicit CredentialStore(std::string config_dir = default_docker_config_dir());

  // The credentials for `server` (any form `credentials_key` takes), or nothing.
  [[nodiscard]] std::optional<Credentials> find(std::string_view server) const;
  // The helper that keeps `server`'s credentials ("" when config.json does).
  [[nodiscard]] std::string helper_for(std::string_view server) const;
  // Stores `credentials` for `server` in its helper, else base64 in `auths`.
  void save(std::string_view server, const Credentials& credentials) const;
  // Removes `server`'s credentials (every `auths` key naming the same host, and the helper's).
  // Returns false when there were none.
  [[nodiscard]] bool erase(std::string_view server) const;

  [[nodiscard]] std::string config_path() const { return dir_ + "/config.json"; }

private:
  std::string dir_;
};

} // namespace strata::store
