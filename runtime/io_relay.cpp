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
  inputs_.push_back(Input{from, std::move(copy)});
}

void IoRelay::add_pollfds(std::vector<pollfd>& fds) const {
  for (const Output& output : outputs_) {
    fds.push_back({output.from ? output.from.get() : -1, POLLIN, 0});
  }
  for (const Input& input : inputs_) {
    fds.push_back({input.to ? input.from : -1, POLLIN, 0});
  }
}

bool IoRelay::pump(Output& output) {
  char buffer[k_chunk];
  ssize_t n = ::read(output.from.get(), buffer, sizeof buffer);
  while (n < 0 && errno == EINTR) {
    n = ::read(output.from.get(), buffer, sizeof buffer);
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

void IoRelay::pump_input() {
  for (Input& input : inputs_) {
    if (!input.to) {
      continue;
    }
    char buffer[k_chunk];
    const ssize_t n = ::read(input.from, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0 || !write_all_to(input.to.get(), buffer, static_cast<std::size_t>(n))) {
      input.to = UniqueFd(); // EOF: the container sees its stdin close
    }
  }
}

void IoRelay::handle(const pollfd* fds) {
  std::size_t i = 0;
  for (Output& output : outputs_) {
    if ((fds[i++].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && output.from) {
      pump(output);
    }
  }
  bool input_ready = false;
  for (std::size_t j = 0; j < inputs_.size(); ++j) {
    input_ready = input_ready || (fds[i++].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  }
  if (input_ready) {
    pump_input();
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
