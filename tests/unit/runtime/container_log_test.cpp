// JsonLog: docker's json-file lines, split at newlines, partial lines kept until close.

#include "runtime/container_log.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

namespace strata::runtime {
namespace {

std::vector<nlohmann::json> entries(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(JsonLog, OneEntryPerLineWithItsStream) {
  TempDir dir;
  const std::string path = dir.path() + "/c-json.log";
  {
    JsonLog log(path);
    log.write(LogStream::stdout_stream, "one\ntw");
    log.write(LogStream::stderr_stream, "err\n");
    log.write(LogStream::stdout_stream, "o\nthree");
  }
  const auto e = entries(path);
  ASSERT_EQ(e.size(), 4U);
  EXPECT_EQ(e[0]["log"], "one\n");
  EXPECT_EQ(e[0]["stream"], "stdout");
  EXPECT_EQ(e[1]["log"], "err\n");
  EXPECT_EQ(e[1]["stream"], "stderr");
  EXPECT_EQ(e[2]["log"], "two\n");
  EXPECT_EQ(e[3]["log"], "three"); // the partial line, written at close
  const std::regex time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)");
  for (const auto& entry : e) {
    EXPECT_TRUE(std::regex_match(entry["time"].get<std::string>(), time)) << entry["time"];
  }
}

TEST(JsonLog, LongPartialLinesAreSplit) {
  TempDir dir;
  const std::string path = dir.path() + "/c-json.log";
  {
    JsonLog log(path);
    log.write(LogStream::stdout_stream, std::string(40000, 'x'));
  }
  const auto e = entries(path);
  ASSERT_GE(e.size(), 2U);
  std::string joined;
  for (const auto& entry : e) {
    joined += entry["log"].get<std::string>();
  }
  EXPECT_EQ(joined, std::string(40000, 'x'));
}

TEST(JsonLog, BinaryOutputIsReplacedNotLost) {
  TempDir dir;
  const std::string path = dir.path() + "/c-json.log";
  {
    JsonLog log(path);
    log.write(LogStream::stdout_stream, std::string("a\xff\xfe" "b\n"));
  }
  const auto e = entries(path);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0]["log"].get<std::string>().front(), 'a');
}

TEST(JsonLog, AppendsAcrossRuns) {
  TempDir dir;
  const std::string path = dir.path() + "/c-json.log";
  for (int i = 0; i < 2; ++i) {
    JsonLog log(path);
    log.write(LogStream::stdout_stream, "run\n");
  }
  EXPECT_EQ(entries(path).size(), 2U);
}

TEST(JsonLog, UnwritablePathIsAnError) {
  EXPECT_THROW(JsonLog("/nonexistent/dir/log"), Error);
}

TEST(LogTime, TrimsTrailingZeros) {
  const std::string t = log_time_now();
  ASSERT_EQ(t.back(), 'Z');
  const auto dot = t.find('.');
  if (dot != std::string::npos) {
    EXPECT_NE(t[t.size() - 2], '0');
  }
}

} // namespace
} // namespace strata::runtime
