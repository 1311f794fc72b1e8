#include "builder/build_cache.hpp"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builder/remote_cache.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "store/atomic_file.hpp"

namespace strata::builder {
namespace {

using nlohmann::json;

constexpr std::size_t k_max_record = 16 * 1024 * 1024;

std::optional<std::string> read_optional(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    return std::nullopt;
  }
  return read_file(path, k_max_record);
}

json layer_json(const BuiltLayer& layer) {
  return {{"mediaType", layer.blob.media_type},
          {"digest", layer.blob.digest.str()},
          {"size", layer.blob.size},
          {"diff_id", layer.diff_id.str()},
          {"chain_id", layer.chain_id.str()}};
}

json inputs_json(const StepInputs& inputs) {
  return {{"parent", inputs.parent.str()},
          {"instruction", inputs.instruction},
          {"args", inputs.args},
          {"files", inputs.files}};
}

} // namespace

BuildCache::BuildCache(store::ImageStore& images)
    : images_(&images), records_(images.root() + "/cache/build"),
      explain_(images.root() + "/cache/explain") {
  store::ensure_directory(images.root() + "/cache", 0700);
  store::ensure_directory(records_, 0700);
  store::ensure_directory(explain_, 0700);
}

std::optional<ImageState> BuildCache::lookup(const store::Digest& key) const {
  if (std::optional<ImageState> hit = lookup_local(key)) {
    return hit;
  }
  if (imported_ == nullptr) {
    return std::nullopt;
  }
  std::optional<ImageState> hit = imported_->materialize(key, *images_);
  if (hit) {
    record(key, *hit);
  }
  return hit;
}

std::optional<std::string> BuildCache::record_text(const store::Digest& key) const {
  return read_optional(records_ + "/" + key.hex() + ".json");
}

std::optional<ImageState> BuildCache::lookup_local(const store::Digest& key) const {
  const std::optional<std::string> text = read_optional(records_ + "/" + key.hex() + ".json");
  if (!text) {
    return std::nullopt;
  }
  try {
    const json record = json::parse(*text);
    ImageState state;
    state.config = record.at("config");
    state.identity = key;
    for (const json& l : record.at("layers")) {
      BuiltLayer layer;
      layer.blob.media_type = l.at("mediaType").get<std::string>();
      layer.blob.digest = store::Digest::parse(l.at("digest").get<std::string>());
      layer.blob.size = l.at("size").get<std::uint64_t>();
      layer.diff_id = store::Digest::parse(l.at("diff_id").get<std::string>());
      layer.chain_id = store::Digest::parse(l.at("chain_id").get<std::string>());
      const std::optional<store::SnapshotInfo> snapshot = images_->snapshots().get(layer.chain_id);
      if (!snapshot || !images_->blobs().contains(layer.blob.digest)) {
        log::debug("build cache {}: layer {} is gone; a miss", key.hex(), layer.chain_id.str());
        return std::nullopt;
      }
      layer.fs_path = snapshot->fs_path;
      state.layers.push_back(std::move(layer));
    }
    return state;
  } catch (const std::exception& e) {
    log::warn("build cache record {} is unreadable ({}); ignoring it", key.hex(), e.what());
    return std::nullopt;
  }
}

void BuildCache::record(const store::Digest& key, const ImageState& state) const {
  json layers = json::array();
  for (const BuiltLayer& layer : state.layers) {
    layers.push_back(layer_json(layer));
  }
  const json record = {{"config", state.config}, {"layers", layers}};
  store::write_file_atomically(records_ + "/" + key.hex() + ".json", record.dump(), 0600);
}

std::string BuildCache::explain_miss(const store::Digest& slot, const StepInputs& inputs) const {
  const std::string path = explain_ + "/" + slot.hex() + ".json";
  std::string reason = "no earlier build of this step";
  if (const std::optional<std::string> text = read_optional(path)) {
    try {
      const json before = json::parse(*text);
      StepInputs old;
      old.parent = store::Digest::parse(before.at("parent").get<std::string>());
      old.instruction = before.at("instruction").get<std::string>();
      old.args = before.at("args").get<std::map<std::string, std::string>>();
      old.files = before.at("files").get<std::map<std::string, std::string>>();
      reason = inputs.difference(old);
    } catch (const std::exception&) {
      reason = "earlier inputs unreadable";
    }
  }
  store::write_file_atomically(path, inputs_json(inputs).dump(), 0600);
  return reason;
}

} // namespace strata::builder
