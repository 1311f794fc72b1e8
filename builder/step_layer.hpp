#pragma once
// A build step's scratch space and its commit (internal).
//
// `StepDir` is one step's directory under the store's `tmp/` (a flocked `StagingDir`, so a
// crashed build's leftovers are swept as stale): `upper/` and `work/` (the overlay's writable
// layer and scratch), `rootfs/` (a RUN container's mount point), `etc/` (its hosts, hostname and
// resolv.conf), `files/` (heredoc scripts, secrets). Removed when the step ends, whatever happens;
// `upper/` is moved into the snapshot store first when it becomes a layer.
//
// `commit_upper` turns the upper dir into a layer: a snapshot adopted from the upper dir itself
// (no copy), named by the diff ID of its tar (`measure_layer`), and a gzip blob written from it
// in the background (layer_pipeline.hpp; overlay whiteouts as `.wh.` entries) while the next step
// runs. An upper dir with no changes gives no layer (BuildKit's rule: the history row is then
// `empty_layer`).

#include <optional>
#include <string>
#include <vector>

#include "builder/build_session.hpp"
#include "builder/build_state.hpp"
#include "store/staging.hpp"

namespace strata::builder {

class StepDir {
public:
  explicit StepDir(const store::ImageStore& images);
  [[nodiscard]] const std::string& path() const noexcept { return dir_.path(); }
  [[nodiscard]] std::string upper() const { return path() + "/upper"; }
  [[nodiscard]] std::string work() const { return path() + "/work"; }
  [[nodiscard]] std::string rootfs() const { return path() + "/rootfs"; }
  [[nodiscard]] std::string etc() const { return path() + "/etc"; }
  [[nodiscard]] std::string files() const { return path() + "/files"; }
  // Lower dirs for an overlay over `state`: its snapshots, or an empty dir for a scratch state.
  [[nodiscard]] std::vector<std::string> lowers(const ImageState& state) const;

private:
  store::StagingDir dir_;
};

// Adds the upper dir's changes to `state` as a new layer (nothing when empty); returns whether a
// layer was added.
bool commit_upper(BuildSession& session, StepDir& dir, ImageState& state);

// Appends a history row (BuildKit's shape: created, created_by, comment, empty_layer) and sets
// the config's "created" to it.
void add_history(BuildSession& session, ImageState& state, const std::string& created_by,
                 bool empty_layer);

} // namespace strata::builder
