#include "runtime/user.hpp"

#include "common/error.hpp"
#include "common/in_root.hpp"
#include "common/quote.hpp"
#include "common/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>

namespace strata::runtime {
namespace {

constexpr long k_max_id = 2147483647;

struct PasswdEntry {
  std::string_view name;
  long uid = 0;
  long gid = 0;
  std::string_view home;
};

struct GroupEntry {
  std::string_view name;
  long gid = 0;
  std::string_view members; // comma-separated
};

// Go's strconv.Atoi: optional sign, decimal digits, the whole string; nullopt otherwise.
std::optional<long> parse_int(std::string_view text) {
  const bool negative = text.starts_with('-');
  if (text.starts_with('+') || negative) {
    text.remove_prefix(1);
  }
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view space = " \t\r\n\v\f";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Field `index` of a `:`-separated line, empty when missing (runc's parseLine).
std::string_view field(std::string_view line, std::size_t index) {
  for (std::size_t i = 0; i < index; ++i) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return {};
    }
    line.remove_prefix(colon + 1);
  }
  return line.substr(0, line.find(':'));
}

// Calls `fn(line)` for each trimmed non-empty line until it returns true.
template <typename F> void for_each_line(std::string_view text, F fn) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && fn(line)) {
      return;
    }
  }
}

PasswdEntry parse_passwd(std::string_view line) {
  return {field(line, 0), parse_int(field(line, 2)).value_or(0),
          parse_int(field(line, 3)).value_or(0), field(line, 5)};
}

GroupEntry parse_group(std::string_view line) {
  return {field(line, 0), parse_int(field(line, 2)).value_or(0), field(line, 3)};
}

bool lists_member(std::string_view members, std::string_view name) {
  while (!members.empty()) {
    const auto comma = members.find(',');
    if (members.substr(0, comma) == name) {
      return true;
    }
    members = comma == std::string_view::npos ? std::string_view{} : members.substr(comma + 1);
  }
  return false;
}

// Names as Docker prints them when they are plain; anything else quoted and escaped, since the
// spec may come from an untrusted image config.
std::string display(std::string_view name) {
  const bool plain = name.size() <= 100 && std::all_of(name.begin(), name.end(),
                                                       [](char c) { return c > ' ' && c < 0x7f; });
  return plain ? std::string(name) : quote_untrusted(name);
}

void check_range(long id) {
  if (id < 0 || id > k_max_id) {
    throw Error(ErrorKind::usage, "uids and gids must be in range 0-2147483647");
  }
}

std::optional<PasswdEntry> find_user(const std::string* passwd, std::string_view user,
                                     std::optional<long> uid) {
  std::optional<PasswdEntry> found;
  if (passwd != nullptr) {
    for_each_line(*passwd, [&](std::string_view line) {
      const PasswdEntry e = parse_passwd(line);
      const bool match = uid ? e.uid == *uid : e.name == user;
      if (match) {
        found = e;
      }
      return match;
    });
  }
  return found;
}

// The explicit group of `user:group`.
gid_t resolve_group(const std::string* group, std::string_view name) {
  const auto gid = parse_int(name);
  std::optional<long> found;
  if (group != nullptr) {
    for_each_line(*group, [&](std::string_view line) {
      const GroupEntry e = parse_group(line);
      if (gid ? e.gid == *gid : e.name == name) {
        found = e.gid;
      }
      return found.has_value();
    });
  }
  if (!found && !gid) {
    throw Error(
        ErrorKind::not_found,
        fmt::format("unable to find group {}: no matching entries in group file", display(name)));
  }
  const long value = found ? *found : *gid;
  check_range(value);
  return static_cast<gid_t>(value);
}

std::vector<gid_t> supplementary_groups(const std::string* group, std::string_view user) {
  std::vector<gid_t> gids;
  if (group != nullptr) {
    for_each_line(*group, [&](std::string_view line) {
      const GroupEntry e = parse_group(line);
      if (lists_member(e.members, user)) {
        gids.push_back(static_cast<gid_t>(e.gid));
      }
      return false;
    });
  }
  return gids;
}

// Reads an account file in-root; nullopt when it does not exist.
std::optional<std::string> read_account_file(int rootfs_fd, std::string_view path) {
  UniqueFd pinned;
  try {
    pinned = open_in_root(rootfs_fd, path, O_PATH);
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT || e.sys_errno() == ENOTDIR) {
      return std::nullopt;
    }
    throw;
  }
  struct stat st {};
  if (::fstat(pinned.get(), &st) != 0) {
    throw_errno("stat in rootfs", path);
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::io, fmt::format("read {} in rootfs: not a regular file", path));
  }
  if (static_cast<std::size_t>(st.st_size) > k_max_account_file) {
    throw Error(ErrorKind::io, fmt::format("read {} in rootfs: file too large", path));
  }
  // Re-open the pinned inode for reading: O_PATH first so a FIFO or device is never opened.
  const UniqueFd fd(::open(fmt::format("/proc/self/fd/{}", pinned.get()).c_str(),
                           O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    throw_errno("open in rootfs", path);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_errno("read in rootfs", path);
    }
    if (n == 0 || text.size() + static_cast<std::size_t>(n) > k_max_account_file) {
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

} // namespace

ExecUser resolve_user_from(std::string_view spec, const std::string* passwd,
                           const std::string* group) {
  const auto colon = spec.find(':');
  const std::string_view user_arg = spec.substr(0, colon);
  const std::string_view group_arg =
      colon == std::string_view::npos ? std::string_view{} : field(spec.substr(colon + 1), 0);
  const std::optional<long> uid = user_arg.empty() ? std::optional<long>(0) : parse_int(user_arg);

  ExecUser out;
  const auto entry = find_user(passwd, user_arg, uid);
  if (entry) {
    check_range(entry->uid);
    check_range(entry->gid);
    out.uid = static_cast<uid_t>(entry->uid);
    out.gid = static_cast<gid_t>(entry->gid);
    out.home = std::string(entry->home);
  } else if (!uid) {
    throw Error(ErrorKind::not_found,
                fmt::format("unable to find user {}: no matching entries in passwd file",
                            display(user_arg)));
  } else {
    check_range(*uid);
    out.uid = static_cast<uid_t>(*uid);
  }
  if (!group_arg.empty()) {
    out.gid = resolve_group(group, group_arg);
  } else if (entry) {
    out.supplementary_gids = supplementary_groups(group, entry->name);
  }
  return out;
}

ExecUser resolve_user(int rootfs_fd, std::string_view spec) {
  const auto passwd = read_account_file(rootfs_fd, "/etc/passwd");
  const auto group = read_account_file(rootfs_fd, "/etc/group");
  return resolve_user_from(spec, passwd ? &*passwd : nullptr, group ? &*group : nullptr);
}

} // namespace strata::runtime
