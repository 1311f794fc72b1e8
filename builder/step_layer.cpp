#include "builder/step_layer.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "store/layer_writer.hpp"

namespace strata::builder {
namespace {

// The diff ID of an empty tar (1024 zero bytes): docker's `layer.IsEmpty`.
constexpr std::string_view k_empty_layer_diff_id =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
constexpr std::string_view k_history_comment = "buildkit.dockerfile.v0";

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) {
    throw_errno("create", path);
  }
}

} // namespace

StepDir::StepDir(const store::ImageStore& images) : dir_(images.root() + "/tmp", "build-") {
  for (const char* sub : {"/upper", "/work", "/rootfs", "/etc", "/files", "/empty"}) {
    make_dir(path() + sub);
  }
  ::chmod(upper().c_str(), 0755);
}

std::vector<std::string> StepDir::lowers(const ImageState& state) const {
  std::vector<std::string> out = state.lower_dirs();
  if (out.empty()) {
    out.push_back(path() + "/empty");
  }
  return out;
}

bool commit_upper(BuildSession& session, StepDir& dir, ImageState& state) {
  const std::string upper = dir.upper();
  const store::LayerBlob blob = [&] {
    const UniqueFd fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      throw_errno("open", upper);
    }
    store::LayerWriteOptions options;
    options.compression = store::Compression::gzip;
    options.source = store::LayerSource::overlay_upper;
    options.source_date_epoch = session.options.source_date_epoch;
    return store::write_layer(session.images.blobs(), fd.get(), options);
  }();
  if (blob.diff_id.str() == k_empty_layer_diff_id) {
    return false;
  }
  std::vector<store::Digest> diff_ids;
  for (const BuiltLayer& layer : state.layers) {
    diff_ids.push_back(layer.diff_id);
  }
  std::optional<store::Digest> parent;
  if (!state.layers.empty()) {
    parent = state.layers.back().chain_id;
  }
  diff_ids.push_back(blob.diff_id);
  const store::Digest chain = store::chain_ids(diff_ids).back();
  const store::SnapshotInfo snapshot =
      session.images.snapshots().adopt(chain, parent, blob.diff_id, blob.content_size, upper);
  BuiltLayer layer;
  layer.blob = store::Descriptor{blob.media_type, blob.digest, blob.size, {}, std::nullopt};
  layer.diff_id = blob.diff_id;
  layer.chain_id = chain;
  layer.fs_path = snapshot.fs_path;
  state.layers.push_back(std::move(layer));
  nlohmann::json& rootfs = state.config["rootfs"];
  if (!rootfs.is_object()) {
    rootfs = {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}};
  }
  rootfs["diff_ids"].push_back(blob.diff_id.str());
  return true;
}

void add_history(BuildSession& session, ImageState& state, const std::string& created_by,
                 bool empty_layer) {
  const std::string created = session.timestamp();
  nlohmann::json row = {{"created", created},
                        {"created_by", created_by},
                        {"comment", k_history_comment}};
  if (empty_layer) {
    row["empty_layer"] = true;
  }
  nlohmann::json& history = state.config["history"];
  if (!history.is_array()) {
    history = nlohmann::json::array();
  }
  history.push_back(std::move(row));
  state.config["created"] = created;
}

} // namespace strata::builder
