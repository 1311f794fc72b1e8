// `stages_to_json`: the stage graph for tools and editors.
//   [{"index": 0, "name": "build", "base": "golang:1.22", "base_stage": null, "platform": "",
//     "line": 3, "steps": [4, 5], "needed": true,
//     "edges": [{"kind": "copy-from", "stage": 0, "line": 9}],
//     "images": [{"kind": "copy-from", "reference": "alpine", "line": 10}]}]
// `steps` are indices into the document's "instructions"; `needed` says whether `--target`
// (default: the last stage) requires the stage.

#include <algorithm>

#include <nlohmann/json.hpp>

#include "parser/stage_graph.hpp"

namespace strata::parser {

std::string stages_to_json(const StageGraph& graph, std::string_view target) {
  const auto required = graph.required_stages(target);
  const auto& instructions = graph.instructions();
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Stage& stage : graph.stages()) {
    nlohmann::ordered_json s;
    s["index"] = stage.index;
    s["name"] = stage.name;
    s["base"] = stage.base;
    s["base_stage"] = stage.base_stage ? nlohmann::ordered_json(*stage.base_stage) : nlohmann::ordered_json(nullptr);
    s["platform"] = stage.platform;
    s["line"] = instructions[stage.from_instruction].line;
    s["steps"] = stage.steps;
    s["needed"] = std::find(required.begin(), required.end(), stage.index) != required.end();
    s["edges"] = nlohmann::ordered_json::array();
    for (const StageEdge& edge : stage.edges) {
      s["edges"].push_back({{"kind", to_string(edge.kind)}, {"stage", edge.stage},
                            {"line", instructions[edge.instruction].line}});
    }
    s["images"] = nlohmann::ordered_json::array();
    for (const ImageReference& image : stage.images) {
      s["images"].push_back({{"kind", to_string(image.kind)}, {"reference", image.reference},
                             {"line", instructions[image.instruction].line}});
    }
    out.push_back(std::move(s));
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace strata::parser
