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

store::LayerWriteOptions layer_options(const BuildOptions& options) {
  store::LayerWriteOptions out;
  out.compression = store::Compression::gzip;
  out.source = store::LayerSource::overlay_upper;
  out.source_date_epoch = options.source_date_epoch;
  return out;
}

void resolve_layers(BuildSession& session, ImageState& state) {
  for (BuiltLayer& layer : state.layers) {
    if (layer.pending) {
      const std::optional<store::Descriptor> blob = session.layers.descriptor(layer.chain_id);
      STRATA_CHECK(blob.has_value());
      layer.blob = *blob;
      layer.pending = false;
    }
  }
}

bool commit_upper(BuildSession& session, StepDir& dir, ImageState& state) {
  const std::string upper = dir.upper();
  const store::LayerMeasure measure = [&] {
    const UniqueFd fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      throw_errno("open", upper);
    }
    return store::measure_layer(fd.get(), session.layers.options());
  }();
  if (measure.diff_id.str() == k_empty_layer_diff_id) {
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
  diff_ids.push_back(measure.diff_id);
  const store::Digest chain = store::chain_ids(diff_ids).back();
  const store::SnapshotInfo snapshot = session.images.snapshots().adopt(
      chain, parent, measure.diff_id, measure.content_size, upper);
  session.layers.start(chain, measure.diff_id, snapshot.fs_path);
  BuiltLayer layer;
  layer.blob.media_type = std::string(store::layer_media_type(store::Compression::gzip));
  layer.diff_id = measure.diff_id;
  layer.chain_id = chain;
  layer.fs_path = snapshot.fs_path;
  layer.pending = true;
  state.layers.push_back(std::move(layer));
  nlohmann::json& rootfs = state.config["rootfs"];
  if (!rootfs.is_object()) {
    rootfs = {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}};
  }
  rootfs["diff_ids"].push_back(measure.diff_id.str());
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
