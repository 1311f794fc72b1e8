// common/in_root: escape attempts against the one path primitive (SECURITY.md §4).
//
// Every test runs twice, once per `Resolver` (openat2 when available, and the user-space walker
// forced), so both implementations are proven. Each test gets a fresh TempDir holding `root/` (the
// untrusted tree) and a sibling `outside/` with a canary file. The fixture checks after every test
// that `outside/` is byte-for-byte, time-for-time unchanged (nothing created, written or read:
// the canary's atime is set far in the past, so on this relatime mount a read would move it) and
// that nothing appeared next to `root/`.

#include "common/in_root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/scope_exit.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"

using namespace strata;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void make_link(const std::string& target, const std::string& link) {
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0) << link;
}

void make_dir(const std::string& path) {
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0) << path;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string read_fd(const UniqueFd& fd) {
  std::string out;
  char buf[256];
  ssize_t n = 0;
  while ((n = ::pread(fd.get(), buf, sizeof buf, static_cast<off_t>(out.size()))) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// The errno of the `Error` that `fn` throws (which must be `Error{io}`), or 0 if it returns.
template <typename F> int errno_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io) << e.what();
    return e.sys_errno();
  }
  return 0;
}

bool same_inode(int a, int b) {
  struct stat sa {};
  struct stat sb {};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// The names in directory `path`, without `.` and `..`.
std::set<std::string> entries(const std::string& path) {
  std::set<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    ADD_FAILURE() << "opendir " << path << ": " << std::strerror(errno);
    return names;
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") {
      names.insert(name);
    }
  }
  ::closedir(dir);
  return names;
}

// Names, types, sizes, modes and times of everything below `path`, without following symlinks.
void snapshot(const std::string& path, std::ostringstream& out) {
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0) << path;
  out << path << ' ' << st.st_mode << ' ' << st.st_size << ' ' << st.st_mtim.tv_sec << '.'
      << st.st_mtim.tv_nsec << ' ' << st.st_ctim.tv_sec << '.' << st.st_ctim.tv_nsec;
  if (!S_ISDIR(st.st_mode)) {
    // A read moves a file's atime. (A directory's moves when this very function lists it.)
    out << ' ' << st.st_atim.tv_sec << '.' << st.st_atim.tv_nsec << '\n';
    return;
  }
  out << '\n';
  for (const auto& name : entries(path)) {
    snapshot(fmt::format("{}/{}", path, name), out);
  }
}

std::string snapshot(const std::string& path) {
  std::ostringstream out;
  snapshot(path, out);
  return out.str();
}

class InRoot : public ::testing::TestWithParam<Resolver> {
protected:
  void SetUp() override {
    previous_ = in_root_resolver();
    set_in_root_resolver(GetParam());
    make_dir(root_);
    make_dir(outside_);
    make_dir(outside_ + "/sub");
    write_file(canary_, "host secret\n");
    // atime far in the past, mtime now: any read of the canary moves its atime (relatime).
    const timespec times[2] = {{1000, 0}, {0, UTIME_NOW}};
    ASSERT_EQ(::utimensat(AT_FDCWD, canary_.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
    root_fd_ = UniqueFd(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_);
    outside_before_ = snapshot(outside_);
  }

  void TearDown() override {
    set_in_root_resolver(previous_);
    EXPECT_EQ(snapshot(outside_), outside_before_) << "outside/ was touched";
    EXPECT_EQ(entries(dir_.path()), (std::set<std::string>{"outside", "root"}))
        << "something was created next to root/";
  }

  [[nodiscard]] int root() const { return root_fd_.get(); }
  [[nodiscard]] std::string in_root(const std::string& rel) const { return root_ + "/" + rel; }

  TempDir dir_{"in-root-"};
  const std::string root_ = dir_.path() + "/root";
  const std::string outside_ = dir_.path() + "/outside";
  const std::string canary_ = outside_ + "/canary";
  UniqueFd root_fd_;
  Resolver previous_ = Resolver::automatic;
  std::string outside_before_;
};

std::string resolver_name(const ::testing::TestParamInfo<Resolver>& info) {
  return info.param == Resolver::automatic ? "automatic" : "fallback";
}

INSTANTIATE_TEST_SUITE_P(Resolvers, InRoot,
                         ::testing::Values(Resolver::automatic, Resolver::fallback_only),
                         resolver_name);

} // namespace

// ---------------------------------------------------------------------------------------------
// open_in_root

TEST_P(InRoot, OpensPlainFilesAbsoluteOrRelative) {
  make_dir(in_root("etc"));
  write_file(in_root("etc/passwd"), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "etc/passwd", O_RDONLY)), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "/etc/passwd", O_RDONLY)), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "//etc/./passwd", O_RDONLY)), "inside\n");
  const UniqueFd self = open_in_root(root(), "/", O_PATH | O_DIRECTORY);
  EXPECT_TRUE(same_inode(self.get(), root()));
  EXPECT_TRUE(same_inode(open_in_root(root(), ".", O_PATH).get(), root()));
}

TEST_P(InRoot, AbsoluteSymlinkToHostPathResolvesInsideRoot) {
  // root/escape -> <host path of outside/>: in-root it names <root><host path>, which is absent.
  make_link(outside_, in_root("escape"));
  make_link(canary_, in_root("escape_file"));
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "escape/canary", O_RDONLY); }),
            ENOENT);
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "escape_file", O_RDONLY); }), ENOENT);
  // Once the same path exists inside the root, that is what the links reach.
  mkdir_all_in_root(root(), outside_, 0755);
  write_file(root_ + canary_, "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "escape/canary", O_RDONLY)), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "escape_file", O_RDONLY)), "inside\n");
}

TEST_P(InRoot, SymlinkToSlashIsTheRoot) {
  // The `/etc -> /` style: any number of hops through it stays at the root.
  make_link("/", in_root("slash"));
  write_file(in_root("file"), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "slash/slash/slash/file", O_RDONLY)), "inside\n");
  EXPECT_TRUE(same_inode(open_in_root(root(), "slash", O_PATH).get(), root()));
  EXPECT_TRUE(same_inode(open_in_root(root(), "slash/..", O_PATH).get(), root()));
}

TEST_P(InRoot, RelativeDotDotEscapesStayInRoot) {
  make_link("../../../../../outside/canary", in_root("up"));
  make_dir(in_root("a"));
  make_link("../../outside", in_root("a/up2"));
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "up", O_RDONLY); }), ENOENT);
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "a/up2/canary", O_RDONLY); }),
            ENOENT);
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "../outside/canary", O_RDONLY); }),
            ENOENT);
  EXPECT_EQ(
      errno_of([&] { std::ignore = open_in_root(root(), "a/../../../outside/canary", O_RDONLY); }),
      ENOENT);
  make_dir(in_root("outside"));
  write_file(in_root("outside/canary"), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "up", O_RDONLY)), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "a/up2/canary", O_RDONLY)), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "../../outside/canary", O_RDONLY)), "inside\n");
}

TEST_P(InRoot, DotDotAtRootStaysAtRoot) {
  write_file(in_root("file"), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "../../../file", O_RDONLY)), "inside\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "/../../file", O_RDONLY)), "inside\n");
  EXPECT_TRUE(same_inode(open_in_root(root(), "..", O_PATH).get(), root()));
  EXPECT_TRUE(same_inode(open_in_root(root(), "/../..", O_PATH | O_DIRECTORY).get(), root()));
}

TEST_P(InRoot, FollowsSymlinkChains) {
  make_dir(in_root("d"));
  make_dir(in_root("d/e"));
  write_file(in_root("d/e/target"), "end\n");
  make_link("b", in_root("a"));               // relative
  make_link("/c", in_root("b"));              // absolute, restarts at the root
  make_link("d/x/../e/../e/t", in_root("c")); // `..` after a symlink goes to its target's parent
  make_link("../d/e/target", in_root("d/x")); // a symlink used as a directory in `c`'s target
  make_link("target", in_root("d/e/t"));
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "a", O_RDONLY); }), ENOTDIR);
  ASSERT_EQ(::unlink(in_root("d/x").c_str()), 0);
  make_link("/d/e", in_root("d/x"));
  EXPECT_EQ(read_fd(open_in_root(root(), "a", O_RDONLY)), "end\n");
}

TEST_P(InRoot, SymlinkLoopsAreEloop) {
  make_link("loop2", in_root("loop1"));
  make_link("/loop1", in_root("loop2"));
  make_link("self/x", in_root("self"));
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "loop1", O_RDONLY); }), ELOOP);
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "self", O_RDONLY); }), ELOOP);
  EXPECT_EQ(
      errno_of([&] { std::ignore = open_in_root(root(), "loop1/x", O_CREAT | O_WRONLY, 0644); }),
      ELOOP);
}

TEST_P(InRoot, FollowsFortySymlinksButNotFortyOne) {
  // c0 -> c1 -> ... -> c41 (a file): from c1 that is 40 links, from c0 41, like the kernel.
  for (int i = 0; i < 41; ++i) {
    make_link(fmt::format("c{}", i + 1), in_root(fmt::format("c{}", i)));
  }
  write_file(in_root("c41"), "end\n");
  EXPECT_EQ(read_fd(open_in_root(root(), "c1", O_RDONLY)), "end\n");
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "c0", O_RDONLY); }), ELOOP);
}

TEST_P(InRoot, IntermediateSymlinkPointingOutside) {
  make_link(outside_, in_root("abs"));
  make_link("../outside", in_root("rel"));
  make_link(outside_ + "/sub", in_root("subdir"));
  for (const char* path : {"abs/canary", "rel/canary", "abs/sub/x", "subdir/../canary"}) {
    EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), path, O_RDONLY); }), ENOENT)
        << path;
    EXPECT_EQ(errno_of([&] {
                std::ignore = open_in_root(root(), path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
              }),
              ENOENT)
        << path;
  }
}

TEST_P(InRoot, DanglingFinalSymlinkWithOCreatNeverCreatesOutside) {
  make_link(outside_ + "/created", in_root("host_abs")); // parent missing in-root
  make_link("../outside/created", in_root("host_rel"));  // parent missing in-root
  make_link("/created", in_root("in_root_abs"));         // parent exists in-root
  for (const char* path : {"host_abs", "host_rel"}) {
    EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), path, O_CREAT | O_WRONLY, 0644); }),
              ENOENT)
        << path;
  }
  // Like the kernel, O_CREAT follows a dangling symlink, and creates its target in-root.
  const UniqueFd file = open_in_root(root(), "in_root_abs", O_CREAT | O_WRONLY, 0644);
  ASSERT_EQ(::write(file.get(), "x", 1), 1);
  EXPECT_TRUE(exists(in_root("created")));
  // The kernel would not follow with O_EXCL or O_NOFOLLOW.
  EXPECT_EQ(errno_of([&] {
              std::ignore = open_in_root(root(), "host_rel", O_CREAT | O_EXCL | O_WRONLY, 0644);
            }),
            EEXIST);
  EXPECT_EQ(errno_of([&] {
              std::ignore = open_in_root(root(), "host_rel", O_CREAT | O_NOFOLLOW | O_WRONLY, 0644);
            }),
            ELOOP);
}

TEST_P(InRoot, NoFollowOnTheLastComponent) {
  write_file(in_root("file"), "inside\n");
  make_link("file", in_root("link"));
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "link", O_RDONLY | O_NOFOLLOW); }),
            ELOOP);
  const UniqueFd link = open_in_root(root(), "link", O_PATH | O_NOFOLLOW);
  struct stat st {};
  ASSERT_EQ(::fstat(link.get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  const UniqueFd followed = open_in_root(root(), "link", O_PATH);
  ASSERT_EQ(::fstat(followed.get(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_P(InRoot, TrailingSlashAndDotRequireADirectory) {
  write_file(in_root("file"), "inside\n");
  make_dir(in_root("dir"));
  make_link("dir", in_root("dirlink"));
  make_link("file", in_root("filelink"));
  for (const char* path : {"file/", "file/.", "filelink/", "file/..", "dir/file/"}) {
    EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), path, O_RDONLY); }),
              path == std::string("dir/file/") ? ENOENT : ENOTDIR)
        << path;
  }
  const UniqueFd dir = open_in_root(root(), "dirlink/", O_RDONLY | O_NOFOLLOW);
  struct stat st {};
  ASSERT_EQ(::fstat(dir.get(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(same_inode(open_in_root(root(), "dir/.", O_PATH).get(), dir.get()));
}

TEST_P(InRoot, MagicLinksAreRefused) {
  // The real `/` as the root: /proc is there, and /proc/self/fd/N would reach `outside/`.
  const UniqueFd slash(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  const UniqueFd pinned(::open(canary_.c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(slash && pinned);
  const std::string fd_link = fmt::format("/proc/self/fd/{}", pinned.get());
  for (const std::string& path : {fd_link, std::string("/proc/self/cwd"),
                                  std::string("/proc/self/exe"), "/proc/self/root" + canary_}) {
    EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(slash.get(), path, O_RDONLY); }), ELOOP)
        << path;
    EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(slash.get(), path, O_PATH); }), ELOOP)
        << path;
  }
  // Ordinary procfs symlinks (`/proc/self`) still work, and O_PATH|O_NOFOLLOW gives the link.
  EXPECT_TRUE(open_in_root(slash.get(), "/proc/self/status", O_RDONLY));
  EXPECT_TRUE(open_in_root(slash.get(), fd_link, O_PATH | O_NOFOLLOW));
}

TEST_P(InRoot, MagicLinksInsideAProcMountInTheRootAreRefused) {
  make_dir(in_root("proc"));
  if (::mount("proc", in_root("proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) !=
      0) {
    GTEST_SKIP() << "cannot mount procfs here: " << std::strerror(errno);
  }
  const ScopeExit unmount([&] { std::ignore = ::umount2(in_root("proc").c_str(), MNT_DETACH); });
  const UniqueFd pinned(::open(canary_.c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(pinned);
  make_link(fmt::format("/proc/self/fd/{}", pinned.get()), in_root("fdlink"));
  make_link("/proc/self/root", in_root("hostroot"));
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "fdlink", O_RDONLY); }), ELOOP);
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "hostroot" + canary_, O_RDONLY); }),
            ELOOP);
  EXPECT_EQ(errno_of([&] {
              std::ignore = open_in_root(root(), "proc/self/cwd/outside/canary", O_RDONLY);
            }),
            ELOOP);
}

TEST_P(InRoot, ErrorsKeepErrnoAndNameThePath) {
  try {
    std::ignore = open_in_root(root(), "missing/file", O_RDONLY);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_EQ(e.message(), fmt::format("open in root missing/file under {}", root_));
  }
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), "", O_RDONLY); }), ENOENT);
  EXPECT_EQ(
      errno_of([&] { std::ignore = open_in_root(root(), std::string_view("a\0b", 3), O_RDONLY); }),
      EINVAL);
  EXPECT_EQ(errno_of([&] { std::ignore = open_in_root(root(), std::string(5000, 'a'), O_RDONLY); }),
            ENAMETOOLONG);
}

TEST_P(InRoot, SurvivesASymlinkExchangeRace) {
  // CVE-2018-15664: while we resolve `dir/...`, another thread keeps swapping `dir` with a symlink
  // to the host's `outside/`. Every answer must come from inside the root.
  make_dir(in_root("dir"));
  write_file(in_root("dir/canary"), "inside\n");
  make_link("../outside", in_root("swap"));
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    while (!stop.load()) {
      std::ignore = ::renameat2(AT_FDCWD, in_root("dir").c_str(), AT_FDCWD, in_root("swap").c_str(),
                                RENAME_EXCHANGE);
    }
  });
  const ScopeExit join([&] {
    stop.store(true);
    swapper.join();
  });
  for (int i = 0; i < 2000; ++i) {
    try {
      EXPECT_EQ(read_fd(open_in_root(root(), "dir/canary", O_RDONLY)), "inside\n");
      std::ignore = create_in_root(root(), "dir/new", O_WRONLY, 0644, Replace::yes);
      mkdir_all_in_root(root(), "dir/sub", 0755);
    } catch (const Error& e) {
      ASSERT_TRUE(e.sys_errno() == ENOENT || e.sys_errno() == ENOTDIR || e.sys_errno() == EEXIST)
          << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// mkdir_all_in_root

TEST_P(InRoot, MkdirAllCreatesMissingComponentsAndIsIdempotent) {
  mkdir_all_in_root(root(), "a/b/c", 0755);
  EXPECT_TRUE(is_dir(in_root("a/b/c")));
  mkdir_all_in_root(root(), "/a/b/c/", 0755);
  mkdir_all_in_root(root(), "../a/./b/../b/d", 0755);
  EXPECT_TRUE(is_dir(in_root("a/b/d")));
  mkdir_all_in_root(root(), "/", 0755);
}

TEST_P(InRoot, MkdirAllThroughSymlinkPointingOutsideCreatesInsideRoot) {
  make_link(outside_, in_root("abs"));
  make_link("../../outside/sub", in_root("rel"));
  mkdir_all_in_root(root(), "abs/sub/deeper", 0755);
  mkdir_all_in_root(root(), "rel/new", 0755);
  EXPECT_TRUE(is_dir(root_ + outside_ + "/sub/deeper"));
  EXPECT_TRUE(is_dir(in_root("outside/sub/new")));
  EXPECT_FALSE(exists(outside_ + "/sub/deeper"));
  EXPECT_FALSE(exists(outside_ + "/sub/new"));
}

TEST_P(InRoot, MkdirAllRefusesNonDirectories) {
  write_file(in_root("file"), "inside\n");
  make_link("file", in_root("filelink"));
  for (const char* path : {"file", "file/sub", "filelink/sub"}) {
    EXPECT_EQ(errno_of([&] { mkdir_all_in_root(root(), path, 0755); }), ENOTDIR) << path;
  }
  make_link("loop", in_root("loop"));
  EXPECT_EQ(errno_of([&] { mkdir_all_in_root(root(), "loop/sub", 0755); }), ELOOP);
}

// ---------------------------------------------------------------------------------------------
// create_in_root

TEST_P(InRoot, CreateInRootMakesANewFile) {
  make_dir(in_root("dir"));
  const UniqueFd file = create_in_root(root(), "/dir/new", O_WRONLY, 0640);
  ASSERT_EQ(::write(file.get(), "data", 4), 4);
  struct stat st {};
  ASSERT_EQ(::lstat(in_root("dir/new").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(errno_of([&] { std::ignore = create_in_root(root(), "dir/new", O_WRONLY, 0640); }),
            EEXIST);
  EXPECT_EQ(errno_of([&] { std::ignore = create_in_root(root(), "nodir/new", O_WRONLY, 0640); }),
            ENOENT);
  for (const char* path : {"dir/", "dir/.", "dir/..", "/"}) {
    EXPECT_EQ(errno_of([&] { std::ignore = create_in_root(root(), path, O_WRONLY, 0640); }), EINVAL)
        << path;
  }
}

TEST_P(InRoot, CreateInRootNeverFollowsAFinalSymlink) {
  make_link(canary_, in_root("to_canary"));
  make_link("../outside/new", in_root("dangling"));
  make_link("/nowhere", in_root("dangling_in_root"));
  for (const char* path : {"to_canary", "dangling", "dangling_in_root"}) {
    EXPECT_EQ(
        errno_of([&] { std::ignore = create_in_root(root(), path, O_WRONLY | O_TRUNC, 0644); }),
        EEXIST)
        << path;
  }
  EXPECT_FALSE(exists(in_root("nowhere")));
  // Replace::yes removes the symlink itself and creates a plain file in its place.
  const UniqueFd file = create_in_root(root(), "to_canary", O_WRONLY, 0644, Replace::yes);
  ASSERT_EQ(::write(file.get(), "new", 3), 3);
  struct stat st {};
  ASSERT_EQ(::lstat(in_root("to_canary").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  make_dir(in_root("dir"));
  EXPECT_EQ(
      errno_of([&] { std::ignore = create_in_root(root(), "dir", O_WRONLY, 0644, Replace::yes); }),
      EISDIR);
}

TEST_P(InRoot, CreateInRootResolvesTheParentInRoot) {
  make_link(outside_, in_root("escape"));
  EXPECT_EQ(errno_of([&] { std::ignore = create_in_root(root(), "escape/new", O_WRONLY, 0644); }),
            ENOENT);
  make_link("..", in_root("up"));
  const UniqueFd file = create_in_root(root(), "up/up/new", O_WRONLY, 0644);
  EXPECT_TRUE(exists(in_root("new")));
}

TEST_P(InRoot, VarRunSymlinkLandsInRootRun) {
  // The BuildKit 2026 regression (moby#53258): `var/run -> /run` + `var/run/x` is `<root>/run/x`.
  make_dir(in_root("var"));
  make_dir(in_root("run"));
  make_link("/run", in_root("var/run"));
  std::ignore = create_in_root(root(), "var/run/x", O_WRONLY, 0644);
  EXPECT_TRUE(exists(in_root("run/x")));
  std::ignore = open_in_root(root(), "/var/run/y", O_CREAT | O_WRONLY, 0644);
  EXPECT_TRUE(exists(in_root("run/y")));
  mkdir_all_in_root(root(), "var/run/dir/sub", 0755);
  EXPECT_TRUE(is_dir(in_root("run/dir/sub")));
  EXPECT_TRUE(same_inode(open_in_root(root(), "var/run/x", O_RDONLY).get(),
                         open_in_root(root(), "run/x", O_RDONLY).get()));
}

TEST_P(InRoot, MkdirAllFollowsDanglingSymlinkInRoot) {
  // With /run missing, WORKDIR /var/run/app creates <root>/run/app, never the host's /run/app.
  make_dir(in_root("var"));
  make_link("/run", in_root("var/run"));
  mkdir_all_in_root(root(), "var/run/app", 0755);
  EXPECT_TRUE(is_dir(in_root("run/app")));
}

// ---------------------------------------------------------------------------------------------
// fd_path and the resolver hook

TEST(InRootHelpers, FdPathNamesTheFileForMessages) {
  TempDir dir("in-root-");
  const UniqueFd fd(::open(dir.path().c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(fd);
  EXPECT_EQ(fd_path(fd.get()), dir.path());
  EXPECT_EQ(fd_path(-1), "fd -1");
  EXPECT_EQ(fd_path(AT_FDCWD), ".");
}

TEST(InRootHelpers, ResolverCanBeSwitchedAndRestored) {
  const Resolver before = in_root_resolver();
  set_in_root_resolver(Resolver::fallback_only);
  EXPECT_EQ(in_root_resolver(), Resolver::fallback_only);
  set_in_root_resolver(Resolver::automatic);
  EXPECT_EQ(in_root_resolver(), Resolver::automatic);
  set_in_root_resolver(before);
}
