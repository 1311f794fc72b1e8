// `ExecTarget` and the container's pty (exec_target.hpp).

#include "runtime/exec_target.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/in_root.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

namespace strata::runtime {
namespace {

struct NamespaceKind {
  int type;
  const char* file; // under /proc/PID/ns/
};

// The child's join order (exec_child.hpp): mount last, as it changes root and cwd.
constexpr std::array<NamespaceKind, k_exec_namespaces> k_joined = {{
    {CLONE_NEWIPC, "ipc"},
    {CLONE_NEWUTS, "uts"},
    {CLONE_NEWNET, "net"},
    {CLONE_NEWCGROUP, "cgroup"},
    {CLONE_NEWNS, "mnt"},
}};

bool same_file(int fd, const std::string& path) {
  struct stat a {};
  struct stat b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// /proc/PID/ns/NAME, or an empty fd when the caller is already in that namespace.
UniqueFd open_namespace(const ExecTarget& target, const char* name) {
  const std::string path = fmt::format("/proc/{}/ns/{}", target.pid, name);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    if (target.has_exited()) {
      target.throw_gone();
    }
    if (err == ENOENT && std::strcmp(name, "cgroup") == 0) {
      return {}; // a kernel without cgroup namespaces: there is nothing to join
    }
    throw_errno("open", path, err);
  }
  if (same_file(fd.get(), fmt::format("/proc/self/ns/{}", name))) {
    return {};
  }
  return fd;
}

UniqueFd open_pidfd(pid_t pid) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    if (errno == ESRCH) {
      throw Error(ErrorKind::not_found, fmt::format("container process {} is not running", pid));
    }
    throw_errno("pidfd_open", std::to_string(pid));
  }
  return pidfd;
}

} // namespace

ExecTarget ExecTarget::open(pid_t pid, std::uint64_t start_time) {
  ExecTarget target;
  target.pid = pid;
  if (pid <= 0) {
    target.throw_gone();
  }
  target.pidfd = open_pidfd(pid);
  // The PID was alive with this start time when the caller recorded it and is alive with it
  // now, so it was never reused in between: the pidfd is that process's.
  if (start_time != 0 && process_start_time(pid) != start_time) {
    target.throw_gone();
  }
  const std::string root_path = fmt::format("/proc/{}/root", pid);
  target.root = UniqueFd(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!target.root) {
    const int err = errno;
    if (target.has_exited()) {
      target.throw_gone();
    }
    throw_errno("open", root_path, err);
  }
  target.pid_namespace = open_namespace(target, "pid");
  for (std::size_t i = 0; i < k_joined.size(); ++i) {
    target.namespaces[i] = open_namespace(target, k_joined[i].file);
  }
  // Alive after every open: each descriptor is the pinned process's.
  if (target.has_exited()) {
    target.throw_gone();
  }
  return target;
}

std::array<NamespaceJoin, k_exec_namespaces> ExecTarget::joins() const noexcept {
  std::array<NamespaceJoin, k_exec_namespaces> joins;
  for (std::size_t i = 0; i < k_joined.size(); ++i) {
    joins[i] = {namespaces[i].get(), k_joined[i].type};
  }
  return joins;
}

bool ExecTarget::has_exited() const {
  if (!pidfd) {
    return true;
  }
  pollfd fd{pidfd.get(), POLLIN, 0};
  while (::poll(&fd, 1, 0) < 0) {
    if (errno != EINTR) {
      throw_errno("poll the container's pidfd");
    }
  }
  return (fd.revents & POLLIN) != 0;
}

void ExecTarget::throw_gone() const {
  throw Error(ErrorKind::not_found, fmt::format("container process {} is not running", pid));
}

Pty open_container_pty(int root_fd) {
  const UniqueFd path = open_in_root(root_fd, "dev/pts/ptmx", O_PATH);
  struct stat st {};
  struct statfs fs {};
  if (::fstat(path.get(), &st) != 0 || ::fstatfs(path.get(), &fs) != 0) {
    throw_errno("stat", "the container's /dev/pts/ptmx");
  }
  constexpr auto k_devpts_magic = 0x1cd1;
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2 ||
      fs.f_type != k_devpts_magic) {
    throw Error(ErrorKind::io, "the container's /dev/pts/ptmx is not a devpts ptmx");
  }
  const std::string reopen = fmt::format("/proc/self/fd/{}", path.get());
  Pty pty;
  pty.master = UniqueFd(::open(reopen.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) {
    throw_errno("open", "the container's /dev/pts/ptmx");
  }
  int unlock = 0;
  if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0) {
    throw_errno("unlock the container's pty");
  }
  pty.slave = UniqueFd(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave) {
    throw_errno("open the container's pty slave");
  }
  return pty;
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  const std::string path = fmt::format("/proc/{}/stat", pid);
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return std::nullopt;
  }
  const std::string stat = read_fd(fd.get(), path, 4096);
  // "PID (comm) S PPID ...": comm may hold spaces and ')', so fields count from the last ')';
  // the start time is field 22, the 20th after it.
  std::size_t at = stat.rfind(')');
  for (int field = 2; field < 22 && at != std::string::npos; ++field) {
    at = stat.find(' ', at + 1);
  }
  if (at == std::string::npos) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const char* begin = stat.data() + at + 1;
  const auto [end, ec] = std::from_chars(begin, stat.data() + stat.size(), value);
  if (ec != std::errc() || end == begin) {
    return std::nullopt;
  }
  return value;
}

} // namespace strata::runtime
