#include "store/digest.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_set>

namespace strata::store {
namespace {

constexpr std::string_view k_empty_hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string k_empty = "sha256:" + std::string(k_empty_hex);

// Parses `text` expecting failure; returns the error.
Error parse_error(std::string_view text) {
  try {
    std::ignore = Digest::parse(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error: " << text;
  return Error(ErrorKind::internal, "no error");
}

TEST(Digest, ParsesValidDigest) {
  const Digest d = Digest::parse(k_empty);
  EXPECT_EQ(d.algorithm(), "sha256");
  EXPECT_EQ(d.hex(), k_empty_hex);
  EXPECT_EQ(d.str(), k_empty);
  EXPECT_EQ(d.short_id(), "e3b0c44298fc");
  EXPECT_EQ(d.blob_path(), "blobs/sha256/" + std::string(k_empty_hex));
}

TEST(Digest, StringRoundTrips) {
  const Digest d = Digest::parse(k_empty);
  EXPECT_EQ(Digest::parse(d.str()), d);
  std::ostringstream out;
  out << d;
  EXPECT_EQ(out.str(), k_empty);
}

TEST(Digest, RejectsMalformedStrings) {
  const std::string hex(k_empty_hex);
  const std::string upper = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  const std::string cases[] = {
      "",
      "sha256",
      "sha256:",
      // missing or wrong algorithm
      hex,
      ":" + hex,
      "SHA256:" + hex,
      "sha512:" + hex + hex,
      "sha256::" + hex.substr(1),
      // wrong length
      "sha256:" + hex.substr(0, 63),
      "sha256:" + hex + "0",
      // not lowercase hex
      "sha256:" + upper,
      "sha256:" + hex.substr(0, 63) + "g",
      "sha256:" + hex.substr(0, 63) + std::string(1, '\0'),
      // no trimming
      " sha256:" + hex,
      "sha256:" + hex + "\n",
      // path traversal (CVE-2014-9358)
      "sha256:" + std::string(64, '.'),
      "sha256:../../../../../../../../etc/passwd" + std::string(25, 'a'),
      "sha256:" + hex.substr(0, 32) + "/" + hex.substr(33),
  };
  for (const auto& text : cases) {
    EXPECT_FALSE(Digest::try_parse(text).has_value()) << text;
    const Error e = parse_error(text);
    EXPECT_EQ(e.kind(), ErrorKind::corrupt) << text;
    EXPECT_EQ(e.sys_errno(), 0);
  }
}

TEST(Digest, ErrorNamesTheBadStringAndReason) {
  const Error e = parse_error("sha256:abc");
  EXPECT_EQ(e.message(), "invalid digest \"sha256:abc\": expected 64 hex digits, got 3 characters");
  EXPECT_NE(std::string(e.what()).find("sha256:abc"), std::string::npos);

  EXPECT_EQ(parse_error("md5:x").message(),
            "invalid digest \"md5:x\": unsupported algorithm (only sha256 is supported)");
  EXPECT_EQ(parse_error("nocolon").message(),
            "invalid digest \"nocolon\": missing algorithm prefix \"sha256:\"");
  EXPECT_EQ(parse_error("sha256:" + std::string(64, 'A')).message(),
            "invalid digest \"sha256:" + std::string(64, 'A') +
                "\": expected only lowercase hex digits [0-9a-f]");
}

TEST(Digest, ErrorTruncatesLongStrings) {
  const std::string huge = "sha256:" + std::string(10000, 'z');
  const Error e = parse_error(huge);
  EXPECT_LT(e.message().size(), 250U);
  EXPECT_NE(e.message().find("\"sha256:" + std::string(93, 'z') + "\"... (10007 bytes)"),
            std::string::npos)
      << e.message();
}

TEST(Digest, ErrorEscapesControlBytes) {
  const char raw[] = "sha256:\x1b[31m\"\\\0z";
  const Error e = parse_error(std::string_view(raw, sizeof raw - 1));
  EXPECT_NE(e.message().find(R"("sha256:\x1b[31m\"\\\x00z")"), std::string::npos) << e.message();
}

TEST(Digest, FromBytesEncodesLowercaseHex) {
  std::array<std::byte, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::byte>(i * 8 + 7);
  }
  const Digest d = Digest::from_sha256_bytes(bytes);
  EXPECT_EQ(d.hex(), "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
  EXPECT_EQ(Digest::parse(d.str()), d);
}

TEST(Digest, ComparesAndHashes) {
  const Digest a = Digest::parse("sha256:" + std::string(64, '0'));
  const Digest b = Digest::parse("sha256:" + std::string(63, '0') + "1");
  const Digest c = Digest::parse("sha256:" + std::string(64, 'f'));
  EXPECT_EQ(a, Digest::parse(a.str()));
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_GT(c, a);
  EXPECT_EQ(std::hash<Digest>{}(a), std::hash<Digest>{}(Digest::parse(a.str())));

  const std::unordered_set<Digest> unordered{a, b, c, Digest::parse(a.str())};
  EXPECT_EQ(unordered.size(), 3U);
  EXPECT_TRUE(unordered.contains(b));
  const std::set<Digest> ordered{c, a, b};
  EXPECT_EQ(*ordered.begin(), a);
  EXPECT_EQ(*ordered.rbegin(), c);
}

TEST(Digest, CopiesAreIndependentValues) {
  Digest a = Digest::parse(k_empty);
  const Digest b = a;
  a = Digest::parse("sha256:" + std::string(64, '1'));
  EXPECT_EQ(b.str(), k_empty);
  EXPECT_NE(a, b);
}

} // namespace
} // namespace strata::store
