// `build_image` (build.hpp): parsing, the TBB flow graph over the needed stages, the final image.

#include <fcntl.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "builder/base_images.hpp"
#include "builder/build.hpp"
#include "builder/build_context.hpp"
#include "builder/build_session.hpp"
#include "builder/remote_cache.hpp"
#include "common/error.hpp"
#include "parser/instructions.hpp"
#include "store/image.hpp"
#include "store/registry_client.hpp"

namespace strata::builder {

void BuildSession::add_context_reads(const std::vector<std::string>& paths) {
  const std::lock_guard lock(reads_mutex_);
  reads_.insert(paths.begin(), paths.end());
}

void BuildSession::note_key(std::size_t stage, const store::Digest& key) {
  const std::lock_guard lock(keys_mutex_);
  keys_[stage].push_back(key);
}

std::vector<store::Digest> BuildSession::used_keys(std::optional<std::size_t> stage) const {
  const std::lock_guard lock(keys_mutex_);
  std::vector<store::Digest> out;
  for (const auto& [index, keys] : keys_) {
    if (!stage || *stage == index) {
      out.insert(out.end(), keys.begin(), keys.end());
    }
  }
  return out;
}

std::vector<std::string> BuildSession::context_reads() const {
  const std::lock_guard lock(reads_mutex_);
  return {reads_.begin(), reads_.end()};
}

bool BuildSession::stop_requested() const noexcept {
  return failed_ || (options.cancel != nullptr && options.cancel->load());
}

void BuildSession::check_cancelled() const {
  if (options.cancel != nullptr && options.cancel->load()) {
    throw Error(ErrorKind::cancelled, "build cancelled");
  }
  if (failed_) {
    throw Error(ErrorKind::cancelled, "another stage failed");
  }
}

void BuildSession::note_failure(std::exception_ptr error, bool cancelled) {
  fail();
  const std::lock_guard lock(failure_mutex_);
  if (!first_failure_ && !cancelled) {
    first_failure_ = std::move(error);
  }
}

std::exception_ptr BuildSession::first_failure() const {
  const std::lock_guard lock(failure_mutex_);
  return first_failure_;
}

std::string BuildSession::timestamp() const {
  if (options.source_date_epoch) {
    return store::format_rfc3339(*options.source_date_epoch);
  }
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return store::format_rfc3339(now.tv_sec, now.tv_nsec);
}

namespace {

using nlohmann::json;

std::vector<std::size_t> dependencies(const parser::Stage& stage) {
  std::vector<std::size_t> out;
  const auto add = [&](std::size_t s) {
    if (s != stage.index && std::find(out.begin(), out.end(), s) == out.end()) {
      out.push_back(s);
    }
  };
  if (stage.base_stage) {
    add(*stage.base_stage);
  }
  for (const parser::StageEdge& edge : stage.edges) {
    add(edge.stage);
  }
  return out;
}

// Runs the stages on a flow graph: a node per stage, an edge per dependency.
void run_stages(BuildSession& session, const std::vector<std::size_t>& needed) {
  using Node = tbb::flow::continue_node<tbb::flow::continue_msg>;
  tbb::flow::graph graph;
  std::vector<std::unique_ptr<Node>> nodes(session.graph.stages().size());
  for (const std::size_t s : needed) {
    nodes[s] = std::make_unique<Node>(graph, [&session, s](const tbb::flow::continue_msg&) {
      try {
        session.stage_results[s] = run_stage(session, s);
      } catch (const Error& e) {
        session.note_failure(std::current_exception(), e.kind() == ErrorKind::cancelled);
        throw;
      } catch (...) {
        session.note_failure(std::current_exception(), false);
        throw;
      }
    });
  }
  std::vector<std::size_t> roots;
  for (const std::size_t s : needed) {
    const std::vector<std::size_t> deps = dependencies(session.graph.stages()[s]);
    for (const std::size_t d : deps) {
      tbb::flow::make_edge(*nodes.at(d), *nodes[s]);
    }
    if (deps.empty()) {
      roots.push_back(s);
    }
  }
  for (const std::size_t s : roots) {
    nodes[s]->try_put(tbb::flow::continue_msg());
  }
  try {
    graph.wait_for_all();
  } catch (...) {
    if (const std::exception_ptr first = session.first_failure()) {
      std::rethrow_exception(first);
    }
    throw;
  }
}

// A stage's thread mostly waits (for its RUN's container, for the disk): every independent stage
// gets a thread of its own, as BuildKit runs them, rather than one per core.
void run_stages_in_arena(BuildSession& session, const std::vector<std::size_t>& needed) {
  const int cores = tbb::this_task_arena::max_concurrency();
  const int threads = std::max(cores, std::min(static_cast<int>(needed.size()), 32));
  // The process-wide worker limit defaults to the number of cores; raised for this build.
  const tbb::global_control workers(tbb::global_control::max_allowed_parallelism,
                                    static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  arena.execute([&] { run_stages(session, needed); });
}

UniqueFd open_context(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open build context", dir);
  }
  return fd;
}

// `--label`s, and "created" = the last history row's time.
std::string final_config(const BuildOptions& options, ImageState& state) {
  json& section = state.image_config();
  for (const auto& [key, value] : options.labels) {
    section["Labels"][key] = value;
  }
  const json& history = state.config.value("history", json::array());
  if (!history.empty()) {
    state.config["created"] = history.back().value("created", std::string());
  }
  if (!state.config.contains("rootfs")) {
    state.config["rootfs"] = {{"type", "layers"}, {"diff_ids", json::array()}};
  }
  return state.config.dump();
}

// `--push`: each tag to its registry (docker buildx's `--push`), one vertex per tag with the
// push's lines.
void push_tags(const BuildOptions& options, Progress& progress, store::ImageStore& images,
               const store::ImageRecord& image) {
  for (const store::Reference& tag : options.tags) {
    const int vertex = progress.begin("pushing " + tag.str());
    try {
      store::RegistryOptions registry;
      registry.progress = [&](std::string_view line) { progress.note(vertex, line); };
      const store::PushResult pushed = store::push_image(images, image, tag, registry);
      progress.note(vertex, fmt::format("pushing manifest for {}@{} done", tag.str(),
                                        pushed.manifest_digest.str()));
      progress.done(vertex);
    } catch (Error& e) {
      progress.error(vertex, e.message());
      e.add_context("push " + tag.str());
      throw;
    }
  }
}

} // namespace

BuildResult build_image(const BuildOptions& options, Progress& progress) {
  const std::string label =
      options.dockerfile_path == "-" ? "Dockerfile" : options.dockerfile_path;
  int vertex = progress.begin("[internal] load build definition from " + label);
  progress.note(vertex, fmt::format("transferring dockerfile: {}B done", options.dockerfile_text.size()));
  const parser::Ast ast = parser::parse_dockerfile(options.dockerfile_text, label);
  parser::BuildInputs inputs;
  inputs.build_args = options.build_args;
  inputs.target_platform = options.platform;
  const parser::StageGraph graph = parser::StageGraph::build(ast, parser::to_instructions(ast), inputs);
  const std::vector<std::size_t> needed = graph.required_stages(options.target);
  progress.done(vertex);
  if (const std::vector<std::string> unused = graph.unused_build_args(options.target);
      !unused.empty()) {
    std::string names;
    for (const std::string& name : unused) {
      names += (names.empty() ? "" : " ") + name;
    }
    progress.warning(fmt::format("[Warning] One or more build-args [{}] were not consumed", names));
  }

  store::ImageStore images = store::ImageStore::open(options.store_root);
  // Before the content lock: a failed pull's rollback takes the gc lock exclusively.
  pull_base_images(options, progress, images, graph, needed, label);
  const ImportedCache imported = ImportedCache::load(options.cache_from, progress);
  const store::FileLock content = images.content_lock();
  BuildSession session(options, progress, images, ast, graph, inputs,
                       open_context(options.context_dir), label);
  session.cache.set_imported(imported.is_empty() ? nullptr : &imported);
  vertex = progress.begin("[internal] load .dockerignore");
  session.ignore = read_context_ignore(session.context_fd.get(),
                                       options.dockerfile_path == "-" ? "" : options.dockerfile_path);
  progress.done(vertex);
  run_stages_in_arena(session, needed);
  session.hashes.save();

  vertex = progress.begin("exporting to image");
  ImageState& last = *session.stage_results.at(needed.back());
  resolve_layers(session, last);
  BuildResult result{placeholder_digest(), {}, {}, {}};
  result.config = final_config(options, last);
  for (const BuiltLayer& layer : last.layers) {
    result.layers.push_back(layer.blob);
  }
  const store::ImageRecord image = images.commit_image(result.config, result.layers, options.tags);
  result.image_id = image.id;
  progress.note(vertex, fmt::format("writing image {} done", image.id.str()));
  for (const store::Reference& tag : options.tags) {
    progress.note(vertex, fmt::format("naming to {} done", tag.str()));
  }
  progress.done(vertex);
  export_caches(options.cache_to, images, session.cache, session.used_keys(std::nullopt),
                session.used_keys(needed.back()), progress);
  if (options.push) {
    push_tags(options, progress, images, image);
  }
  result.context_reads = session.context_reads();
  return result;
}

} // namespace strata::builder
