#include "cli/listing.hpp"

#include <fmt/format.h>

#include "common/go_template.hpp"
#include "common/tab_writer.hpp"

namespace strata::cli {

void print_rows(const std::vector<nlohmann::json>& rows, const std::string& format,
                const Listing& listing) {
  const std::string& chosen = format.empty() ? listing.default_format : format;
  if (chosen == "json") {
    for (const auto& row : rows) {
      fmt::print("{}\n", row.dump());
    }
    return;
  }
  FormatSpec spec = parse_format(chosen);
  if (spec.table && spec.body.empty()) { // a bare "table": the default columns
    spec.body = parse_format(listing.default_format).body;
  }
  const GoTemplate tmpl = GoTemplate::parse(spec.body);
  std::string out;
  if (spec.table) {
    out += tmpl.render_header(listing.headers) + "\n";
  }
  for (const auto& row : rows) {
    out += tmpl.render(row) + "\n";
  }
  fmt::print("{}", spec.table ? tabwrite(out) : out);
}

} // namespace strata::cli
