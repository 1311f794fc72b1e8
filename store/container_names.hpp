#pragma once
// Container names (container_store.hpp): docker's validity rule, docker's generated
// "adjective_surname" names, and the atomic claim of `containers/names/<name>`.

#include <string>
#include <string_view>

namespace strata::store {

// docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters).
[[nodiscard]] bool valid_container_name(std::string_view name) noexcept;

// Claims `name` (or a generated one when empty) for `id` by creating the symlink
// `names_dir/<name>` → id. A link whose container is gone is stale and replaced. Throws
// `Error{conflict}` with docker's message when the name is in use. Returns the name claimed.
[[nodiscard]] std::string claim_name(const std::string& names_dir, const std::string& name,
                                     const std::string& id);

} // namespace strata::store
