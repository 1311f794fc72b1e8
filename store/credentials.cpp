// `CredentialStore` (credentials.hpp): Docker's config.json and credential helpers.

#include "store/credentials.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "store/atomic_file.hpp"
#include "store/credential_helper.hpp"
#include "store/registry_auth.hpp"

namespace strata::store {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds k_helper_timeout{30'000};
constexpr std::string_view k_not_found = "credentials not found in native keychain";

json read_config(const std::string& path) {
  std::string text;
  try {
    text = read_file(path, 16UL * 1024 * 1024);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) {
      return json::object();
    }
    throw;
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::corrupt, fmt::format("{}: not JSON: {}", path, e.what()));
  }
  if (!doc.is_object()) {
    throw Error(ErrorKind::corrupt, fmt::format("{}: not a JSON object", path));
  }
  return doc;
}

void write_config(const std::string& dir, const json& doc) {
  ensure_directory(dir, 0700);
  write_file_atomically(dir + "/config.json", doc.dump(1, '\t') + "\n", 0600);
}

// The string member `name` of `object`, or "".
std::string string_at(const json& object, const char* name) {
  if (object.is_object() && object.contains(name) && object.at(name).is_string()) {
    return object.at(name).get<std::string>();
  }
  return {};
}

// The member of `object` whose key names the same registry as `key`.
const json* entry_for(const json& object, const std::string& key) {
  if (!object.is_object()) {
    return nullptr;
  }
  if (object.contains(key)) {
    return &object.at(key);
  }
  for (const auto& [name, value] : object.items()) {
    if (credentials_key(name) == key) {
      return &value;
    }
  }
  return nullptr;
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.pop_back();
  }
  return text.substr(0, 500);
}

[[noreturn]] void helper_failed(std::string_view helper, std::string_view action,
                                const HelperOutput& out) {
  std::string text = trimmed(out.out);
  const std::string err = trimmed(out.err);
  if (!err.empty()) {
    text += (text.empty() ? "" : ": ") + err;
  }
  throw Error(ErrorKind::child_failed,
              fmt::format("docker-credential-{} {}: exit status {}{}{}", helper, action,
                          out.exit_status, text.empty() ? "" : ": ", text));
}

std::optional<Credentials> helper_get(const std::string& helper, const std::string& key) {
  const HelperOutput out = run_credential_helper(helper, "get", key, k_helper_timeout);
  if (out.exit_status != 0) {
    if (out.out.find(k_not_found) != std::string::npos ||
        out.err.find(k_not_found) != std::string::npos) {
      return std::nullopt;
    }
    helper_failed(helper, "get", out);
  }
  json doc;
  try {
    doc = json::parse(out.out);
  } catch (const json::exception&) {
    throw Error(ErrorKind::child_failed,
                fmt::format("docker-credential-{} get: its answer is not JSON", helper));
  }
  Credentials c{string_at(doc, "Username"), string_at(doc, "Secret"), {}};
  if (c.username == "<token>") {
    c.identity_token = std::move(c.secret);
    c.username.clear();
    c.secret.clear();
  }
  if (c.empty()) {
    return std::nullopt;
  }
  return c;
}

void helper_call(const std::string& helper, const char* action, const std::string& input) {
  const HelperOutput out = run_credential_helper(helper, action, input, k_helper_timeout);
  if (out.exit_status != 0) {
    helper_failed(helper, action, out);
  }
}

Credentials from_auths_entry(const json& entry, const std::string& path) {
  Credentials c;
  if (const std::string auth = string_at(entry, "auth"); !auth.empty()) {
    std::string decoded;
    try {
      decoded = registry_detail::base64_decode(auth);
    } catch (const Error&) {
      decoded.clear();
    }
    const std::size_t colon = decoded.find(':');
    if (colon == std::string::npos) {
      throw Error(ErrorKind::corrupt,
                  fmt::format("{}: an \"auth\" entry is not base64 user:password", path));
    }
    c.username = decoded.substr(0, colon);
    c.secret = decoded.substr(colon + 1);
  } else {
    c.username = string_at(entry, "username");
    c.secret = string_at(entry, "password");
  }
  c.identity_token = string_at(entry, "identitytoken");
  return c;
}

} // namespace

std::string credentials_key(std::string_view server) {
  std::string_view host = server;
  for (const std::string_view scheme : {"https://", "http://"}) {
    if (host.starts_with(scheme)) {
      host.remove_prefix(scheme.size());
    }
  }
  host = host.substr(0, host.find('/'));
  if (host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io") {
    return std::string(k_docker_hub_key);
  }
  return std::string(host);
}

std::string default_docker_config_dir() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.docker";
}

CredentialStore::CredentialStore(std::string config_dir) : dir_(std::move(config_dir)) {}

std::string CredentialStore::helper_for(std::string_view server) const {
  const json doc = read_config(config_path());
  const std::string key = credentials_key(server);
  if (doc.contains("credHelpers")) {
    if (const json* helper = entry_for(doc.at("credHelpers"), key);
        helper != nullptr && helper->is_string() && !helper->get<std::string>().empty()) {
      return helper->get<std::string>();
    }
  }
  return string_at(doc, "credsStore");
}

std::optional<Credentials> CredentialStore::find(std::string_view server) const {
  const std::string key = credentials_key(server);
  if (const std::string helper = helper_for(server); !helper.empty()) {
    return helper_get(helper, key);
  }
  const json doc = read_config(config_path());
  const json* entry = doc.contains("auths") ? entry_for(doc.at("auths"), key) : nullptr;
  if (entry == nullptr) {
    return std::nullopt;
  }
  Credentials c = from_auths_entry(*entry, config_path());
  if (c.empty()) {
    return std::nullopt;
  }
  return c;
}

void CredentialStore::save(std::string_view server, const Credentials& credentials) const {
  const std::string key = credentials_key(server);
  json doc = read_config(config_path());
  if (!doc.contains("auths") || !doc.at("auths").is_object()) {
    doc["auths"] = json::object();
  }
  json& entry = doc["auths"][key];
  if (!entry.is_object()) {
    entry = json::object();
  }
  entry.erase("username");
  entry.erase("password");
  if (const std::string helper = helper_for(server); !helper.empty()) {
    const bool token = credentials.username.empty() && !credentials.identity_token.empty();
    helper_call(helper, "store",
                json{{"ServerURL", key},
                     {"Username", token ? "<token>" : credentials.username},
                     {"Secret", token ? credentials.identity_token : credentials.secret}}
                    .dump());
    entry.erase("auth");
    entry.erase("identitytoken");
  } else {
    entry["auth"] = registry_detail::base64_encode(credentials.username + ":" + credentials.secret);
    if (!credentials.identity_token.empty()) {
      entry["identitytoken"] = credentials.identity_token;
    } else {
      entry.erase("identitytoken");
    }
  }
  write_config(dir_, doc);
}

bool CredentialStore::erase(std::string_view server) const {
  const std::string key = credentials_key(server);
  json doc = read_config(config_path());
  bool found = false;
  if (doc.contains("auths") && doc.at("auths").is_object()) {
    json& auths = doc.at("auths");
    for (auto it = auths.begin(); it != auths.end();) {
      if (credentials_key(it.key()) == key) {
        it = auths.erase(it);
        found = true;
      } else {
        ++it;
      }
    }
  }
  if (const std::string helper = helper_for(server); !helper.empty()) {
    if (found || helper_get(helper, key)) {
      helper_call(helper, "erase", key);
      found = true;
    }
  }
  if (found) {
    write_config(dir_, doc);
  }
  return found;
}

} // namespace strata::store
