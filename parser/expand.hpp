#pragma once
// Variable expansion of instructions, as BuildKit does it before dispatching each step.
//
// What expands (with the stage's ARG/ENV scope, the Dockerfile's escape token, one word in, one
// word out): ENV and LABEL keys and values, ARG defaults, COPY/ADD sources, destination,
// `--chown`, `--chmod`, `--exclude`, COPY `--from`, ADD `--checksum`, WORKDIR, USER, VOLUME
// entries, STOPSIGNAL, and `RUN --mount` values. EXPOSE expands and splits into words. The bodies
// of COPY/ADD heredocs expand (escape `\`, quotes left as they are) unless the delimiter was
// quoted. What does not: RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK (the shell sees the text),
// ONBUILD (expanded when the trigger runs), MAINTAINER. FROM expands in the global scope
// (`StageGraph`).
//
// ENV and ARG lines expand all their values in the scope before the line, then apply them, so
// `ENV a=1 b=$a` gives b the old `a`. A value that must be checked after expansion (`--chmod`,
// mount options) is checked here.
//
// Failure: `Error{parse}` at the position of the word, with its source line. Not thread-safe in
// the sense that `scope` is mutated; one call per step, in step order.

#include "parser/ast.hpp"
#include "parser/instructions.hpp"
#include "parser/variable_scope.hpp"

namespace strata::parser {

// Returns `inst` with its expandable fields expanded in `scope`; ARG and ENV update `scope`.
[[nodiscard]] Instruction expand_step(const Instruction& inst, VariableScope& scope, const Ast& ast);

} // namespace strata::parser
