#pragma once
// The builder's shared state for one build (internal): what every stage and step reads — the
// options, the parsed Dockerfile, the store, the cache, the context — and what they hand to each
// other (finished stages' states). Owned by `build_image`; stages run on TBB threads.

#include <atomic>
#include <cstddef>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "builder/build.hpp"
#include "builder/build_cache.hpp"
#include "builder/build_state.hpp"
#include "builder/file_hash_cache.hpp"
#include "builder/layer_pipeline.hpp"
#include "common/unique_fd.hpp"
#include "parser/ast.hpp"
#include "parser/dockerignore.hpp"
#include "parser/stage_graph.hpp"
#include "store/image_store.hpp"

namespace strata::builder {

// How the build writes layers: gzip, overlayfs upper dirs, SOURCE_DATE_EPOCH's clamp.
[[nodiscard]] store::LayerWriteOptions layer_options(const BuildOptions& options);

struct BuildSession {
  BuildSession(const BuildOptions& options_, Progress& progress_, store::ImageStore& images_,
               const parser::Ast& ast_, const parser::StageGraph& graph_,
               parser::BuildInputs inputs_, UniqueFd context_fd_, std::string file_label_)
      : options(options_), progress(progress_), images(images_), cache(images_), ast(ast_),
        graph(graph_), inputs(std::move(inputs_)), context_fd(std::move(context_fd_)),
        file_label(std::move(file_label_)), total_stages(graph_.stages().size()),
        stage_results(graph_.stages().size()),
        hashes(options_.store_root, options_.context_dir),
        layers(images_.blobs(), layer_options(options_)) {}

  const BuildOptions& options;
  Progress& progress;
  store::ImageStore& images;
  BuildCache cache;
  const parser::Ast& ast;
  const parser::StageGraph& graph;
  parser::BuildInputs inputs;
  UniqueFd context_fd;
  parser::PatternMatcher ignore{std::vector<std::string>{}};
  std::string file_label; // "Dockerfile" as messages name it
  std::size_t total_stages = 0;

  // Finished stages' states, by stage index; written once by the stage's own node, read by the
  // nodes the flow graph runs after it.
  std::vector<std::optional<ImageState>> stage_results;
  // Content digests of context files by stat identity, kept between builds.
  FileHashCache hashes;
  // Layers compressed in the background while later steps run.
  LayerPipeline layers;

  // The cache keys of the steps each stage used (hit or run), for `--cache-to`.
  void note_key(std::size_t stage, const store::Digest& key);
  // Those of one stage, or (nullopt) of every stage.
  [[nodiscard]] std::vector<store::Digest> used_keys(std::optional<std::size_t> stage) const;

  // Context files read (relative paths), for `--depfile`.
  void add_context_reads(const std::vector<std::string>& paths);
  [[nodiscard]] std::vector<std::string> context_reads() const;

  // True once the user cancelled (`options.cancel`) or another stage failed (`fail`).
  [[nodiscard]] bool stop_requested() const noexcept;
  // Throws `Error{cancelled}` when `stop_requested()`.
  void check_cancelled() const;
  // A stage failed: every other stage stops at its next check.
  void fail() noexcept { failed_ = true; }
  // Keeps the first real failure (not another stage's "cancelled" echo of it), which the build
  // reports whatever order the stages' exceptions reach the flow graph in.
  void note_failure(std::exception_ptr error, bool cancelled);
  [[nodiscard]] std::exception_ptr first_failure() const;
  // A timestamp for history rows: SOURCE_DATE_EPOCH when set, else now (RFC 3339).
  [[nodiscard]] std::string timestamp() const;

private:
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mutex_;
  std::exception_ptr first_failure_;
  mutable std::mutex keys_mutex_;
  std::map<std::size_t, std::vector<store::Digest>> keys_;
  mutable std::mutex reads_mutex_;
  std::set<std::string> reads_;
};

// Waits for the blobs of `state`'s pending layers and fills in their descriptors.
void resolve_layers(BuildSession& session, ImageState& state);

// Runs one stage to completion (its base, then every step); the result's identity is the last
// step's cache key. Defined in stage_runner.cpp.
[[nodiscard]] ImageState run_stage(BuildSession& session, std::size_t stage);

} // namespace strata::builder
