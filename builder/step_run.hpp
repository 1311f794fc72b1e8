#pragma once
// RUN (internal): the command run in a container over the stage's state — its snapshots as
// lower dirs, a fresh upper dir — with the image config's Env (plus the build args in scope),
// WorkingDir, User and Shell; `--mount` (cache, tmpfs, bind from the context, secret) and
// `--network`; its output streamed to the progress display. A non-zero exit fails the step with
// BuildKit's message. The upper dir becomes the step's layer.

#include <map>
#include <string>

#include "builder/build_session.hpp"
#include "builder/build_state.hpp"
#include "parser/instructions.hpp"

namespace strata::builder {

// The build args a RUN step sees in its environment (the ARGs in scope with a value, minus those
// an ENV overrides): part of its cache key and of its history row.
[[nodiscard]] std::map<std::string, std::string> run_build_args(const parser::VariableScope& scope);

// What a RUN's bind mounts expose, for its cache key: the content digest of a context bind (by
// "mount:<target>"), the identity of a `from=` stage or image.
[[nodiscard]] std::map<std::string, std::string> run_mount_inputs(BuildSession& session,
                                                                  const parser::Instruction& inst);

// Runs the (expanded) RUN instruction on top of `state`: adds its layer and history row.
void run_step(BuildSession& session, ImageState& state, const parser::Instruction& inst,
              const std::map<std::string, std::string>& build_args, int vertex);

} // namespace strata::builder
