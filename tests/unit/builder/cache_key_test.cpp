#include "builder/cache_key.hpp"

#include "common/error.hpp"
#include "store/digest.hpp"
#include "store/sha256.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace strata::builder {
namespace {

using store::Digest;

const Digest k_parent = store::sha256_of("parent layer");

// The little-endian u64 encoding, spelled out independently of the implementation.
std::string u64(std::uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  return out;
}

std::string sized(const std::string& s) { return u64(s.size()) + s; }

TEST(CacheKey, MatchesTheDocumentedEncoding) {
  std::string expected = "strata-cache-key-v1\n";
  // string field: type, sized name, sized value
  expected += "\x01" + sized("instruction") + sized("RUN make");
  // digest field: the value is the digest's text
  expected += "\x02" + sized("parent") + sized(k_parent.str());
  // list field: value size, count, then each item sized
  expected += "\x03" + sized("argv") + u64(8 + (8 + 2) + (8 + 0)) + u64(2);
  expected += sized("sh") + sized("");
  // map field: value size, count, then sized key and sized value per entry in key order
  expected += "\x04" + sized("args") + u64(8 + (8 + 1 + 8 + 1) + (8 + 1 + 8 + 2)) + u64(2);
  expected += sized("A") + sized("1") + sized("B") + sized("22");

  CacheKeyBuilder key;
  key.add("instruction", "RUN make")
      .add("parent", k_parent)
      .add_list("argv", {"sh", ""})
      .add_map("args", std::map<std::string, std::string>{{"B", "22"}, {"A", "1"}});
  EXPECT_EQ(key.finish(), store::sha256_of(expected));
}

TEST(CacheKey, EmptyKeyIsTheHashOfTheVersionTag) {
  CacheKeyBuilder key;
  EXPECT_EQ(key.finish(), store::sha256_of(CacheKeyBuilder::k_version_tag));
}

Digest sample_key() {
  CacheKeyBuilder key;
  key.add("parent", k_parent)
      .add("instruction", "COPY --chown=1:1 src /app")
      .add_list("sources", {"src/a.c", "src/b.c"})
      .add_map("build-args", std::map<std::string, std::string>{{"VERSION", "1.2"}})
      .add("file:src/a.c", store::sha256_of("int a;"));
  return key.finish();
}

TEST(CacheKey, IsDeterministic) { EXPECT_EQ(sample_key(), sample_key()); }

TEST(CacheKey, FieldBoundariesAreUnambiguous) {
  const auto two = [](std::string_view n1, std::string_view v1, std::string_view n2,
                      std::string_view v2) {
    CacheKeyBuilder key;
    key.add(n1, v1).add(n2, v2);
    return key.finish();
  };
  const auto one = [](std::string_view name, std::string_view value) {
    CacheKeyBuilder key;
    key.add(name, value);
    return key.finish();
  };
  const auto list = [](const std::vector<std::string>& items) {
    CacheKeyBuilder key;
    key.add_list("l", items);
    return key.finish();
  };
  EXPECT_NE(two("x", "ab", "y", "c"), two("x", "a", "y", "bc"));
  EXPECT_NE(two("x", "ab", "x", "c"), two("x", "a", "x", "bc"));
  EXPECT_NE(one("ab", "c"), one("a", "bc"));
  EXPECT_NE(one("a", ""), one("", "a"));
  EXPECT_NE(one("a", std::string("b\x01", 2)), two("a", "b", "", ""));
  EXPECT_NE(list({"ab", "c"}), list({"a", "bc"}));
  EXPECT_NE(list({"abc"}), list({"a", "b", "c"}));
  EXPECT_NE(list({"a", "", "b"}), list({"a", "b"}));
  EXPECT_NE(list({""}), list({}));
  EXPECT_NE(list({"", ""}), list({""}));
}

using Map = std::map<std::string, std::string>;

// Each variant adds a different field sequence; all their keys must differ.
// clang-format off
const std::vector<std::function<void(CacheKeyBuilder&)>> k_variants = {
    [](CacheKeyBuilder&) {},
    [](CacheKeyBuilder& k) { k.add("v", ""); },
    [](CacheKeyBuilder& k) { k.add("v", "a"); },
    [](CacheKeyBuilder& k) { k.add("w", "a"); },
    // the same bytes as a string and as a digest
    [](CacheKeyBuilder& k) { k.add("v", k_parent.str()); },
    [](CacheKeyBuilder& k) { k.add("v", k_parent); },
    [](CacheKeyBuilder& k) { k.add("v", store::sha256_of("other")); },
    [](CacheKeyBuilder& k) { k.add_list("v", {}); },
    [](CacheKeyBuilder& k) { k.add_list("v", {"a"}); },
    // the same strings as a list and as a map
    [](CacheKeyBuilder& k) { k.add_list("v", {"k", "x"}); },
    [](CacheKeyBuilder& k) { k.add_map("v", Map{}); },
    [](CacheKeyBuilder& k) { k.add_map("v", Map{{"k", "x"}}); },
    [](CacheKeyBuilder& k) { k.add_map("v", Map{{"k", "y"}}); },
    [](CacheKeyBuilder& k) { k.add_map("v", Map{{"kx", ""}}); },
    [](CacheKeyBuilder& k) { k.add_map("v", Map{{"k", ""}, {"x", ""}}); },
    // field order matters; a repeated field counts twice
    [](CacheKeyBuilder& k) { k.add("a", "1").add("b", "2"); },
    [](CacheKeyBuilder& k) { k.add("b", "2").add("a", "1"); },
    [](CacheKeyBuilder& k) { k.add("a", "1").add("a", "1"); },
};
// clang-format on

TEST(CacheKey, DifferentInputsGiveDifferentKeys) {
  std::set<Digest> keys;
  for (const auto& fill : k_variants) {
    CacheKeyBuilder key;
    fill(key);
    keys.insert(key.finish());
  }
  EXPECT_EQ(keys.size(), k_variants.size());
}

TEST(CacheKey, MapOrderDoesNotMatter) {
  std::unordered_map<std::string, std::string> forward;
  std::unordered_map<std::string, std::string> backward(1024); // different bucket layout
  std::map<std::string, std::string> ordered;
  for (int i = 0; i < 100; ++i) {
    forward.emplace("ARG_" + std::to_string(i), std::to_string(i * i));
  }
  for (int i = 99; i >= 0; --i) {
    backward.emplace("ARG_" + std::to_string(i), std::to_string(i * i));
    ordered.emplace("ARG_" + std::to_string(i), std::to_string(i * i));
  }
  const auto key_of = [](const auto& map) {
    CacheKeyBuilder key;
    key.add_map("build-args", map);
    return key.finish();
  };
  EXPECT_EQ(key_of(forward), key_of(backward));
  EXPECT_EQ(key_of(forward), key_of(ordered));

  ordered["ARG_7"] = "changed";
  EXPECT_NE(key_of(forward), key_of(ordered));
}

TEST(CacheKey, MapKeysSortByUnsignedBytes) {
  // "\xff" sorts after "a" as a byte, although char is signed on x86-64.
  const std::unordered_map<std::string, std::string> entries{{"\xff", "1"}, {"a", "2"}};
  CacheKeyBuilder key;
  key.add_map("m", entries);
  const std::string expected = std::string(CacheKeyBuilder::k_version_tag) + "\x04" + sized("m") +
                               u64(8 + 2 * (8 + 1 + 8 + 1)) + u64(2) + sized("a") + sized("2") +
                               sized("\xff") + sized("1");
  EXPECT_EQ(key.finish(), store::sha256_of(expected));
}

TEST(CacheKey, FinishIsUsableOnce) {
  CacheKeyBuilder key;
  key.add("a", "b");
  std::ignore = key.finish();
  try {
    std::ignore = key.finish();
    FAIL() << "second finish did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::internal);
  }
  EXPECT_THROW(key.add("c", "d"), Error);
}

} // namespace
} // namespace strata::builder
