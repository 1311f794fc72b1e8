#pragma once
// `Cgroup`: one container's (or one RUN step's) control group, on cgroup v2 or v1.
//
// Naming: a cgroup has a relative `name` such as "strata/<id>": `/`-separated components, none
// empty, "." or "..". It lives at `<mount>/<name>` in every hierarchy strata uses (the v2 mount,
// or each v1 hierarchy of memory, pids, freezer and cpu — co-mounted controllers share one
// directory), directly under the hierarchy's root like Docker's cgroupfs driver, so any strata
// process finds it again by name. Parents ("strata") are created on demand and left in place.
//
// Lifecycle: `create` (mkdir, enable v2 controllers on the ancestors, write the limits) →
// `add_process` → `freeze`/`thaw` (`pause`/`unpause`) → `kill_all` → `destroy` (rmdir). A `Cgroup`
// is a handle, not an owner: the directory outlives the object (a detached container's cgroup
// outlives the CLI that made it) and is removed only by `destroy`, which needs it empty.
//
// Failure: `Error{io}` naming the control file or directory and the errno. A limit whose
// controller is missing — a v1 hierarchy not mounted, or a controller absent from the v2 root's
// `cgroup.controllers` — is `Error{io}` naming the file that could not be written, raised by
// `create`, which then removes what it made. `freeze` on v1 without the freezer hierarchy names
// `freezer.state` the same way. `create` of an existing name is `Error{already_exists}`.
//
// Thread-safety: the object is immutable after construction; concurrent calls on the same cgroup
// race as the kernel files do (last write wins).

#include "runtime/cgroup_layout.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

class Cgroup {
public:
  // Creates `name` with `limits` on the layout `detect_cgroup_layout()` returns, or on `layout`.
  [[nodiscard]] static Cgroup create(std::string_view name, const CgroupLimits& limits);
  [[nodiscard]] static Cgroup create(const CgroupLayout& layout, std::string_view name,
                                     const CgroupLimits& limits);
  // An existing cgroup; nullopt when no hierarchy has a directory of that name.
  [[nodiscard]] static std::optional<Cgroup> open(std::string_view name);
  [[nodiscard]] static std::optional<Cgroup> open(const CgroupLayout& layout,
                                                  std::string_view name);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] CgroupVersion version() const noexcept { return layout_.version; }
  // The directory of `controller` ("memory", "pids", "freezer", "cpu"; ignored on v2), or
  // nullopt on v1 when that hierarchy is not mounted.
  [[nodiscard]] std::optional<std::string> dir(std::string_view controller) const;
  // Every directory of this cgroup, one per hierarchy.
  [[nodiscard]] std::vector<std::string> dirs() const;

  // Moves `pid` (a whole process) into the cgroup in every hierarchy.
  void add_process(pid_t pid) const;
  // The processes in the cgroup (`cgroup.procs`; exited ones are gone, zombies included).
  [[nodiscard]] std::vector<pid_t> pids() const;

  // Freezes every process and waits until the kernel reports the cgroup frozen (v2: "frozen 1"
  // in cgroup.events; v1: freezer.state FROZEN, re-asking while it says FREEZING). On timeout
  // the cgroup is thawed again and `Error{io}` is thrown.
  void freeze() const;
  void thaw() const;
  [[nodiscard]] bool is_frozen() const;
  // How many processes the kernel's OOM killer killed in this cgroup ("oom_kill" in v2's
  // memory.events or v1's memory.oom_control); 0 when the file or the field is missing.
  [[nodiscard]] std::uint64_t oom_kills() const;

  // Sends `sig` to every process. SIGKILL uses `cgroup.kill` on v2 (Linux 5.14+); otherwise the
  // cgroup is frozen (when a freezer exists) so nothing forks between listing and signalling,
  // each pid is signalled, and it is thawed. For SIGKILL the passes repeat until the cgroup is
  // empty (`Error{io}` after 10 s); other signals get one pass.
  void kill_all(int sig) const;

  // Removes the cgroup's directories (the parents stay). A missing directory is fine; one still
  // holding processes is retried for a moment (exit is asynchronous), then `Error{io}` EBUSY.
  void destroy() const;

private:
  Cgroup(CgroupLayout layout, std::string name)
      : layout_(std::move(layout)), name_(std::move(name)) {}

  void make_directories() const;
  void write_limits(const CgroupLimits& limits) const;
  void enable_v2_controllers(const CgroupLimits& limits) const;
  [[nodiscard]] std::string primary_dir() const;
  void signal_each(int sig) const;

  CgroupLayout layout_;
  std::string name_;
};

} // namespace strata::runtime
