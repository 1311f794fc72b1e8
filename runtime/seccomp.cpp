#include "runtime/seccomp.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/unique_fd.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <utility>

namespace strata::runtime {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using SeccompCtx = std::unique_ptr<void, CtxDeleter>;

[[noreturn]] void throw_seccomp(std::string_view what, int rc, std::string_view operand = {}) {
  throw_errno(fmt::format("seccomp {}", what), operand, -rc);
}

std::uint32_t to_libseccomp(SeccompAction action, std::optional<int> err) {
  const auto code = static_cast<std::uint16_t>(err.value_or(EPERM));
  switch (action) {
  case SeccompAction::kill_thread:
    return SCMP_ACT_KILL;
  case SeccompAction::kill_process:
    return SCMP_ACT_KILL_PROCESS;
  case SeccompAction::trap:
    return SCMP_ACT_TRAP;
  case SeccompAction::errno_ret:
    return SCMP_ACT_ERRNO(code);
  case SeccompAction::trace:
    return SCMP_ACT_TRACE(code);
  case SeccompAction::allow:
    return SCMP_ACT_ALLOW;
  case SeccompAction::log:
    return SCMP_ACT_LOG;
  case SeccompAction::notify:
    break;
  }
  throw Error(ErrorKind::unsupported, "seccomp action SCMP_ACT_NOTIFY is not supported");
}

scmp_compare to_libseccomp(SeccompOp op) {
  switch (op) {
  case SeccompOp::not_equal:
    return SCMP_CMP_NE;
  case SeccompOp::less:
    return SCMP_CMP_LT;
  case SeccompOp::less_equal:
    return SCMP_CMP_LE;
  case SeccompOp::equal:
    return SCMP_CMP_EQ;
  case SeccompOp::greater_equal:
    return SCMP_CMP_GE;
  case SeccompOp::greater:
    return SCMP_CMP_GT;
  case SeccompOp::masked_equal:
    return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

// Go's GOARCH for the native libseccomp architecture, as `includes.arches` spells it.
std::string_view native_go_arch() {
  switch (seccomp_arch_native()) {
  case SCMP_ARCH_X86_64:
    return "amd64";
  case SCMP_ARCH_X86:
    return "386";
  case SCMP_ARCH_X32:
    return "x32";
  case SCMP_ARCH_AARCH64:
    return "arm64";
  case SCMP_ARCH_ARM:
    return "arm";
  case SCMP_ARCH_PPC64LE:
    return "ppc64le";
  case SCMP_ARCH_S390X:
    return "s390x";
  case SCMP_ARCH_RISCV64:
    return "riscv64";
  default:
    return "unknown";
  }
}

// `(major, minor)` of "4.8" or of the running kernel's release.
std::pair<int, int> kernel_version(std::string_view text) {
  int major = 0;
  int minor = 0;
  std::sscanf(std::string(text).c_str(), "%d.%d", &major, &minor);
  return {major, minor};
}

bool kernel_at_least(std::string_view min) {
  utsname u{};
  ::uname(&u);
  return kernel_version(u.release) >= kernel_version(min);
}

bool holds(CapabilitySet caps, const std::string& name) {
  try {
    return caps.has(parse_capability(name));
  } catch (const Error&) {
    return false; // a capability this build does not know is one the container cannot hold
  }
}

bool rule_applies(const SeccompRule& rule, CapabilitySet caps) {
  const auto& in = rule.includes;
  const auto& ex = rule.excludes;
  const auto arch = native_go_arch();
  const auto is_arch = [&](const std::string& a) { return a == arch; };
  const auto held = [&](const std::string& c) { return holds(caps, c); };
  if (!in.arches.empty() && std::none_of(in.arches.begin(), in.arches.end(), is_arch)) {
    return false;
  }
  if (!in.caps.empty() && !std::all_of(in.caps.begin(), in.caps.end(), held)) {
    return false;
  }
  if (!in.min_kernel.empty() && !kernel_at_least(in.min_kernel)) {
    return false;
  }
  if (std::any_of(ex.arches.begin(), ex.arches.end(), is_arch) ||
      std::any_of(ex.caps.begin(), ex.caps.end(), held)) {
    return false;
  }
  return ex.min_kernel.empty() || !kernel_at_least(ex.min_kernel);
}

// "SCMP_ARCH_X86_64" → libseccomp's token for "x86_64"; 0 when unknown.
std::uint32_t arch_token(const std::string& name) {
  std::string bare = name.starts_with("SCMP_ARCH_") ? name.substr(10) : name;
  std::transform(bare.begin(), bare.end(), bare.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return seccomp_arch_resolve_name(bare.c_str());
}

void add_arch(void* ctx, const std::string& name) {
  const std::uint32_t token = arch_token(name);
  if (token == 0) {
    throw Error(ErrorKind::usage, fmt::format("unknown seccomp architecture {}", name));
  }
  const int rc = seccomp_arch_add(ctx, token);
  if (rc != 0 && rc != -EEXIST) {
    throw_seccomp("add architecture", rc, name);
  }
}

// Docker: `architectures` as given, else the `archMap` entry of the native architecture.
void add_architectures(void* ctx, const SeccompProfile& profile) {
  for (const auto& arch : profile.architectures) {
    add_arch(ctx, arch);
  }
  for (const auto& m : profile.arch_map) {
    if (arch_token(m.architecture) == seccomp_arch_native()) {
      for (const auto& sub : m.sub_architectures) {
        add_arch(ctx, sub);
      }
    }
  }
}

// Several conditions on one argument cannot be ANDed by libseccomp; runc then adds one rule per
// condition, so we do too.
bool repeats_an_index(const std::vector<scmp_arg_cmp>& conds) {
  for (std::size_t i = 0; i < conds.size(); ++i) {
    for (std::size_t k = i + 1; k < conds.size(); ++k) {
      if (conds[i].arg == conds[k].arg) {
        return true;
      }
    }
  }
  return false;
}

void add_rule(void* ctx, const SeccompRule& rule, std::uint32_t action) {
  std::vector<scmp_arg_cmp> conds;
  for (const auto& a : rule.args) {
    conds.push_back({a.index, to_libseccomp(a.op), a.value, a.value_two});
  }
  for (const auto& name : rule.names) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      continue; // unknown to libseccomp on every architecture: nothing to filter
    }
    if (!repeats_an_index(conds)) {
      const int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()),
                                            conds.data());
      if (rc != 0) {
        throw_seccomp("add rule", rc, name);
      }
      continue;
    }
    for (const auto& c : conds) {
      if (const int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c); rc != 0) {
        throw_seccomp("add rule", rc, name);
      }
    }
  }
}

std::vector<sock_filter> export_bpf(void* ctx) {
  const UniqueFd fd(::memfd_create("strata-seccomp", MFD_CLOEXEC));
  if (!fd) {
    throw_errno("memfd_create", "strata-seccomp");
  }
  if (const int rc = seccomp_export_bpf(ctx, fd.get()); rc != 0) {
    throw_seccomp("export", rc);
  }
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    throw Error(ErrorKind::internal, "seccomp export: unexpected program size");
  }
  std::vector<sock_filter> code(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (::pread(fd.get(), code.data(), static_cast<std::size_t>(size), 0) != size) {
    throw_errno("read", "exported seccomp program");
  }
  return code;
}

} // namespace

SeccompProgram compile_seccomp(const SeccompProfile& profile, CapabilitySet caps) {
  const std::uint32_t default_action = to_libseccomp(profile.default_action, profile.default_errno);
  const SeccompCtx ctx(seccomp_init(default_action));
  if (!ctx) {
    throw Error(ErrorKind::io, "seccomp init failed");
  }
  add_architectures(ctx.get(), profile);
  for (const auto& rule : profile.syscalls) {
    const std::uint32_t action = to_libseccomp(rule.action, rule.errno_ret);
    // libseccomp refuses rules equal to the default action; they are no-ops anyway.
    if (action != default_action && rule_applies(rule, caps)) {
      add_rule(ctx.get(), rule, action);
    }
  }
  return SeccompProgram(export_bpf(ctx.get()));
}

int SeccompProgram::install() const noexcept {
  sock_fprog prog{static_cast<unsigned short>(code_.size()),
                  const_cast<sock_filter*>(code_.data())}; // the kernel only reads it
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return errno;
  }
  return 0;
}

std::optional<SeccompProfile> seccomp_profile_for_option(std::string_view value) {
  if (value == "unconfined") {
    return std::nullopt;
  }
  if (value == "builtin" || value == "default") {
    return default_seccomp_profile();
  }
  const std::string path(value);
  return parse_seccomp_profile(read_file(path, 16UL * 1024 * 1024), path);
}

} // namespace strata::runtime
