// Typed instruction layer: RUN, its heredocs and its --mount, --network and --security flags;
// hostile input (random mutations, thousands of flags) through parse and JSON rendering.

#include "parser/instructions.hpp"

#include <random>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "parser/instruction_json.hpp"
#include "unit/parser/instructions_test_support.hpp"

namespace strata::parser {
namespace {

using instructions_test::error_of;
using instructions_test::last;

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
