// Per-instruction argument shaping (BuildKit's `line_parsers.go`, conformance README §2.3).

#include <fmt/format.h>

#include "parser/error_messages.hpp"
#include "parser/line_parser_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser::detail {
namespace {

constexpr int k_max_onbuild_depth = 4;

Node leaf(std::string value) {
  Node n;
  n.value = std::move(value);
  return n;
}

void whitespace_delimited(Node& node, std::string_view rest) {
  if (rest.empty()) {
    return;
  }
  auto words = text::split_whitespace(rest);
  node.args.reserve(words.size());
  for (auto& word : words) {
    node.args.push_back(leaf(std::move(word)));
  }
}

void whole_string(Node& node, std::string_view rest) {
  if (!rest.empty()) {
    node.args.push_back(leaf(std::string(rest)));
  }
}

bool try_json(Node& node, std::string_view rest) {
  auto elements = parse_json_array(rest);
  if (!elements) {
    return false;
  }
  node.args.reserve(elements->size());
  for (auto& element : *elements) {
    node.args.push_back(leaf(std::move(element)));
  }
  node.json = true;
  return true;
}

void maybe_json(Node& node, std::string_view rest) {
  if (!rest.empty() && !try_json(node, rest)) {
    whole_string(node, rest);
  }
}

void maybe_json_to_list(Node& node, std::string_view rest) {
  if (!try_json(node, rest)) {
    whitespace_delimited(node, rest);
  }
}

// ENV and LABEL: `KEY=VALUE ...` triples, or the legacy `KEY value` with one triple.
void name_value(Node& node, std::string_view rest, char escape, std::string_view key) {
  const auto words = parse_words(rest, escape);
  if (words.empty()) {
    return;
  }
  if (words[0].find('=') == std::string::npos) {
    auto parts = text::split_whitespace2(rest);
    if (parts.size() < 2) {
      throw LineError{fmt::format(fmt::runtime(messages::k_needs_two_args), key), 0};
    }
    node.args.push_back(leaf(std::move(parts[0])));
    node.args.push_back(leaf(std::move(parts[1])));
    node.args.push_back(leaf(""));
    return;
  }
  node.args.reserve(words.size() * 3);
  for (const auto& word : words) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) {
      throw LineError{fmt::format(fmt::runtime(messages::k_missing_equals), go_quote(word)), 0};
    }
    node.args.push_back(leaf(word.substr(0, eq)));
    node.args.push_back(leaf(word.substr(eq + 1)));
    node.args.push_back(leaf("="));
  }
}

// HEALTHCHECK: the first word as written, then the rest parsed like CMD.
void health_config(Node& node, std::string_view rest) {
  std::size_t sep = 0;
  while (sep < rest.size() && !text::is_space(static_cast<unsigned char>(rest[sep]))) {
    ++sep;
  }
  std::size_t next = sep;
  while (next < rest.size() && text::is_space(static_cast<unsigned char>(rest[next]))) {
    ++next;
  }
  if (sep == 0) {
    return;
  }
  node.args.push_back(leaf(std::string(rest.substr(0, sep))));
  maybe_json(node, rest.substr(next));
}

void sub_command(Node& node, std::string_view rest, char escape, int depth) {
  if (rest.empty()) {
    return;
  }
  if (depth >= k_max_onbuild_depth) {
    throw LineError{std::string(messages::k_onbuild_too_deep), 0};
  }
  Node holder;
  holder.children.push_back(node_from_line(rest, escape, depth + 1));
  node.args.push_back(std::move(holder));
}

} // namespace

void parse_arguments(Node& node, std::string_view keyword, std::string_view rest, char escape,
                     int depth) {
  const std::string k = text::to_lower_ascii(keyword);
  if (k == "add" || k == "copy" || k == "volume") {
    maybe_json_to_list(node, rest);
  } else if (k == "run" || k == "cmd" || k == "entrypoint" || k == "shell") {
    maybe_json(node, rest);
  } else if (k == "from" || k == "expose") {
    whitespace_delimited(node, rest);
  } else if (k == "env") {
    name_value(node, rest, escape, "ENV");
  } else if (k == "label") {
    name_value(node, rest, escape, "LABEL");
  } else if (k == "arg") {
    for (auto& word : parse_words(rest, escape)) {
      node.args.push_back(leaf(std::move(word)));
    }
  } else if (k == "maintainer" || k == "user" || k == "workdir" || k == "stopsignal") {
    whole_string(node, rest);
  } else if (k == "healthcheck") {
    health_config(node, rest);
  } else if (k == "onbuild") {
    sub_command(node, rest, escape, depth);
  } else {
    node.args.push_back(leaf("")); // unknown keyword: rejected by the typed layer, not here
  }
}

Node node_from_line(std::string_view line, char escape, int depth) {
  SplitLine split = split_command(line, escape);
  Node node;
  node.value = std::move(split.keyword);
  node.flags = std::move(split.flags);
  node.original = std::string(line);
  for (const std::size_t offset : split.flag_offsets) {
    node.flag_offsets.push_back(static_cast<std::uint32_t>(offset));
  }
  node.args_offset = static_cast<std::uint32_t>(split.args_offset);
  node.keyword_offset = static_cast<std::uint32_t>(split.keyword_offset);
  parse_arguments(node, node.value, split.args, escape, depth);
  return node;
}

} // namespace strata::parser::detail
