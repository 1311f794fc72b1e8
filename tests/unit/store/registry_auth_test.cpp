// The registry client's authentication vocabulary (store/registry_auth.hpp): WWW-Authenticate
// challenges, scopes, token URLs and responses, base64. The protocol itself is proven against a
// real registry and token server by tests/integration/registry_auth_test.sh.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "store/registry_auth.hpp"

namespace strata::store::registry_detail {
namespace {

TEST(RegistryAuth, BearerChallenge) {
  const auto all = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].scheme, "bearer");
  EXPECT_EQ(all[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(all[0].param("service"), "registry.docker.io");
  EXPECT_EQ(all[0].param("scope"), "repository:library/busybox:pull");
  EXPECT_EQ(all[0].param("error"), "");
}

TEST(RegistryAuth, SeveralChallengesAndEscapes) {
  const auto all = parse_challenges(
      R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic REALM="simple",)"
      R"(  Negotiate abc+/==, Bearer realm="r,1", scope = "a b")");
  ASSERT_EQ(all.size(), 4U);
  EXPECT_EQ(all[0].scheme, "newauth");
  EXPECT_EQ(all[0].param("type"), "1");
  EXPECT_EQ(all[0].param("title"), R"(Login to "apps")");
  EXPECT_EQ(all[1].scheme, "basic");
  EXPECT_EQ(all[1].param("realm"), "simple");
  EXPECT_EQ(all[2].scheme, "negotiate");
  EXPECT_EQ(all[2].param(""), "abc+/==");
  EXPECT_EQ(all[3].param("realm"), "r,1");
  EXPECT_EQ(all[3].param("scope"), "a b");
}

TEST(RegistryAuth, BareSchemesAndEmpty) {
  EXPECT_TRUE(parse_challenges("").empty());
  EXPECT_TRUE(parse_challenges(" , ").empty());
  const auto all = parse_challenges("Basic, Bearer");
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[1].scheme, "bearer");
  EXPECT_TRUE(all[1].params.empty());
  EXPECT_EQ(parse_challenges(R"(Bearer realm="")")[0].param("realm"), "");
}

TEST(RegistryAuth, MalformedChallenges) {
  EXPECT_THROW(std::ignore = parse_challenges(R"(Bearer realm="unterminated)"), Error);
  EXPECT_THROW(std::ignore = parse_challenges(R"(Bearer realm="x\)"), Error);
  EXPECT_THROW(std::ignore = parse_challenges(R"(Bearer realm="a" service="b")"), Error);
  EXPECT_THROW(std::ignore = parse_challenges("Bearer realm=, x=1"), Error);
  EXPECT_THROW(std::ignore = parse_challenges("=x"), Error);
  EXPECT_THROW(std::ignore = parse_challenges("Bearer @"), Error);
}

TEST(RegistryAuth, Scopes) {
  EXPECT_EQ(repository_scope("library/busybox", false), "repository:library/busybox:pull");
  EXPECT_EQ(repository_scope("a/b", true), "repository:a/b:pull,push");
}

TEST(RegistryAuth, TokenUrls) {
  EXPECT_EQ(token_url("https://auth.example/token", "reg",
                      {"repository:a/b:pull,push", "repository:c:pull"}, "alice", true),
            "https://auth.example/token?service=reg&scope=repository%3Aa%2Fb%3Apull%2Cpush"
            "&scope=repository%3Ac%3Apull&account=alice");
  EXPECT_EQ(token_url("https://auth.example/t?x=1", "", {}, "", true),
            "https://auth.example/t?x=1");
  EXPECT_EQ(token_url("http://127.0.0.1:5001/token", "s", {}, "", true),
            "http://127.0.0.1:5001/token?service=s");
  EXPECT_EQ(token_url("http://auth.example/token", "s", {}, "", false),
            "http://auth.example/token?service=s");
  // Plain http to another host, other schemes, no host: credentials would leak.
  EXPECT_THROW(std::ignore = token_url("http://auth.example/token", "s", {}, "", true), Error);
  EXPECT_THROW(std::ignore = token_url("http://127.0.0.1.evil.example/t", "s", {}, "", true),
               Error);
  EXPECT_THROW(std::ignore = token_url("ftp://auth.example/token", "s", {}, "", false), Error);
  EXPECT_THROW(std::ignore = token_url("file:///etc/passwd", "s", {}, "", false), Error);
  EXPECT_THROW(std::ignore = token_url("https:///token", "s", {}, "", true), Error);
  EXPECT_THROW(std::ignore = token_url("", "s", {}, "", true), Error);
}

TEST(RegistryAuth, TokenResponses) {
  const auto now = std::chrono::steady_clock::now();
  Token t = parse_token_response(R"({"token":"abc","expires_in":300,"issued_at":"x"})", now);
  EXPECT_EQ(t.value, "abc");
  EXPECT_EQ(t.expires_at, now + std::chrono::seconds(300));
  t = parse_token_response(R"({"access_token":"def"})", now);
  EXPECT_EQ(t.value, "def");
  EXPECT_EQ(t.expires_at, now + std::chrono::seconds(60));
  t = parse_token_response(R"({"token":"","access_token":"ghi","expires_in":-5})", now);
  EXPECT_EQ(t.value, "ghi");
  EXPECT_EQ(t.expires_at, now + std::chrono::seconds(60));
  EXPECT_THROW(std::ignore = parse_token_response("{}", now), Error);
  EXPECT_THROW(std::ignore = parse_token_response("not json", now), Error);
  EXPECT_THROW(std::ignore = parse_token_response(R"({"token":5})", now), Error);
  EXPECT_THROW(std::ignore = parse_token_response(R"({"token":"a\r\nX-Evil: 1"})", now), Error);
}

TEST(RegistryAuth, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("alice:secret"), "YWxpY2U6c2VjcmV0");
  EXPECT_EQ(base64_decode("YWxpY2U6c2VjcmV0"), "alice:secret");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm8"), "fo");
  const std::string binary("\0\xff\x10z", 4);
  EXPECT_EQ(base64_decode(base64_encode(binary)), binary);
  EXPECT_THROW(std::ignore = base64_decode("Zm9v!"), Error);
  EXPECT_THROW(std::ignore = base64_decode("Z"), Error);
  EXPECT_EQ(basic_authorization("alice", "secret"), "Basic YWxpY2U6c2VjcmV0");
}

} // namespace
} // namespace strata::store::registry_detail
