// Docker's config.json and credential helpers (store/credentials.hpp): keys, reading, writing
// with unknown keys kept, and the docker-credential-* protocol with a fake helper on PATH.

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "store/credential_helper.hpp"
#include "store/credentials.hpp"

namespace strata::store {
namespace {

void write(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_file(path));
}

TEST(Credentials, Keys) {
  EXPECT_EQ(credentials_key("docker.io"), k_docker_hub_key);
  EXPECT_EQ(credentials_key("index.docker.io"), k_docker_hub_key);
  EXPECT_EQ(credentials_key("https://index.docker.io/v1/"), k_docker_hub_key);
  EXPECT_EQ(credentials_key("registry-1.docker.io"), k_docker_hub_key);
  EXPECT_EQ(credentials_key("127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(credentials_key("https://reg.example:5000/v2/"), "reg.example:5000");
  EXPECT_EQ(credentials_key("http://reg.example"), "reg.example");
  EXPECT_EQ(credentials_key("ghcr.io/owner/repo"), "ghcr.io");
}

class CredentialFile : public ::testing::Test {
protected:
  TempDir dir_{"credentials-test-"};
  std::string config_dir_ = dir_.path() + "/docker";
  std::string config_ = config_dir_ + "/config.json";
  CredentialStore store_{config_dir_};
};

TEST_F(CredentialFile, NoFileMeansNoCredentials) {
  EXPECT_EQ(store_.find("reg.example"), std::nullopt);
  EXPECT_EQ(store_.helper_for("reg.example"), "");
  EXPECT_FALSE(store_.erase("reg.example"));
}

TEST_F(CredentialFile, ReadsAuthsInEveryForm) {
  ::mkdir(config_dir_.c_str(), 0700);
  write(config_, R"({"auths":{
    "https://index.docker.io/v1/":{"auth":"aHViOmh1YnB3"},
    "http://old.example:5000/v1/":{"auth":"b2xkOnB3OndpdGg6Y29sb25z"},
    "plain.example":{"username":"u","password":"p"},
    "token.example":{"auth":"dDpw","identitytoken":"refresh-me"},
    "empty.example":{}}})");
  auto c = store_.find("docker.io");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "hub");
  EXPECT_EQ(c->secret, "hubpw");
  c = store_.find("old.example:5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "old");
  EXPECT_EQ(c->secret, "pw:with:colons");
  EXPECT_EQ(store_.find("plain.example")->secret, "p");
  EXPECT_EQ(store_.find("token.example")->identity_token, "refresh-me");
  EXPECT_EQ(store_.find("empty.example"), std::nullopt);
  EXPECT_EQ(store_.find("other.example"), std::nullopt);
}

TEST_F(CredentialFile, BadFilesAreErrors) {
  ::mkdir(config_dir_.c_str(), 0700);
  write(config_, "{not json");
  EXPECT_THROW(std::ignore = store_.find("x"), Error);
  write(config_, "[1]");
  EXPECT_THROW(std::ignore = store_.find("x"), Error);
  write(config_, R"({"auths":{"x":{"auth":"bm9jb2xvbg=="}}})"); // "nocolon"
  EXPECT_THROW(std::ignore = store_.find("x"), Error);
}

TEST_F(CredentialFile, SaveKeepsUnknownKeysAndIsPrivate) {
  ::mkdir(config_dir_.c_str(), 0755);
  write(config_, R"({"experimental":"enabled","proxies":{"default":{"httpProxy":"x"}},
                     "auths":{"other.example":{"auth":"eDp5","email":"a@b"}}})");
  store_.save("https://reg.example:5000/", Credentials{"alice", "s3cret", {}});
  const auto doc = read_json(config_);
  EXPECT_EQ(doc.at("experimental"), "enabled");
  EXPECT_EQ(doc.at("proxies").at("default").at("httpProxy"), "x");
  EXPECT_EQ(doc.at("auths").at("other.example").at("email"), "a@b");
  EXPECT_EQ(doc.at("auths").at("reg.example:5000").at("auth"), "YWxpY2U6czNjcmV0");
  struct stat st {};
  ASSERT_EQ(::stat(config_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(store_.find("reg.example:5000")->secret, "s3cret");
  EXPECT_TRUE(store_.erase("reg.example:5000"));
  EXPECT_FALSE(read_json(config_).at("auths").contains("reg.example:5000"));
  EXPECT_TRUE(read_json(config_).at("auths").contains("other.example"));
  EXPECT_FALSE(store_.erase("reg.example:5000"));
}

TEST_F(CredentialFile, SaveCreatesTheDirectory) {
  store_.save("docker.io", Credentials{"hub", "pw", {}});
  struct stat st {};
  ASSERT_EQ(::stat(config_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  EXPECT_TRUE(read_json(config_).at("auths").contains(std::string(k_docker_hub_key)));
}

// A fake `docker-credential-fake` on PATH keeping one file per server in `db_`.
class CredentialHelper : public CredentialFile {
protected:
  void SetUp() override {
    ::mkdir(bin_.c_str(), 0700);
    ::mkdir(db_.c_str(), 0700);
    write(bin_ + "/docker-credential-fake", R"sh(#!/bin/sh
input=$(cat)
echo "$1 $input" >>"$FAKE_DB/calls"
f="$FAKE_DB/$(printf %s "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p' | tr -c 'A-Za-z0-9.' _)"
case "$1" in
  get) f="$FAKE_DB/$(printf %s "$input" | tr -c 'A-Za-z0-9.' _)"
       [ -f "$f" ] && cat "$f" && exit 0
       echo "credentials not found in native keychain"; exit 1 ;;
  store) printf %s "$input" >"$f" ;;
  erase) rm "$FAKE_DB/$(printf %s "$input" | tr -c 'A-Za-z0-9.' _)" ;;
esac
)sh",
          0755);
    write(bin_ + "/docker-credential-slow", "#!/bin/sh\nexec sleep 10\n", 0755);
    write(bin_ + "/docker-credential-fails", "#!/bin/sh\necho 'locked' >&2; exit 4\n", 0755);
    old_path_ = std::getenv("PATH");
    ::setenv("PATH", (bin_ + ":" + old_path_).c_str(), 1);
    ::setenv("FAKE_DB", db_.c_str(), 1);
    ::mkdir(config_dir_.c_str(), 0700);
  }
  void TearDown() override { ::setenv("PATH", old_path_.c_str(), 1); }

  std::string bin_ = dir_.path() + "/bin";
  std::string db_ = dir_.path() + "/db";
  std::string old_path_;
};

TEST_F(CredentialHelper, CredsStoreRoundTrip) {
  write(config_, R"({"credsStore":"fake","keep":true})");
  EXPECT_EQ(store_.helper_for("reg.example"), "fake");
  EXPECT_EQ(store_.find("reg.example"), std::nullopt); // "not found in native keychain"
  store_.save("reg.example", Credentials{"alice", "pw", {}});
  const auto saved = read_json(db_ + "/reg.example");
  EXPECT_EQ(saved.at("ServerURL"), "reg.example");
  EXPECT_EQ(saved.at("Username"), "alice");
  EXPECT_EQ(saved.at("Secret"), "pw");
  const auto doc = read_json(config_);
  EXPECT_EQ(doc.at("keep"), true);
  EXPECT_EQ(doc.at("auths").at("reg.example"), nlohmann::json::object()); // no secret here
  const auto found = store_.find("reg.example");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->username, "alice");
  EXPECT_EQ(found->secret, "pw");
  EXPECT_TRUE(store_.erase("reg.example"));
  EXPECT_NE(read_file(db_ + "/calls").find("erase reg.example"), std::string::npos);
  EXPECT_EQ(store_.find("reg.example"), std::nullopt);
  EXPECT_FALSE(read_json(config_).at("auths").contains("reg.example"));
}

TEST_F(CredentialHelper, CredHelpersWinAndTokensAreIdentityTokens) {
  write(config_, R"({"credsStore":"fails","credHelpers":{"reg.example":"fake"}})");
  EXPECT_EQ(store_.helper_for("reg.example"), "fake");
  EXPECT_EQ(store_.helper_for("https://reg.example/v2/"), "fake");
  EXPECT_EQ(store_.helper_for("other.example"), "fails");
  write(db_ + "/reg.example", R"({"ServerURL":"reg.example","Username":"<token>","Secret":"rt"})");
  const auto found = store_.find("reg.example");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->username, "");
  EXPECT_EQ(found->identity_token, "rt");
}

TEST_F(CredentialHelper, FailuresAreErrorsWithTheHelpersWords) {
  write(config_, R"({"credsStore":"fails"})");
  try {
    std::ignore = store_.find("reg.example");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::child_failed);
    EXPECT_NE(std::string(e.what()).find("docker-credential-fails get: exit status 4: locked"),
              std::string::npos)
        << e.what();
  }
  write(config_, R"({"credsStore":"absent"})");
  try {
    std::ignore = store_.find("reg.example");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
  }
}

TEST_F(CredentialHelper, SlowHelpersAreKilled) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(std::ignore =
                   run_credential_helper("slow", "get", "x", std::chrono::milliseconds(300)),
               Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(CredentialHelper, HelperThatIgnoresItsInput) {
  // A large input the helper never reads must neither block nor kill us with SIGPIPE.
  const HelperOutput out = run_credential_helper("fails", "get", std::string(1 << 20, 'x'),
                                                 std::chrono::milliseconds(5000));
  EXPECT_EQ(out.exit_status, 4);
  EXPECT_EQ(out.err, "locked\n");
}

} // namespace
} // namespace strata::store
