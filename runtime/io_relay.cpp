// `IoRelay` (io_relay.hpp).

#include "runtime/io_relay.hpp"

#include "common/error.hpp"
#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace strata::runtime {
namespace {

constexpr std::size_t k_chunk = 64 * 1024;

// Writes all of `data`; false when the destination is gone (EPIPE) or failing.
bool write_all_to(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

} // namespace

void IoRelay::add_output(UniqueFd from, int to, LogStream stream) {
  outputs_.push_back(Output{std::move(from), to, stream});
}

void IoRelay::add_input(int from, int to) {
  UniqueFd copy(::fcntl(to, F_DUPFD_CLOEXEC, 3));
  if (!copy) {
    throw_errno("dup");
  }
  // Shared with every duplicate of `to` (a pty master's reader too: `pump` takes EAGAIN).
  if (::fcntl(copy.get(), F_SETFL, ::fcntl(copy.get(), F_GETFL) | O_NONBLOCK) != 0) {
    throw_errno("fcntl O_NONBLOCK");
  }
  Input input;
  input.from = from;
  input.to = std::move(copy);
  inputs_.push_back(std::move(input));
}

void IoRelay::add_pollfds(std::vector<pollfd>& fds) const {
  for (const Output& output : outputs_) {
    fds.push_back({output.from ? output.from.get() : -1, POLLIN, 0});
  }
  // One entry per input: the container's side while something waits for it, else the caller's.
  for (const Input& input : inputs_) {
    if (!input.to) {
      fds.push_back({-1, 0, 0});
    } else if (!input.pending.empty()) {
      fds.push_back({input.to.get(), POLLOUT, 0});
    } else {
      fds.push_back({input.eof ? -1 : input.from, POLLIN, 0});
    }
  }
}

bool IoRelay::pump(Output& output) {
  char buffer[k_chunk];
  ssize_t n = ::read(output.from.get(), buffer, sizeof buffer);
  while (n < 0 && errno == EINTR) {
    n = ::read(output.from.get(), buffer, sizeof buffer);
  }
  if (n < 0 && errno == EAGAIN) {
    return true; // a non-blocking pty master (add_input) with nothing yet
  }
  if (n <= 0) { // EOF, or EIO from a pty master whose slave is closed
    output.from = UniqueFd();
    return false;
  }
  const auto size = static_cast<std::size_t>(n);
  if (output.to >= 0 && !write_all_to(output.to, buffer, size)) {
    output.to = -1;
  }
  if (log_ != nullptr) {
    log_->write(output.stream, std::string_view(buffer, size));
  }
  return true;
}

void IoRelay::read_input(Input& input) {
  char buffer[k_chunk];
  const ssize_t n = ::read(input.from, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return;
  }
  if (n <= 0) {
    input.eof = true;
  } else {
    input.pending.append(buffer, static_cast<std::size_t>(n));
  }
  flush_input(input);
}

void IoRelay::flush_input(Input& input) {
  while (!input.pending.empty()) {
    const ssize_t n = ::write(input.to.get(), input.pending.data(), input.pending.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      return; // the container has not read yet: POLLOUT will tell
    }
    if (n <= 0) { // EPIPE: the container closed its stdin
      input.to = UniqueFd();
      input.pending.clear();
      return;
    }
    input.pending.erase(0, static_cast<std::size_t>(n));
  }
  if (input.eof) {
    input.to = UniqueFd(); // the container sees its stdin end
  }
}

void IoRelay::handle(const pollfd* fds) {
  std::size_t i = 0;
  for (Output& output : outputs_) {
    if ((fds[i++].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && output.from) {
      pump(output);
    }
  }
  for (Input& input : inputs_) {
    const pollfd& p = fds[i++];
    if (!input.to || (p.revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) == 0) {
      continue;
    }
    if ((p.events & POLLOUT) != 0) {
      flush_input(input);
    } else {
      read_input(input);
    }
  }
}

void IoRelay::drain() {
  inputs_.clear();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> fds;
    for (const Output& output : outputs_) {
      fds.push_back({output.from ? output.from.get() : -1, POLLIN, 0});
    }
    if (std::none_of(fds.begin(), fds.end(), [](const pollfd& p) { return p.fd >= 0; })) {
      break;
    }
    const int ready = ::poll(fds.data(), fds.size(), 200);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      break;
    }
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      if (fds[i].revents != 0 && outputs_[i].from) {
        pump(outputs_[i]);
      }
    }
  }
  outputs_.clear();
  if (log_ != nullptr) {
    log_->close();
  }
}

bool IoRelay::on_signal(int sig) {
  if (sig != SIGWINCH || pty_master_ < 0) {
    return false;
  }
  copy_window_size(terminal_, pty_master_);
  return true;
}

} // namespace strata::runtime
