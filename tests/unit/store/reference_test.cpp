#include "store/reference.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace strata::store {
namespace {

const std::string k_hex = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
const std::string k_digest = "sha256:" + k_hex;

struct ValidCase {
  std::string input;
  std::string domain;
  std::string path;
  std::optional<std::string> tag;
  std::optional<std::string> digest;
  std::string str;
  std::string familiar;
};

std::string repeat(std::string_view piece, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += piece;
  }
  return out;
}

std::vector<ValidCase> valid_cases() {
  const std::string tag128(128, 't');
  const std::string name237(237, 'a'); // "docker.io/library/" + 237 = 255 characters
  const std::string hex63 = k_hex.substr(0, 63);
  // clang-format off
  return {
      // Docker Hub normalisation.
      {"busybox", "docker.io", "library/busybox", {}, {}, "docker.io/library/busybox", "busybox"},
      {"busybox:latest", "docker.io", "library/busybox", "latest", {},
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/library/busybox", "docker.io", "library/busybox", {}, {},
       "docker.io/library/busybox", "busybox"},
      {"docker.io/busybox", "docker.io", "library/busybox", {}, {}, "docker.io/library/busybox",
       "busybox"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", {}, {},
       "docker.io/library/busybox", "busybox"},
      {"index.docker.io/user/x", "docker.io", "user/x", {}, {}, "docker.io/user/x", "user/x"},
      {"library/foo", "docker.io", "library/foo", {}, {}, "docker.io/library/foo", "foo"},
      {"user/app:1", "docker.io", "user/app", "1", {}, "docker.io/user/app:1", "user/app:1"},
      {"docker.io/library/foo/bar", "docker.io", "library/foo/bar", {}, {},
       "docker.io/library/foo/bar", "library/foo/bar"},
      {"store/foo/bar", "docker.io", "store/foo/bar", {}, {}, "docker.io/store/foo/bar",
       "store/foo/bar"},
      // A single component is always on Docker Hub, even when it looks like a host.
      {"localhost", "docker.io", "library/localhost", {}, {}, "docker.io/library/localhost",
       "localhost"},
      {"localhost:5000", "docker.io", "library/localhost", "5000", {},
       "docker.io/library/localhost:5000", "localhost:5000"},
      {"192.168.0.1", "docker.io", "library/192.168.0.1", {}, {}, "docker.io/library/192.168.0.1",
       "192.168.0.1"},
      {"example.com:8080", "docker.io", "library/example.com", "8080", {},
       "docker.io/library/example.com:8080", "example.com:8080"},
      // Other registries.
      {"localhost/foo", "localhost", "foo", {}, {}, "localhost/foo", "localhost/foo"},
      {"localhost:5000/foo/bar:tag", "localhost:5000", "foo/bar", "tag", {},
       "localhost:5000/foo/bar:tag", "localhost:5000/foo/bar:tag"},
      {"127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", {}, {}, "127.0.0.1:5000/debian",
       "127.0.0.1:5000/debian"},
      {"example.com/private/moonbase", "example.com", "private/moonbase", {}, {},
       "example.com/private/moonbase", "example.com/private/moonbase"},
      {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", {}, {}, "xn--n3h.com:18080/foo",
       "xn--n3h.com:18080/foo"},
      {"test-com:8080/foo", "test-com:8080", "foo", {}, {}, "test-com:8080/foo",
       "test-com:8080/foo"},
      {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io",
       "test.example.com/my-app", "test.example.com", {},
       "b.gcr.io/test.example.com/my-app:test.example.com",
       "b.gcr.io/test.example.com/my-app:test.example.com"},
      {"[::1]:5000/x", "[::1]:5000", "x", {}, {}, "[::1]:5000/x", "[::1]:5000/x"},
      {"[2001:db8::1]/repo:tag", "[2001:db8::1]", "repo", "tag", {}, "[2001:db8::1]/repo:tag",
       "[2001:db8::1]/repo:tag"},
      {"[FC00::1]:5000/docker/docker", "[FC00::1]:5000", "docker/docker", {}, {},
       "[FC00::1]:5000/docker/docker", "[FC00::1]:5000/docker/docker"},
      // An upper-case first component is a domain (Docker's behaviour, kept on purpose).
      {"Foo/bar", "Foo", "bar", {}, {}, "Foo/bar", "Foo/bar"},
      {"DOCKER/docker:v1", "DOCKER", "docker", "v1", {}, "DOCKER/docker:v1", "DOCKER/docker:v1"},
      // Separators.
      {"dock__er/docker", "docker.io", "dock__er/docker", {}, {}, "docker.io/dock__er/docker",
       "dock__er/docker"},
      {"docker---rules/docker", "docker.io", "docker---rules/docker", {}, {},
       "docker.io/docker---rules/docker", "docker---rules/docker"},
      {"a-b_c__d/e-f.g", "docker.io", "a-b_c__d/e-f.g", {}, {}, "docker.io/a-b_c__d/e-f.g",
       "a-b_c__d/e-f.g"},
      {"ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", {}, {},
       "docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base"},
      {"d/t", "docker.io", "d/t", {}, {}, "docker.io/d/t", "d/t"},
      // Tags.
      {"lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", {},
       "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"},
      {"a:_x.y-Z", "docker.io", "library/a", "_x.y-Z", {}, "docker.io/library/a:_x.y-Z",
       "a:_x.y-Z"},
      {"a:" + tag128, "docker.io", "library/a", tag128, {}, "docker.io/library/a:" + tag128,
       "a:" + tag128},
      // Digests.
      {"a@" + k_digest, "docker.io", "library/a", {}, k_digest, "docker.io/library/a@" + k_digest,
       "a@" + k_digest},
      {"a:tag@" + k_digest, "docker.io", "library/a", "tag", k_digest,
       "docker.io/library/a:tag@" + k_digest, "a:tag@" + k_digest},
      {"user/app@" + k_digest, "docker.io", "user/app", {}, k_digest,
       "docker.io/user/app@" + k_digest, "user/app@" + k_digest},
      {"localhost:5000/x:y@" + k_digest, "localhost:5000", "x", "y", k_digest,
       "localhost:5000/x:y@" + k_digest, "localhost:5000/x:y@" + k_digest},
      // Hex names that are not a bare 64-hex ID.
      {hex63, "docker.io", "library/" + hex63, {}, {}, "docker.io/library/" + hex63, hex63},
      {"docker.io/" + k_hex, "docker.io", "library/" + k_hex, {}, {},
       "docker.io/library/" + k_hex, k_hex},
      // Longest name.
      {name237, "docker.io", "library/" + name237, {}, {}, "docker.io/library/" + name237,
       name237},
  };
  // clang-format on
}

TEST(Reference, ParsesValidReferences) {
  for (const ValidCase& c : valid_cases()) {
    SCOPED_TRACE(c.input);
    const Reference ref = Reference::parse(c.input);
    EXPECT_EQ(ref.domain(), c.domain);
    EXPECT_EQ(ref.path(), c.path);
    EXPECT_EQ(ref.name(), c.domain + "/" + c.path);
    EXPECT_EQ(ref.tag(), c.tag);
    EXPECT_EQ(ref.digest().has_value(), c.digest.has_value());
    if (ref.digest() && c.digest) {
      EXPECT_EQ(ref.digest()->str(), *c.digest);
    }
    EXPECT_EQ(ref.str(), c.str);
    EXPECT_EQ(ref.familiar(), c.familiar);
  }
}

TEST(Reference, StrAndFamiliarParseBackToEqualReference) {
  for (const ValidCase& c : valid_cases()) {
    SCOPED_TRACE(c.input);
    const Reference ref = Reference::parse(c.input);
    EXPECT_EQ(Reference::parse(ref.str()), ref);
    if (ref.familiar_name() == k_hex) {
      // As in Docker, `docker.io/library/<64 hex>` shortens to a string that reads as an image ID.
      EXPECT_FALSE(Reference::try_parse(ref.familiar()).has_value());
      continue;
    }
    EXPECT_EQ(Reference::parse(ref.familiar()), ref);
    EXPECT_EQ(Reference::parse(ref.familiar_name()), Reference::parse(ref.name()));
  }
}

TEST(Reference, TryParseAcceptsValidReferences) {
  for (const ValidCase& c : valid_cases()) {
    SCOPED_TRACE(c.input);
    const auto ref = Reference::try_parse(c.input);
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(*ref, Reference::parse(c.input));
  }
}

struct InvalidCase {
  std::string input;
  std::string message; // the full `Error::message()`
};

std::string invalid(std::string_view quoted, std::string_view cause) {
  return "parse reference " + std::string(quoted) + ": " + std::string(cause);
}

const std::string k_format = "invalid reference format";
const std::string k_upper = "invalid reference format: repository name must be lowercase";
const std::string k_too_long = "repository name must not be more than 255 characters";

std::vector<InvalidCase> invalid_cases() {
  const std::string tag129(129, 't');
  const std::string name238(238, 'a');
  const std::string deep = repeat("a/", 128) + "a";
  const std::string long_domain = "example.com/" + std::string(244, 'b'); // 256 characters
  // clang-format off
  std::vector<InvalidCase> cases = {
      // Empty or missing parts.
      {"", invalid("\"\"", k_format)},
      {":tag", invalid("\":tag\"", k_format)},
      {":justtag", invalid("\":justtag\"", k_format)},
      {"@" + k_digest, invalid("\"@" + k_digest + "\"", k_format)},
      {"busybox:", invalid("\"busybox:\"", k_format)},
      {"busybox@", invalid("\"busybox@\"", k_format)},
      {"busybox:tag@", invalid("\"busybox:tag@\"", k_format)},
      {"docker/", invalid("\"docker/\"", k_format)},
      {"/busybox", invalid("\"/busybox\"", k_format)},
      {"localhost:5000/", invalid("\"localhost:5000/\"", k_format)},
      // Upper case in the repository.
      {"Busybox", invalid("\"Busybox\"", k_upper)},
      {"Uppercase:tag", invalid("\"Uppercase:tag\"", k_upper)},
      {"docker/Docker", invalid("\"docker/Docker\"", k_upper)},
      {"docker.io/Busybox", invalid("\"docker.io/Busybox\"", k_upper)},
      {"test:5000/Uppercase/lowercase:tag", invalid("\"test:5000/Uppercase/lowercase:tag\"",
                                                    k_upper)},
      {"Foo_bar.com/x", invalid("\"Foo_bar.com/x\"", k_upper)},
      // Separators at the ends, doubled or mixed.
      {"-docker", invalid("\"-docker\"", k_format)},
      {"docker-", invalid("\"docker-\"", k_format)},
      {"docker.", invalid("\"docker.\"", k_format)},
      {"_docker/_docker", invalid("\"_docker/_docker\"", k_format)},
      {"docker-/docker", invalid("\"docker-/docker\"", k_format)},
      {"____/____", invalid("\"____/____\"", k_format)},
      {"a___b", invalid("\"a___b\"", k_format)},
      {"dock..er/docker", invalid("\"dock..er/docker\"", k_format)},
      {"dock_.er/docker", invalid("\"dock_.er/docker\"", k_format)},
      {"dock-.er/docker", invalid("\"dock-.er/docker\"", k_format)},
      {"a//b", invalid("\"a//b\"", k_format)},
      {"docker///docker", invalid("\"docker///docker\"", k_format)},
      {"a/b/", invalid("\"a/b/\"", k_format)},
      {"aa/asdf$$^/aa", invalid("\"aa/asdf$$^/aa\"", k_format)},
      // Domains.
      {"https://github.com/docker/docker", invalid("\"https://github.com/docker/docker\"",
                                                   k_format)},
      {"-docker.io/docker/docker", invalid("\"-docker.io/docker/docker\"", k_format)},
      {"foo:/bar", invalid("\"foo:/bar\"", k_format)},
      {"localhost:port/x", invalid("\"localhost:port/x\"", k_format)},
      {"[::1]:5000", invalid("\"[::1]:5000\"", k_format)},
      {"[]/x", invalid("\"[]/x\"", k_format)},
      {"[fe80::1%eth0]:5000/repo", invalid("\"[fe80::1%eth0]:5000/repo\"", k_format)},
      {"fc00::1:5000/debian", invalid("\"fc00::1:5000/debian\"", k_format)},
      // distribution returns a name without a domain here; refused on purpose.
      {"foo_bar.com/x", invalid("\"foo_bar.com/x\"", k_format)},
      // Tags.
      {"a:" + tag129, invalid("\"a:" + tag129.substr(0, 98) + "\"... (131 bytes)", k_format)},
      {"a:-tag", invalid("\"a:-tag\"", k_format)},
      {"a:.tag", invalid("\"a:.tag\"", k_format)},
      {"a:b:c", invalid("\"a:b:c\"", k_format)},
      {"a:t/x", invalid("\"a:t/x\"", k_format)},
      // Digests.
      {"a@sha256:abc", invalid("\"a@sha256:abc\"", k_format)},
      {"a@sha256:" + k_hex + "g", invalid("\"a@sha256:" + k_hex + "g\"", k_format)},
      {"a@sha256:" + k_hex.substr(0, 40),
       invalid("\"a@sha256:" + k_hex.substr(0, 40) + "\"", "invalid checksum digest length")},
      {"a@sha256:" + k_hex + "0",
       invalid("\"a@sha256:" + k_hex + "0\"", "invalid checksum digest length")},
      {"a@sha256:DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C",
       invalid("\"a@sha256:DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C\"",
               "invalid checksum digest format")},
      {"a@sha512:" + k_hex + k_hex,
       invalid("\"a@sha512:" + k_hex + k_hex.substr(0, 27) + "\"... (137 bytes)",
               "unsupported digest algorithm")},
      {"a@md5:" + k_hex.substr(0, 32),
       invalid("\"a@md5:" + k_hex.substr(0, 32) + "\"", "unsupported digest algorithm")},
      // distribution checks "repository name" case on everything before the first ":", which here
      // includes "@SHA256".
      {"a@SHA256:" + k_hex, invalid("\"a@SHA256:" + k_hex + "\"", k_upper)},
      {"a:t@SHA256:" + k_hex,
       invalid("\"a:t@SHA256:" + k_hex + "\"", "unsupported digest algorithm")},
      {"a@" + k_hex, invalid("\"a@" + k_hex + "\"", k_format)},
      // Length of the normalised name.
      {name238, invalid("\"" + name238.substr(0, 100) + "\"... (238 bytes)", k_too_long)},
      {deep + ":tag", invalid("\"" + deep.substr(0, 100) + "\"... (261 bytes)", k_too_long)},
      {long_domain, invalid("\"" + long_domain.substr(0, 100) + "\"... (256 bytes)", k_too_long)},
      // A bare image ID.
      {k_hex, invalid("\"" + k_hex + "\"",
                      "invalid repository name, cannot specify 64-byte hexadecimal strings")},
      // Whitespace, control bytes, quotes, NUL and UTF-8 are never part of a reference.
      {" busybox", invalid("\" busybox\"", k_format)},
      {"busybox ", invalid("\"busybox \"", k_format)},
      {"busy box", invalid("\"busy box\"", k_format)},
      {"busybox\n", invalid("\"busybox\\x0a\"", k_format)},
      {"busybox:\ttag", invalid("\"busybox:\\x09tag\"", k_format)},
      {"\x1b[31mred", invalid("\"\\x1b[31mred\"", k_format)},
      {"a\"b\\c", invalid("\"a\\\"b\\\\c\"", k_format)},
      {std::string("busy\0box", 8), invalid("\"busy\\x00box\"", k_format)},
      {std::string("busybox:1\0x", 11), invalid("\"busybox:1\\x00x\"", k_format)},
      {"caf\xc3\xa9", invalid("\"caf\\xc3\\xa9\"", k_format)},
      {"\xff\xfe", invalid("\"\\xff\\xfe\"", k_format)},
  };
  // clang-format on
  return cases;
}

TEST(Reference, RejectsInvalidReferences) {
  for (const InvalidCase& c : invalid_cases()) {
    SCOPED_TRACE(testing::PrintToString(c.input));
    try {
      std::ignore = Reference::parse(c.input);
      ADD_FAILURE() << "parsed without error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      EXPECT_EQ(e.message(), c.message);
    }
  }
}

TEST(Reference, TryParseRefusesInvalidReferences) {
  for (const InvalidCase& c : invalid_cases()) {
    SCOPED_TRACE(testing::PrintToString(c.input));
    EXPECT_FALSE(Reference::try_parse(c.input).has_value());
  }
}

TEST(Reference, WithDefaultTagAddsLatestOnlyToNameOnlyReferences) {
  const Reference plain = Reference::parse("busybox").with_default_tag();
  EXPECT_EQ(plain.tag(), "latest");
  EXPECT_EQ(plain.str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(plain.familiar(), "busybox:latest");
  EXPECT_EQ(plain, Reference::parse("busybox:latest"));

  for (const std::string& input :
       {std::string("busybox:1"), "busybox@" + k_digest, "busybox:1@" + k_digest}) {
    SCOPED_TRACE(input);
    const Reference ref = Reference::parse(input);
    EXPECT_EQ(ref.with_default_tag(), ref);
  }
}

TEST(Reference, FamiliarNameDropsDockerHubPrefixes) {
  EXPECT_EQ(Reference::parse("busybox:1").familiar_name(), "busybox");
  EXPECT_EQ(Reference::parse("docker.io/library/busybox@" + k_digest).familiar_name(), "busybox");
  EXPECT_EQ(Reference::parse("user/app:1").familiar_name(), "user/app");
  EXPECT_EQ(Reference::parse("library/a/b").familiar_name(), "library/a/b");
  EXPECT_EQ(Reference::parse("localhost:5000/x:y").familiar_name(), "localhost:5000/x");
  EXPECT_EQ(Reference::parse("example.com/library/x").familiar_name(), "example.com/library/x");
}

TEST(Reference, EqualityComparesNormalisedParts) {
  const Reference a = Reference::parse("busybox");
  EXPECT_EQ(a, Reference::parse("docker.io/library/busybox"));
  EXPECT_EQ(a, Reference::parse("index.docker.io/library/busybox"));
  EXPECT_EQ(a, Reference::parse("docker.io/busybox"));
  EXPECT_NE(a, Reference::parse("busybox:latest"));
  EXPECT_NE(a, Reference::parse("busybox@" + k_digest));
  EXPECT_NE(a, Reference::parse("localhost/busybox"));
  EXPECT_NE(Reference::parse("a:x"), Reference::parse("a:X"));
}

TEST(Reference, PrintsFullForm) {
  std::ostringstream out;
  out << Reference::parse("user/app:1");
  EXPECT_EQ(out.str(), "docker.io/user/app:1");
}

TEST(Reference, LongHostileInputsFailQuickly) {
  // The scanner is linear: these would be slow for a backtracking matcher.
  const std::string inputs[] = {
      std::string(1 << 20, 'a'),
      "a" + repeat("-a", 1 << 19) + "!",
      "a/" + repeat("a__a.", 1 << 18) + "_",
      "a:" + std::string(1 << 20, 't'),
      "a@sha256:" + std::string(1 << 20, 'f'),
      std::string(1 << 20, '/'),
  };
  for (const std::string& input : inputs) {
    EXPECT_FALSE(Reference::try_parse(input).has_value());
  }
}

} // namespace
} // namespace strata::store
