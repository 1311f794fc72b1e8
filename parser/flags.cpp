// Builder flags of the typed layer (BuildKit's bflag.go) and did-you-mean suggestions
// (BuildKit's util/suggest).

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/instruction_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser::detail {
namespace {

// Flags that exist on the sibling instruction: a clearer message than "unknown flag".
struct SiblingFlag {
  std::string_view keyword;
  std::string_view name;
};
constexpr std::array k_sibling_flags{SiblingFlag{"COPY", "checksum"},
                                     SiblingFlag{"COPY", "keep-git-dir"},
                                     SiblingFlag{"ADD", "from"}, SiblingFlag{"ADD", "parents"}};

std::size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string match_case(std::string_view option, std::string_view original) {
  if (original == text::to_lower_ascii(original)) {
    return text::to_lower_ascii(option);
  }
  if (original == to_upper_ascii(original)) {
    return to_upper_ascii(option);
  }
  return std::string(option);
}

const FlagSpec* find_spec(std::span<const FlagSpec> specs, std::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

std::string unknown_flag_message(const Context& ctx, const Flag& flag,
                                 std::span<const FlagSpec> specs) {
  for (const SiblingFlag& sibling : k_sibling_flags) {
    if (sibling.keyword == ctx.keyword && sibling.name == flag.name) {
      return fmt::format(fmt::runtime(messages::k_flag_only_for), flag.name, ctx.keyword);
    }
  }
  std::vector<std::string_view> names;
  for (const FlagSpec& spec : specs) {
    names.push_back(spec.name);
  }
  std::string message = fmt::format(fmt::runtime(messages::k_unknown_flag), flag.name, ctx.keyword);
  const std::string match = suggest(flag.name, names, true);
  return match.empty() ? message : with_suggestion(std::move(message), "--" + match);
}

// Checks one flag occurrence against its spec; returns the error message or "".
std::string check_value(const Flag& flag, FlagType type) {
  if (type == FlagType::boolean) {
    if (flag.has_value && flag.value.empty()) {
      return fmt::format(fmt::runtime(messages::k_missing_flag_value), flag.name);
    }
    const std::string lower = text::to_lower_ascii(flag.value);
    if (!lower.empty() && lower != "true" && lower != "false") {
      return fmt::format(fmt::runtime(messages::k_not_boolean), flag.name, flag.value);
    }
    return {};
  }
  if (!flag.has_value) {
    return fmt::format(fmt::runtime(messages::k_missing_flag_value), flag.name);
  }
  return {};
}

} // namespace

void Context::fail(LineColumn where, std::string message) const {
  throw_parse_error(*ast, where, std::move(message));
}

std::string suggest(std::string_view value, std::span<const std::string_view> options,
                    bool case_sensitive) {
  const std::string val = case_sensitive ? std::string(value) : text::to_lower_ascii(value);
  std::string match;
  std::size_t best = 3; // as BuildKit (and HCL): a distance of at most 2
  for (const std::string_view option : options) {
    const std::string opt = case_sensitive ? std::string(option) : text::to_lower_ascii(option);
    if (val == opt) {
      return {}; // an exact match means the error is not about this value
    }
    const std::size_t distance = levenshtein(val, opt);
    if (distance < best) {
      match = case_sensitive ? opt : match_case(opt, value);
      best = distance;
    }
  }
  return match;
}

std::string with_suggestion(std::string message, std::string_view suggestion) {
  if (suggestion.empty()) {
    return message;
  }
  return fmt::format(fmt::runtime(messages::k_did_you_mean), message, suggestion);
}

std::vector<Flag> located_flags(const Context& ctx) {
  std::vector<Flag> out;
  const Node& node = *ctx.node;
  for (std::size_t i = 0; i < node.flags.size(); ++i) {
    std::string_view word = node.flags[i];
    if (word.starts_with("--")) {
      word.remove_prefix(2);
    }
    Flag flag;
    const auto eq = word.find('=');
    flag.name = std::string(word.substr(0, eq));
    if (eq != std::string_view::npos) {
      flag.value = std::string(word.substr(eq + 1));
      flag.has_value = true;
    }
    const std::size_t offset = i < node.flag_offsets.size() ? node.flag_offsets[i] : 0;
    flag.position = ctx.at(offset);
    out.push_back(std::move(flag));
  }
  return out;
}

LineColumn value_position(const Context& ctx, std::size_t index) {
  const Node& node = *ctx.node;
  if (index >= node.flags.size() || index >= node.flag_offsets.size()) {
    return ctx.args_position();
  }
  const std::size_t offset = node.flag_offsets[index];
  const std::string_view word = node.flags[index];
  const auto eq = word.find('=');
  // The flag word had its quotes removed; point past `=` only if the text is unchanged there.
  if (eq != std::string_view::npos && offset <= node.original.size() &&
      node.original.compare(offset, eq + 1, word.substr(0, eq + 1)) == 0) {
    return ctx.at(offset + eq + 1);
  }
  return ctx.at(offset);
}

FlagSet::FlagSet(const Context& ctx, const std::vector<Flag>& flags,
                 std::span<const FlagSpec> specs)
    : ctx_(ctx), flags_(flags) {
  std::vector<std::string_view> used;
  for (const Flag& flag : flags) {
    const FlagSpec* spec = find_spec(specs, flag.name);
    if (spec == nullptr) {
      ctx.fail(flag.position, unknown_flag_message(ctx, flag, specs));
    }
    const bool seen = std::find(used.begin(), used.end(), flag.name) != used.end();
    if (seen && spec->type != FlagType::strings) {
      ctx.fail(flag.position, fmt::format(fmt::runtime(messages::k_duplicate_flag), flag.name));
    }
    used.push_back(flag.name);
    if (std::string message = check_value(flag, spec->type); !message.empty()) {
      ctx.fail(flag.position, std::move(message));
    }
  }
}

const Flag* FlagSet::find(std::string_view name) const {
  const Flag* found = nullptr;
  for (const Flag& flag : flags_) {
    if (flag.name == name) {
      found = &flag;
    }
  }
  return found;
}

std::optional<Word> FlagSet::value(std::string_view name) const {
  std::optional<Word> out;
  for (std::size_t i = 0; i < flags_.size(); ++i) {
    if (flags_[i].name == name) {
      out = Word{flags_[i].value, value_position(ctx_, i)};
    }
  }
  return out;
}

std::vector<Word> FlagSet::values(std::string_view name) const {
  std::vector<Word> out;
  for (std::size_t i = 0; i < flags_.size(); ++i) {
    if (flags_[i].name == name) {
      out.push_back(Word{flags_[i].value, value_position(ctx_, i)});
    }
  }
  return out;
}

bool FlagSet::is_true(std::string_view name) const {
  const Flag* flag = find(name);
  return flag != nullptr && (flag->value.empty() || text::to_lower_ascii(flag->value) == "true");
}

} // namespace strata::parser::detail
