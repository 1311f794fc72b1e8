// TabWriter: Go's text/tabwriter examples and Docker's table settings.

#include "common/tab_writer.hpp"

#include <gtest/gtest.h>

using namespace strata;

TEST(TabWriter, GoPackageDocColumnBlocks) {
  // The package doc: the b column and the c column are separate blocks because line 3 has no
  // cell in column 1.
  const TabWriterOptions options{0, 0, 1, '.', TabFlag::none};
  EXPECT_EQ(tabwrite("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n", options),
            "aaaa.bbb.d\n"
            "aa...b...dd\n"
            "a....\n"
            "aa...cccc.eee\n");
}

TEST(TabWriter, GoExampleElastic) {
  const TabWriterOptions options{0, 8, 1, '.', TabFlag::align_right | TabFlag::debug};
  EXPECT_EQ(tabwrite("a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n", options),
            "....a|..b|c\n"
            "...aa|.bb|cc\n"
            "..aaa|\n"
            ".aaaa|.dddd|eeee\n");
}

TEST(TabWriter, GoExampleTrailingTab) {
  const TabWriterOptions options{0, 0, 3, '-', TabFlag::align_right | TabFlag::debug};
  EXPECT_EQ(tabwrite("a\tb\taligned\t\naa\tbb\taligned\t\naaa\tbbb\tunaligned\n"
                     "aaaa\tbbbb\taligned\t\n",
                     options),
            "------a|------b|---aligned|\n"
            "-----aa|-----bb|---aligned|\n"
            "----aaa|----bbb|unaligned\n"
            "---aaaa|---bbbb|---aligned|\n");
}

TEST(TabWriter, GoExampleWriterInit) {
  const std::string text = "a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n";
  EXPECT_EQ(tabwrite(text, {0, 8, 0, '\t', TabFlag::none}),
            "a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n\n");
  EXPECT_EQ(tabwrite(text, {5, 0, 1, ' ', TabFlag::align_right}),
            "    a     b       c         d.\n  123 12345 1234567 123456789.\n\n");
}

TEST(TabWriter, DockerImagesTable) {
  const std::string text = "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n"
                           "alpine\tlatest\t9c6f07244728\t2 weeks ago\t7.05MB\n"
                           "registry.example.com/team/app\tv1.2.3\t0123456789ab\t3 hours ago\t1.23GB\n";
  EXPECT_EQ(tabwrite(text),
            "REPOSITORY                      TAG       IMAGE ID       CREATED       SIZE\n"
            "alpine                          latest    9c6f07244728   2 weeks ago   7.05MB\n"
            "registry.example.com/team/app   v1.2.3    0123456789ab   3 hours ago   1.23GB\n");
}

TEST(TabWriter, WidthCountsRunesNotBytes) {
  EXPECT_EQ(tabwrite("é\tx\nab\ty\n", {0, 0, 1, ' ', TabFlag::none}), "é  x\nab y\n");
  EXPECT_EQ(rune_count("héllo"), 5U);
  EXPECT_EQ(rune_count("\xff\xfe"), 2U);  // invalid bytes count one each
  EXPECT_EQ(rune_count("\xe2\x82"), 2U);  // truncated sequence
  EXPECT_EQ(rune_count("日本"), 2U);
}

TEST(TabWriter, TrailingCellIsNotPaddedAndLastLineKeepsNoNewline) {
  EXPECT_EQ(tabwrite("a\tb"), "a         b");
  EXPECT_EQ(tabwrite("abc"), "abc");
  EXPECT_EQ(tabwrite(""), "");
}

TEST(TabWriter, MinWidthAndPadding) {
  // min width 10; a 9-rune cell gets 9 + 3 = 12.
  EXPECT_EQ(tabwrite("123456789\tx\n"), "123456789   x\n");
  EXPECT_EQ(tabwrite("1234567\tx\n"), "1234567   x\n");
}

TEST(TabWriter, WritesMaySplitCellsAnywhere) {
  TabWriter writer;
  writer.write("NAME\tST");
  writer.write("ATUS\nweb\tUp 3 ");
  writer.write("seconds\n");
  EXPECT_EQ(writer.flush(), "NAME      STATUS\nweb       Up 3 seconds\n");
  // After a flush the writer starts afresh.
  writer.write("a\tb\n");
  EXPECT_EQ(writer.flush(), "a         b\n");
}

TEST(TabWriter, EscapedTextIsOneUnit) {
  EXPECT_EQ(tabwrite("\xff" "a\tb\xff\tc\nx\ty\n", {0, 0, 1, ' ', TabFlag::none}),
            "\xff" "a\tb\xff c\nx   y\n");
}

TEST(TabWriter, DiscardEmptyColumns) {
  const TabWriterOptions options{0, 0, 1, '.', TabFlag::discard_empty_columns};
  EXPECT_EQ(tabwrite("a\v\vb\nc\v\vd\n", options), "a.b\nc.d\n");
}
