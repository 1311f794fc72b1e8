#pragma once
// JSON rendering of a parsed Dockerfile, for `strata parse --json` and for tests.
//
// Document shape (keys in this order; values unexpanded, as in `Instruction`):
//   {"file": "Dockerfile", "escape": "\\",
//    "directives": [{"name": "syntax", "value": "...", "line": 1}],
//    "warnings":   [{"message": "...", "line": 4}],
//    "instructions": [{"kind": "copy", "keyword": "COPY", "line": 7, "column": 1,
//                      "end_line": 7, "original": "COPY --from=build /a /b",
//                      "flags": {"from": "build"}, ...kind-specific fields...}],
//    "stages": ...}   // only with the `stages_json` overload
// "flags" maps each flag name to its value (`true` for a bare bool flag, an array for the
// repeatable `mount`/`exclude`). Kind-specific fields are documented in instruction_json.cpp.
// nlohmann-json stays private to parser/*.cpp (STYLE.md §1); this header exposes strings only.

#include <string>
#include <string_view>
#include <vector>

#include "parser/ast.hpp"
#include "parser/instructions.hpp"

namespace strata::parser {

// `indent` < 0 renders on one line. Does not throw for any input `to_instructions` produced.
[[nodiscard]] std::string to_json(const Ast& ast, const std::vector<Instruction>& instructions,
                                  int indent = 2);

// The same document with a "stages" member holding `stages_json`, a complete JSON value rendered
// by the stage layer (re-indented here). Throws `Error{internal}` if `stages_json` is not JSON.
[[nodiscard]] std::string to_json(const Ast& ast, const std::vector<Instruction>& instructions,
                                  std::string_view stages_json, int indent = 2);

} // namespace strata::parser
