#include "runtime/signals.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <tuple>

namespace strata::runtime {
namespace {

TEST(Signals, ParsesNamesInDockersForms) {
  EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(parse_signal("SigTerm"), SIGTERM);
  EXPECT_EQ(parse_signal("term"), SIGTERM);
  EXPECT_EQ(parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(parse_signal("SIGHUP"), SIGHUP);
  EXPECT_EQ(parse_signal("usr1"), SIGUSR1);
  EXPECT_EQ(parse_signal("SIGWINCH"), SIGWINCH);
  EXPECT_EQ(parse_signal("SIGSTKFLT"), 16);
  EXPECT_EQ(parse_signal("SIGSYS"), 31);
}

TEST(Signals, ParsesAliases) {
  EXPECT_EQ(parse_signal("IOT"), SIGABRT);
  EXPECT_EQ(parse_signal("SIGCLD"), SIGCHLD);
  EXPECT_EQ(parse_signal("poll"), SIGIO);
}

TEST(Signals, ParsesNumbers) {
  EXPECT_EQ(parse_signal("15"), 15);
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("1"), 1);
  EXPECT_EQ(parse_signal("32"), 32);
  EXPECT_EQ(parse_signal("64"), 64);
  EXPECT_EQ(parse_signal("015"), 15);
}

TEST(Signals, ParsesRealTimeSignals) {
  EXPECT_EQ(parse_signal("SIGRTMIN"), 34);
  EXPECT_EQ(parse_signal("RTMIN"), 34);
  EXPECT_EQ(parse_signal("SIGRTMIN+3"), 37);
  EXPECT_EQ(parse_signal("sigrtmin+1"), 35);
  EXPECT_EQ(parse_signal("RTMIN+15"), 49);
  EXPECT_EQ(parse_signal("RTMIN+30"), 64);
  EXPECT_EQ(parse_signal("RTMAX-2"), 62);
  EXPECT_EQ(parse_signal("SIGRTMAX-14"), 50);
  EXPECT_EQ(parse_signal("rtmax-30"), 34);
  EXPECT_EQ(parse_signal("SIGRTMAX"), 64);
  EXPECT_EQ(parse_signal("RTMIN+0"), 34);
}

TEST(Signals, RejectsInvalidSignals) {
  // clang-format off
  const std::string cases[] = {
      "", "0", "-1", "65", "99", "+15", " 15", "15 ", "1e1", "0x0f", "99999999999999999999",
      "SIG", "SIGFOO", "SIG15", "SIGSIGTERM", "TERM ", " TERM", std::string("TERM\0", 5), "UNUSED",
      "SIGRTMIN+", "RTMIN-1", "RTMAX+1", "RTMIN+31", "RTMAX-31", "RTMIN+-1", "RTMIN+ 3", "RTMIN3",
      "RTMAX-", "RTMID",
  };
  // clang-format on
  for (const auto& text : cases) {
    try {
      std::ignore = parse_signal(text);
      ADD_FAILURE() << "accepted: \"" << text << "\"";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage) << text;
    }
  }
}

TEST(Signals, ErrorMessageNamesTheInput) {
  try {
    std::ignore = parse_signal("SIGFOO");
    FAIL() << "accepted SIGFOO";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "invalid signal: SIGFOO");
    EXPECT_STREQ(e.what(), "invalid signal: SIGFOO");
  }
  try {
    std::ignore = parse_signal("\x1b]0;x\x07" + std::string(200, 'A'));
    FAIL() << "accepted a control sequence";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "invalid signal: \\x1b]0;x\\x07" + std::string(94, 'A') + "...");
  }
}

TEST(Signals, NamesSignals) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT"); // not the alias IOT
  EXPECT_EQ(signal_name(SIGCHLD), "SIGCHLD");
  EXPECT_EQ(signal_name(SIGIO), "SIGIO");
  EXPECT_EQ(signal_name(34), "SIGRTMIN");
  EXPECT_EQ(signal_name(37), "SIGRTMIN+3");
  EXPECT_EQ(signal_name(49), "SIGRTMIN+15");
  EXPECT_EQ(signal_name(50), "SIGRTMAX-14");
  EXPECT_EQ(signal_name(62), "SIGRTMAX-2");
  EXPECT_EQ(signal_name(64), "SIGRTMAX");
  EXPECT_EQ(signal_name(32), "32");
  EXPECT_EQ(signal_name(0), "0");
  EXPECT_EQ(signal_name(65), "65");
  EXPECT_EQ(signal_name(-3), "-3");
}

TEST(Signals, NameRoundTripsForEverySignal) {
  for (int n = k_min_signal; n <= k_max_signal; ++n) {
    EXPECT_EQ(parse_signal(signal_name(n)), n) << signal_name(n);
  }
}

TEST(Signals, MatchesTheLibcNumbering) {
  // The real-time range is where glibc puts it for programs.
  EXPECT_EQ(SIGRTMIN, 34);
  EXPECT_EQ(SIGRTMAX, 64);
  // The standard names agree with glibc's own table, except that glibc calls 29 "POLL" where
  // signal(7) and kill -l say SIGIO (both parse).
  for (int n = 1; n < 32; ++n) {
    const char* abbrev = sigabbrev_np(n);
    ASSERT_NE(abbrev, nullptr) << n;
    EXPECT_EQ(parse_signal(abbrev), n) << abbrev;
    if (n != SIGIO) {
      EXPECT_EQ(signal_name(n), std::string("SIG") + abbrev) << n;
    }
  }
}

} // namespace
} // namespace strata::runtime
