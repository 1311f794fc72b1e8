#include "common/error.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace strata {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage: return "usage";
  case ErrorKind::parse: return "parse";
  case ErrorKind::not_found: return "not_found";
  case ErrorKind::already_exists: return "already_exists";
  case ErrorKind::conflict: return "conflict";
  case ErrorKind::io: return "io";
  case ErrorKind::corrupt: return "corrupt";
  case ErrorKind::child_failed: return "child_failed";
  case ErrorKind::unsupported: return "unsupported";
  case ErrorKind::cancelled: return "cancelled";
  case ErrorKind::internal: return "internal";
  }
  return "internal";
}

Error::Error(ErrorKind kind, std::string message, int sys_errno)
    : std::runtime_error(message), kind_(kind), errno_(sys_errno), message_(std::move(message)) {
  render();
}

Error::Error(ErrorKind kind, std::string message, SourceRange where)
    : std::runtime_error(message), kind_(kind), message_(std::move(message)),
      where_(std::move(where)) {
  render();
}

Error& Error::add_context(std::string frame) {
  frames_.push_back(std::move(frame));
  render();
  return *this;
}

Error& Error::set_source_line(std::string line) {
  source_line_ = std::move(line);
  return *this;
}

void Error::render() {
  std::string out;
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  if (where_ && !where_->file.empty()) {
    out += where_->file;
    if (where_->line > 0) {
      out += fmt::format(":{}", where_->line);
      if (where_->column > 0) {
        out += fmt::format(":{}", where_->column);
      }
    }
    out += ": ";
  }
  out += message_;
  if (errno_ != 0) {
    out += ": ";
    out += std::strerror(errno_);
  }
  rendered_ = std::move(out);
}

void throw_errno(std::string_view operation, std::string_view operand, int err) {
  const int code = err < 0 ? errno : err;
  std::string message(operation);
  if (!operand.empty()) {
    message += ' ';
    message += operand;
  }
  throw Error(ErrorKind::io, std::move(message), code);
}

void throw_check_failure(const char* condition, const char* file, int line, const char* function) {
  throw Error(ErrorKind::internal, fmt::format("internal check failed: {} at {}:{} in {}", condition,
                                               file, line, function));
}

} // namespace strata
