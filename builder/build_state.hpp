#pragma once
// The builder's internal vocabulary (not for the CLI): the state of a stage between steps, and
// the inputs of one step's cache key.
//
// - `ImageState`: what a stage has built so far — the image config document (the whole OCI/Docker
//   config: "config", "history", "rootfs", ...) and its layers with their snapshots — plus its
//   *identity*, the digest the next step's cache key starts from (the previous step's key, or
//   the base image's ID, or `scratch`). Equal identities mean equal states.
// - `StepInputs`: every input of one step's cache key, as named fields (cache_key.hpp's encoding);
//   kept after a miss so the next miss of the same step can say what changed (`--explain`).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/digest.hpp"
#include "store/image.hpp"

namespace strata::builder {

// A placeholder for fields not yet known (`Digest` has no empty value): sha256 of nothing.
[[nodiscard]] const store::Digest& placeholder_digest();

struct BuiltLayer {
  store::Descriptor blob{{}, placeholder_digest(), 0, {}, std::nullopt};
  store::Digest diff_id = placeholder_digest();
  store::Digest chain_id = placeholder_digest();
  std::string fs_path; // the snapshot's tree
  bool pending = false; // the blob is still being written (layer_pipeline.hpp); `blob` unset
};

struct ImageState {
  nlohmann::json config = nlohmann::json::object();
  std::vector<BuiltLayer> layers; // bottom first
  store::Digest identity = placeholder_digest();

  // The snapshot trees as overlayfs lower dirs, top first.
  [[nodiscard]] std::vector<std::string> lower_dirs() const;
  // config["config"] (created if missing).
  [[nodiscard]] nlohmann::json& image_config();
  [[nodiscard]] const nlohmann::json& image_config() const;
};

struct StepInputs {
  store::Digest parent = placeholder_digest();
  std::string instruction;                  // canonical text after expansion, flags included
  std::map<std::string, std::string> args;  // build args the step's process sees (RUN)
  std::map<std::string, std::string> files; // source → content digest (COPY/ADD)

  [[nodiscard]] store::Digest key() const;
  // One line saying which input differs from `before` ("parent changed", "build arg X changed",
  // "src/main.c changed", ...).
  [[nodiscard]] std::string difference(const StepInputs& before) const;
};

// The identity of an empty (`scratch`) state.
[[nodiscard]] store::Digest scratch_identity();

} // namespace strata::builder
