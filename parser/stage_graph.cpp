// Building the stage graph: global ARGs, stages, edges, cycle detection and target pruning.

#include "parser/stage_graph.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/expand.hpp"
#include "parser/text.hpp"

namespace strata::parser {

class StageGraphBuilder {
public:
  StageGraphBuilder(const Ast& ast, StageGraph& graph) : ast_(ast), g_(graph) {}

  void run() {
    split_into_stages();
    for (Stage& stage : g_.stages_) {
      collect_edges(stage);
    }
    check_cycles();
  }

private:
  [[noreturn]] void fail(const Instruction& at, LineColumn where, std::string message) const {
    if (where.line == 0) {
      where = {at.line, at.column};
    }
    throw_parse_error(ast_, where, std::move(message));
  }

  std::string expand(const VariableScope& scope, const Instruction& at, const Word& word) const {
    try {
      return scope.expand_word(word.value);
    } catch (const Error& e) {
      fail(at, word.position, e.message());
    }
  }

  // Global ARGs expand one by one, each seeing the ones before it (BuildKit's meta args).
  void declare_global_args(VariableScope& scope, const Instruction& inst) const {
    for (const ArgDefinition& arg : inst.as<ArgInstruction>().args) {
      std::optional<std::string> value;
      if (arg.default_value) {
        value = expand(scope, inst, {*arg.default_value, arg.position});
      }
      scope.declare_arg(arg.name, value);
    }
  }

  void split_into_stages() {
    VariableScope global(ast_.escape, g_.inputs_);
    global.set_all(platform_args(g_.inputs_), false);
    for (std::size_t i = 0; i < g_.instructions_.size(); ++i) {
      const Instruction& inst = g_.instructions_[i];
      if (inst.kind == InstructionKind::from) {
        start_stage(global, i);
      } else if (g_.stages_.empty()) {
        if (inst.kind != InstructionKind::arg) {
          fail(inst, {}, std::string(messages::k_before_first_from));
        }
        declare_global_args(global, inst);
        g_.global_args_.push_back(i);
      } else {
        g_.stages_.back().steps.push_back(i);
        if (inst.kind == InstructionKind::arg) {
          for (const ArgDefinition& arg : inst.as<ArgInstruction>().args) {
            g_.stage_declared_.back().insert(arg.name);
          }
        }
      }
    }
    g_.global_values_ = global.args();
    g_.global_declared_ = global.declared();
  }

  void start_stage(const VariableScope& global, std::size_t index) {
    const Instruction& inst = g_.instructions_[index];
    const auto& from = inst.as<FromInstruction>();
    Stage stage;
    stage.index = g_.stages_.size();
    stage.from_instruction = index;
    stage.base = expand(global, inst, from.base);
    if (stage.base.empty()) {
      fail(inst, from.base.position, fmt::format(fmt::runtime(messages::k_blank_base), from.base.value));
    }
    if (from.platform) {
      stage.platform = expand(global, inst, *from.platform);
    }
    if (from.stage_name) {
      stage.name = from.stage_name->value;
      if (by_name(stage.name)) {
        fail(inst, from.stage_name->position, fmt::format(fmt::runtime(messages::k_duplicate_stage), stage.name));
      }
    }
    // FROM names only earlier stages (the new one is not in `stages_` yet).
    if (auto base = by_name(text::to_lower_ascii(stage.base))) {
      stage.base_stage = base;
      stage.edges.push_back({EdgeKind::from, *base, index});
    }
    g_.stages_.push_back(std::move(stage));
    g_.stage_declared_.emplace_back();
  }

  [[nodiscard]] static bool is_index(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  [[nodiscard]] std::optional<std::size_t> by_name(std::string_view name) const {
    for (const Stage& s : g_.stages_) {
      if (!s.name.empty() && s.name == name) {
        return s.index;
      }
    }
    return std::nullopt;
  }

  // Resolves a `--from` value to a stage edge or an image reference.
  void add_reference(Stage& stage, EdgeKind kind, std::size_t at, const std::string& value, LineColumn where) {
    if (value.empty()) {
      return; // `--from=$UNSET` expands to nothing: the build context, as in BuildKit
    }
    if (is_index(value)) {
      std::size_t n = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || n >= g_.stages_.size()) {
        fail(g_.instructions_[at], where, fmt::format(fmt::runtime(messages::k_invalid_stage_index), value));
      }
      stage.edges.push_back({kind, n, at});
    } else if (auto named = by_name(text::to_lower_ascii(value))) {
      stage.edges.push_back({kind, *named, at});
    } else {
      stage.images.push_back({kind, value, at});
    }
  }

  // Walks the stage's steps with BuildKit's expansion (`expand_step`), so `COPY --from=$X`
  // sees exactly the ARG and ENV values a build would.
  void collect_edges(Stage& stage) {
    VariableScope scope(ast_.escape, g_.inputs_);
    scope.set_inherited(g_.global_values_);
    for (const std::size_t at : stage.steps) {
      const Instruction& inst = g_.instructions_[at];
      if (inst.kind != InstructionKind::arg && inst.kind != InstructionKind::env &&
          inst.kind != InstructionKind::copy && inst.kind != InstructionKind::run) {
        continue;
      }
      const Instruction expanded = expand_step(inst, scope, ast_);
      if (inst.kind == InstructionKind::copy) {
        if (const auto& from = expanded.as<CopyInstruction>().from) {
          add_reference(stage, EdgeKind::copy_from, at, from->value, from->position);
        }
      } else if (inst.kind == InstructionKind::run) {
        for (const MountSpec& mount : expanded.as<RunInstruction>().mounts) {
          if (!mount.from.empty()) {
            add_reference(stage, EdgeKind::mount_from, at, mount.from, mount.position);
          }
        }
      }
    }
  }

  // Depth-first search with colours; a grey stage reached again closes a cycle.
  void check_cycles() const {
    std::vector<int> colour(g_.stages_.size(), 0);
    for (std::size_t i = 0; i < g_.stages_.size(); ++i) {
      visit(i, colour);
    }
  }
  void visit(std::size_t i, std::vector<int>& colour) const {
    if (colour[i] == 2) {
      return;
    }
    colour[i] = 1;
    for (const StageEdge& edge : g_.stages_[i].edges) {
      if (colour[edge.stage] == 1) {
        const Stage& s = g_.stages_[edge.stage];
        fail(g_.instructions_[edge.instruction], {},
             fmt::format(fmt::runtime(messages::k_circular_dependency), s.name.empty() ? std::to_string(s.index) : s.name));
      }
      visit(edge.stage, colour);
    }
    colour[i] = 2;
  }

  const Ast& ast_;
  StageGraph& g_;
};

std::string_view to_string(EdgeKind kind) {
  switch (kind) {
  case EdgeKind::from: return "from";
  case EdgeKind::copy_from: return "copy-from";
  case EdgeKind::mount_from: return "mount-from";
  }
  return "from";
}

StageGraph StageGraph::build(const Ast& ast, std::vector<Instruction> instructions, const BuildInputs& inputs) {
  StageGraph graph;
  graph.file_ = ast.file;
  graph.instructions_ = std::move(instructions);
  graph.inputs_ = inputs;
  StageGraphBuilder(ast, graph).run();
  return graph;
}

std::optional<std::size_t> StageGraph::find_stage(std::string_view name_or_index) const {
  const std::string name = text::to_lower_ascii(name_or_index);
  for (const Stage& s : stages_) {
    if (!s.name.empty() && s.name == name) {
      return s.index;
    }
  }
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (!name.empty() && ec == std::errc{} && ptr == name.data() + name.size() && n < stages_.size()) {
    return n;
  }
  return std::nullopt;
}

std::vector<std::size_t> StageGraph::required_stages(std::string_view target) const {
  if (stages_.empty()) {
    return {};
  }
  std::size_t root = stages_.size() - 1;
  if (!target.empty()) {
    const auto found = find_stage(target);
    if (!found || std::to_string(*found) == target) { // --target takes names only, as BuildKit
      throw Error(ErrorKind::not_found, fmt::format(fmt::runtime(messages::k_target_not_found), target));
    }
    root = *found;
  }
  // Post-order DFS: dependencies first. The graph is acyclic (checked in `build`).
  std::vector<std::size_t> order;
  std::vector<bool> seen(stages_.size(), false);
  std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
  seen[root] = true;
  while (!stack.empty()) {
    auto& [stage, next] = stack.back();
    const auto& edges = stages_[stage].edges;
    if (next < edges.size()) {
      const std::size_t dep = edges[next++].stage;
      if (!seen[dep]) {
        seen[dep] = true;
        stack.emplace_back(dep, 0);
      }
    } else {
      order.push_back(stage);
      stack.pop_back();
    }
  }
  return order;
}

std::vector<std::string> StageGraph::unused_build_args(std::string_view target) const {
  std::vector<std::string> unused;
  const auto required = required_stages(target);
  for (const auto& [name, value] : inputs_.build_args) {
    bool used = global_declared_.count(name) != 0 || is_proxy_arg(name);
    for (const std::size_t s : required) {
      used = used || stage_declared_[s].count(name) != 0;
    }
    if (!used) {
      unused.push_back(name);
    }
  }
  return unused;
}

} // namespace strata::parser
