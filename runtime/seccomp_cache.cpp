#include "runtime/seccomp_cache.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "runtime/seccomp.hpp"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <optional>

namespace strata::runtime {
namespace {

constexpr std::size_t k_max_instructions = 4096; // BPF_MAXINSNS

std::optional<std::string> cache_key(CapabilitySet caps) {
  struct stat exe {};
  utsname kernel{};
  if (::stat("/proc/self/exe", &exe) != 0 || ::uname(&kernel) != 0) {
    return std::nullopt;
  }
  const scmp_version* lib = ::seccomp_version();
  std::string release = kernel.release;
  for (char& c : release) {
    c = (c == '/' ? '_' : c);
  }
  return fmt::format("{:016x}-{}-{}.{}.{}-{:x}-{:x}-{:x}-{:x}.{:09}", caps.mask(), release,
                     lib->major, lib->minor, lib->micro, exe.st_dev, exe.st_ino, exe.st_size,
                     exe.st_mtim.tv_sec, exe.st_mtim.tv_nsec);
}

std::optional<std::vector<sock_filter>> read_program(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
      st.st_size % sizeof(sock_filter) != 0 ||
      static_cast<std::size_t>(st.st_size) > k_max_instructions * sizeof(sock_filter)) {
    return std::nullopt;
  }
  std::vector<sock_filter> code(static_cast<std::size_t>(st.st_size) / sizeof(sock_filter));
  const ssize_t n = ::pread(fd.get(), code.data(), static_cast<std::size_t>(st.st_size), 0);
  if (n != st.st_size) {
    return std::nullopt;
  }
  return code;
}

void write_program(const std::string& dir, const std::string& path,
                   const std::vector<sock_filter>& code) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw_errno("mkdir", dir);
  }
  const std::string temp = fmt::format("{}.tmp-{}", path, ::getpid());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    throw_errno("create", temp);
  }
  const std::size_t size = code.size() * sizeof(sock_filter);
  if (::write(fd.get(), code.data(), size) != static_cast<ssize_t>(size)) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw_errno("write", temp, err);
  }
  fd.close();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw_errno("rename", temp, err);
  }
}

} // namespace

std::vector<sock_filter> default_seccomp_program(CapabilitySet caps, const std::string& dir) {
  const std::optional<std::string> key = cache_key(caps);
  const std::string path = key ? dir + "/default-" + *key + ".bpf" : std::string();
  if (key) {
    if (std::optional<std::vector<sock_filter>> cached = read_program(path)) {
      return std::move(*cached);
    }
  }
  std::vector<sock_filter> code = compile_seccomp(default_seccomp_profile(), caps).code();
  if (key) {
    try {
      write_program(dir, path, code);
    } catch (const Error& e) {
      log::debug("seccomp cache: {}", e.what());
    }
  }
  return code;
}

} // namespace strata::runtime
