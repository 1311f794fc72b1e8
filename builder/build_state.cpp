#include "builder/build_state.hpp"

#include <fmt/format.h>

#include "builder/cache_key.hpp"

namespace strata::builder {

const store::Digest& placeholder_digest() {
  static const store::Digest empty = store::Digest::parse(
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  return empty;
}

std::vector<std::string> ImageState::lower_dirs() const {
  std::vector<std::string> out;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    out.push_back(it->fs_path);
  }
  return out;
}

nlohmann::json& ImageState::image_config() {
  nlohmann::json& section = config["config"];
  if (!section.is_object()) {
    section = nlohmann::json::object();
  }
  return section;
}

const nlohmann::json& ImageState::image_config() const {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto it = config.find("config");
  return it != config.end() && it->is_object() ? *it : empty;
}

store::Digest StepInputs::key() const {
  CacheKeyBuilder key;
  key.add("parent", parent);
  key.add("instruction", instruction);
  key.add_map("args", args);
  key.add_map("files", files);
  return key.finish();
}

namespace {

// The first key whose value differs between two maps, as "<what> <key> changed/added/removed".
std::optional<std::string> map_difference(const std::map<std::string, std::string>& now,
                                          const std::map<std::string, std::string>& before,
                                          std::string_view what) {
  for (const auto& [key, value] : now) {
    const auto it = before.find(key);
    if (it == before.end()) {
      return fmt::format("{}{} added", what, key);
    }
    if (it->second != value) {
      return fmt::format("{}{} changed", what, key);
    }
  }
  for (const auto& [key, value] : before) {
    if (!now.contains(key)) {
      return fmt::format("{}{} removed", what, key);
    }
  }
  return std::nullopt;
}

} // namespace

std::string StepInputs::difference(const StepInputs& before) const {
  if (instruction != before.instruction) {
    return "instruction changed";
  }
  if (auto d = map_difference(args, before.args, "build arg ")) {
    return *d;
  }
  if (auto d = map_difference(files, before.files, "")) {
    return *d;
  }
  if (parent != before.parent) {
    return "parent changed";
  }
  return "no earlier result (pruned)";
}

store::Digest scratch_identity() {
  CacheKeyBuilder key;
  key.add("base", "scratch");
  return key.finish();
}

} // namespace strata::builder
