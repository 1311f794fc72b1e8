#include "common/in_root.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"

namespace strata {
namespace {

// The kernel's MAXSYMLINKS: 40 symlinks may be followed, the 41st is ELOOP.
constexpr int k_max_symlinks = 40;
// openat2 RESOLVE_IN_ROOT returns EAGAIN when any rename or mount happened on the system while
// it walked `..`; after this many tries the walker (which needs no such check) answers instead.
constexpr int k_openat2_attempts = 16;
// `create_in_root(Replace::yes)`: unlink-and-create rounds before giving up on a racing writer.
constexpr int k_replace_attempts = 8;
// The inode number of the procfs root directory (fs/proc/root.c).
constexpr ino_t k_proc_root_ino = 1;

// ---------------------------------------------------------------------------------------------
// Resolver selection

std::atomic<Resolver> g_resolver{Resolver::automatic};

enum class Openat2 { unknown, available, missing };
std::atomic<Openat2> g_openat2{Openat2::unknown};

long raw_openat2(int dir_fd, const char* path, int flags, mode_t mode, std::uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(static_cast<unsigned>(flags | O_CLOEXEC));
  const bool takes_mode = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = takes_mode ? mode : 0;
  how.resolve = resolve;
  return ::syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
}

// Probes once per process. EPERM counts as missing: older container seccomp profiles answer
// unknown system calls with EPERM instead of ENOSYS. STRATA_NO_OPENAT2=1 plays such a kernel.
Openat2 probe_openat2() {
  const char* blocked = std::getenv("STRATA_NO_OPENAT2");
  if (blocked != nullptr && std::string_view(blocked) == "1") {
    return Openat2::missing;
  }
  const long fd = raw_openat2(AT_FDCWD, "/", O_PATH, 0, RESOLVE_NO_MAGICLINKS);
  const bool missing = fd < 0 && (errno == ENOSYS || errno == EPERM);
  const UniqueFd probe(static_cast<int>(fd));
  return missing ? Openat2::missing : Openat2::available;
}

bool openat2_usable() {
  if (g_resolver.load() == Resolver::fallback_only) {
    return false;
  }
  Openat2 state = g_openat2.load();
  if (state == Openat2::unknown) {
    state = probe_openat2();
    g_openat2.store(state);
  }
  return state == Openat2::available;
}

// -1 with errno set on failure, after retrying EAGAIN/EINTR.
int openat2_in_root(int root_fd, const char* path, int flags, mode_t mode) {
  for (int attempt = 0; attempt < k_openat2_attempts; ++attempt) {
    const long fd =
        raw_openat2(root_fd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) {
      return static_cast<int>(fd);
    }
    if (errno != EAGAIN && errno != EINTR) {
      return -1;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Argument checks and messages

[[noreturn]] void fail(std::string_view operation, int root_fd, std::string_view path, int err) {
  throw_errno(operation, fmt::format("{} under {}", path, fd_path(root_fd)), err);
}

// Validated once so both resolvers reject the same inputs.
std::string checked_path(std::string_view operation, int root_fd, std::string_view path) {
  int err = 0;
  if (path.empty()) {
    err = ENOENT;
  } else if (path.find('\0') != std::string_view::npos) {
    err = EINVAL;
  } else if (path.size() >= PATH_MAX) {
    err = ENAMETOOLONG;
  }
  if (err != 0) {
    fail(operation, root_fd, path, err);
  }
  return std::string(path);
}

// ---------------------------------------------------------------------------------------------
// The fallback walker

// What the walker does with a missing intermediate component.
enum class Missing { fail, create_dir };

// One resolution in progress. `stack` holds the directories walked below the root (`back()` is
// the current one); `todo` the components still to resolve, symlink targets spliced in front.
class Walk {
public:
  Walk(std::string_view operation, int root_fd, std::string_view path)
      : operation_(operation), root_(root_fd), path_(path) {
    splice(path);
  }

  [[nodiscard]] int cur() const { return stack_.empty() ? root_ : stack_.back().get(); }
  [[nodiscard]] bool done() const { return todo_.empty(); }
  [[noreturn]] void fail(int err) const { strata::fail(operation_, root_, path_, err); }

  std::string next() {
    std::string name = std::move(todo_.front());
    todo_.pop_front();
    return name;
  }
  // `..` never climbs above the root: at the root the stack is empty and this is a no-op.
  void pop() {
    if (!stack_.empty()) {
      stack_.pop_back();
    }
  }
  void push(UniqueFd dir) { stack_.push_back(std::move(dir)); }
  void follow(const UniqueFd& link);

private:
  void splice(std::string_view path);

  std::string_view operation_;
  int root_;
  std::string_view path_;
  std::vector<UniqueFd> stack_;
  std::deque<std::string> todo_;
  int links_ = 0;
};

// Puts the components of `path` in front of `todo_`. An absolute path restarts at the root; a
// trailing `/` becomes a final `.`.
void Walk::splice(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, end - pos);
    // A final `.` is kept: like a trailing `/`, it requires the component before to be a directory.
    if (!part.empty() && (part != "." || end == path.size())) {
      parts.emplace_back(part);
    }
    pos = end + 1;
  }
  if (path.back() == '/') {
    parts.emplace_back(".");
  }
  if (path.front() == '/') {
    stack_.clear();
  }
  todo_.insert(todo_.begin(), parts.begin(), parts.end());
}

bool is_symlink(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
}

// A symlink on procfs below its top level (`/proc/<pid>/fd/N`, `/proc/self/exe`, ...) is a magic
// link: following it jumps to an object instead of a path, so it could leave any root. The
// ordinary top-level ones (`self`, `thread-self`, `mounts`, `net`) are allowed, like the kernel's
// RESOLVE_NO_MAGICLINKS allows them.
bool is_magic_link(int parent_fd, int link_fd) {
  struct statfs fs {};
  if (::fstatfs(link_fd, &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
    return false;
  }
  struct stat parent {};
  return ::fstatat(parent_fd, "", &parent, AT_EMPTY_PATH) != 0 || parent.st_ino != k_proc_root_ino;
}

void Walk::follow(const UniqueFd& link) {
  if (++links_ > k_max_symlinks || is_magic_link(cur(), link.get())) {
    fail(ELOOP);
  }
  std::array<char, PATH_MAX> target{};
  // readlinkat on the pinned O_PATH fd: the link we looked at is the link we read.
  const ssize_t n = ::readlinkat(link.get(), "", target.data(), target.size());
  if (n < 0) {
    fail(errno);
  }
  if (n == 0 || static_cast<std::size_t>(n) >= target.size()) {
    fail(n == 0 ? ENOENT : ENAMETOOLONG);
  }
  splice(std::string_view(target.data(), static_cast<std::size_t>(n)));
}

// The component itself, never following it. Empty with errno set on failure.
UniqueFd lookup(int dir_fd, const std::string& name) {
  return UniqueFd(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
}

// An intermediate component: it must be a directory (entered) or a symlink (followed).
void enter(Walk& walk, const std::string& name, Missing missing, mode_t mode) {
  UniqueFd next = lookup(walk.cur(), name);
  if (!next && errno == ENOENT && missing == Missing::create_dir) {
    if (::mkdirat(walk.cur(), name.c_str(), mode) != 0 && errno != EEXIST) {
      walk.fail(errno);
    }
    next = lookup(walk.cur(), name);
  }
  if (!next) {
    walk.fail(errno);
  }
  struct stat st {};
  if (::fstat(next.get(), &st) != 0) {
    walk.fail(errno);
  }
  if (S_ISLNK(st.st_mode)) {
    walk.follow(next);
  } else if (S_ISDIR(st.st_mode)) {
    walk.push(std::move(next));
  } else {
    walk.fail(ENOTDIR);
  }
}

// The last component, opened with the caller's flags plus O_NOFOLLOW so that a symlink is never
// followed by the kernel. Empty when it was a symlink to follow (its target is now in `todo`).
std::optional<UniqueFd> open_last(Walk& walk, const std::string& name, int flags, mode_t mode) {
  const bool follow = (flags & O_NOFOLLOW) == 0;
  UniqueFd file(::openat(walk.cur(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
  if (file) {
    // Only O_PATH|O_NOFOLLOW can open a symlink itself.
    if (follow && (flags & O_PATH) != 0 && is_symlink(file.get())) {
      walk.follow(file);
      return std::nullopt;
    }
    return file;
  }
  // A final symlink shows as ELOOP (ENOTDIR with O_DIRECTORY); O_EXCL's EEXIST never follows.
  const int err = errno;
  if (!follow || (err != ELOOP && err != ENOTDIR)) {
    walk.fail(err);
  }
  UniqueFd link = lookup(walk.cur(), name);
  if (!link || !is_symlink(link.get())) {
    walk.fail(err);
  }
  walk.follow(link);
  return std::nullopt;
}

// Walks `todo` to its end; with `last_flags` the last component is opened with them, otherwise
// (mkdir_all) every component is entered as a directory and the last one is returned.
UniqueFd walk_all(Walk& walk, std::optional<int> last_flags, Missing missing, mode_t mode) {
  while (!walk.done()) {
    const std::string name = walk.next();
    if (name == ".") {
      // Only a path's end keeps one; the component before it was entered, so it is a directory.
      continue;
    }
    if (name == "..") {
      walk.pop();
    } else if (!walk.done() || !last_flags) {
      enter(walk, name, missing, mode);
    } else if (auto file = open_last(walk, name, *last_flags, mode)) {
      return std::move(*file);
    }
  }
  // The path ended on the root, `.` or `..`: open the directory we stand in.
  const int flags = last_flags.value_or(O_PATH | O_DIRECTORY);
  UniqueFd here(::openat(walk.cur(), ".", flags | O_CLOEXEC, mode));
  if (!here) {
    walk.fail(errno);
  }
  return here;
}

UniqueFd fallback_open(int root_fd, std::string_view path, int flags, mode_t mode) {
  Walk walk("open in root", root_fd, path);
  return walk_all(walk, flags, Missing::fail, mode);
}

std::pair<std::string_view, std::string_view> split_last(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return {"/", path};
  }
  const std::string_view parent = path.substr(0, slash);
  return {parent.empty() ? "/" : parent, path.substr(slash + 1)};
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Public API

void set_in_root_resolver(Resolver resolver) noexcept {
  g_resolver.store(resolver);
}

Resolver in_root_resolver() noexcept {
  return g_resolver.load();
}

UniqueFd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode) {
  const std::string checked = checked_path("open in root", root_fd, path);
  if (openat2_usable()) {
    UniqueFd file(openat2_in_root(root_fd, checked.c_str(), flags, mode));
    if (file) {
      return file;
    }
    const int err = errno;
    if (err == ENOSYS) {
      g_openat2.store(Openat2::missing);
    } else if (err != EAGAIN && err != EINTR) {
      fail("open in root", root_fd, path, err);
    }
  }
  return fallback_open(root_fd, checked, flags, mode);
}

void mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode) {
  const std::string checked = checked_path("mkdir in root", root_fd, path);
  try {
    // The common case: everything exists already, one openat2.
    std::ignore = open_in_root(root_fd, checked, O_PATH | O_DIRECTORY);
    return;
  } catch (const Error& e) {
    if (e.sys_errno() != ENOENT) {
      fail("mkdir in root", root_fd, path, e.sys_errno());
    }
  }
  Walk walk("mkdir in root", root_fd, checked);
  std::ignore = walk_all(walk, std::nullopt, Missing::create_dir, mode);
}

UniqueFd create_in_root(int root_fd, std::string_view path, int flags, mode_t mode,
                        Replace replace) {
  const std::string checked = checked_path("create in root", root_fd, path);
  const auto [parent_path, name_view] = split_last(checked);
  if (name_view.empty() || name_view == "." || name_view == "..") {
    fail("create in root", root_fd, path, EINVAL);
  }
  const std::string name(name_view);
  const UniqueFd parent = open_in_root(root_fd, parent_path, O_PATH | O_DIRECTORY);
  const int create_flags = flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  for (int attempt = 0;; ++attempt) {
    UniqueFd file(::openat(parent.get(), name.c_str(), create_flags, mode));
    if (file) {
      return file;
    }
    const int err = errno;
    if (err != EEXIST || replace == Replace::no || attempt == k_replace_attempts) {
      fail("create in root", root_fd, path, err);
    }
    // unlinkat without AT_REMOVEDIR refuses directories (EISDIR) and never follows symlinks.
    if (::unlinkat(parent.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      fail("create in root", root_fd, path, errno);
    }
  }
}

std::string fd_path(int fd) {
  if (fd == AT_FDCWD) {
    return ".";
  }
  std::array<char, PATH_MAX> buf{};
  const std::string link = fmt::format("/proc/self/fd/{}", fd);
  const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= buf.size()) {
    return fmt::format("fd {}", fd);
  }
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

} // namespace strata
