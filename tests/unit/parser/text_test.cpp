#include "parser/text.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>

namespace strata::parser::text {
namespace {

using Decoded = std::tuple<char32_t, std::size_t, bool>;

Decoded decoded(std::string_view s, std::size_t pos = 0) {
  const Rune r = decode_rune(s, pos);
  return {r.value, r.width, r.valid};
}

TEST(TextDecodeRune, FollowsGoDecodeRuneInString) {
  EXPECT_EQ(decoded("a"), Decoded(U'a', 1, true));
  EXPECT_EQ(decoded("\xC3\xA9"), Decoded(U'\u00E9', 2, true));
  EXPECT_EQ(decoded("\xE2\x80\xA8"), Decoded(U'\u2028', 3, true));
  EXPECT_EQ(decoded("\xF0\x9F\x98\x80"), Decoded(U'\U0001F600', 4, true));
  EXPECT_EQ(decoded("\xF4\x8F\xBF\xBF"), Decoded(U'\U0010FFFF', 4, true));
  EXPECT_EQ(decoded("\xEF\xBF\xBD"), Decoded(0xFFFD, 3, true)); // a real U+FFFD is valid
  EXPECT_EQ(decoded("\xE0\x80\xAF"), Decoded(0xFFFD, 1, false));     // overlong '/'
  EXPECT_EQ(decoded("\xC0\xAF"), Decoded(0xFFFD, 1, false));         // overlong '/'
  EXPECT_EQ(decoded("\xED\xA0\x80"), Decoded(0xFFFD, 1, false));     // surrogate
  EXPECT_EQ(decoded("\xF4\x90\x80\x80"), Decoded(0xFFFD, 1, false)); // above U+10FFFF
  EXPECT_EQ(decoded("\xC3"), Decoded(0xFFFD, 1, false));             // truncated
  EXPECT_EQ(decoded("\xE2\x80"), Decoded(0xFFFD, 1, false));         // truncated
  EXPECT_EQ(decoded("\xE2\x80" "a"), Decoded(0xFFFD, 1, false));     // bad third byte
  EXPECT_EQ(decoded("\x80"), Decoded(0xFFFD, 1, false));             // stray continuation
  EXPECT_EQ(decoded("\xFF"), Decoded(0xFFFD, 1, false));
  EXPECT_EQ(decoded("a\xC3\xA9", 1), Decoded(U'\u00E9', 2, true)); // decodes at `pos`
  EXPECT_EQ(decoded("\xEF\xBB\xBF"), Decoded(0xFEFF, 3, true));    // a BOM is an ordinary rune
}

TEST(TextAppendUtf8, FollowsGoAppendRune) {
  const auto encoded = [](char32_t r) {
    std::string out = "x";
    append_utf8(out, r);
    return out;
  };
  EXPECT_EQ(encoded(U'a'), "xa");
  EXPECT_EQ(encoded(0x7FF), "x\xDF\xBF");
  EXPECT_EQ(encoded(0x800), "x\xE0\xA0\x80");
  EXPECT_EQ(encoded(0x10000), "x\xF0\x90\x80\x80");
  EXPECT_EQ(encoded(0x10FFFF), "x\xF4\x8F\xBF\xBF");
  EXPECT_EQ(encoded(0xD800), "x\xEF\xBF\xBD");      // surrogate
  EXPECT_EQ(encoded(0x110000), "x\xEF\xBF\xBD");    // above U+10FFFF
  EXPECT_EQ(encoded(0xFFFFFFFF), "x\xEF\xBF\xBD");  // a negative Go rune, e.g. the lexer's EOF
  for (char32_t r = 0; r <= 0x10FFFF; r += 0x3F) {  // round trip
    std::string s;
    append_utf8(s, r);
    const Rune back = decode_rune(s, 0);
    const bool surrogate = r >= 0xD800 && r <= 0xDFFF;
    EXPECT_EQ(back.value, surrogate ? 0xFFFD : r);
    EXPECT_EQ(back.width, s.size());
  }
}

TEST(TextIsSpace, FollowsGoUnicodeIsSpace) {
  for (const char32_t r : {U'\t', U'\n', U'\v', U'\f', U'\r', U' ', U'\u0085', U'\u00A0',
                           U'\u1680', U'\u2000', U'\u200A', U'\u2028', U'\u2029', U'\u202F',
                           U'\u205F', U'\u3000'}) {
    EXPECT_TRUE(is_space(r)) << static_cast<unsigned>(r);
  }
  for (const char32_t r : {U'a', U'\0', U'\u001C', U'\u0084', U'\u200B', U'\u180E', U'\uFEFF',
                           U'\uFFFD', char32_t{0xFFFFFFFF}}) {
    EXPECT_FALSE(is_space(r)) << static_cast<unsigned>(r);
  }
}

TEST(TextTrim, FollowsGoStringsTrimSpace) {
  EXPECT_EQ(trim_space(" \t a b \n"), "a b");
  EXPECT_EQ(trim_space("\xC2\xA0" "a" "\xE2\x80\xA8"), "a"); // NBSP, U+2028
  EXPECT_EQ(trim_space("\xE3\x80\x80\xC2\x85"), "");          // U+3000, U+0085
  EXPECT_EQ(trim_space("\xA0" "a" "\xA0"), "\xA0" "a" "\xA0"); // lone bytes are not spaces
  EXPECT_EQ(trim_space("\xE2\x80 \xE2\x80"), "\xE2\x80 \xE2\x80");
  EXPECT_EQ(trim_space("a\xE2\xE2\x80\xA8"), "a\xE2"); // the last rune starts at its lead byte
  EXPECT_EQ(trim_space("\xEF\xBB\xBF" " a"), "\xEF\xBB\xBF" " a"); // a BOM is not a space
  EXPECT_EQ(trim_left_space(" a "), "a ");
  EXPECT_EQ(trim_right_space(" a "), " a");
  EXPECT_EQ(trim_left_space(""), "");
  EXPECT_EQ(trim_right_space("\xC2\xA0"), "");
}

} // namespace
} // namespace strata::parser::text
