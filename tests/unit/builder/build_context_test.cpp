#include "builder/build_context.hpp"

#include "builder/copy_files.hpp"
#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>
#include <tuple>
#include <string>
#include <vector>

namespace strata::builder {
namespace {

// A temporary tree with helpers to fill it and an fd for its root.
class Tree {
public:
  Tree() : dir_("strata-ctx-"), fd_(::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY)) {}

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] std::string path(const std::string& rel) const { return dir_.path() + "/" + rel; }

  void file(const std::string& rel, const std::string& content, mode_t mode = 0644) const {
    make_parent(rel);
    std::ofstream(path(rel), std::ios::binary | std::ios::trunc) << content;
    ::chmod(path(rel).c_str(), mode);
  }
  void dir(const std::string& rel, mode_t mode = 0755) const {
    make_parent(rel);
    ::mkdir(path(rel).c_str(), mode);
    ::chmod(path(rel).c_str(), mode);
  }
  void link(const std::string& rel, const std::string& target) const {
    make_parent(rel);
    ::unlink(path(rel).c_str());
    ASSERT_EQ(::symlink(target.c_str(), path(rel).c_str()), 0);
  }
  [[nodiscard]] std::string read(const std::string& rel) const {
    std::ifstream in(path(rel), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  [[nodiscard]] struct stat lstat(const std::string& rel) const {
    struct stat st {};
    EXPECT_EQ(::lstat(path(rel).c_str(), &st), 0) << rel;
    return st;
  }
  [[nodiscard]] bool exists(const std::string& rel) const {
    struct stat st {};
    return ::lstat(path(rel).c_str(), &st) == 0;
  }

private:
  void make_parent(const std::string& rel) const {
    const auto slash = rel.rfind('/');
    if (slash != std::string::npos) {
      const std::string parent = rel.substr(0, slash);
      make_parent(parent);
      ::mkdir(path(parent).c_str(), 0755);
    }
  }

  TempDir dir_;
  UniqueFd fd_;
};

std::vector<std::string> paths(const std::vector<SourceMatch>& matches) {
  std::vector<std::string> out;
  for (const auto& m : matches) {
    out.push_back(m.path);
  }
  return out;
}

using Strings = std::vector<std::string>;

// ---- ignore files ----------------------------------------------------------------------------

TEST(BuildContext, IgnoreFileWithExceptions) {
  Tree ctx;
  ctx.file(".dockerignore", "*.log\n!keep.log\nbuild\n");
  ctx.file("a.log", "x");
  ctx.file("keep.log", "x");
  ctx.file("build/out.o", "x");
  ctx.file("src/main.c", "x");
  const auto ignore = read_context_ignore(ctx.fd(), ctx.path("Dockerfile"));
  const SourceTree tree{ctx.fd(), &ignore, "context"};
  EXPECT_EQ(paths(match_sources(tree, {"*.log"}, {})), Strings{"keep.log"});
  EXPECT_THROW(std::ignore = match_sources(tree, {"a.log"}, {}), Error);
  EXPECT_THROW(std::ignore = match_sources(tree, {"build/out.o"}, {}), Error);
  std::vector<std::string> read;
  std::ignore = digest_sources(tree, match_sources(tree, {"."}, {}), {}, &read);
  EXPECT_EQ(read, (Strings{".dockerignore", "keep.log", "src/main.c"}));
}

TEST(BuildContext, DockerfileSpecificIgnoreFileWins) {
  Tree ctx;
  ctx.file(".dockerignore", "a.txt\n");
  ctx.file("build/app.Dockerfile.dockerignore", "b.txt\n");
  ctx.file("a.txt", "a");
  ctx.file("b.txt", "b");
  const auto specific = read_context_ignore(ctx.fd(), ctx.path("build/app.Dockerfile"));
  const SourceTree tree{ctx.fd(), &specific, "context"};
  EXPECT_EQ(paths(match_sources(tree, {"a.txt"}, {})), Strings{"a.txt"});
  EXPECT_THROW(std::ignore = match_sources(tree, {"b.txt"}, {}), Error);
  const auto plain = read_context_ignore(ctx.fd(), ctx.path("Dockerfile"));
  const SourceTree tree2{ctx.fd(), &plain, "context"};
  EXPECT_THROW(std::ignore = match_sources(tree2, {"a.txt"}, {}), Error);
  // A Dockerfile outside the context, read from standard input, or relative to the working
  // directory.
  Tree elsewhere;
  elsewhere.file("x.Dockerfile.dockerignore", "a.txt\n");
  const auto outside = read_context_ignore(ctx.fd(), elsewhere.path("x.Dockerfile"));
  EXPECT_EQ(outside.patterns().size(), 1U);
  EXPECT_EQ(outside.patterns()[0].text, "a.txt");
  EXPECT_EQ(read_context_ignore(ctx.fd(), "-").patterns()[0].text, "a.txt");
  const UniqueFd cwd(::open(".", O_RDONLY | O_DIRECTORY));
  ASSERT_EQ(::chdir(elsewhere.path("").c_str()), 0);
  const auto relative = read_context_ignore(ctx.fd(), "x.Dockerfile");
  ASSERT_EQ(::fchdir(cwd.get()), 0);
  EXPECT_EQ(relative.patterns().size(), 1U);
}

TEST(BuildContext, NoIgnoreFileMatchesNothingAndBadPatternNamesTheFile) {
  Tree ctx;
  EXPECT_TRUE(read_context_ignore(ctx.fd(), ctx.path("Dockerfile")).patterns().empty());
  ctx.file(".dockerignore", "[\n");
  try {
    std::ignore = read_context_ignore(ctx.fd(), ctx.path("Dockerfile"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::parse);
    EXPECT_NE(std::string(e.what()).find(".dockerignore"), std::string::npos) << e.what();
  }
}

// ---- source matching -------------------------------------------------------------------------

TEST(BuildContext, GoPathMatch) {
  EXPECT_TRUE(go_path_match("*.c", "main.c"));
  EXPECT_FALSE(go_path_match("*.c", "main.h"));
  EXPECT_TRUE(go_path_match("a?c", "abc"));
  EXPECT_TRUE(go_path_match("[a-c]x", "bx"));
  EXPECT_FALSE(go_path_match("[^a-c]x", "bx"));
  EXPECT_TRUE(go_path_match("\\*", "*"));
  EXPECT_FALSE(go_path_match("\\*", "a"));
  EXPECT_FALSE(go_path_match("[", "["));
  EXPECT_TRUE(go_path_match("*", ""));
  EXPECT_TRUE(go_path_match("a*b*c", "axxbyyc"));
  EXPECT_TRUE(has_wildcards("src/*.c"));
  EXPECT_FALSE(has_wildcards("src/\\*.c"));
}

TEST(BuildContext, WildcardsExpandSortedPerComponent) {
  Tree ctx;
  ctx.file("b.txt", "");
  ctx.file("a.txt", "");
  ctx.file("c.md", "");
  ctx.file("d1/x.txt", "");
  ctx.file("d2/x.txt", "");
  ctx.file("d2/y.txt", "");
  const SourceTree tree{ctx.fd(), nullptr, "context"};
  EXPECT_EQ(paths(match_sources(tree, {"*.txt"}, {})), (Strings{"a.txt", "b.txt"}));
  EXPECT_EQ(paths(match_sources(tree, {"d*/x.txt"}, {})), (Strings{"d1/x.txt", "d2/x.txt"}));
  EXPECT_EQ(paths(match_sources(tree, {"/d2/*", "c.md"}, {})),
            (Strings{"d2/x.txt", "d2/y.txt", "c.md"}));
  EXPECT_EQ(paths(match_sources(tree, {"*.txt"}, {"b.*"})), Strings{"a.txt"});
  const auto dirs = match_sources(tree, {"d?"}, {});
  ASSERT_EQ(dirs.size(), 2U);
  EXPECT_TRUE(dirs[0].is_dir);
  // A wildcard matching nothing is fine beside another source, an error alone.
  EXPECT_EQ(paths(match_sources(tree, {"*.none", "c.md"}, {})), Strings{"c.md"});
  try {
    std::ignore = match_sources(tree, {"*.none"}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_STREQ(e.what(), "no source files were specified");
  }
}

TEST(BuildContext, DotDotCannotEscapeTheRoot) {
  Tree outer;
  outer.file("secret", "s");
  outer.file("ctx/a.txt", "a");
  const UniqueFd ctx_fd(::open(outer.path("ctx").c_str(), O_RDONLY | O_DIRECTORY));
  const SourceTree tree{ctx_fd.get(), nullptr, "context"};
  EXPECT_EQ(paths(match_sources(tree, {"../../a.txt"}, {})), Strings{"a.txt"});
  EXPECT_EQ(paths(match_sources(tree, {"/../.."}, {})), Strings{"."});
  EXPECT_THROW(std::ignore = match_sources(tree, {"../secret"}, {}), Error);
  // A symlink pointing out of the context resolves inside it.
  Tree ctx2;
  ctx2.link("up", "../../..");
  ctx2.file("x", "inside");
  const SourceTree tree2{ctx2.fd(), nullptr, "context"};
  const auto m = match_sources(tree2, {"up/x"}, {});
  ASSERT_EQ(m.size(), 1U);
  Tree dest;
  copy_sources(tree2, m, {}, dest.fd(), "/out", {});
  EXPECT_EQ(dest.read("out"), "inside");
}

TEST(BuildContext, MissingSourceMessage) {
  Tree ctx;
  const SourceTree tree{ctx.fd(), nullptr, "context"};
  try {
    std::ignore = match_sources(tree, {"missing.txt"}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_STREQ(e.what(), "failed to compute cache key: failed to calculate checksum of ref "
                           "context: \"/missing.txt\": not found");
  }
}

// ---- digests ---------------------------------------------------------------------------------

store::Digest digest_of(const Tree& ctx, const Strings& sources, const Strings& excludes = {}) {
  const SourceTree tree{ctx.fd(), nullptr, "context"};
  return digest_sources(tree, match_sources(tree, sources, excludes), excludes);
}

TEST(BuildContext, DigestIgnoresTimesButNotContentModeOrLinks) {
  Tree ctx;
  ctx.file("d/a.txt", "hello");
  ctx.file("d/b/c.txt", "world");
  ctx.link("d/l", "a.txt");
  const auto base = digest_of(ctx, {"d"});
  EXPECT_EQ(digest_of(ctx, {"d"}), base);
  const std::array<timespec, 2> old{timespec{1000, 0}, timespec{1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, ctx.path("d/a.txt").c_str(), old.data(), 0), 0);
  EXPECT_EQ(digest_of(ctx, {"d"}), base);

  ctx.file("d/a.txt", "hellO");
  const auto content = digest_of(ctx, {"d"});
  EXPECT_NE(content, base);
  ctx.file("d/a.txt", "hello", 0600);
  const auto mode = digest_of(ctx, {"d"});
  EXPECT_NE(mode, base);
  EXPECT_NE(mode, content);
  ctx.file("d/a.txt", "hello", 0644);
  EXPECT_EQ(digest_of(ctx, {"d"}), base);
  ctx.link("d/l", "b");
  EXPECT_NE(digest_of(ctx, {"d"}), base);
  ctx.link("d/l", "a.txt");
  EXPECT_EQ(digest_of(ctx, {"d"}), base);
  // Excluded files do not count.
  const auto excluded = digest_of(ctx, {"d"}, {"b"});
  ctx.file("d/b/c.txt", "changed");
  EXPECT_EQ(digest_of(ctx, {"d"}, {"b"}), excluded);
  EXPECT_NE(digest_of(ctx, {"d"}), base);
  if (::geteuid() == 0) {
    ctx.file("d/b/c.txt", "world");
    ASSERT_EQ(digest_of(ctx, {"d"}), base);
    ASSERT_EQ(::lchown(ctx.path("d/a.txt").c_str(), 1234, 1234), 0);
    EXPECT_NE(digest_of(ctx, {"d"}), base);
  }
}

TEST(BuildContext, DigestIsStableAcrossTreesAndManyFiles) {
  Tree one;
  Tree two;
  for (int i = 0; i < 200; ++i) {
    one.file("d/f" + std::to_string(i), std::string(static_cast<std::size_t>(i) * 97, 'x'));
  }
  for (int i = 199; i >= 0; --i) {
    two.file("d/f" + std::to_string(i), std::string(static_cast<std::size_t>(i) * 97, 'x'));
  }
  EXPECT_EQ(digest_of(one, {"d"}), digest_of(two, {"d"}));
  EXPECT_NE(digest_of(one, {"d/f1"}), digest_of(one, {"d/f2"}));
}

// ---- copies ----------------------------------------------------------------------------------

void copy(const Tree& ctx, const Tree& dest, const Strings& sources, const std::string& to,
          const CopyOptions& options = {}, const Strings& excludes = {}) {
  const SourceTree tree{ctx.fd(), nullptr, "context"};
  copy_sources(tree, match_sources(tree, sources, excludes), excludes, dest.fd(), to, options);
}

TEST(BuildContext, CopyFileToDirAndToNewName) {
  Tree ctx;
  Tree dest;
  ctx.file("src/a.txt", "A", 0640);
  const std::array<timespec, 2> old{timespec{1000, 0}, timespec{12345, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, ctx.path("src/a.txt").c_str(), old.data(), 0), 0);
  copy(ctx, dest, {"src/a.txt"}, "/app/");
  EXPECT_EQ(dest.read("app/a.txt"), "A");
  EXPECT_EQ(dest.lstat("app/a.txt").st_mode & 07777, 0640U);
  EXPECT_EQ(dest.lstat("app/a.txt").st_mtim.tv_sec, 12345);
  EXPECT_EQ(dest.lstat("app").st_mode & 07777, 0755U);
  copy(ctx, dest, {"src/a.txt"}, "/x/y/new.txt");
  EXPECT_EQ(dest.read("x/y/new.txt"), "A");
  // An existing directory at dest is a directory; an existing file is replaced.
  copy(ctx, dest, {"src/a.txt"}, "/app");
  EXPECT_EQ(dest.read("app/a.txt"), "A");
  ctx.file("src/a.txt", "B");
  copy(ctx, dest, {"src/a.txt"}, "/x/y/new.txt");
  EXPECT_EQ(dest.read("x/y/new.txt"), "B");
}

TEST(BuildContext, CopyDirectoryContentsAndSeveralSources) {
  Tree ctx;
  Tree dest;
  ctx.file("d/a.txt", "a");
  ctx.file("d/sub/b.txt", "b");
  ctx.dir("d/empty", 0700);
  ctx.file("d/skip.log", "s");
  ctx.file("one", "1");
  ctx.file("two", "2");
  copy(ctx, dest, {"d"}, "/out", {}, {"*.log"});
  EXPECT_EQ(dest.read("out/a.txt"), "a");
  EXPECT_EQ(dest.read("out/sub/b.txt"), "b");
  EXPECT_FALSE(dest.exists("out/d"));
  EXPECT_FALSE(dest.exists("out/skip.log"));
  EXPECT_EQ(dest.lstat("out/empty").st_mode & 07777, 0700U);
  // Merging into an existing directory.
  ctx.file("d/c.txt", "c");
  copy(ctx, dest, {"d"}, "/out");
  EXPECT_EQ(dest.read("out/a.txt"), "a");
  EXPECT_EQ(dest.read("out/c.txt"), "c");
  copy(ctx, dest, {"one", "two"}, "/many/");
  EXPECT_EQ(dest.read("many/one"), "1");
  EXPECT_EQ(dest.read("many/two"), "2");
  try {
    copy(ctx, dest, {"one", "two"}, "/many");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_STREQ(e.what(), "When using COPY with more than one source file, the destination must "
                           "be a directory and end with a /");
  }
}

TEST(BuildContext, CopyOwnersAndChmod) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (chown)";
  }
  Tree ctx;
  Tree dest;
  ctx.file("d/f", "f", 0644);
  ASSERT_EQ(::lchown(ctx.path("d/f").c_str(), 1000, 1000), 0);
  copy(ctx, dest, {"d/f"}, "/root/");
  EXPECT_EQ(dest.lstat("root/f").st_uid, 0U);
  EXPECT_EQ(dest.lstat("root/f").st_gid, 0U);
  CopyOptions owned;
  owned.uid = 1234;
  owned.gid = 5678;
  copy(ctx, dest, {"d"}, "/owned/new/", owned);
  EXPECT_EQ(dest.lstat("owned/new/f").st_uid, 1234U);
  EXPECT_EQ(dest.lstat("owned/new/f").st_gid, 5678U);
  EXPECT_EQ(dest.lstat("owned").st_uid, 1234U);
  EXPECT_EQ(dest.lstat("owned/new").st_gid, 5678U);
  // A stage keeps its owners.
  const SourceTree stage{ctx.fd(), nullptr, "stage builder"};
  CopyOptions keep;
  keep.from_context = false;
  copy_sources(stage, match_sources(stage, {"d/f"}, {}), {}, dest.fd(), "/stage/", keep);
  EXPECT_EQ(dest.lstat("stage/f").st_uid, 1000U);
}

TEST(BuildContext, ChmodOctalAndSymbolic) {
  Tree ctx;
  Tree dest;
  ctx.file("f", "f", 0644);
  CopyOptions octal;
  octal.chmod = "755";
  copy(ctx, dest, {"f"}, "/o/", octal);
  EXPECT_EQ(dest.lstat("o/f").st_mode & 07777, 0755U);
  CopyOptions symbolic;
  symbolic.chmod = "u+x,g-r,o=";
  copy(ctx, dest, {"f"}, "/s/", symbolic);
  EXPECT_EQ(dest.lstat("s/f").st_mode & 07777, 0700U);
  EXPECT_EQ(ChmodSpec::parse("a+X").apply(S_IFREG | 0644), 0644U);
  EXPECT_EQ(ChmodSpec::parse("a+X").apply(S_IFDIR | 0644), 0755U);
  EXPECT_EQ(ChmodSpec::parse("+x").apply(S_IFREG | 0600), 0711U);
  EXPECT_EQ(ChmodSpec::parse("g=u").apply(S_IFREG | 0700), 0770U);
  EXPECT_EQ(ChmodSpec::parse("u+s,o+t").apply(S_IFREG | 0755), 05755U);
  EXPECT_EQ(ChmodSpec::parse("0").apply(S_IFREG | 0755), 0U);
  EXPECT_THROW(std::ignore = ChmodSpec::parse("u+z"), Error);
  EXPECT_THROW(std::ignore = ChmodSpec::parse("8"), Error);
  EXPECT_THROW(std::ignore = ChmodSpec::parse(""), Error);
}

TEST(BuildContext, DestinationSymlinkStaysInsideTheRoot) {
  Tree outer;
  outer.dir("root");
  outer.dir("etc");
  const UniqueFd root_fd(::open(outer.path("root").c_str(), O_RDONLY | O_DIRECTORY));
  outer.link("root/evil", "/");
  outer.link("root/up", "/../../etc");
  Tree ctx;
  ctx.file("x", "payload");
  const SourceTree tree{ctx.fd(), nullptr, "context"};
  const auto m = match_sources(tree, {"x"}, {});
  copy_sources(tree, m, {}, root_fd.get(), "/evil/x", {});
  EXPECT_EQ(outer.read("root/x"), "payload");
  copy_sources(tree, m, {}, root_fd.get(), "/up/", {});
  EXPECT_FALSE(outer.exists("etc/x"));
  EXPECT_EQ(outer.read("root/x"), "payload");
  // A symlink below a destination directory is replaced, never written through.
  outer.dir("root/d");
  outer.link("root/d/x", "/../etc/x");
  copy_sources(tree, m, {}, root_fd.get(), "/d/", {});
  EXPECT_FALSE(outer.exists("etc/x"));
  EXPECT_FALSE(S_ISLNK(outer.lstat("root/d/x").st_mode));
  EXPECT_EQ(outer.read("root/d/x"), "payload");
}

TEST(BuildContext, SourceSymlinkIsCopiedAsALink) {
  Tree ctx;
  Tree dest;
  ctx.file("d/target.txt", "t");
  ctx.link("d/abs", "/etc/passwd");
  ctx.link("d/rel", "target.txt");
  copy(ctx, dest, {"d"}, "/out/");
  ASSERT_TRUE(S_ISLNK(dest.lstat("out/abs").st_mode));
  std::array<char, 256> buf{};
  const ssize_t n = ::readlink(dest.path("out/abs").c_str(), buf.data(), buf.size());
  EXPECT_EQ(std::string(buf.data(), static_cast<std::size_t>(n)), "/etc/passwd");
  EXPECT_TRUE(S_ISLNK(dest.lstat("out/rel").st_mode));
  // A source path that is itself a symlink is followed (in-root) and named by the link.
  copy(ctx, dest, {"d/rel"}, "/follow/");
  EXPECT_FALSE(S_ISLNK(dest.lstat("follow/rel").st_mode));
  EXPECT_EQ(dest.read("follow/rel"), "t");
}

TEST(BuildContext, CopyContextRootHonoursIgnoreAndReinclusion) {
  Tree ctx;
  Tree dest;
  ctx.file(".dockerignore", "build\n!build/keep\nsecret*\n");
  ctx.file("build/drop.o", "d");
  ctx.file("build/keep", "k");
  ctx.file("secret.key", "s");
  ctx.file("src/main.c", "m");
  ctx.file("Dockerfile", "FROM x");
  const auto ignore = read_context_ignore(ctx.fd(), ctx.path("Dockerfile"));
  const SourceTree tree{ctx.fd(), &ignore, "context"};
  // `build` is ignored, but an exception puts `build/keep` back, so it is there.
  const auto m = match_sources(tree, {".", "build"}, {});
  ASSERT_EQ(m.size(), 2U);
  copy_sources(tree, {m[0]}, {}, dest.fd(), "/app", {});
  EXPECT_EQ(dest.read("app/src/main.c"), "m");
  EXPECT_EQ(dest.read("app/build/keep"), "k");
  EXPECT_FALSE(dest.exists("app/build/drop.o"));
  EXPECT_FALSE(dest.exists("app/secret.key"));
  EXPECT_EQ(dest.lstat("app").st_mode & 07777, 0755U);
  EXPECT_THROW(std::ignore = match_sources(tree, {"secret.key"}, {}), Error);
  EXPECT_THROW(std::ignore = match_sources(tree, {"build/drop.o"}, {}), Error);
  // A link in the context to an ignored file leads nowhere.
  ctx.link("to_secret", "secret.key");
  EXPECT_THROW(std::ignore = match_sources(tree, {"to_secret"}, {}), Error);
}

TEST(BuildContext, DirectoryOntoAFileFails) {
  Tree ctx;
  Tree dest;
  ctx.file("d/a", "a");
  dest.file("f", "x");
  try {
    copy(ctx, dest, {"d"}, "/f");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("/f"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dest.read("f"), "x");
}

TEST(BuildContext, ReadPathsListsFilesAndLinks) {
  Tree ctx;
  ctx.file("d/a", "a");
  ctx.link("d/l", "a");
  ctx.dir("d/e");
  const SourceTree tree{ctx.fd(), nullptr, "context"};
  std::vector<std::string> read;
  std::ignore = digest_sources(tree, match_sources(tree, {"d", "d/a"}, {}), {}, &read);
  EXPECT_EQ(read, (Strings{"d/a", "d/l", "d/a"}));
}

} // namespace
} // namespace strata::builder
