// Typed instruction layer: CMD, ENTRYPOINT, SHELL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL,
// MAINTAINER, HEALTHCHECK (and Go durations) and ONBUILD.

#include "parser/instructions.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "unit/parser/instructions_test_support.hpp"

namespace strata::parser {
namespace {

using instructions_test::error_of;
using instructions_test::last;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- CMD, ENTRYPOINT, SHELL

TEST(Cmd, ShellExecAndEmpty) {
  const auto& shell = last("CMD echo hi\n").as<CmdInstruction>().command;
  EXPECT_EQ(shell.form, CommandForm::shell);
  EXPECT_EQ(shell.args, (std::vector<std::string>{"echo hi"}));
  const auto& exec = last("CMD [\"a\", \"b\"]\n").as<CmdInstruction>().command;
  EXPECT_EQ(exec.form, CommandForm::exec);
  EXPECT_EQ(exec.args.size(), 2U);
  const auto& empty = last("CMD []\n").as<CmdInstruction>().command;
  EXPECT_EQ(empty.form, CommandForm::exec);
  EXPECT_TRUE(empty.args.empty());
  EXPECT_TRUE(last("CMD\n").as<CmdInstruction>().command.args.empty());
}

TEST(Entrypoint, ShellAndExec) {
  EXPECT_EQ(last("ENTRYPOINT exec app\n").as<EntrypointInstruction>().command.form,
            CommandForm::shell);
  EXPECT_EQ(last("ENTRYPOINT [\"app\"]\n").as<EntrypointInstruction>().command.args,
            (std::vector<std::string>{"app"}));
  EXPECT_EQ(error_of("ENTRYPOINT --x app\n"), "Dockerfile:1:12: unknown flag --x for ENTRYPOINT");
}

TEST(Shell, ExecFormOnly) {
  EXPECT_EQ(last("SHELL [\"/bin/bash\", \"-c\"]\n").as<ShellInstruction>().shell,
            (std::vector<std::string>{"/bin/bash", "-c"}));
  EXPECT_EQ(error_of("SHELL /bin/sh -c\n"),
            "Dockerfile:1:7: SHELL requires the arguments to be in JSON form");
  EXPECT_EQ(error_of("SHELL []\n"), "Dockerfile:1:7: SHELL requires at least one argument");
}

// ---------------------------------------------------------------- EXPOSE, VOLUME, one-argument

TEST(Expose, PortsInSourceOrder) {
  const auto& expose =
      last("EXPOSE 8080 80/tcp 53/UDP 7000-7010/sctp $PORT\n").as<ExposeInstruction>();
  ASSERT_EQ(expose.ports.size(), 5U);
  EXPECT_EQ(expose.ports[0].value, "8080");
  EXPECT_EQ(expose.ports[4].value, "$PORT");
  EXPECT_EQ(expose.ports[1].position.column, 13U);
}

TEST(Expose, Errors) {
  EXPECT_EQ(error_of("EXPOSE\n"), "Dockerfile:1:1: EXPOSE requires at least one argument");
  EXPECT_EQ(error_of("EXPOSE 80 abc\n"), "Dockerfile:1:11: invalid containerPort: abc");
  EXPECT_EQ(error_of("EXPOSE 80/tcpx\n"), "Dockerfile:1:8: invalid proto: tcpx");
  EXPECT_EQ(error_of("EXPOSE 90-80\n"),
            "Dockerfile:1:8: invalid range specified for container port: 90-80");
  EXPECT_EQ(error_of("EXPOSE 70000\n"), "Dockerfile:1:8: invalid containerPort: 70000");
}

TEST(Volume, ShellAndJson) {
  EXPECT_EQ(last("VOLUME /a /b\n").as<VolumeInstruction>().volumes.size(), 2U);
  EXPECT_EQ(last("VOLUME [\"/a b\"]\n").as<VolumeInstruction>().volumes.at(0).value, "/a b");
  EXPECT_EQ(error_of("VOLUME [\" \"]\n"),
            "Dockerfile:1:8: VOLUME specified can not be an empty string");
  EXPECT_EQ(error_of("VOLUME []\n"), "Dockerfile:1:8: VOLUME requires at least one argument");
}

TEST(OneArgument, UserWorkdirStopsignalMaintainer) {
  EXPECT_EQ(last("USER app:app\n").as<UserInstruction>().user.value, "app:app");
  EXPECT_EQ(last("WORKDIR /a b\n").as<WorkdirInstruction>().path.value, "/a b");
  EXPECT_EQ(last("WORKDIR $HOME/x\n").as<WorkdirInstruction>().path.position.column, 9U);
  EXPECT_EQ(last("STOPSIGNAL SIGKILL\n").as<StopSignalInstruction>().signal.value, "SIGKILL");
  EXPECT_EQ(last("MAINTAINER Jane <j@x>\n").as<MaintainerInstruction>().name.value, "Jane <j@x>");
}

TEST(OneArgument, MissingArgument) {
  EXPECT_EQ(error_of(R"(FROM a
USER
)"),
            "Dockerfile:2:1: USER requires exactly one argument");
  EXPECT_EQ(error_of("WORKDIR\n"), "Dockerfile:1:1: WORKDIR requires exactly one argument");
  EXPECT_EQ(error_of("STOPSIGNAL\n"), "Dockerfile:1:1: STOPSIGNAL requires exactly one argument");
  EXPECT_EQ(error_of("MAINTAINER\n"), "Dockerfile:1:1: MAINTAINER requires exactly one argument");
  EXPECT_EQ(error_of("USER --x app\n"), "Dockerfile:1:6: unknown flag --x for USER");
}

// ---------------------------------------------------------------- HEALTHCHECK

TEST(Healthcheck, None) {
  const auto& h = last("HEALTHCHECK NONE\n").as<HealthcheckInstruction>();
  EXPECT_TRUE(h.none);
  EXPECT_TRUE(last("healthcheck none\n").as<HealthcheckInstruction>().none);
}

TEST(Healthcheck, CmdWithAllFlags) {
  const auto& h = last("HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=1.5s "
                       "--start-interval=2s --retries=3 CMD curl -f http://localhost/\n")
                      .as<HealthcheckInstruction>();
  EXPECT_FALSE(h.none);
  EXPECT_EQ(h.command.form, CommandForm::shell);
  EXPECT_EQ(h.command.args, (std::vector<std::string>{"curl -f http://localhost/"}));
  EXPECT_EQ(h.interval, 90s);
  EXPECT_EQ(h.timeout, 500ms);
  EXPECT_EQ(h.start_period, 1500ms);
  EXPECT_EQ(h.start_interval, 2s);
  EXPECT_EQ(h.retries, 3);
}

TEST(Healthcheck, ExecFormAndDefaults) {
  const auto& h = last("HEALTHCHECK cmd [\"/bin/check\", \"-q\"]\n").as<HealthcheckInstruction>();
  EXPECT_EQ(h.command.form, CommandForm::exec);
  EXPECT_EQ(h.command.args.size(), 2U);
  EXPECT_EQ(h.interval.count(), 0);
  EXPECT_FALSE(h.retries);
  EXPECT_EQ(last("HEALTHCHECK --interval=0s CMD x\n").as<HealthcheckInstruction>().interval.count(),
            0);
  EXPECT_EQ(last("HEALTHCHECK --retries=0 CMD x\n").as<HealthcheckInstruction>().retries, 0);
}

TEST(Healthcheck, ArgumentErrors) {
  EXPECT_EQ(error_of("HEALTHCHECK\n"),
            "Dockerfile:1:1: HEALTHCHECK requires at least one argument");
  EXPECT_EQ(error_of("HEALTHCHECK NONE x\n"),
            "Dockerfile:1:18: HEALTHCHECK NONE takes no arguments");
  EXPECT_EQ(error_of("HEALTHCHECK --interval=5s NONE\n"),
            "Dockerfile:1:13: HEALTHCHECK NONE takes no flags");
  EXPECT_EQ(error_of("HEALTHCHECK CONNECT tcp\n"),
            "Dockerfile:1:13: Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)");
  EXPECT_EQ(error_of("HEALTHCHECK CMD\n"),
            "Dockerfile:1:13: Missing command after HEALTHCHECK CMD");
  EXPECT_EQ(error_of("HEALTHCHECK --intervl=5s CMD x\n"),
            "Dockerfile:1:13: unknown flag --intervl for HEALTHCHECK (did you mean --interval?)");
}

TEST(Healthcheck, DurationErrors) {
  EXPECT_EQ(error_of("HEALTHCHECK --interval=abc CMD x\n"),
            "Dockerfile:1:24: time: invalid duration \"abc\"");
  EXPECT_EQ(error_of("HEALTHCHECK --timeout=10 CMD x\n"),
            "Dockerfile:1:23: time: missing unit in duration \"10\"");
  EXPECT_EQ(error_of("HEALTHCHECK --start-period=5x CMD x\n"),
            "Dockerfile:1:28: time: unknown unit \"x\" in duration \"5x\"");
  EXPECT_EQ(error_of("HEALTHCHECK --interval=10ns CMD x\n"),
            "Dockerfile:1:24: Interval \"interval\" cannot be less than 1ms");
  EXPECT_EQ(error_of("HEALTHCHECK --start-interval=-1s CMD x\n"),
            "Dockerfile:1:30: Interval \"start-interval\" cannot be less than 1ms");
}

TEST(Healthcheck, RetriesErrors) {
  EXPECT_EQ(error_of("HEALTHCHECK --retries=abc CMD x\n"),
            "Dockerfile:1:23: strconv.ParseInt: parsing \"abc\": invalid syntax");
  EXPECT_EQ(error_of("HEALTHCHECK --retries=-1 CMD x\n"),
            "Dockerfile:1:23: --retries cannot be negative (-1)");
  EXPECT_EQ(error_of("HEALTHCHECK --retries=99999999999 CMD x\n"),
            "Dockerfile:1:23: strconv.ParseInt: parsing \"99999999999\": value out of range");
}

TEST(Duration, GoParseDurationValid) {
  const std::vector<std::pair<const char*, std::int64_t>> cases{
      {"0", 0},
      {"5s", 5'000'000'000},
      {"-5s", -5'000'000'000},
      {"+5s", 5'000'000'000},
      {"-0", 0},
      {"5.6s", 5'600'000'000},
      {"5.s", 5'000'000'000},
      {".5s", 500'000'000},
      {"1.004s", 1'004'000'000},
      {"100.00100s", 100'001'000'000},
      {"10ns", 10},
      {"11us", 11'000},
      {"12\xC2\xB5s", 12'000},
      {"12\xCE\xBCs", 12'000},
      {"13ms", 13'000'000},
      {"15m", 900'000'000'000},
      {"16h", 57'600'000'000'000},
      {"3h30m", 12'600'000'000'000},
      {"10.5s4m", 250'500'000'000},
      {"-2m3.4s", -123'400'000'000},
      {"1h2m3s4ms5us6ns", 3'723'004'005'006},
      {"0.3333333333333333333h", 1'200'000'000'000},
      {"9223372036854775807ns", 9'223'372'036'854'775'807},
      {"9223372036854775.807us", 9'223'372'036'854'775'807},
      {"-9223372036854775808ns", std::numeric_limits<std::int64_t>::min()},
  };
  for (const auto& [text, nanos] : cases) {
    const auto d = parse_go_duration(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(d->count(), nanos) << text;
  }
}

TEST(Duration, GoParseDurationInvalid) {
  for (const char* text :
       {"", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "\x85\x85", "1.5", "9223372036854775808ns",
        "9223372036854775.808us", "-9223372036854775809ns", "100000000000000000000h"}) {
    EXPECT_FALSE(parse_go_duration(text)) << text;
  }
}

// ---------------------------------------------------------------- ONBUILD

TEST(Onbuild, TriggerIsParsed) {
  const auto ins = last(R"(FROM a
ONBUILD  COPY --from=x a b
)");
  const auto& onbuild = ins.as<OnbuildInstruction>();
  EXPECT_EQ(onbuild.expression, "COPY --from=x a b");
  ASSERT_EQ(onbuild.trigger.size(), 1U);
  const Instruction& trigger = onbuild.trigger[0];
  EXPECT_EQ(trigger.kind, InstructionKind::copy);
  EXPECT_EQ(trigger.line, 2U);
  EXPECT_EQ(trigger.column, 10U);
  EXPECT_EQ(trigger.as<CopyInstruction>().from->value, "x");
  EXPECT_EQ(trigger.flags.at(0).position.column, 15U);
}

TEST(Onbuild, ForbiddenTriggers) {
  EXPECT_EQ(error_of("ONBUILD ONBUILD RUN x\n"),
            "Dockerfile:1:9: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(error_of("ONBUILD from a\n"),
            "Dockerfile:1:9: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(error_of("ONBUILD MAINTAINER me\n"),
            "Dockerfile:1:9: MAINTAINER isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(error_of("ONBUILD\n"), "Dockerfile:1:8: ONBUILD requires at least one argument");
}

TEST(Onbuild, TriggerErrorsPointIntoTheTrigger) {
  EXPECT_EQ(error_of("ONBUILD COPY --form=x a b\n"),
            "Dockerfile:1:14: unknown flag --form for COPY (did you mean --from?)");
  EXPECT_EQ(error_of("ONBUILD RUNN x\n"),
            "Dockerfile:1:9: unknown instruction: RUNN (did you mean RUN?)");
}

TEST(Onbuild, HeredocIsAppendedToTheExpression) {
  const auto ins = last("ONBUILD RUN <<EOF\n\techo hi\nEOF\n");
  const auto& onbuild = ins.as<OnbuildInstruction>();
  EXPECT_EQ(onbuild.expression, "RUN <<EOF\n\techo hi\nEOF");
  const auto& run = onbuild.trigger.at(0).as<RunInstruction>();
  ASSERT_EQ(run.command.heredocs.size(), 1U);
  EXPECT_EQ(run.command.heredocs[0].content, "\techo hi\n");
}

} // namespace
} // namespace strata::parser
