#pragma once
// One config-only instruction applied to an image config's "config" section (Docker's container
// config shape: Cmd, Entrypoint, Env, Labels, ExposedPorts, Volumes, User, WorkingDir,
// StopSignal, OnBuild, Shell, Healthcheck). Shared by `apply_changes` (import/commit --change)
// and the builder's steps. The instruction must already be expanded. `cmd_set` carries Docker's
// rule across calls: ENTRYPOINT clears an inherited CMD unless a CMD was set before it in the
// same batch (a build stage). Throws `Error{usage}` for other instructions.

#include <nlohmann/json.hpp>

#include "parser/instructions.hpp"

namespace strata::builder {

void apply_config_instruction(nlohmann::json& config, const parser::Instruction& inst,
                              bool& cmd_set);

} // namespace strata::builder
