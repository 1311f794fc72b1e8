#include "runtime/capabilities.hpp"

#include "common/error.hpp"
#include "common/quote.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>

namespace strata::runtime {
namespace {

// Names without the `CAP_` prefix, indexed by capability number (linux/capability.h).
// clang-format off
constexpr std::array<std::string_view, k_last_known_capability + 1> k_names{
    "CHOWN",           "DAC_OVERRIDE",   "DAC_READ_SEARCH", "FOWNER",       "FSETID",
    "KILL",            "SETGID",         "SETUID",          "SETPCAP",      "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",       "NET_RAW",      "IPC_LOCK",
    "IPC_OWNER",       "SYS_MODULE",     "SYS_RAWIO",       "SYS_CHROOT",   "SYS_PTRACE",
    "SYS_PACCT",       "SYS_ADMIN",      "SYS_BOOT",        "SYS_NICE",     "SYS_RESOURCE",
    "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",           "LEASE",        "AUDIT_WRITE",
    "AUDIT_CONTROL",   "SETFCAP",        "MAC_OVERRIDE",    "MAC_ADMIN",    "SYSLOG",
    "WAKE_ALARM",      "BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",      "BPF",
    "CHECKPOINT_RESTORE",
};

constexpr std::array k_docker_default{
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,  CAP_FOWNER,  CAP_MKNOD,
    CAP_NET_RAW, CAP_SETGID,       CAP_SETUID,  CAP_SETFCAP, CAP_SETPCAP,
    CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};
// clang-format on

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// One normalised `--cap-add`/`--cap-drop` value: a capability number or ALL.
struct CapValue {
  bool all = false;
  int cap = -1;
};

CapValue normalise(std::string_view text) {
  std::string name = upper(text);
  if (name == "ALL") {
    return CapValue{true, -1};
  }
  if (!name.starts_with("CAP_")) {
    name.insert(0, "CAP_");
  }
  const std::string_view bare = std::string_view(name).substr(4);
  const auto* it = std::find(k_names.begin(), k_names.end(), bare);
  if (it == k_names.end()) {
    throw Error(ErrorKind::usage, fmt::format("unknown capability: {}", quote_untrusted(name)));
  }
  return CapValue{false, static_cast<int>(it - k_names.begin())};
}

std::vector<CapValue> normalise_all(std::span<const std::string> values) {
  std::vector<CapValue> out;
  out.reserve(values.size());
  for (const auto& v : values) {
    out.push_back(normalise(v));
  }
  return out;
}

bool has_all(const std::vector<CapValue>& values) {
  return std::any_of(values.begin(), values.end(), [](const CapValue& v) { return v.all; });
}

CapabilitySet to_set(const std::vector<CapValue>& values) {
  CapabilitySet set;
  for (const auto& v : values) {
    if (!v.all) {
      set.add(v.cap);
    }
  }
  return set;
}

// /proc/sys/kernel/cap_last_cap without allocating; the newest known cap when unreadable.
int kernel_last_cap() noexcept {
  const int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return k_last_known_capability;
  }
  char buf[16] = {};
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  int value = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) {
    value = value * 10 + (buf[i] - '0');
  }
  return (n > 0 && value > 0 && value < 64) ? value : k_last_known_capability;
}

} // namespace

std::vector<std::string> CapabilitySet::names() const {
  std::vector<std::string> out;
  for (int cap = 0; cap < 64; ++cap) {
    if (has(cap)) {
      out.push_back(capability_name(cap));
    }
  }
  return out;
}

CapabilitySet docker_default_capabilities() noexcept {
  CapabilitySet set;
  for (int cap : k_docker_default) {
    set.add(cap);
  }
  return set;
}

CapabilitySet all_capabilities() noexcept {
  return CapabilitySet((std::uint64_t{1} << (k_last_known_capability + 1)) - 1);
}

int parse_capability(std::string_view text) {
  const CapValue v = normalise(text);
  if (v.all) {
    throw Error(ErrorKind::usage, "ALL is not a single capability");
  }
  return v.cap;
}

std::string capability_name(int cap) {
  if (cap >= 0 && cap <= k_last_known_capability) {
    return fmt::format("CAP_{}", k_names[static_cast<std::size_t>(cap)]);
  }
  return std::to_string(cap);
}

CapabilitySet resolve_capabilities(CapabilitySet base, std::span<const std::string> add,
                                   std::span<const std::string> drop, Privileged privileged) {
  if (privileged == Privileged::yes) {
    return all_capabilities();
  }
  // moby normalises drops before adds, so an error names the first bad drop first.
  const auto drops = normalise_all(drop);
  const auto adds = normalise_all(add);
  const CapabilitySet drop_set = to_set(drops);
  if (has_all(adds)) {
    return CapabilitySet(all_capabilities().mask() & ~drop_set.mask());
  }
  if (has_all(drops)) {
    return to_set(adds);
  }
  return CapabilitySet((base.mask() & ~drop_set.mask()) | to_set(adds).mask());
}

int apply_capabilities(CapabilitySet caps) noexcept {
  const int last = kernel_last_cap();
  for (int cap = 0; cap <= last; ++cap) {
    if (!caps.has(cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return errno;
    }
  }
  // EINVAL: a kernel older than 4.3 has no ambient set, so there is nothing to clear.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return errno;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return errno;
  }
  // Capabilities this process does not hold itself cannot be granted; skip them rather than fail.
  const std::uint64_t held = data[0].permitted | (std::uint64_t{data[1].permitted} << 32);
  const std::uint64_t want = caps.mask() & held;
  for (auto& d : data) {
    d.inheritable = 0;
  }
  data[0].effective = data[0].permitted = static_cast<std::uint32_t>(want);
  data[1].effective = data[1].permitted = static_cast<std::uint32_t>(want >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) {
    return errno;
  }
  return 0;
}

} // namespace strata::runtime
