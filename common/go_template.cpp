#include "common/go_template.hpp"

#include "common/go_template_ast.hpp"
#include "common/go_template_exec.hpp"

#include <nlohmann/json.hpp>

namespace strata {

GoTemplate::GoTemplate(std::shared_ptr<const go_template::Tree> tree) : tree_(std::move(tree)) {}

GoTemplate GoTemplate::parse(std::string_view text) {
  return GoTemplate(go_template::parse_tree(text));
}

std::string GoTemplate::render(const nlohmann::json& data, MissingKey missing) const {
  return go_template::execute(*tree_, data, missing, go_template::FuncMode::data);
}

std::string GoTemplate::render_header(const nlohmann::json& headers) const {
  return go_template::execute(*tree_, headers, MissingKey::no_value,
                              go_template::FuncMode::header);
}

FormatSpec parse_format(std::string_view format) {
  FormatSpec spec;
  constexpr std::string_view k_table = "table";
  if (format.starts_with(k_table)) {
    spec.table = true;
    format.remove_prefix(k_table.size());
  }
  // Docker trims spaces (only ' ') after removing "table", before replacing the escapes.
  while (!format.empty() && format.front() == ' ') {
    format.remove_prefix(1);
  }
  while (!format.empty() && format.back() == ' ') {
    format.remove_suffix(1);
  }
  if (!spec.table && format == "json") {
    spec.body = "{{json .}}";
    return spec;
  }
  // strings.NewReplacer(`\t`, "\t", `\n`, "\n"): one left-to-right pass, so "\\t" stays a
  // backslash followed by a TAB.
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '\\' && i + 1 < format.size() && (format[i + 1] == 't' || format[i + 1] == 'n')) {
      spec.body += format[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      spec.body += format[i];
    }
  }
  return spec;
}

} // namespace strata
