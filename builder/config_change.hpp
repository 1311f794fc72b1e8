#pragma once
// Applying config-only Dockerfile instructions to an image config: `import --change`,
// `commit --change`, and the builder's ENV, LABEL, CMD, ... steps share this code.
//
// The config travels as its JSON bytes (the whole image config document: "config",
// "history", "rootfs", ...); nlohmann stays private. Values are expanded with the config's own
// ENV as docker does for `--change` (no build args).

#include <string>
#include <string_view>
#include <vector>

namespace strata::builder {

// Applies each change (one Dockerfile instruction, e.g. `CMD ["/bin/sh"]`, `ENV A=b`) in order to
// `config_json`'s "config" section and returns the new document. Only CMD, ENTRYPOINT, ENV,
// EXPOSE, HEALTHCHECK, LABEL, ONBUILD, SHELL, STOPSIGNAL, USER, VOLUME and WORKDIR are valid
// changes; anything else, or a parse error, throws `Error{usage}` naming the change.
[[nodiscard]] std::string apply_changes(std::string_view config_json,
                                        const std::vector<std::string>& changes);

} // namespace strata::builder
