// `to_instructions`: keyword dispatch, locating words, heredoc helpers and ONBUILD (BuildKit's
// instructions/parse.go `ParseInstruction`, `parseOnBuild`).

#include "parser/instructions.hpp"

#include <array>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/instruction_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser {
namespace detail {
namespace {

using Converter = void (*)(const Context&, Instruction&);

struct KindEntry {
  std::string_view name;
  InstructionKind kind;
  Converter convert;
};

void parse_onbuild(const Context& ctx, Instruction& ins);

// In `InstructionKind` order, so `to_string` can index it.
constexpr std::array<KindEntry, 18> k_kinds{{
    {"from", InstructionKind::from, parse_from},
    {"run", InstructionKind::run, parse_run},
    {"cmd", InstructionKind::cmd, parse_cmd},
    {"entrypoint", InstructionKind::entrypoint, parse_entrypoint},
    {"shell", InstructionKind::shell, parse_shell},
    {"label", InstructionKind::label, parse_label},
    {"env", InstructionKind::env, parse_env},
    {"arg", InstructionKind::arg, parse_arg},
    {"expose", InstructionKind::expose, parse_expose},
    {"add", InstructionKind::add, parse_add},
    {"copy", InstructionKind::copy, parse_copy},
    {"volume", InstructionKind::volume, parse_volume},
    {"user", InstructionKind::user, parse_user},
    {"workdir", InstructionKind::workdir, parse_workdir},
    {"onbuild", InstructionKind::onbuild, parse_onbuild},
    {"stopsignal", InstructionKind::stopsignal, parse_stopsignal},
    {"healthcheck", InstructionKind::healthcheck, parse_healthcheck},
    {"maintainer", InstructionKind::maintainer, parse_maintainer},
}};

const KindEntry* find_kind(std::string_view keyword) {
  const std::string lower = text::to_lower_ascii(keyword);
  for (const KindEntry& entry : k_kinds) {
    if (entry.name == lower) {
      return &entry;
    }
  }
  return nullptr;
}

[[noreturn]] void unknown_instruction(const Context& ctx, LineColumn where) {
  // BuildKit suggests among the upper-case names, matched to the keyword's case.
  std::array<std::string, k_kinds.size()> upper;
  std::array<std::string_view, k_kinds.size()> names;
  for (std::size_t i = 0; i < k_kinds.size(); ++i) {
    upper[i] = to_upper_ascii(k_kinds[i].name);
    names[i] = upper[i];
  }
  const std::string& keyword = ctx.node->value;
  ctx.fail(where,
           with_suggestion(fmt::format(fmt::runtime(messages::k_unknown_instruction), keyword),
                           suggest(keyword, names, false)));
}

// `(?i)^\s*ONBUILD\s*` removed, as BuildKit stores the trigger.
std::string onbuild_expression(const Context& ctx) {
  std::string_view rest = ctx.node->original;
  auto is_go_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
  };
  while (!rest.empty() && is_go_space(rest.front())) {
    rest.remove_prefix(1);
  }
  if (rest.size() >= 7 && text::to_lower_ascii(rest.substr(0, 7)) == "onbuild") {
    rest.remove_prefix(7);
  }
  while (!rest.empty() && is_go_space(rest.front())) {
    rest.remove_prefix(1);
  }
  std::string expression(rest);
  for (const Heredoc& heredoc : *ctx.heredocs) {
    expression += "\n" + heredoc.content + heredoc.name;
  }
  return expression;
}

void parse_onbuild(const Context& ctx, Instruction& ins) {
  const Node& node = *ctx.node;
  if (node.args.empty() || node.args[0].children.empty()) {
    ctx.fail(ctx.args_position(),
             fmt::format(fmt::runtime(messages::k_at_least_one_argument), "ONBUILD"));
  }
  const FlagSet flags(ctx, ins.flags, {});
  Context sub = ctx;
  sub.node = &node.args[0].children[0];
  sub.base = ctx.base + node.args_offset;
  const std::string trigger = to_upper_ascii(text::trim_space(sub.node->value));
  if (trigger == "ONBUILD") {
    ctx.fail(sub.at(0), std::string(messages::k_onbuild_chaining));
  }
  if (trigger == "MAINTAINER" || trigger == "FROM") {
    ctx.fail(sub.at(0), fmt::format(fmt::runtime(messages::k_onbuild_trigger), trigger));
  }
  OnbuildInstruction onbuild;
  onbuild.expression = onbuild_expression(ctx);
  onbuild.trigger.push_back(convert_node(sub));
  ins.details = std::move(onbuild);
}

} // namespace

std::vector<Word> argument_words(const Context& ctx) {
  std::vector<Word> words;
  std::size_t cursor = ctx.node->args_offset;
  for (const Node& arg : ctx.node->args) {
    const LineColumn at =
        ctx.node->json ? ctx.args_position() : find_position(ctx, arg.value, &cursor);
    words.push_back(Word{arg.value, at});
  }
  return words;
}

LineColumn arguments_or_keyword(const Context& ctx, const Instruction& ins) {
  const bool has_text = ctx.node->args_offset < ctx.node->original.size();
  return has_text ? ctx.args_position() : LineColumn{ins.line, ins.column};
}

LineColumn find_position(const Context& ctx, std::string_view needle, std::size_t* cursor) {
  const std::string& original = ctx.node->original;
  const auto found =
      *cursor <= original.size() ? original.find(needle, *cursor) : std::string::npos;
  if (found == std::string::npos) {
    return ctx.args_position();
  }
  *cursor = found + needle.size();
  return ctx.at(found);
}

std::string chomp_heredoc(std::string_view content) {
  std::string out;
  out.reserve(content.size());
  bool line_start = true;
  for (const char c : content) {
    if (line_start && c == '\t') {
      continue;
    }
    out += c;
    line_start = c == '\n';
  }
  return out;
}

HeredocFile to_heredoc_file(const Heredoc& heredoc) {
  HeredocFile file;
  file.name = heredoc.name;
  file.content = heredoc.chomp ? chomp_heredoc(heredoc.content) : heredoc.content;
  file.expand = heredoc.expand;
  file.chomp = heredoc.chomp;
  file.fd = heredoc.fd;
  return file;
}

Instruction convert_node(const Context& located) {
  Context ctx = located;
  const Node& node = *ctx.node;
  ctx.keyword = to_upper_ascii(node.value);
  const auto keyword_offset = node.original.find_first_not_of(" \t\v\f\r");
  const LineColumn where = ctx.at(keyword_offset == std::string::npos ? 0 : keyword_offset);
  const KindEntry* entry = find_kind(node.value);
  if (entry == nullptr) {
    unknown_instruction(ctx, where);
  }
  Instruction ins;
  ins.kind = entry->kind;
  ins.keyword = node.value;
  ins.line = where.line;
  ins.column = where.column;
  ins.end_line = std::max(ctx.located->end_line, where.line);
  ins.original = node.original;
  ins.flags = located_flags(ctx);
  ins.args_position = ctx.args_position();
  entry->convert(ctx, ins);
  return ins;
}

} // namespace detail

std::string_view to_string(InstructionKind kind) {
  return detail::k_kinds[static_cast<std::size_t>(kind)].name;
}

std::optional<InstructionKind> instruction_kind(std::string_view keyword) {
  const detail::KindEntry* entry = detail::find_kind(keyword);
  return entry == nullptr ? std::nullopt : std::optional(entry->kind);
}

std::vector<Instruction> to_instructions(const Ast& ast) {
  std::vector<Instruction> out;
  out.reserve(ast.root.children.size());
  for (const Node& node : ast.root.children) {
    detail::Context ctx;
    ctx.ast = &ast;
    ctx.node = &node;
    ctx.located = &node;
    ctx.heredocs = &node.heredocs;
    out.push_back(detail::convert_node(ctx));
  }
  return out;
}

} // namespace strata::parser
