#pragma once
// Resolving `-u USER[:GROUP]` (or an image's `USER`) to ids, against the container's own
// /etc/passwd and /etc/group — never the host's files and never NSS.
//
// Semantics are runc's `user.GetExecUser`, which Docker uses:
// - the spec is `user[:group]` (anything after a second `:` is ignored); an empty user means
//   uid 0, looked up like a number;
// - a numeric user is always a uid: the passwd entry with that uid supplies gid and home when one
//   exists, else gid 0 and home "/"; a name must match a passwd entry, otherwise
//   `Error{not_found}` "unable to find user NAME: no matching entries in passwd file";
// - with an explicit group (numeric = a gid, else a name that must exist: "unable to find group
//   NAME: no matching entries in group file") the gid is that group and there are no
//   supplementary groups; without one, the supplementary groups are every /etc/group entry that
//   lists the matched user name;
// - ids must be in 0..2147483647 (`Error{usage}` "uids and gids must be in range 0-2147483647");
// - first match wins; lines are whitespace-trimmed, blank lines skipped, bad numbers read as 0.
// A missing /etc/passwd or /etc/group (or /etc) is an empty file, so numeric ids always work.
//
// Security: the rootfs is untrusted. Both files are opened with `open_in_root`, so a symlinked
// /etc/passwd is resolved as inside a chroot and can never reach a host file; they must be
// regular files (a FIFO or device is `Error{io}`, never opened for reading) and at most
// `k_max_account_file` bytes.
//
// Thread-safety: reentrant; `rootfs_fd` is borrowed.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

inline constexpr std::size_t k_max_account_file = 16UL * 1024 * 1024;

struct ExecUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> supplementary_gids; // from /etc/group, in file order
  std::string home = "/";

  friend bool operator==(const ExecUser&, const ExecUser&) = default;
};

// Resolves `spec` in the rootfs whose `/` is `rootfs_fd` (see above).
[[nodiscard]] ExecUser resolve_user(int rootfs_fd, std::string_view spec);

// The same over file contents, for callers that already hold them; `nullptr` = missing file.
[[nodiscard]] ExecUser resolve_user_from(std::string_view spec, const std::string* passwd,
                                         const std::string* group);

} // namespace strata::runtime
