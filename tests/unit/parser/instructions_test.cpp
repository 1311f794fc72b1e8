// Typed instruction layer: every instruction, every flag, each error with its position.

#include "parser/instructions.hpp"

#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "parser/instruction_json.hpp"

namespace strata::parser {
namespace {

using namespace std::chrono_literals;

std::vector<Instruction> parse(std::string_view text) {
  return to_instructions(parse_dockerfile(text));
}

// The last instruction of `text`.
Instruction last(std::string_view text) { return parse(text).back(); }

// "Dockerfile:L:C: message" of the error `text` raises, or "no error".
std::string error_of(std::string_view text) {
  try {
    const auto ins = parse(text);
    return "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::parse);
    return e.what();
  }
}

Error caught(std::string_view text) {
  try {
    const auto ins = parse(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return Error(ErrorKind::internal, "none");
}

// ---------------------------------------------------------------- keywords and positions

TEST(Instructions, KindNamesRoundTrip) {
  EXPECT_EQ(to_string(InstructionKind::healthcheck), "healthcheck");
  EXPECT_EQ(to_string(InstructionKind::maintainer), "maintainer");
  EXPECT_EQ(instruction_kind("CoPy"), InstructionKind::copy);
  EXPECT_EQ(instruction_kind("STOPSIGNAL"), InstructionKind::stopsignal);
  EXPECT_EQ(instruction_kind("FORM"), std::nullopt);
}

TEST(Instructions, KeywordsAreCaseInsensitive) {
  const auto ins = parse(R"(from a
Run echo
cOpY a b
)");
  ASSERT_EQ(ins.size(), 3U);
  EXPECT_EQ(ins[0].kind, InstructionKind::from);
  EXPECT_EQ(ins[1].kind, InstructionKind::run);
  EXPECT_EQ(ins[1].keyword, "Run");
  EXPECT_EQ(ins[2].kind, InstructionKind::copy);
}

TEST(Instructions, UnknownInstructionSuggestsClosest) {
  EXPECT_EQ(error_of(R"(FROM a
RUN x
FORM b
)"),
            "Dockerfile:3:1: unknown instruction: FORM (did you mean FROM?)");
}

TEST(Instructions, UnknownInstructionSuggestionFollowsCase) {
  EXPECT_EQ(error_of("form b\n"), "Dockerfile:1:1: unknown instruction: form (did you mean from?)");
  EXPECT_EQ(error_of(R"(FROM a
CPY a b
)"),
            "Dockerfile:2:1: unknown instruction: CPY (did you mean COPY?)");
}

TEST(Instructions, UnknownInstructionWithoutSuggestion) {
  EXPECT_EQ(error_of(R"(FROM a
FOOBARBAZ x
)"),
            "Dockerfile:2:1: unknown instruction: FOOBARBAZ");
}

TEST(Instructions, UnknownInstructionIndentedColumnAndSourceLine) {
  const Error e = caught(R"(FROM a
   FORM b
)");
  ASSERT_TRUE(e.where().has_value());
  EXPECT_EQ(e.where()->line, 2U);
  EXPECT_EQ(e.where()->column, 4U);
  EXPECT_EQ(e.source_line(), "   FORM b");
  EXPECT_EQ(e.message(), "unknown instruction: FORM (did you mean FROM?)");
}

TEST(Instructions, PositionsOfInstructionsAndArguments) {
  const auto ins = parse("FROM a\n\n  RUN echo a \\\n    b\nCOPY  x  y\n");
  ASSERT_EQ(ins.size(), 3U);
  EXPECT_EQ(ins[1].line, 3U);
  EXPECT_EQ(ins[1].column, 3U);
  EXPECT_EQ(ins[1].end_line, 4U);
  EXPECT_EQ(ins[1].original, "RUN echo a     b");
  EXPECT_EQ(ins[1].args_position.line, 3U);
  EXPECT_EQ(ins[1].args_position.column, 7U);
  const auto& copy = ins[2].as<CopyInstruction>();
  EXPECT_EQ(copy.sources[0].position.column, 7U);
  EXPECT_EQ(copy.destination.position.column, 10U);
  EXPECT_EQ(ins[2].range("Dockerfile").line, 5U);
}

TEST(Instructions, WordPositionsOnContinuationLines) {
  const auto ins = last("ENV A=1 \\\n    B=2\n");
  const auto& env = ins.as<EnvInstruction>();
  ASSERT_EQ(env.pairs.size(), 2U);
  EXPECT_EQ(env.pairs[0].position.line, 1U);
  EXPECT_EQ(env.pairs[0].position.column, 5U);
  EXPECT_EQ(env.pairs[1].position.line, 2U);
  EXPECT_EQ(env.pairs[1].position.column, 5U);
}

// ---------------------------------------------------------------- flags

TEST(Flags, UnknownFlagPointsAtTheFlagAndSuggests) {
  EXPECT_EQ(error_of(R"(FROM a





COPY --form=build /a /b
)"),
            "Dockerfile:7:6: unknown flag --form for COPY (did you mean --from?)");
}

TEST(Flags, UnknownFlagWithoutSuggestion) {
  EXPECT_EQ(error_of(R"(FROM a
RUN --foo=bar x
)"),
            "Dockerfile:2:5: unknown flag --foo for RUN");
}

TEST(Flags, SecondFlagColumn) {
  EXPECT_EQ(error_of("COPY --chown=1 --lnk a b\n"),
            "Dockerfile:1:16: unknown flag --lnk for COPY (did you mean --link?)");
}

TEST(Flags, FlagOnContinuationLine) {
  EXPECT_EQ(error_of("FROM a\nCOPY --chown=1 \\\n    --lnik a b\n"),
            "Dockerfile:3:5: unknown flag --lnik for COPY (did you mean --link?)");
}

TEST(Flags, InstructionsWithoutFlagsRejectAny) {
  EXPECT_EQ(error_of("WORKDIR --x /a\n"), "Dockerfile:1:9: unknown flag --x for WORKDIR");
  EXPECT_EQ(error_of("ENV --a=b x=y\n"), "Dockerfile:1:5: unknown flag --a for ENV");
  EXPECT_EQ(error_of("CMD --x echo\n"), "Dockerfile:1:5: unknown flag --x for CMD");
  EXPECT_EQ(error_of("ARG --x y\n"), "Dockerfile:1:5: unknown flag --x for ARG");
  EXPECT_EQ(error_of("ONBUILD --x RUN y\n"), "Dockerfile:1:9: unknown flag --x for ONBUILD");
}

TEST(Flags, DuplicateFlag) {
  EXPECT_EQ(error_of("COPY --from=a --from=b x y\n"),
            "Dockerfile:1:15: duplicate flag specified: --from");
  EXPECT_EQ(error_of("COPY --link --link x y\n"),
            "Dockerfile:1:13: duplicate flag specified: --link");
}

TEST(Flags, RepeatableFlags) {
  const auto ins = last("COPY --exclude=*.md --exclude=*.txt a b\n");
  const auto& copy = ins.as<CopyInstruction>();
  ASSERT_EQ(copy.excludes.size(), 2U);
  EXPECT_EQ(copy.excludes[0].value, "*.md");
  EXPECT_EQ(copy.excludes[1].value, "*.txt");
  EXPECT_EQ(copy.excludes[1].position.column, 31U);
}

TEST(Flags, BooleanValues) {
  EXPECT_TRUE(last("COPY --link a b\n").as<CopyInstruction>().link);
  EXPECT_TRUE(last("COPY --link=TRUE a b\n").as<CopyInstruction>().link);
  EXPECT_FALSE(last("COPY --link=false a b\n").as<CopyInstruction>().link);
  EXPECT_FALSE(last("COPY a b\n").as<CopyInstruction>().link);
  EXPECT_TRUE(last("COPY --parents a b\n").as<CopyInstruction>().parents);
  EXPECT_TRUE(last("ADD --keep-git-dir=true a b\n").as<AddInstruction>().keep_git_dir);
}

TEST(Flags, BadBooleanValue) {
  EXPECT_EQ(error_of("COPY --link=yes a b\n"),
            "Dockerfile:1:6: expecting boolean value for flag --link, not: yes");
  EXPECT_EQ(error_of("COPY --link= a b\n"), "Dockerfile:1:6: missing a value on flag: --link");
  EXPECT_EQ(error_of("COPY --parents=1 a b\n"),
            "Dockerfile:1:6: expecting boolean value for flag --parents, not: 1");
}

TEST(Flags, MissingValue) {
  EXPECT_EQ(error_of("COPY --from a b\n"), "Dockerfile:1:6: missing a value on flag: --from");
  EXPECT_EQ(error_of("RUN --mount x\n"), "Dockerfile:1:5: missing a value on flag: --mount");
  EXPECT_EQ(error_of("FROM --platform a\n"), "Dockerfile:1:6: missing a value on flag: --platform");
}

TEST(Flags, AddOnlyAndCopyOnlyFlags) {
  EXPECT_EQ(error_of("COPY --checksum=sha256:0 a b\n"),
            "Dockerfile:1:6: checksum can't be specified for COPY");
  EXPECT_EQ(error_of("COPY --keep-git-dir a b\n"),
            "Dockerfile:1:6: keep-git-dir can't be specified for COPY");
  EXPECT_EQ(error_of("ADD --from=x a b\n"), "Dockerfile:1:5: from can't be specified for ADD");
  EXPECT_EQ(error_of("ADD --parents a b\n"), "Dockerfile:1:5: parents can't be specified for ADD");
}

TEST(Flags, QuotesInFlagValuesAreRemoved) {
  const auto ins = last("COPY --chown=\"app user\" a b\n");
  EXPECT_EQ(ins.as<CopyInstruction>().chown->value, "app user");
  ASSERT_EQ(ins.flags.size(), 1U);
  EXPECT_EQ(ins.flags[0].name, "chown");
  EXPECT_TRUE(ins.flags[0].has_value);
}

TEST(Flags, FlagValuePositionPointsPastEquals) {
  const auto ins = last("COPY --from=build a b\n");
  EXPECT_EQ(ins.as<CopyInstruction>().from->position.column, 13U);
  EXPECT_EQ(ins.flags[0].position.column, 6U);
}

// ---------------------------------------------------------------- FROM

TEST(From, ImageOnly) {
  const auto ins = last("FROM alpine:3.19\n");
  const auto& from = ins.as<FromInstruction>();
  EXPECT_EQ(from.base.value, "alpine:3.19");
  EXPECT_EQ(from.base.position.column, 6U);
  EXPECT_FALSE(from.stage_name);
  EXPECT_FALSE(from.platform);
}

TEST(From, StageNameIsLowerCased) {
  const auto ins = last("FROM golang:1.22 as Build-Env_1.x\n");
  const auto& from = ins.as<FromInstruction>();
  ASSERT_TRUE(from.stage_name);
  EXPECT_EQ(from.stage_name->value, "build-env_1.x");
  EXPECT_EQ(from.stage_name->position.column, 21U);
}

TEST(From, PlatformIsKeptUnexpanded) {
  const auto ins = last("FROM --platform=$BUILDPLATFORM ${IMAGE} AS b\n");
  const auto& from = ins.as<FromInstruction>();
  EXPECT_EQ(from.platform->value, "$BUILDPLATFORM");
  EXPECT_EQ(from.base.value, "${IMAGE}");
}

TEST(From, InvalidStageName) {
  EXPECT_EQ(error_of("FROM a AS 1abc\n"),
            "Dockerfile:1:11: invalid name for build stage: \"1abc\", name can't start with a "
            "number or contain symbols");
  EXPECT_EQ(error_of("FROM a AS b@c\n"),
            "Dockerfile:1:11: invalid name for build stage: \"b@c\", name can't start with a "
            "number or contain symbols");
}

TEST(From, WrongArgumentCounts) {
  EXPECT_EQ(error_of("FROM a AS\n"), "Dockerfile:1:6: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a b c\n"),
            "Dockerfile:1:6: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a AS b c\n"),
            "Dockerfile:1:6: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM\n"), "Dockerfile:1:1: FROM requires either one or three arguments");
}

TEST(From, UnknownFlag) {
  EXPECT_EQ(error_of("FROM --platfrom=linux/amd64 a\n"),
            "Dockerfile:1:6: unknown flag --platfrom for FROM (did you mean --platform?)");
}

// ---------------------------------------------------------------- RUN

TEST(Run, ShellForm) {
  const auto ins = last("RUN echo \"$HOME\" && make\n");
  const auto& run = ins.as<RunInstruction>();
  EXPECT_EQ(run.command.form, CommandForm::shell);
  ASSERT_EQ(run.command.args.size(), 1U);
  EXPECT_EQ(run.command.args[0], "echo \"$HOME\" && make");
  EXPECT_EQ(run.network, NetworkMode::default_network);
  EXPECT_EQ(run.security, SecurityMode::sandbox);
  EXPECT_TRUE(run.mounts.empty());
}

TEST(Run, ExecForm) {
  const auto& run = last("RUN [\"echo\", \"a b\"]\n").as<RunInstruction>();
  EXPECT_EQ(run.command.form, CommandForm::exec);
  EXPECT_EQ(run.command.args, (std::vector<std::string>{"echo", "a b"}));
}

TEST(Run, Heredoc) {
  const auto ins = last("RUN <<EOF\necho $A\n\techo b\nEOF\n");
  const auto& run = ins.as<RunInstruction>();
  ASSERT_EQ(run.command.heredocs.size(), 1U);
  EXPECT_EQ(run.command.heredocs[0].name, "EOF");
  EXPECT_EQ(run.command.heredocs[0].content, "echo $A\n\techo b\n");
  EXPECT_TRUE(run.command.heredocs[0].expand);
  EXPECT_FALSE(run.command.heredocs[0].chomp);
  EXPECT_EQ(run.command.args, (std::vector<std::string>{"<<EOF"}));
  EXPECT_EQ(ins.end_line, 4U);
}

TEST(Run, HeredocChompStripsLeadingTabs) {
  const auto& run =
      last("RUN <<-EOT\n\techo a\n\t\t\techo b\n  \techo c\n\tEOT\n").as<RunInstruction>();
  ASSERT_EQ(run.command.heredocs.size(), 1U);
  EXPECT_TRUE(run.command.heredocs[0].chomp);
  EXPECT_EQ(run.command.heredocs[0].content, "echo a\necho b\n  \techo c\n");
}

TEST(Run, SeveralHeredocsQuotedAndFd) {
  const auto& run = last(R"(RUN 3<<'A' cat /dev/fd/3 <<"B"
$x
A
y
B
)")
                        .as<RunInstruction>();
  ASSERT_EQ(run.command.heredocs.size(), 2U);
  EXPECT_EQ(run.command.heredocs[0].name, "A");
  EXPECT_EQ(run.command.heredocs[0].fd, 3);
  EXPECT_FALSE(run.command.heredocs[0].expand);
  EXPECT_EQ(run.command.heredocs[0].content, "$x\n");
  EXPECT_EQ(run.command.heredocs[1].name, "B");
  EXPECT_EQ(run.command.heredocs[1].content, "y\n");
}

TEST(Run, NetworkAndSecurity) {
  EXPECT_EQ(last("RUN --network=none x\n").as<RunInstruction>().network, NetworkMode::none);
  EXPECT_EQ(last("RUN --network=host x\n").as<RunInstruction>().network, NetworkMode::host);
  EXPECT_EQ(last("RUN --network=default x\n").as<RunInstruction>().network,
            NetworkMode::default_network);
  EXPECT_EQ(last("RUN --security=insecure x\n").as<RunInstruction>().security,
            SecurityMode::insecure);
  EXPECT_EQ(last("RUN --security=sandbox x\n").as<RunInstruction>().security,
            SecurityMode::sandbox);
}

TEST(Run, BadNetworkAndSecurity) {
  EXPECT_EQ(error_of("RUN --network=bridge x\n"),
            "Dockerfile:1:15: invalid network mode \"bridge\"");
  EXPECT_EQ(error_of("RUN --security=root x\n"), "Dockerfile:1:16: security \"root\" is not valid");
  EXPECT_EQ(error_of("RUN --mont=type=bind x\n"),
            "Dockerfile:1:5: unknown flag --mont for RUN (did you mean --mount?)");
}

TEST(Run, MountDefaults) {
  const auto& run = last("RUN --mount=target=/src --mount=type=cache,target=/root/.cache "
                         "--mount=type=tmpfs,dst=/tmp,size=64m x\n")
                        .as<RunInstruction>();
  ASSERT_EQ(run.mounts.size(), 3U);
  EXPECT_EQ(run.mounts[0].type, MountType::bind);
  EXPECT_TRUE(run.mounts[0].readonly);
  EXPECT_EQ(run.mounts[0].target, "/src");
  EXPECT_EQ(run.mounts[0].position.column, 5U);
  EXPECT_EQ(run.mounts[1].type, MountType::cache);
  EXPECT_FALSE(run.mounts[1].readonly);
  EXPECT_EQ(run.mounts[1].position.column, 25U);
  EXPECT_EQ(run.mounts[2].type, MountType::tmpfs);
  EXPECT_EQ(run.mounts[2].target, "/tmp");
  EXPECT_EQ(run.mounts[2].size, std::int64_t{64} << 20);
}

TEST(Run, MountAllCacheOptions) {
  const MountSpec m = last("RUN --mount=type=cache,id=go,target=/c,from=builder,source=/s,"
                           "sharing=locked,mode=0700,uid=1000,gid=1001,rw=false x\n")
                          .as<RunInstruction>()
                          .mounts.at(0);
  EXPECT_EQ(m.id, "go");
  EXPECT_EQ(m.from, "builder");
  EXPECT_EQ(m.source, "/s");
  EXPECT_EQ(m.sharing, MountSharing::locked);
  EXPECT_EQ(m.mode, 0700U);
  EXPECT_EQ(m.uid, 1000U);
  EXPECT_EQ(m.gid, 1001U);
  EXPECT_TRUE(m.readonly);
  EXPECT_EQ(m.options.size(), 10U);
  EXPECT_EQ(m.options[0].key, "type");
}

TEST(Run, MountSecretAndSsh) {
  const auto& run = last("RUN --mount=type=secret,id=tok,env=TOKEN,required "
                         "--mount=type=ssh,required=true x\n")
                        .as<RunInstruction>();
  ASSERT_EQ(run.mounts.size(), 2U);
  EXPECT_EQ(run.mounts[0].type, MountType::secret);
  EXPECT_EQ(run.mounts[0].env, "TOKEN");
  EXPECT_TRUE(run.mounts[0].required);
  EXPECT_TRUE(run.mounts[0].readonly);
  EXPECT_EQ(run.mounts[1].type, MountType::ssh);
  EXPECT_TRUE(run.mounts[1].required);
}

TEST(Run, MountKeysAreCaseInsensitiveAndBareReadonly) {
  const MountSpec m =
      last("RUN --mount=Type=Bind,Target=/x,RW x\n").as<RunInstruction>().mounts.at(0);
  EXPECT_EQ(m.type, MountType::bind);
  EXPECT_FALSE(m.readonly);
  const MountSpec ro =
      last("RUN --mount=type=cache,target=/x,ro x\n").as<RunInstruction>().mounts.at(0);
  EXPECT_TRUE(ro.readonly);
}

TEST(Run, MountValuesWithVariablesWaitForExpansion) {
  const MountSpec m =
      last("RUN --mount=type=cache,target=$DIR,uid=$UID x\n").as<RunInstruction>().mounts.at(0);
  EXPECT_TRUE(m.needs_expansion);
  EXPECT_FALSE(m.uid);
  EXPECT_EQ(m.target, "");
  const MountSpec expanded = parse_mount(m.text, [](std::string_view v) {
    return v == "$DIR" ? std::string("/cache") : v == "$UID" ? std::string("42") : std::string(v);
  });
  EXPECT_EQ(expanded.target, "/cache");
  EXPECT_EQ(expanded.uid, 42U);
  EXPECT_FALSE(expanded.needs_expansion);
}

TEST(Run, MountCsvQuoting) {
  const MountSpec m =
      last("RUN --mount=type=bind,\\\"target=/a,b\\\" x\n").as<RunInstruction>().mounts.at(0);
  EXPECT_EQ(m.target, "/a,b");
  EXPECT_EQ(error_of("RUN --mount=type=bind,tar\\\"get=/x x\n"),
            "Dockerfile:1:5: failed to parse csv mounts: bare \" in non-quoted-field");
}

struct MountErrorCase {
  const char* mount;
  const char* message;
};

class MountErrors : public testing::TestWithParam<MountErrorCase> {};

TEST_P(MountErrors, PointAtTheMountFlag) {
  const std::string text =
      std::string("FROM a\nRUN --network=none --mount=") + GetParam().mount + " x\n";
  EXPECT_EQ(error_of(text), std::string("Dockerfile:2:20: ") + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Run, MountErrors,
    testing::Values(
        MountErrorCase{"type=cache,taget=/x",
                       "unexpected key 'taget' in 'taget=/x' (did you mean target?)"},
        MountErrorCase{"type=cahce,target=/x",
                       "unsupported mount type \"cahce\" (did you mean cache?)"},
        MountErrorCase{"type=volume,target=/x", "unsupported mount type \"volume\""},
        MountErrorCase{"type=cache", "cache mount requires a target"},
        MountErrorCase{"type=bind,source=/a", "bind mount requires a target"},
        MountErrorCase{"type=tmpfs", "tmpfs mount requires a target"},
        MountErrorCase{"type=cache,target=/x,mode=999", "invalid value 999 for mode"},
        MountErrorCase{"type=cache,target=/x,uid=abc", "invalid value abc for uid"},
        MountErrorCase{"type=cache,target=/x,gid=-1", "invalid value -1 for gid"},
        MountErrorCase{"type=cache,target=/x,uid=4294967296", "invalid value 4294967296 for uid"},
        MountErrorCase{"type=cache,target=/x,sharing=privat",
                       "unsupported sharing value \"privat\" (did you mean private?)"},
        MountErrorCase{"type=bind,target=/x,sharing=shared",
                       "invalid cache sharing set for bind mount"},
        MountErrorCase{"type=bind,target=/x,mode=0755",
                       "mode not allowed for \"bind\" type mounts"},
        MountErrorCase{"type=tmpfs,target=/x,uid=1", "uid not allowed for \"tmpfs\" type mounts"},
        MountErrorCase{"type=bind,target=/x,gid=1", "gid not allowed for \"bind\" type mounts"},
        MountErrorCase{"type=bind,target=/x,required",
                       "unexpected key 'required' for mount type 'bind'"},
        MountErrorCase{"required,type=secret,id=a",
                       "unexpected key 'required' for mount type 'bind'"},
        MountErrorCase{"type=cache,target=/x,size=1m",
                       "unexpected key 'size' for mount type 'cache'"},
        MountErrorCase{"type=tmpfs,target=/x,size=lots", "invalid value for size: lots"},
        MountErrorCase{"type=bind,target=/x,ro=maybe", "invalid value for ro: maybe"},
        MountErrorCase{"type=secret,id=a,required=sure", "invalid value for required: sure"},
        MountErrorCase{"type=cache,target=/x,foo", "invalid field 'foo' must be a key=value pair"},
        MountErrorCase{"type=bind,from=$STAGE,target=/x",
                       "'from' doesn't support variable expansion, define alias stage instead"},
        MountErrorCase{"type=secret", "invalid secret mount. one of source, target required"},
        MountErrorCase{"type=secret,source=a,id=b", "both source and id can't be set"},
        MountErrorCase{"type=secret,id=a,from=x", "secret mount should not have a from"}));

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

// ---------------------------------------------------------------- ENV, LABEL, ARG

TEST(Env, PairsKeepQuotesAndVariables) {
  const auto& env = last("ENV A=1 B=\"two words\" C=${A}x\n").as<EnvInstruction>();
  ASSERT_EQ(env.pairs.size(), 3U);
  EXPECT_EQ(env.pairs[0].key, "A");
  EXPECT_EQ(env.pairs[0].value, "1");
  EXPECT_FALSE(env.pairs[0].legacy);
  EXPECT_EQ(env.pairs[1].value, "\"two words\"");
  EXPECT_EQ(env.pairs[1].position.column, 9U);
  EXPECT_EQ(env.pairs[2].value, "${A}x");
}

TEST(Env, LegacyForm) {
  const auto& env = last("ENV PATH /usr/bin:$PATH with spaces\n").as<EnvInstruction>();
  ASSERT_EQ(env.pairs.size(), 1U);
  EXPECT_EQ(env.pairs[0].key, "PATH");
  EXPECT_EQ(env.pairs[0].value, "/usr/bin:$PATH with spaces");
  EXPECT_TRUE(env.pairs[0].legacy);
}

TEST(Env, Errors) {
  EXPECT_EQ(error_of("ENV\n"), "Dockerfile:1:1: ENV requires at least one argument");
  EXPECT_EQ(error_of("ENV A=1 =x\n"), "Dockerfile:1:9: ENV names can not be blank");
}

TEST(Label, PairsAndErrors) {
  const auto& label = last("LABEL a=b \"c d\"=e\n").as<LabelInstruction>();
  ASSERT_EQ(label.pairs.size(), 2U);
  EXPECT_EQ(label.pairs[1].key, "\"c d\"");
  EXPECT_EQ(label.pairs[1].value, "e");
  EXPECT_EQ(last("LABEL maintainer me <m@x>\n").as<LabelInstruction>().pairs[0].value, "me <m@x>");
  EXPECT_EQ(error_of("LABEL\n"), "Dockerfile:1:1: LABEL requires at least one argument");
  EXPECT_EQ(error_of("LABEL =x\n"), "Dockerfile:1:7: LABEL names can not be blank");
}

TEST(Arg, SeveralPerLine) {
  const auto& arg = last("ARG A B=2 C=\"x y\" D=\n").as<ArgInstruction>();
  ASSERT_EQ(arg.args.size(), 4U);
  EXPECT_EQ(arg.args[0].name, "A");
  EXPECT_FALSE(arg.args[0].default_value);
  EXPECT_EQ(arg.args[1].default_value, "2");
  EXPECT_EQ(arg.args[1].position.column, 7U);
  EXPECT_EQ(arg.args[2].default_value, "\"x y\"");
  EXPECT_EQ(arg.args[3].default_value, "");
}

TEST(Arg, Errors) {
  EXPECT_EQ(error_of("ARG\n"), "Dockerfile:1:1: ARG requires at least one argument");
  EXPECT_EQ(error_of("ARG A =1\n"), "Dockerfile:1:7: ARG names can not be blank");
}

// ---------------------------------------------------------------- COPY, ADD

TEST(Copy, SourcesDestinationAndFlags) {
  const auto ins = last("COPY --from=build --chown=app:app --chmod=0755 --link a b/ /dst/\n");
  const auto& copy = ins.as<CopyInstruction>();
  ASSERT_EQ(copy.sources.size(), 2U);
  EXPECT_EQ(copy.sources[1].value, "b/");
  EXPECT_EQ(copy.destination.value, "/dst/");
  EXPECT_EQ(copy.from->value, "build");
  EXPECT_EQ(copy.chown->value, "app:app");
  EXPECT_EQ(copy.chmod->value, "0755");
  EXPECT_TRUE(copy.link);
  EXPECT_FALSE(copy.parents);
}

TEST(Copy, JsonFormAndUnquotedShellForm) {
  const auto& json = last("COPY [\"a b\", \"/x y/\"]\n").as<CopyInstruction>();
  EXPECT_EQ(json.sources.at(0).value, "a b");
  EXPECT_EQ(json.destination.value, "/x y/");
  const auto& shell = last("COPY \"a b\" /x\n").as<CopyInstruction>();
  EXPECT_EQ(shell.sources.size(), 2U); // not quote-aware, as BuildKit
}

TEST(Copy, NeedsTwoArguments) {
  EXPECT_EQ(error_of(R"(FROM a
COPY onlyone
)"),
            "Dockerfile:2:6: COPY requires at least two arguments, but only one was provided. "
            "Destination could not be determined.");
  EXPECT_EQ(error_of("ADD\n"),
            "Dockerfile:1:1: ADD requires at least two arguments, but only one was provided. "
            "Destination could not be determined.");
}

TEST(Copy, ChmodOctalAndSymbolic) {
  for (const char* mode :
       {"755", "0644", "07777", "u+x", "a+rX,go-w", "u=rwx,g=rx,o=", "+x", "ug+s", "o-t", "u=g"}) {
    EXPECT_EQ(
        last(std::string("COPY --chmod=") + mode + " a b\n").as<CopyInstruction>().chmod->value,
        mode);
  }
  EXPECT_EQ(last("COPY --chmod=$MODE a b\n").as<CopyInstruction>().chmod->value, "$MODE");
  EXPECT_FALSE(last("COPY --chmod= a b\n").as<CopyInstruction>().chmod);
}

TEST(Copy, BadChmod) {
  EXPECT_EQ(error_of("COPY --chmod=64a a b\n"),
            "Dockerfile:1:14: invalid chmod parameter: '64a'. it should be octal string and "
            "between 0 and 07777");
  EXPECT_EQ(error_of("ADD --chmod=10000 a b\n"),
            "Dockerfile:1:13: invalid chmod parameter: '10000'. it should be octal string and "
            "between 0 and 07777");
  for (const char* mode : {"u+q", "z+x", "u+x,", "u", "rwx", "8"}) {
    EXPECT_THROW(check_chmod(mode), Error) << mode;
  }
  EXPECT_NO_THROW(check_chmod("g-w,o-rwx"));
}

TEST(Copy, HeredocSources) {
  const auto& copy = last("COPY <<EOF <<-\"TAB\" path /dst/\nhello $X\nEOF\n\t\tindented\n\tTAB\n")
                         .as<CopyInstruction>();
  ASSERT_EQ(copy.inline_sources.size(), 2U);
  EXPECT_EQ(copy.inline_sources[0].name, "EOF");
  EXPECT_EQ(copy.inline_sources[0].content, "hello $X\n");
  EXPECT_TRUE(copy.inline_sources[0].expand);
  EXPECT_EQ(copy.inline_sources[1].name, "TAB");
  EXPECT_EQ(copy.inline_sources[1].content, "indented\n");
  EXPECT_FALSE(copy.inline_sources[1].expand);
  EXPECT_TRUE(copy.inline_sources[1].chomp);
  ASSERT_EQ(copy.sources.size(), 1U);
  EXPECT_EQ(copy.sources[0].value, "path");
}

TEST(Copy, HeredocDestinationIsAnError) {
  EXPECT_EQ(error_of(R"(COPY a <<EOF
x
EOF
)"),
            "Dockerfile:1:8: COPY cannot accept a heredoc as a destination");
}

TEST(Copy, ParentsAndExclude) {
  const auto& copy = last("COPY --parents --exclude=**/*.o ./x/./y /dst\n").as<CopyInstruction>();
  EXPECT_TRUE(copy.parents);
  ASSERT_EQ(copy.excludes.size(), 1U);
  EXPECT_EQ(copy.excludes[0].value, "**/*.o");
}

TEST(Add, AllFlags) {
  const auto ins = last("ADD --chown=1:1 --chmod=644 --link --exclude=x --keep-git-dir "
                        "--checksum=sha256:abc https://e.com/a.tgz /a\n");
  const auto& add = ins.as<AddInstruction>();
  EXPECT_EQ(add.checksum->value, "sha256:abc");
  EXPECT_TRUE(add.keep_git_dir);
  EXPECT_TRUE(add.link);
  EXPECT_EQ(add.chown->value, "1:1");
  EXPECT_EQ(add.excludes.size(), 1U);
  EXPECT_EQ(add.sources.at(0).value, "https://e.com/a.tgz");
}

TEST(Add, ChecksumNeedsOneSource) {
  EXPECT_EQ(error_of("ADD --checksum=sha256:abc a b /c\n"),
            "Dockerfile:1:16: checksum can't be specified for multiple sources");
}

TEST(Add, Heredoc) {
  const auto& add = last(R"(ADD <<EOF /x
body
EOF
)")
                        .as<AddInstruction>();
  ASSERT_EQ(add.inline_sources.size(), 1U);
  EXPECT_EQ(add.inline_sources[0].content, "body\n");
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

// ---------------------------------------------------------------- JSON

TEST(Json, DocumentShape) {
  const Ast ast = parse_dockerfile(R"(# escape=`
FROM a AS b
COPY --from=b --exclude=x --link /a /b
)");
  const auto ins = to_instructions(ast);
  const auto j = nlohmann::ordered_json::parse(to_json(ast, ins));
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"file", "escape", "directives", "warnings", "instructions"}));
  EXPECT_EQ(j["file"], "Dockerfile");
  EXPECT_EQ(j["escape"], "`");
  EXPECT_EQ(j["directives"][0]["name"], "escape");
  const auto& copy = j["instructions"][1];
  EXPECT_EQ(copy["kind"], "copy");
  EXPECT_EQ(copy["line"], 3);
  EXPECT_EQ(copy["column"], 1);
  EXPECT_EQ(copy["end_line"], 3);
  EXPECT_EQ(copy["original"], "COPY --from=b --exclude=x --link /a /b");
  EXPECT_EQ(copy["flags"]["from"], "b");
  EXPECT_EQ(copy["flags"]["exclude"], nlohmann::json::array({"x"}));
  EXPECT_EQ(copy["flags"]["link"], true);
  EXPECT_EQ(copy["sources"], nlohmann::json::array({"/a"}));
  EXPECT_EQ(copy["destination"], "/b");
  EXPECT_EQ(copy["from"], "b");
  EXPECT_EQ(j["instructions"][0]["stage_name"], "b");
}

TEST(Json, EveryKindRenders) {
  const Ast ast = parse_dockerfile(
      "ARG A=1\nFROM a\nRUN --mount=type=cache,target=/c <<EOF\nx\nEOF\nCMD [\"a\"]\n"
      "ENTRYPOINT b\nSHELL [\"sh\"]\nLABEL a=b\nENV c d\nEXPOSE 80\nADD a b\nVOLUME /v\n"
      "USER u\nWORKDIR /w\nONBUILD RUN x\nSTOPSIGNAL 9\nHEALTHCHECK --retries=2 CMD c\n"
      "MAINTAINER m\nHEALTHCHECK NONE\n");
  const auto j = nlohmann::json::parse(to_json(ast, to_instructions(ast), -1));
  const auto& list = j["instructions"];
  ASSERT_EQ(list.size(), 18U);
  EXPECT_EQ(list[2]["mounts"][0]["type"], "cache");
  EXPECT_EQ(list[2]["command"]["heredocs"][0]["content"], "x\n");
  EXPECT_EQ(list[7]["pairs"][0]["legacy"], true);
  EXPECT_EQ(list[13]["trigger"]["kind"], "run");
  EXPECT_EQ(list[15]["retries"], 2);
  EXPECT_EQ(list[17]["none"], true);
  EXPECT_EQ(list[17]["command"], nullptr);
  EXPECT_EQ(list[0]["args"][0]["default"], "1");
}

TEST(Json, StagesAreEmbedded) {
  const Ast ast = parse_dockerfile("FROM a\n");
  const auto ins = to_instructions(ast);
  const auto j = nlohmann::json::parse(to_json(ast, ins, R"([{"name":"x"}])"));
  EXPECT_EQ(j["stages"][0]["name"], "x");
  EXPECT_THROW((void)to_json(ast, ins, "{not json"), Error);
  EXPECT_EQ(to_json(ast, ins, -1).find('\n'), std::string::npos);
}

TEST(Json, InvalidUtf8DoesNotThrow) {
  const Ast ast = parse_dockerfile("FROM a\nRUN echo \xff\xfe\n");
  EXPECT_NO_THROW((void)to_json(ast, to_instructions(ast)));
}

// ---------------------------------------------------------------- hostile input

TEST(Hostile, RandomMutationsOnlyThrowParseErrors) {
  const std::string seed =
      "FROM --platform=x a AS b\nRUN --mount=type=cache,target=/x,uid=1 <<-E\n\tx\n\tE\n"
      "COPY --chmod=u+x --from=b <<A /d\nA\nHEALTHCHECK --interval=1s CMD x\nONBUILD ADD a b\n"
      "ENV a=b\nARG x=1\nEXPOSE 1-2/udp\nLABEL a b\n";
  const std::string alphabet = "-=,\"'\\$<>{}[]: \t\nabcRUNCOPYFROM0123456789smh.@/\x80";
  std::mt19937 rng(12345);
  for (int round = 0; round < 3000; ++round) {
    std::string text = seed;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % text.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
      case 0: text[pos] = c; break;
      case 1: text.insert(pos, 1, c); break;
      default: text.erase(pos, 1); break;
      }
    }
    try {
      const Ast ast = parse_dockerfile(text);
      const auto ins = to_instructions(ast);
      (void)to_json(ast, ins);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::parse) << e.what();
    }
  }
}

TEST(Hostile, ManyFlagsAndLongValues) {
  std::string text = "FROM a\nRUN";
  for (int i = 0; i < 2000; ++i) {
    text += " --mount=type=cache,target=/c" + std::to_string(i);
  }
  text += " x\n";
  EXPECT_EQ(last(text).as<RunInstruction>().mounts.size(), 2000U);
  EXPECT_EQ(error_of("COPY --" + std::string(60000, 'a') + " x y\n").substr(0, 34),
            "Dockerfile:1:6: unknown flag --aaa");
}

} // namespace
} // namespace strata::parser
