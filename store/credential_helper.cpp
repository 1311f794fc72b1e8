// `run_credential_helper` (credential_helper.hpp): posix_spawnp with a socketpair for stdin and
// pipes for stdout and stderr, then one poll loop until both outputs end or the deadline passes.

#include "store/credential_helper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace strata::store {
namespace {

constexpr std::size_t k_max_output = 1024UL * 1024;

// The spawned helper: killed and reaped by the destructor unless `wait` reaped it.
class Child {
public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  [[nodiscard]] int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) {
        throw_errno("waitpid");
      }
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

private:
  pid_t pid_;
};

struct SpawnAttrs {
  posix_spawn_file_actions_t actions{};
  SpawnAttrs() { ::posix_spawn_file_actions_init(&actions); }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
  ~SpawnAttrs() { ::posix_spawn_file_actions_destroy(&actions); }
};

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw_errno("pipe2");
  }
  read_end = UniqueFd(fds[0]);
  write_end = UniqueFd(fds[1]);
}

void set_nonblocking(int fd) {
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    throw_errno("fcntl O_NONBLOCK");
  }
}

// Reads what is there into `into` (capped); returns false at EOF.
bool drain(int fd, std::string& into) {
  std::array<char, 4096> buffer{};
  const ssize_t n = ::read(fd, buffer.data(), buffer.size());
  if (n < 0) {
    return errno == EAGAIN || errno == EINTR;
  }
  if (n == 0) {
    return false;
  }
  if (into.size() < k_max_output) {
    into.append(buffer.data(),
                std::min<std::size_t>(static_cast<std::size_t>(n), k_max_output - into.size()));
  }
  return true;
}

} // namespace

HelperOutput run_credential_helper(std::string_view name, std::string_view action,
                                   std::string_view input, std::chrono::milliseconds timeout) {
  const std::string program = fmt::format("docker-credential-{}", name);
  std::array<int, 2> sock{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock.data()) != 0) {
    throw_errno("socketpair");
  }
  UniqueFd in_child(sock[0]);
  UniqueFd in_parent(sock[1]);
  UniqueFd out_read;
  UniqueFd out_write;
  UniqueFd err_read;
  UniqueFd err_write;
  make_pipe(out_read, out_write);
  make_pipe(err_read, err_write);

  SpawnAttrs attrs;
  ::posix_spawn_file_actions_adddup2(&attrs.actions, in_child.get(), 0);
  ::posix_spawn_file_actions_adddup2(&attrs.actions, out_write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&attrs.actions, err_write.get(), 2);
  ::posix_spawn_file_actions_addclosefrom_np(&attrs.actions, 3);
  std::string action_arg(action);
  std::array<char*, 3> argv{const_cast<char*>(program.c_str()), action_arg.data(), nullptr};
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, program.c_str(), &attrs.actions, nullptr, argv.data(), environ);
  if (rc == ENOENT) {
    throw Error(ErrorKind::not_found,
                fmt::format("{}: executable file not found in $PATH", program));
  }
  if (rc != 0) {
    throw_errno("spawn", program, rc);
  }
  Child child(pid);
  in_child = UniqueFd();
  out_write = UniqueFd();
  err_write = UniqueFd();
  set_nonblocking(in_parent.get());
  set_nonblocking(out_read.get());
  set_nonblocking(err_read.get());

  HelperOutput result;
  std::size_t sent = 0;
  if (input.empty()) {
    ::shutdown(in_parent.get(), SHUT_WR);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw Error(ErrorKind::child_failed, fmt::format("{} {}: no answer after {} s: killed",
                                                       program, action, timeout.count() / 1000));
    }
    std::array<pollfd, 3> fds{{{out_open ? out_read.get() : -1, POLLIN, 0},
                               {err_open ? err_read.get() : -1, POLLIN, 0},
                               {sent < input.size() ? in_parent.get() : -1, POLLOUT, 0}}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) {
      throw_errno("poll");
    }
    if (fds[0].revents != 0) {
      out_open = drain(out_read.get(), result.out);
    }
    if (fds[1].revents != 0) {
      err_open = drain(err_read.get(), result.err);
    }
    if (fds[2].revents != 0) {
      const ssize_t n =
          ::send(in_parent.get(), input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (errno != EAGAIN && errno != EINTR) {
        sent = input.size(); // it stopped reading: what it says matters, not the rest
      }
      if (sent == input.size()) {
        ::shutdown(in_parent.get(), SHUT_WR);
      }
    }
  }
  result.exit_status = child.wait();
  return result;
}

} // namespace strata::store
