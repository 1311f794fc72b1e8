#include "parser/directives.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "parser/error_messages.hpp"
#include "parser/grammar.hpp"
#include "parser/line_parser_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser {
namespace pegtl = tao::pegtl;
namespace {

template <typename Rule> struct directive_action : pegtl::nothing<Rule> {};
template <> struct directive_action<grammar::directive_name> {
  template <typename Input> static void apply(const Input& in, DirectiveLine& d) {
    d.name = text::to_lower_ascii(in.string());
  }
};
template <> struct directive_action<grammar::directive_value> {
  template <typename Input> static void apply(const Input& in, DirectiveLine& d) {
    // `(.+?)\s*$`: trailing RE2 spaces go; if only spaces were left, the lazy group keeps one.
    std::string_view v(in.begin(), in.size());
    std::size_t end = v.size();
    while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t' || v[end - 1] == '\f' || v[end - 1] == '\r')) {
      --end;
    }
    d.value = std::string(v.substr(0, end == 0 ? 1 : end));
  }
};

bool is_known(std::string_view name) { return name == "syntax" || name == "escape" || name == "check"; }

// Lines of `dockerfile` without endings; a BOM on the first line is dropped.
std::vector<std::string_view> plain_lines(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end;
    std::string_view line = text.substr(start, end - start);
    while (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    out.push_back(line);
    start = end + 1;
  }
  return out;
}

SyntaxDirective to_syntax(std::string value, std::uint32_t line) {
  SyntaxDirective d;
  d.cmdline = std::move(value);
  d.ref = d.cmdline.substr(0, d.cmdline.find(' '));
  d.line = line;
  return d;
}

std::optional<SyntaxDirective> syntax_from_json(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return std::nullopt;
  }
  const auto it = json.find("syntax");
  if (it == json.end() || !it->is_string()) {
    return std::nullopt;
  }
  return to_syntax(it->get<std::string>(), 1);
}

} // namespace

std::optional<DirectiveLine> match_directive(std::string_view line, bool allow_slashes) {
  std::string normalized;
  if (allow_slashes && line.substr(0, 2) == "//") {
    normalized = "#" + std::string(line.substr(2));
    line = normalized;
  }
  DirectiveLine out;
  pegtl::memory_input in(line.data(), line.size(), "directive");
  if (!pegtl::parse<grammar::directive, directive_action>(in, out)) {
    return std::nullopt;
  }
  return out;
}

void DirectiveParser::feed(std::string_view line, std::uint32_t number) {
  if (done_) {
    return;
  }
  auto d = match_directive(line);
  if (!d || !is_known(d->name)) {
    done_ = true;
    return;
  }
  for (const Directive& seen : parsed_) {
    if (seen.name == d->name) {
      throw detail::LineError{fmt::format(fmt::runtime(messages::k_duplicate_directive), d->name), 0};
    }
  }
  if (d->name == "escape") {
    if (d->value != "\\" && d->value != "`") {
      throw detail::LineError{fmt::format(fmt::runtime(messages::k_invalid_escape), d->value), 0};
    }
    escape_ = d->value[0];
  }
  parsed_.push_back({d->name, d->value, number});
}

std::optional<SyntaxDirective> find_directive(std::string_view key, std::string_view dockerfile) {
  const auto lines = plain_lines(dockerfile);
  const bool slashes = key == "syntax";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == 0 && lines[i].substr(0, 2) == "#!") {
      continue;
    }
    const auto d = match_directive(text::trim_left_space(lines[i]), slashes);
    if (!d) {
      return std::nullopt;
    }
    if (d->name == key) {
      return to_syntax(d->value, static_cast<std::uint32_t>(i + 1));
    }
  }
  return std::nullopt;
}

std::optional<SyntaxDirective> detect_syntax(std::string_view dockerfile) {
  if (auto found = find_directive("syntax", dockerfile)) {
    return found;
  }
  std::string_view t = dockerfile;
  if (t.substr(0, 3) == "\xEF\xBB\xBF") {
    t.remove_prefix(3);
  }
  if (!text::trim_left_space(t).empty() && text::trim_left_space(t).front() == '{') {
    return syntax_from_json(t);
  }
  return std::nullopt;
}

} // namespace strata::parser
