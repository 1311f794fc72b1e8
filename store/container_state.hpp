#pragma once
// state.json's codec, for `ContainerStore` (container_store.cpp) and its tests: the JSON of a
// `ContainerState` ({"Status", "Process", "Monitor", "ExitCode", "Error", "StartedAt",
// "FinishedAt", "OOMKilled"}), one line. Implemented in container_state.cpp with the rest of the
// state vocabulary declared in container_store.hpp.

#include "store/container_store.hpp"

#include <string>

namespace strata::store {

[[nodiscard]] std::string state_to_json(const ContainerState& state);
// `Error{corrupt}` naming `label` when `text` is not a state document.
[[nodiscard]] ContainerState state_from_json(const std::string& text, const std::string& label);

} // namespace strata::store
