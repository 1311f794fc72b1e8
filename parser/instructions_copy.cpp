// COPY and ADD (BuildKit's instructions/parse.go `parseCopy`, `parseAdd`,
// `parseSourcesAndDest`).

#include <array>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/instruction_internal.hpp"
#include "parser/line_parser_internal.hpp"

namespace strata::parser::detail {
namespace {

std::optional<Heredoc> heredoc_word(std::string_view word) {
  if (word.find("<<") == std::string_view::npos) {
    return std::nullopt;
  }
  try {
    return parse_heredoc_word(word);
  } catch (const LineError&) {
    return std::nullopt;
  }
}

// An inline source: the body of the heredoc named by `word` (empty when none was read, as in
// BuildKit, e.g. for the JSON form), chomped when the word says `<<-`.
HeredocFile inline_source(const Context& ctx, const Heredoc& word) {
  HeredocFile file;
  file.name = word.name;
  file.expand = word.expand;
  file.chomp = word.chomp;
  file.fd = word.fd;
  for (const Heredoc& heredoc : *ctx.heredocs) {
    if (heredoc.name == word.name) {
      file.content = heredoc.content; // the last one with that name wins, as in BuildKit's map
    }
  }
  if (word.chomp) {
    file.content = chomp_heredoc(file.content);
  }
  return file;
}

void sources_and_destination(const Context& ctx, FileTransfer& transfer) {
  std::vector<Word> words = argument_words(ctx);
  transfer.destination = words.back();
  words.pop_back();
  if (heredoc_word(transfer.destination.value)) {
    ctx.fail(transfer.destination.position,
             format_message(messages::k_bad_heredoc, ctx.keyword, "a destination"));
  }
  for (Word& word : words) {
    if (const auto heredoc = heredoc_word(word.value)) {
      transfer.inline_sources.push_back(inline_source(ctx, *heredoc));
    } else {
      transfer.sources.push_back(std::move(word));
    }
  }
}

bool has_variable(std::string_view value) {
  const auto dollar = value.find('$');
  return dollar != std::string_view::npos && dollar + 1 < value.size();
}

void common_flags(const Context& ctx, const FlagSet& flags, FileTransfer& transfer) {
  transfer.chown = flags.value("chown");
  transfer.chmod = flags.value("chmod");
  if (transfer.chmod && transfer.chmod->value.empty()) {
    transfer.chmod.reset(); // `--chmod=` is "not given", as BuildKit's empty default
  }
  if (transfer.chmod && !has_variable(transfer.chmod->value)) {
    try {
      check_chmod(transfer.chmod->value);
    } catch (const Error& e) {
      ctx.fail(transfer.chmod->position, e.message());
    }
  }
  transfer.link = flags.is_true("link");
  transfer.excludes = flags.values("exclude");
}

void require_destination(const Context& ctx, const Instruction& ins) {
  if (ctx.node->args.size() < 2) {
    ctx.fail(arguments_or_keyword(ctx, ins), format_message(messages::k_no_destination, ctx.keyword));
  }
}

} // namespace

void parse_copy(const Context& ctx, Instruction& ins) {
  require_destination(ctx, ins);
  static constexpr std::array k_specs{
      FlagSpec{"chown", FlagType::string},    FlagSpec{"from", FlagType::string},
      FlagSpec{"chmod", FlagType::string},    FlagSpec{"link", FlagType::boolean},
      FlagSpec{"exclude", FlagType::strings}, FlagSpec{"parents", FlagType::boolean}};
  const FlagSet flags(ctx, ins.flags, k_specs);
  CopyInstruction copy;
  sources_and_destination(ctx, copy);
  common_flags(ctx, flags, copy);
  copy.from = flags.value("from");
  copy.parents = flags.is_true("parents");
  ins.details = std::move(copy);
}

void parse_add(const Context& ctx, Instruction& ins) {
  require_destination(ctx, ins);
  static constexpr std::array k_specs{
      FlagSpec{"exclude", FlagType::strings},      FlagSpec{"chown", FlagType::string},
      FlagSpec{"chmod", FlagType::string},         FlagSpec{"link", FlagType::boolean},
      FlagSpec{"keep-git-dir", FlagType::boolean}, FlagSpec{"checksum", FlagType::string}};
  const FlagSet flags(ctx, ins.flags, k_specs);
  AddInstruction add;
  sources_and_destination(ctx, add);
  common_flags(ctx, flags, add);
  add.checksum = flags.value("checksum");
  if (add.checksum && add.checksum->value.empty()) {
    add.checksum.reset();
  }
  if (add.checksum && add.sources.size() + add.inline_sources.size() > 1) {
    ctx.fail(add.checksum->position, std::string(messages::k_checksum_multiple_sources));
  }
  add.keep_git_dir = flags.is_true("keep-git-dir");
  ins.details = std::move(add);
}

} // namespace strata::parser::detail
