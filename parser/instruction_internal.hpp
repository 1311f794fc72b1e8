#pragma once
// Internals of the instruction layer shared by its .cpp files; not part of parser's interface.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "parser/ast.hpp"
#include "parser/instructions.hpp"

namespace strata::parser::detail {

// A message from error_messages.hpp's patterns (run-time format strings).
template <typename... Args>
std::string format_message(std::string_view pattern, const Args&... args) {
  return fmt::format(fmt::runtime(pattern), args...);
}

// Thrown by value checks that do not know where they are; the caller adds the position.
// (`parse_mount` and `check_chmod` throw `Error{parse}` directly for public use.)
struct ValueError {
  std::string message;
};

// The instruction being converted and how to locate bytes of its `original` in the file. For an
// ONBUILD trigger, `node` is the sub-instruction and `base` is where its text starts inside the
// ONBUILD line (`located`); heredoc bodies always hang off the top-level node.
struct Context {
  const Ast* ast = nullptr;
  const Node* node = nullptr;
  const Node* located = nullptr;
  std::size_t base = 0;
  const std::vector<Heredoc>* heredocs = nullptr;
  std::string keyword; // upper-cased, for messages

  [[nodiscard]] LineColumn at(std::size_t offset) const {
    return position_of(*located, base + offset);
  }
  [[nodiscard]] LineColumn args_position() const { return at(node->args_offset); }
  [[noreturn]] void fail(LineColumn where, std::string message) const;
};

// ---- flags (bflag.go) ----
enum class FlagType { boolean, string, strings };
struct FlagSpec {
  std::string_view name;
  FlagType type;
};

// The flags of one instruction checked against the ones it accepts. Throws via `Context::fail`
// at the offending flag: unknown (with a did-you-mean), duplicate, missing value, bad boolean.
class FlagSet {
public:
  FlagSet(const Context& ctx, const std::vector<Flag>& flags, std::span<const FlagSpec> specs);

  [[nodiscard]] std::optional<Word> value(std::string_view name) const; // last given value
  [[nodiscard]] std::vector<Word> values(std::string_view name) const;  // repeatable flags
  [[nodiscard]] bool is_true(std::string_view name) const;
  [[nodiscard]] const Flag* find(std::string_view name) const;

private:
  const Context& ctx_;
  const std::vector<Flag>& flags_;
};

// Splits `node.flags` into located `Flag`s.
[[nodiscard]] std::vector<Flag> located_flags(const Context& ctx);
// Where the value of flag number `index` starts (after `--name=`), or the flag itself when
// removed quotes make the offset unknown.
[[nodiscard]] LineColumn value_position(const Context& ctx, std::size_t index);

// BuildKit's `suggest.WrapError`: the closest option at Levenshtein distance <= 2 (first wins on
// a tie), matched to `value`'s case when `case_sensitive` is off; empty when none or exact.
[[nodiscard]] std::string suggest(std::string_view value, std::span<const std::string_view> options,
                                  bool case_sensitive);
[[nodiscard]] std::string with_suggestion(std::string message, std::string_view suggestion);

// ---- Go value parsers (strconv, time, go-units) ----
// `strconv.ParseBool`.
[[nodiscard]] std::optional<bool> parse_go_bool(std::string_view s);
// `strconv.ParseUint(s, base, 32)`.
[[nodiscard]] std::optional<std::uint32_t> parse_go_uint32(std::string_view s, int base);
// `time.ParseDuration`; throws `ValueError` with Go's message.
[[nodiscard]] std::chrono::nanoseconds parse_duration_or_throw(std::string_view s);
// `units.RAMInBytes`.
[[nodiscard]] std::optional<std::int64_t> parse_ram_in_bytes(std::string_view s);
// Go's `%q` of a string (a double-quoted Go literal).
[[nodiscard]] std::string go_quoted(std::string_view s);
[[nodiscard]] std::string to_upper_ascii(std::string_view s);

// ---- words ----
// The argument nodes of `ctx.node` with positions: whitespace-split kinds are located word by
// word, `ENV`/`ARG`-style words by searching forward; JSON elements get the argument position.
[[nodiscard]] std::vector<Word> argument_words(const Context& ctx);
// Where an argument-count error points: the argument text, or the keyword when there is none.
[[nodiscard]] LineColumn arguments_or_keyword(const Context& ctx, const Instruction& ins);
// The position of `needle` at or after `*cursor` in the node's original (advancing the cursor),
// or the argument position when not found.
[[nodiscard]] LineColumn find_position(const Context& ctx, std::string_view needle,
                                       std::size_t* cursor);

// ---- heredocs ----
// BuildKit's `ChompHeredocContent`: leading tabs removed from every line.
[[nodiscard]] std::string chomp_heredoc(std::string_view content);
[[nodiscard]] HeredocFile to_heredoc_file(const Heredoc& heredoc);

// ---- per-kind converters (instructions_*.cpp); each sets `ins.details` or throws ----
void parse_from(const Context& ctx, Instruction& ins);
void parse_env(const Context& ctx, Instruction& ins);
void parse_label(const Context& ctx, Instruction& ins);
void parse_arg(const Context& ctx, Instruction& ins);
void parse_expose(const Context& ctx, Instruction& ins);
void parse_volume(const Context& ctx, Instruction& ins);
void parse_user(const Context& ctx, Instruction& ins);
void parse_workdir(const Context& ctx, Instruction& ins);
void parse_stopsignal(const Context& ctx, Instruction& ins);
void parse_maintainer(const Context& ctx, Instruction& ins);
void parse_run(const Context& ctx, Instruction& ins);
void parse_cmd(const Context& ctx, Instruction& ins);
void parse_entrypoint(const Context& ctx, Instruction& ins);
void parse_shell(const Context& ctx, Instruction& ins);
void parse_healthcheck(const Context& ctx, Instruction& ins);
void parse_copy(const Context& ctx, Instruction& ins);
void parse_add(const Context& ctx, Instruction& ins);
// Converts one node; `ctx` already located. Used for top-level nodes and ONBUILD triggers.
[[nodiscard]] Instruction convert_node(const Context& ctx);

} // namespace strata::parser::detail
