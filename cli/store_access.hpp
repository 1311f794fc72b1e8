#pragma once
// Shared by the commands that work on the image store: opening it, and the time and size words
// Docker prints.

#include <cstdint>
#include <string>

#include "cli/command.hpp"
#include "store/container_store.hpp"
#include "store/image_store.hpp"

namespace strata::cli {

// Opens (creating if needed) the store at `--root`.
[[nodiscard]] store::ImageStore open_store(const GlobalOptions& global);
// The containers of the store at `--root` (`<root>/containers/`).
[[nodiscard]] store::ContainerStore open_containers(const GlobalOptions& global);

// Parses a NAME[:TAG] argument. A malformed one fails with exit status 1, as in docker (the
// daemon rejects it), not with the usage status.
[[nodiscard]] store::Reference parse_reference_argument(const std::string& text);

// Seconds since the epoch now, or `$SOURCE_DATE_EPOCH` when `reproducible` and it is set.
[[nodiscard]] std::int64_t now_seconds();
// The creation time to record in a new image: RFC 3339 with nanoseconds, or SOURCE_DATE_EPOCH.
[[nodiscard]] std::string creation_time();

// `docker images` CREATED: "3 minutes ago"; "N/A" for an unknown time.
[[nodiscard]] std::string created_since(const std::string& rfc3339);

// Whether stdout is a terminal (commands that write archives refuse one).
[[nodiscard]] bool stdout_is_terminal();

} // namespace strata::cli
