#include "runtime/etc_files.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

namespace strata::runtime {
namespace {

constexpr std::size_t k_max_host_file = 1024 * 1024;

bool is_localhost_nameserver(std::string_view line) {
  std::istringstream words{std::string(line)};
  std::string keyword;
  std::string address;
  words >> keyword >> address;
  return keyword == "nameserver" &&
         (address.starts_with("127.") || address == "::1" || address == "0.0.0.0");
}

std::string host_file(const char* path) {
  try {
    return read_file(path, k_max_host_file);
  } catch (const Error&) {
    return {}; // a host without the file: the container gets the defaults
  }
}

void write_text(const std::string& path, std::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) {
    throw_errno("create", path);
  }
  while (!text.empty()) {
    const ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0) {
      throw_errno("write", path);
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  fd.close();
}

} // namespace

std::string container_resolv_conf(std::string_view host_resolv_conf) {
  std::string out;
  bool has_nameserver = false;
  while (!host_resolv_conf.empty()) {
    const std::size_t end = host_resolv_conf.find('\n');
    const std::string_view line = host_resolv_conf.substr(0, end);
    host_resolv_conf.remove_prefix(end == std::string_view::npos ? host_resolv_conf.size()
                                                                 : end + 1);
    if (is_localhost_nameserver(line)) {
      continue;
    }
    has_nameserver = has_nameserver || line.starts_with("nameserver");
    out.append(line).push_back('\n');
  }
  if (!has_nameserver) {
    out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  }
  return out;
}

void write_etc_files(const ContainerSpec& spec) {
  std::string hosts = k_default_hosts;
  if (spec.network == NetworkMode::host) {
    if (std::string host = host_file("/etc/hosts"); !host.empty()) {
      hosts = std::move(host);
    }
  }
  write_text(spec.state_dir + "/hosts", hosts);
  write_text(spec.state_dir + "/hostname", spec.hostname + "\n");
  const std::string resolv = spec.network == NetworkMode::host
                                 ? host_file("/etc/resolv.conf")
                                 : container_resolv_conf(host_file("/etc/resolv.conf"));
  write_text(spec.state_dir + "/resolv.conf", resolv);
}

} // namespace strata::runtime
