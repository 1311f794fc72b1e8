#pragma once
// The words a build step is known by (internal): its canonical text for the cache key and the
// `created_by` of its history row, as BuildKit writes it.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "parser/ast.hpp"
#include "parser/instructions.hpp"

namespace strata::builder {

// The expanded instruction as one JSON text with every typed field and flag but no position and
// no unexpanded source text: moving a line, or a comment added above it, keeps the key.
[[nodiscard]] std::string canonical_text(const parser::Ast& ast, const parser::Instruction& inst);

// BuildKit's `created_by` for a step that adds no layer: `ENV a=b`, `CMD ["sh" "-c" "x"]`, ...
[[nodiscard]] std::string config_created_by(const parser::Instruction& inst,
                                            const nlohmann::json& config_section);

// `RUN |2 A=1 B=2 /bin/sh -c make # buildkit`: the build args the command sees, then its argv.
[[nodiscard]] std::string run_created_by(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& args);

// `COPY --from=build /out /app # buildkit` (likewise ADD).
[[nodiscard]] std::string copy_created_by(const parser::Instruction& inst);

// Go's `%q` of a string slice: `["a" "b c"]`.
[[nodiscard]] std::string go_quoted_list(const std::vector<std::string>& items);

} // namespace strata::builder
