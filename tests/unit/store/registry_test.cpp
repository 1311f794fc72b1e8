// The registry client's offline parts (store/registry_http.hpp): loopback detection, endpoints,
// Location resolution and registry error texts. Pull and push themselves are proven against a
// real registry by tests/integration/registry_test.sh.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "store/reference.hpp"
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
