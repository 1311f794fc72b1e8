#pragma once
// Docker-style listings (`images`, `history`, `ps`, ...): each row is a JSON object of the fields
// a `--format` template can name (`{{.ID}}`, `{{.Repository}}`), printed either as Docker's
// default table or through the user's template.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::cli {

struct Listing {
  std::string default_format; // e.g. "table {{.Repository}}\t{{.Tag}}"
  nlohmann::json headers;     // field → column title, e.g. {"ID": "IMAGE ID"}
};

// Prints `rows` with `format` (the listing's default when empty). `table ...` prints a header
// line and aligns columns as Docker's tabwriter does; `json` prints each row as one JSON line;
// any other template prints one rendered line per row. Template errors throw `Error{usage}`.
void print_rows(const std::vector<nlohmann::json>& rows, const std::string& format,
                const Listing& listing);

} // namespace strata::cli
