#pragma once
// `build_image`: a Dockerfile and a context directory → an image in the store, BuildKit's way.
//
// The recipe (DESIGN.md "Data flow"): the Dockerfile is parsed into the stage graph; the stages
// the target needs become nodes of a TBB flow graph, so independent stages run in parallel while
// the steps of one stage run in order. Each step is a create/start/modify/commit cycle over the
// store: its cache key (cache_key.hpp) is looked up first (`BuildCache`); on a miss, RUN runs in
// a container over the parent's snapshots (the runtime's `ContainerProcess`), COPY/ADD/WORKDIR
// write through a writable overlay view, and the upper dir becomes a layer blob and a snapshot;
// config-only instructions change the image config and add an `empty_layer` history row.
//
// Ownership: every temporary (step dirs under the store's `tmp/`, containers' cgroups, detached
// mounts) is owned by an RAII object of the step that made it, so a failure or a cancellation
// (Ctrl-C: `BuildOptions::cancel`) leaves nothing behind. The store's content lock is held shared
// for the whole build, so gc cannot remove a cached layer between its lookup and its use; images
// the build needs but the store lacks are pulled before it is taken (base_images.hpp), and
// `--cache-from` sources are read then too (remote_cache.hpp). After the image is committed:
// `--cache-to` exports, then `--push` pushes every tag.
// Failure: `Error` with the failing instruction's `SourceRange` (Dockerfile:LINE) where a step
// failed; nothing is tagged unless the whole build succeeded.

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/progress.hpp"
#include "common/error.hpp"
#include "store/reference.hpp"
#include "store/digest.hpp"
#include "store/image.hpp"

namespace strata::builder {

enum class BuildNetwork { default_network, host, none };

// When the build pulls an image it starts from or copies out of (base_images.hpp): only when the
// store lacks it (docker's default), every time (`--pull`: a tag may have moved), or never.
enum class PullPolicy { missing, always, never };

struct BuildSecret {
  std::string id;
  std::string source; // a file on the host
  std::string env;    // or an environment variable's name
};

// `--cache-to` / `--cache-from` (BuildKit's syntax, remote_cache.hpp): the build cache records of
// a build as one OCI artifact in a registry (`type=registry,ref=R`) or in an OCI image layout
// directory (`type=local,dest=DIR` / `src=DIR`).
struct CacheSpec {
  enum class Type { registry, local };
  enum class Mode { min, max }; // export: the final stage's steps only, or every stage's
  Type type = Type::registry;
  std::string location; // the reference, or the directory
  Mode mode = Mode::min;
  bool ignore_error = false; // `ignore-error=true`: a failed export is a warning, not a failure
};

struct BuildOptions {
  std::string store_root;
  std::string context_dir;       // the context directory
  std::string dockerfile_path;   // for reading and for messages; "-" when given as text
  std::string dockerfile_text;   // the Dockerfile's content
  std::map<std::string, std::string, std::less<>> build_args;
  std::string target;            // empty = the last stage
  bool no_cache = false;
  std::vector<std::string> no_cache_filter; // stage names whose steps never hit the cache
  std::map<std::string, std::string> labels; // `--label`, added to the final config
  std::string platform = "linux/amd64";
  BuildNetwork network = BuildNetwork::default_network;
  std::vector<BuildSecret> secrets;
  std::optional<std::int64_t> source_date_epoch; // SOURCE_DATE_EPOCH: times and mtimes clamped
  const std::atomic<bool>* cancel = nullptr;    // set by a signal handler: stop at once
  std::vector<store::Reference> tags;            // `-t`: the image is registered under them
  PullPolicy pull = PullPolicy::missing;
  bool push = false; // `--push`: every tag pushed to its registry after the build
  std::vector<CacheSpec> cache_to;
  std::vector<CacheSpec> cache_from;
};

struct BuildResult {
  store::Digest image_id;                 // the config digest
  std::string config;                     // the final image config document
  std::vector<store::Descriptor> layers;  // its layers, bottom first
  std::vector<std::string> context_reads; // context files the build read (for --depfile)
};

// A step failed: the cause's kind and message, the step's place in the Dockerfile, and what the
// user needs to see (BuildKit's summary: the step's name and its last output lines).
class StepError : public Error {
public:
  StepError(const Error& cause, SourceRange where, std::string step, std::vector<std::string> tail)
      : Error(cause.kind(), cause.message(), std::move(where)), step_(std::move(step)),
        tail_(std::move(tail)) {}
  [[nodiscard]] const std::string& step() const noexcept { return step_; }
  [[nodiscard]] const std::vector<std::string>& tail() const noexcept { return tail_; }

private:
  std::string step_;
  std::vector<std::string> tail_;
};

// Builds, stores and registers the image (under `tags`; untagged it is a dangling image, as
// docker's). Throws `StepError` for a failed step, `Error` otherwise (see above).
[[nodiscard]] BuildResult build_image(const BuildOptions& options, Progress& progress);

} // namespace strata::builder
