// RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK: the instructions that carry a command line
// (BuildKit's instructions/parse.go and commands_run{mount,network,security}.go).

#include <array>
#include <limits>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/instruction_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser::detail {
namespace {

CommandLine command_line(const Context& ctx, std::size_t first_arg) {
  CommandLine command;
  command.form = ctx.node->json ? CommandForm::exec : CommandForm::shell;
  for (std::size_t i = first_arg; i < ctx.node->args.size(); ++i) {
    command.args.push_back(ctx.node->args[i].value);
  }
  return command;
}

std::vector<MountSpec> run_mounts(const Context& ctx, const Instruction& ins) {
  std::vector<MountSpec> mounts;
  for (const Flag& flag : ins.flags) {
    if (flag.name != "mount") {
      continue;
    }
    try {
      MountSpec mount = parse_mount(flag.value);
      mount.position = flag.position;
      mounts.push_back(std::move(mount));
    } catch (const Error& e) {
      ctx.fail(flag.position, e.message());
    }
  }
  return mounts;
}

NetworkMode run_network(const Context& ctx, const FlagSet& flags) {
  const auto value = flags.value("network");
  if (!value || value->value == "default") {
    return NetworkMode::default_network;
  }
  if (value->value == "none") {
    return NetworkMode::none;
  }
  if (value->value == "host") {
    return NetworkMode::host;
  }
  ctx.fail(value->position, format_message(messages::k_invalid_network, go_quoted(value->value)));
}

SecurityMode run_security(const Context& ctx, const FlagSet& flags) {
  const auto value = flags.value("security");
  if (!value || value->value == "sandbox") {
    return SecurityMode::sandbox;
  }
  if (value->value == "insecure") {
    return SecurityMode::insecure;
  }
  ctx.fail(value->position, format_message(messages::k_invalid_security, go_quoted(value->value)));
}

// BuildKit's `parseOptInterval`: empty or zero is "not given"; otherwise at least 1ms.
std::chrono::nanoseconds interval(const Context& ctx, const FlagSet& flags, std::string_view name) {
  const auto value = flags.value(name);
  if (!value || value->value.empty()) {
    return std::chrono::nanoseconds{0};
  }
  std::chrono::nanoseconds d{0};
  try {
    d = parse_duration_or_throw(value->value);
  } catch (const ValueError& e) {
    ctx.fail(value->position, e.message);
  }
  if (d.count() != 0 && d < std::chrono::milliseconds{1}) {
    ctx.fail(value->position, format_message(messages::k_interval_too_small, go_quoted(name)));
  }
  return d;
}

// `strconv.ParseInt(s, 10, 32)` with Go's error text.
int parse_int32(const Context& ctx, const Word& word) {
  std::string_view digits = word.value;
  const bool negative = !digits.empty() && digits[0] == '-';
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    digits.remove_prefix(1);
  }
  const auto magnitude = parse_go_uint32(digits, 10);
  const bool syntax_ok =
      !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!syntax_ok) {
    ctx.fail(word.position,
             format_message(messages::k_parse_int, go_quoted(word.value), "invalid syntax"));
  }
  const std::int64_t limit = negative ? std::int64_t{1} << 31 : (std::int64_t{1} << 31) - 1;
  if (!magnitude || static_cast<std::int64_t>(*magnitude) > limit) {
    ctx.fail(word.position,
             format_message(messages::k_parse_int, go_quoted(word.value), "value out of range"));
  }
  const std::int64_t value = negative ? -static_cast<std::int64_t>(*magnitude) : *magnitude;
  return static_cast<int>(value);
}

std::optional<int> retries(const Context& ctx, const FlagSet& flags) {
  const auto value = flags.value("retries");
  if (!value || value->value.empty()) {
    return std::nullopt;
  }
  const int retries = parse_int32(ctx, *value);
  if (retries < 0) {
    ctx.fail(value->position, format_message(messages::k_retries_negative, retries));
  }
  return retries;
}

void healthcheck_cmd(const Context& ctx, const Instruction& ins, HealthcheckInstruction& health) {
  static constexpr std::array k_specs{
      FlagSpec{"interval", FlagType::string}, FlagSpec{"timeout", FlagType::string},
      FlagSpec{"start-period", FlagType::string}, FlagSpec{"start-interval", FlagType::string},
      FlagSpec{"retries", FlagType::string}};
  const FlagSet flags(ctx, ins.flags, k_specs);
  const std::string type = to_upper_ascii(ctx.node->args[0].value);
  if (type != "CMD") {
    ctx.fail(ctx.args_position(), format_message(messages::k_healthcheck_type, go_quoted(type)));
  }
  health.command = command_line(ctx, 1);
  if (health.command.args.empty()) {
    ctx.fail(ctx.args_position(), std::string(messages::k_healthcheck_missing_cmd));
  }
  health.interval = interval(ctx, flags, "interval");
  health.timeout = interval(ctx, flags, "timeout");
  health.start_period = interval(ctx, flags, "start-period");
  health.start_interval = interval(ctx, flags, "start-interval");
  health.retries = retries(ctx, flags);
}

} // namespace

void parse_run(const Context& ctx, Instruction& ins) {
  static constexpr std::array k_specs{FlagSpec{"mount", FlagType::strings},
                                      FlagSpec{"network", FlagType::string},
                                      FlagSpec{"security", FlagType::string}};
  const FlagSet flags(ctx, ins.flags, k_specs);
  RunInstruction run;
  run.command = command_line(ctx, 0);
  for (const Heredoc& heredoc : *ctx.heredocs) {
    run.command.heredocs.push_back(to_heredoc_file(heredoc));
  }
  run.network = run_network(ctx, flags);
  run.security = run_security(ctx, flags);
  run.mounts = run_mounts(ctx, ins);
  ins.details = std::move(run);
}

void parse_cmd(const Context& ctx, Instruction& ins) {
  const FlagSet flags(ctx, ins.flags, {});
  ins.details = CmdInstruction{command_line(ctx, 0)};
}

void parse_entrypoint(const Context& ctx, Instruction& ins) {
  const FlagSet flags(ctx, ins.flags, {});
  ins.details = EntrypointInstruction{command_line(ctx, 0)};
}

void parse_shell(const Context& ctx, Instruction& ins) {
  const FlagSet flags(ctx, ins.flags, {});
  CommandLine command = command_line(ctx, 0);
  if (command.args.empty()) {
    ctx.fail(ctx.args_position(), format_message(messages::k_at_least_one_argument, "SHELL"));
  }
  if (command.form != CommandForm::exec) {
    ctx.fail(ctx.args_position(), format_message(messages::k_not_json, "SHELL"));
  }
  ins.details = ShellInstruction{std::move(command.args)};
}

void parse_healthcheck(const Context& ctx, Instruction& ins) {
  if (ctx.node->args.empty()) {
    ctx.fail(arguments_or_keyword(ctx, ins),
             format_message(messages::k_at_least_one_argument, "HEALTHCHECK"));
  }
  HealthcheckInstruction health;
  if (to_upper_ascii(ctx.node->args[0].value) == "NONE") {
    if (ctx.node->args.size() > 1) {
      ctx.fail(argument_words(ctx)[1].position, std::string(messages::k_healthcheck_none_args));
    }
    if (!ins.flags.empty()) {
      ctx.fail(ins.flags.front().position, std::string(messages::k_healthcheck_none_flags));
    }
    health.none = true;
  } else {
    healthcheck_cmd(ctx, ins, health);
  }
  ins.details = std::move(health);
}

} // namespace strata::parser::detail
