// The registry client's offline parts (store/registry_http.hpp): loopback detection, endpoints,
// Location resolution and registry error texts. Pull and push themselves are proven against a
// real registry by tests/integration/registry_test.sh.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "store/reference.hpp"
#include "store/registry_auth.hpp"
#include "store/registry_http.hpp"

namespace strata::store::registry_detail {
namespace {

TEST(Registry, LoopbackHosts) {
  EXPECT_TRUE(is_loopback("127.0.0.1:5000"));
  EXPECT_TRUE(is_loopback("127.1.2.3"));
  EXPECT_TRUE(is_loopback("localhost:5000"));
  EXPECT_TRUE(is_loopback("localhost"));
  EXPECT_TRUE(is_loopback("[::1]:5000"));
  EXPECT_FALSE(is_loopback("127.0.0.1.example.com"));
  EXPECT_FALSE(is_loopback("127.0.0.256:5000"));
  EXPECT_FALSE(is_loopback("127.0.0:5000"));
  EXPECT_FALSE(is_loopback("128.0.0.1"));
  EXPECT_FALSE(is_loopback("docker.io"));
  EXPECT_FALSE(is_loopback("localhost.example.com"));
  EXPECT_FALSE(is_loopback("[::2]:5000"));
}

TEST(Registry, Endpoints) {
  EXPECT_EQ(endpoint_for(Reference::parse("127.0.0.1:5000/a/b:1"), true).repository_url,
            "http://127.0.0.1:5000/v2/a/b");
  EXPECT_EQ(endpoint_for(Reference::parse("busybox"), true).repository_url,
            "https://registry-1.docker.io/v2/library/busybox");
  EXPECT_EQ(endpoint_for(Reference::parse("example.com:443/x"), false).repository_url,
            "https://example.com:443/v2/x");
  EXPECT_FALSE(endpoint_for(Reference::parse("example.com/x"), false).tls_verify);
}

TEST(Registry, Locations) {
  const std::string base = "http://127.0.0.1:5000/v2/x/blobs/uploads/";
  EXPECT_EQ(resolve_location(base, "http://other:1/up/1?_state=a"), "http://other:1/up/1?_state=a");
  EXPECT_EQ(resolve_location(base, "/v2/x/blobs/uploads/u1?_state=s"),
            "http://127.0.0.1:5000/v2/x/blobs/uploads/u1?_state=s");
  EXPECT_EQ(resolve_location(base, "//cdn.example/b"), "http://cdn.example/b");
  EXPECT_EQ(resolve_location(base, "u2"), "http://127.0.0.1:5000/v2/x/blobs/uploads/u2");
  EXPECT_THROW(std::ignore = resolve_location(base, "file:///etc/passwd"), Error);
  EXPECT_THROW(std::ignore = resolve_location(base, ""), Error);
}

TEST(Registry, LocationsNeverDowngradeToHttp) {
  const std::string base = "https://registry.example/v2/x/blobs/uploads/";
  EXPECT_EQ(resolve_location(base, "https://cdn.example/up/1"), "https://cdn.example/up/1");
  EXPECT_EQ(resolve_location(base, "//cdn.example/up/1"), "https://cdn.example/up/1");
  try {
    std::ignore = resolve_location(base, "http://registry.example/v2/x/blobs/uploads/1");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("downgrade from https"), std::string::npos) << e.what();
  }
  EXPECT_THROW(std::ignore = resolve_location(base, "HTTP://registry.example/up"), Error);
  // An http registry may send the client to https.
  EXPECT_EQ(resolve_location("http://127.0.0.1:5000/v2/x/blobs/uploads/", "https://h/u"),
            "https://h/u");
}

TEST(Registry, UrlOrigins) {
  EXPECT_EQ(url_origin("http://127.0.0.1:5000/v2/x"), "http://127.0.0.1:5000");
  EXPECT_EQ(url_origin("https://Registry.Example/v2/"), "https://registry.example:443");
  EXPECT_EQ(url_origin("https://registry.example:443"), "https://registry.example:443");
  EXPECT_EQ(url_origin("HTTP://h?x=1"), "http://h:80");
  EXPECT_EQ(url_origin("http://user:pw@h:81/p"), "http://h:81");
  EXPECT_EQ(url_origin("http://[::1]:5000/v2/"), "http://[::1]:5000");
  EXPECT_EQ(url_origin("http://[::1]/v2/"), "http://[::1]:80");
  EXPECT_EQ(url_origin("http://h:0080/"), "http://h:80");
  // Same host, another port or scheme: another origin.
  EXPECT_NE(url_origin("http://127.0.0.1:5000/v2/"), url_origin("http://127.0.0.1:5001/v2/"));
  EXPECT_NE(url_origin("http://h/v2/"), url_origin("https://h/v2/"));
  EXPECT_NE(url_origin("http://localhost:5000/"), url_origin("http://127.0.0.1:5000/"));
  // Not an http(s) URL.
  EXPECT_EQ(url_origin("ftp://h/x"), "");
  EXPECT_EQ(url_origin("/v2/x"), "");
  EXPECT_EQ(url_origin("http:///x"), "");
  EXPECT_EQ(url_origin("http://h:x/"), "");
  EXPECT_EQ(url_origin("http://h:123456/"), "");
  EXPECT_EQ(url_origin("http://[::1/"), "");
}

TEST(Registry, RepeatedHeadersAreJoined) {
  Response r;
  record_header_line(r, "HTTP/1.1 401 Unauthorized\r\n");
  record_header_line(r, "WWW-Authenticate: Basic realm=\"r\"\r\n");
  record_header_line(r, "Www-Authenticate: Bearer realm=\"https://auth.example/token\","
                        "service=\"reg\"\r\n");
  record_header_line(r, "Location: /a\r\n");
  record_header_line(r, "Location: /b\r\n");
  record_header_line(r, "X-Empty:\r\n");
  record_header_line(r, "X-Empty: v\r\n");
  record_header_line(r, "\r\n");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"),
            R"(Basic realm="r", Bearer realm="https://auth.example/token",service="reg")");
  EXPECT_EQ(r.header("location"), "/b"); // single-valued: the last line
  EXPECT_EQ(r.header("x-empty"), "v");
  // The joined value is every challenge (the Bearer one is what the session answers).
  const auto all = parse_challenges(r.header("www-authenticate"));
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].scheme, "basic");
  EXPECT_EQ(all[1].scheme, "bearer");
  EXPECT_EQ(all[1].param("realm"), "https://auth.example/token");
  EXPECT_EQ(all[1].param("service"), "reg");
  // A redirect's response replaces the headers of the one before.
  record_header_line(r, "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.headers.empty());
}

TEST(Registry, ErrorTexts) {
  Response r;
  r.status = 404;
  r.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":"x"}]})";
  EXPECT_EQ(error_text(r), "manifest unknown");
  r.body = R"({"errors":[{"code":"NAME_UNKNOWN"},{"message":"two\u001b[31m"}]})";
  EXPECT_EQ(error_text(r), "name_unknown: two?[31m");
  r.body = "<html>not found</html>";
  EXPECT_EQ(error_text(r), "HTTP status 404");
  try {
    fail("pull x", r);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_STREQ(e.what(), "pull x: HTTP status 404");
  }
  r.status = 401;
  r.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
  r.login_hint = "127.0.0.1:5000";
  try {
    fail("pull x", r);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_STREQ(e.what(), "pull x: unauthorized: authentication required (no credentials for "
                           "127.0.0.1:5000: log in with 'strata login 127.0.0.1:5000')");
  }
  r.foreign_origin = "http://localhost:5001";
  try {
    fail("pull x", r);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pull x: unauthorized: authentication required (from "
                           "http://localhost:5001, not the registry: the registry's credentials "
                           "are never sent there)");
  }
  r.foreign_origin.clear();
  r.status = 403;
  r.body = "";
  r.login_hint.clear();
  try {
    fail("push x", r);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "push x: denied: requested access to the resource is denied");
  }
}

} // namespace
} // namespace strata::store::registry_detail
