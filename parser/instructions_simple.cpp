// FROM, ENV, LABEL, ARG, EXPOSE, VOLUME and the one-argument instructions (BuildKit's
// instructions/parse.go).

#include <array>

#include <fmt/format.h>

#include "parser/error_messages.hpp"
#include "parser/instruction_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser::detail {
namespace {

// BuildKit's `^[a-z][a-z0-9-_.]*$` on the lower-cased name.
bool is_valid_stage_name(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') {
    return false;
  }
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// The single argument of USER, WORKDIR, STOPSIGNAL, MAINTAINER; their flags are rejected.
Word exactly_one(const Context& ctx, const Instruction& ins) {
  if (ctx.node->args.size() != 1) {
    ctx.fail(arguments_or_keyword(ctx, ins), format_message(messages::k_exactly_one_argument, ctx.keyword));
  }
  const FlagSet flags(ctx, ins.flags, {});
  return argument_words(ctx).front();
}

// BuildKit's `parseKvps` over ENV/LABEL triples `key value separator`.
std::vector<KeyValue> key_values(const Context& ctx, const Instruction& ins) {
  const FlagSet flags(ctx, ins.flags, {});
  const auto& args = ctx.node->args;
  if (args.empty()) {
    ctx.fail(arguments_or_keyword(ctx, ins),
             format_message(messages::k_at_least_one_argument, ctx.keyword));
  }
  if (args.size() % 3 != 0) {
    ctx.fail(ctx.args_position(), format_message(messages::k_too_many_arguments, ctx.keyword));
  }
  std::vector<KeyValue> pairs;
  std::size_t cursor = ctx.node->args_offset;
  for (std::size_t i = 0; i < args.size(); i += 3) {
    KeyValue kv;
    kv.key = args[i].value;
    kv.value = args[i + 1].value;
    kv.legacy = args[i + 2].value.empty();
    const std::string word = kv.legacy ? kv.key : kv.key + "=" + kv.value;
    kv.position = find_position(ctx, word, &cursor);
    if (kv.key.empty()) {
      ctx.fail(kv.position, format_message(messages::k_blank_names, ctx.keyword));
    }
    pairs.push_back(std::move(kv));
  }
  return pairs;
}

// `port[-port][/proto]` when written literally (no quotes, escapes or variables); other forms
// are left to the stage layer, which sees them expanded.
void check_port(const Context& ctx, const Word& word) {
  const std::string& spec = word.value;
  if (spec.find_first_of("$\"'\\`:") != std::string::npos) {
    return;
  }
  const auto slash = spec.find('/');
  const std::string port = spec.substr(0, slash);
  if (slash != std::string::npos) {
    const std::string proto = text::to_lower_ascii(spec.substr(slash + 1));
    if (!proto.empty() && proto != "tcp" && proto != "udp" && proto != "sctp") {
      ctx.fail(word.position, format_message(messages::k_invalid_proto, spec.substr(slash + 1)));
    }
  }
  const auto dash = port.find('-');
  const auto start = parse_go_uint32(port.substr(0, dash), 10);
  if (!start || *start > 65535) {
    ctx.fail(word.position, format_message(messages::k_invalid_port, port));
  }
  if (dash != std::string::npos) {
    const auto end = parse_go_uint32(port.substr(dash + 1), 10);
    if (!end || *end > 65535 || *end < *start) {
      ctx.fail(word.position, format_message(messages::k_invalid_port_range, port));
    }
  }
}

} // namespace

void parse_from(const Context& ctx, Instruction& ins) {
  const std::vector<Word> args = argument_words(ctx);
  FromInstruction from;
  if (args.size() == 3 && text::to_lower_ascii(args[1].value) == "as") {
    const std::string name = text::to_lower_ascii(args[2].value);
    if (!is_valid_stage_name(name)) {
      ctx.fail(args[2].position,
               format_message(messages::k_invalid_stage_name, go_quoted(args[2].value)));
    }
    from.stage_name = Word{name, args[2].position};
  } else if (args.size() != 1) {
    ctx.fail(arguments_or_keyword(ctx, ins), std::string(messages::k_from_arguments));
  }
  static constexpr std::array k_specs{FlagSpec{"platform", FlagType::string}};
  const FlagSet flags(ctx, ins.flags, k_specs);
  from.base = args[0];
  from.platform = flags.value("platform");
  ins.details = std::move(from);
}

void parse_env(const Context& ctx, Instruction& ins) {
  ins.details = EnvInstruction{key_values(ctx, ins)};
}

void parse_label(const Context& ctx, Instruction& ins) {
  ins.details = LabelInstruction{key_values(ctx, ins)};
}

void parse_arg(const Context& ctx, Instruction& ins) {
  const FlagSet flags(ctx, ins.flags, {});
  const std::vector<Word> words = argument_words(ctx);
  if (words.empty()) {
    ctx.fail(arguments_or_keyword(ctx, ins), format_message(messages::k_at_least_one_argument, "ARG"));
  }
  ArgInstruction arg;
  for (const Word& word : words) {
    ArgDefinition def;
    def.position = word.position;
    const auto eq = word.value.find('=');
    def.name = word.value.substr(0, eq);
    if (eq != std::string::npos) {
      def.default_value = word.value.substr(eq + 1);
    }
    if (def.name.empty()) {
      ctx.fail(word.position, format_message(messages::k_blank_names, "ARG"));
    }
    arg.args.push_back(std::move(def));
  }
  ins.details = std::move(arg);
}

void parse_expose(const Context& ctx, Instruction& ins) {
  const std::vector<Word> ports = argument_words(ctx);
  if (ports.empty()) {
    ctx.fail(arguments_or_keyword(ctx, ins), format_message(messages::k_at_least_one_argument, "EXPOSE"));
  }
  const FlagSet flags(ctx, ins.flags, {});
  for (const Word& port : ports) {
    check_port(ctx, port);
  }
  ins.details = ExposeInstruction{ports};
}

void parse_volume(const Context& ctx, Instruction& ins) {
  std::vector<Word> volumes = argument_words(ctx);
  if (volumes.empty()) {
    ctx.fail(arguments_or_keyword(ctx, ins), format_message(messages::k_at_least_one_argument, "VOLUME"));
  }
  const FlagSet flags(ctx, ins.flags, {});
  for (Word& volume : volumes) {
    volume.value = std::string(text::trim_space(volume.value));
    if (volume.value.empty()) {
      ctx.fail(volume.position, std::string(messages::k_empty_volume));
    }
  }
  ins.details = VolumeInstruction{std::move(volumes)};
}

void parse_user(const Context& ctx, Instruction& ins) {
  ins.details = UserInstruction{exactly_one(ctx, ins)};
}

void parse_workdir(const Context& ctx, Instruction& ins) {
  ins.details = WorkdirInstruction{exactly_one(ctx, ins)};
}

void parse_stopsignal(const Context& ctx, Instruction& ins) {
  ins.details = StopSignalInstruction{exactly_one(ctx, ins)};
}

void parse_maintainer(const Context& ctx, Instruction& ins) {
  ins.details = MaintainerInstruction{exactly_one(ctx, ins)};
}

} // namespace strata::parser::detail
