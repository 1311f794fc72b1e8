#pragma once
// The stage graph of a Dockerfile: stages by name and index, the edges between them, and the
// stages a `--target` needs.
//
// Vocabulary: a *stage* is one FROM block; a *step* is one instruction in it. An *edge* says
// that a stage needs another one: its FROM names an earlier stage, a `COPY --from` names any
// stage (by name or index; forward references are allowed, as in BuildKit), or a
// `RUN --mount=from=` does. A `--from` that names no stage refers to an image.
//
// Building the graph expands what BuildKit expands before it schedules anything: the global
// ARGs, each FROM's base and `--platform` (global scope), and `COPY --from` (the stage's own
// ARG/ENV scope as far as the Dockerfile defines it). Everything else stays unexpanded for the
// builder, which knows the base images' ENV.
//
// Ownership: a `StageGraph` owns the instructions; `Stage` refers to them by index.
// Failure: `StageGraph::build` throws `Error{parse}` at the instruction's position for an
// instruction before the first FROM other than ARG, a blank base name, a duplicate stage name,
// an invalid stage index and a cycle; `required_stages` throws `Error{not_found}` for an
// unknown target. Thread-safety: immutable after `build`.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "parser/ast.hpp"
#include "parser/instructions.hpp"
#include "parser/variable_scope.hpp"

namespace strata::parser {

enum class EdgeKind { from, copy_from, mount_from };
[[nodiscard]] std::string_view to_string(EdgeKind kind);

struct StageEdge {
  EdgeKind kind = EdgeKind::from;
  std::size_t stage = 0;         // the stage needed
  std::size_t instruction = 0;   // index into `StageGraph::instructions()` of the reference
};

// A `--from` that names an image rather than a stage.
struct ImageReference {
  EdgeKind kind = EdgeKind::copy_from;
  std::string reference;
  std::size_t instruction = 0;
};

struct Stage {
  std::size_t index = 0;
  std::string name;                  // lower-cased `AS` name; empty when unnamed
  std::string base;                  // FROM's base after expansion (`scratch`, an image, a stage)
  std::optional<std::size_t> base_stage; // set when `base` names an earlier stage
  std::string platform;              // `--platform` after expansion; empty when not given
  std::size_t from_instruction = 0;  // index of the FROM
  std::vector<std::size_t> steps;    // indices of the instructions after FROM, in order
  std::vector<StageEdge> edges;
  std::vector<ImageReference> images;

  // Whether the stage starts from nothing.
  [[nodiscard]] bool is_scratch() const noexcept { return !base_stage && base == "scratch"; }
};

class StageGraph {
public:
  [[nodiscard]] static StageGraph build(const Ast& ast, std::vector<Instruction> instructions,
                                        const BuildInputs& inputs = {});

  [[nodiscard]] const std::vector<Instruction>& instructions() const noexcept { return instructions_; }
  [[nodiscard]] const std::vector<Stage>& stages() const noexcept { return stages_; }
  // Indices of the global ARG instructions (before the first FROM).
  [[nodiscard]] const std::vector<std::size_t>& global_args() const noexcept { return global_args_; }
  // The global scope's values, after build args.
  [[nodiscard]] const Env& global_values() const noexcept { return global_values_; }

  // A stage by `AS` name (case-insensitive) or decimal index.
  [[nodiscard]] std::optional<std::size_t> find_stage(std::string_view name_or_index) const;
  // The stages `target` needs (empty = the last stage), dependencies first, each once.
  [[nodiscard]] std::vector<std::size_t> required_stages(std::string_view target = {}) const;
  // `--build-arg` names that no ARG of a required stage (or the global scope) declares:
  // BuildKit's "[Warning] One or more build-args [...] were not consumed".
  [[nodiscard]] std::vector<std::string> unused_build_args(std::string_view target = {}) const;

private:
  std::string file_;
  std::vector<Instruction> instructions_;
  std::vector<Stage> stages_;
  std::vector<std::size_t> global_args_;
  Env global_values_;
  std::set<std::string, std::less<>> global_declared_;
  std::vector<std::set<std::string, std::less<>>> stage_declared_;
  BuildInputs inputs_;

  friend class StageGraphBuilder;
};

// JSON rendering of the graph for `strata parse --format json` (a complete JSON value).
[[nodiscard]] std::string stages_to_json(const StageGraph& graph, std::string_view target = {});

} // namespace strata::parser
