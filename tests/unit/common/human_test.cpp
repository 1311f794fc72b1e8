// human_size, bytes_size, human_duration and parse_size against go-units' own test vectors.

#include "common/human.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

using namespace strata;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(Human, HumanSize) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(1024), "1.02kB");
  EXPECT_EQ(human_size(1500), "1.5kB");
  EXPECT_EQ(human_size(4270000), "4.27MB");
  EXPECT_EQ(human_size(7049000), "7.05MB");
  EXPECT_EQ(human_size(1230000000), "1.23GB");
  EXPECT_EQ(human_size(999999), "1e+03kB"); // Docker prints this too
  EXPECT_EQ(human_size(1000000000000000000), "1EB");
  EXPECT_EQ(human_size(1000000, 4), "1MB");
  EXPECT_EQ(human_size(1234567, 4), "1.235MB");
}

TEST(Human, BytesSize) {
  EXPECT_EQ(bytes_size(0), "0B");
  EXPECT_EQ(bytes_size(1023), "1023B");
  EXPECT_EQ(bytes_size(1024), "1KiB");
  EXPECT_EQ(bytes_size(1024 * 1024), "1MiB");
  EXPECT_EQ(bytes_size(1536 * 1024), "1.5MiB");
  EXPECT_EQ(bytes_size(1099511627776LL), "1TiB");
}

TEST(Human, HumanDurationGoUnitsVectors) {
  const auto day = hours(24);
  const auto week = 7 * day;
  const auto month = 30 * day;
  const auto year = 365 * day;
  EXPECT_EQ(human_duration(seconds(0)), "Less than a second");
  EXPECT_EQ(human_duration(seconds(-5)), "Less than a second");
  EXPECT_EQ(human_duration(seconds(1)), "1 second");
  EXPECT_EQ(human_duration(seconds(45)), "45 seconds");
  EXPECT_EQ(human_duration(seconds(59)), "59 seconds");
  EXPECT_EQ(human_duration(seconds(60)), "About a minute");
  EXPECT_EQ(human_duration(minutes(3)), "3 minutes");
  EXPECT_EQ(human_duration(minutes(35) + seconds(40)), "35 minutes");
  EXPECT_EQ(human_duration(minutes(59)), "59 minutes");
  EXPECT_EQ(human_duration(hours(1)), "About an hour");
  EXPECT_EQ(human_duration(hours(1) + minutes(29)), "About an hour");
  EXPECT_EQ(human_duration(hours(1) + minutes(31)), "2 hours");
  EXPECT_EQ(human_duration(hours(3) + minutes(29)), "3 hours");
  EXPECT_EQ(human_duration(hours(3) + minutes(31)), "4 hours");
  EXPECT_EQ(human_duration(hours(24)), "24 hours");
  EXPECT_EQ(human_duration(day + hours(12)), "36 hours");
  EXPECT_EQ(human_duration(2 * day), "2 days");
  EXPECT_EQ(human_duration(13 * day + hours(5)), "13 days");
  EXPECT_EQ(human_duration(2 * week), "2 weeks");
  EXPECT_EQ(human_duration(2 * week + 4 * day), "2 weeks");
  EXPECT_EQ(human_duration(month), "4 weeks");
  EXPECT_EQ(human_duration(month + 2 * week), "6 weeks");
  EXPECT_EQ(human_duration(2 * month), "2 months");
  EXPECT_EQ(human_duration(5 * month + 2 * week), "5 months");
  EXPECT_EQ(human_duration(24 * month), "24 months");
  EXPECT_EQ(human_duration(24 * month + 2 * week), "2 years");
  EXPECT_EQ(human_duration(3 * year + 2 * month), "3 years");
}

TEST(Human, ParseSize) {
  EXPECT_EQ(parse_size("100"), 100);
  EXPECT_EQ(parse_size("512m"), 536870912);
  EXPECT_EQ(parse_size("512M"), 536870912);
  EXPECT_EQ(parse_size("1g"), 1073741824);
  EXPECT_EQ(parse_size("1GiB"), 1073741824);
  EXPECT_EQ(parse_size("1gb"), 1073741824);
  EXPECT_EQ(parse_size("32kb"), 32768);
  EXPECT_EQ(parse_size("32 KB"), 32768);
  EXPECT_EQ(parse_size("2t"), 2199023255552LL);
  EXPECT_EQ(parse_size("1p"), 1125899906842624LL);
  EXPECT_EQ(parse_size("10b"), 10);
  EXPECT_EQ(parse_size("1.5k"), 1536);
  EXPECT_EQ(parse_size("0.3k"), 307); // truncated, as Go's int64(size)
  EXPECT_EQ(parse_size("7 "), 7);     // go-units accepts a space with no unit
}

TEST(Human, ParseSizeRejectsGarbage) {
  for (const char* bad : {"", "m", "-1", "1x", "1kk", "1ki", "1  ", " 1", "1..2", "1.", ".5",
                          "1bb", "9999999999p", "1e3"}) {
    try {
      (void)parse_size(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
          << e.what();
    }
  }
}
