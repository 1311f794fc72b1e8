#pragma once
// Linux capabilities as Docker grants them: the default set, `--cap-add`/`--cap-drop`
// arithmetic, `--privileged`, and applying a set to the calling process.
//
// Vocabulary: a capability is its kernel number (0 = CAP_CHOWN ... 40 = CAP_CHECKPOINT_RESTORE);
// its canonical name is the upper-case `CAP_` form. A `CapabilitySet` is a 64-bit mask, bit N
// standing for capability N, the same layout as the CapEff/CapBnd lines of /proc/PID/status.
//
// Parsing follows moby's `NormalizeLegacyCapabilities` and `TweakCapabilities`: values are
// upper-cased, `CAP_` is prepended when missing, `ALL` (in any case, without prefix) means every
// capability; an unknown name is `Error{usage}` "unknown capability: \"CAP_FOO\"".
//
// Thread-safety: everything except `apply_capabilities` is a pure function over constant tables.
// `apply_capabilities` changes the calling thread's credentials and is meant for the forked child
// between fork and execve: it neither allocates nor throws.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

// The highest capability number strata knows by name (CAP_CHECKPOINT_RESTORE, Linux 5.9).
inline constexpr int k_last_known_capability = 40;

class CapabilitySet {
public:
  constexpr CapabilitySet() noexcept = default;
  constexpr explicit CapabilitySet(std::uint64_t mask) noexcept : mask_(mask) {}

  [[nodiscard]] constexpr std::uint64_t mask() const noexcept { return mask_; }
  [[nodiscard]] constexpr bool has(int cap) const noexcept {
    return cap >= 0 && cap < 64 && ((mask_ >> cap) & 1U) != 0;
  }
  [[nodiscard]] constexpr bool is_empty() const noexcept { return mask_ == 0; }
  constexpr void add(int cap) noexcept { mask_ |= bit(cap); }
  constexpr void remove(int cap) noexcept { mask_ &= ~bit(cap); }
  // Canonical names in number order ("CAP_CHOWN", ...), e.g. for `inspect`.
  [[nodiscard]] std::vector<std::string> names() const;

  friend constexpr bool operator==(CapabilitySet, CapabilitySet) noexcept = default;

private:
  static constexpr std::uint64_t bit(int cap) noexcept {
    return (cap >= 0 && cap < 64) ? (std::uint64_t{1} << cap) : 0;
  }
  std::uint64_t mask_ = 0;
};

// Docker's default set (moby `oci/caps/defaults.go`): CHOWN, DAC_OVERRIDE, FSETID, FOWNER,
// MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL,
// AUDIT_WRITE = 0x00000000a80425fb.
[[nodiscard]] CapabilitySet docker_default_capabilities() noexcept;

// Every capability strata knows (0..k_last_known_capability). `apply_capabilities` trims it to
// what the running kernel has.
[[nodiscard]] CapabilitySet all_capabilities() noexcept;

// One `--cap-add`/`--cap-drop` value → its number. `ALL` is not a capability: `Error{usage}`.
[[nodiscard]] int parse_capability(std::string_view text);

// The canonical name of `cap` ("CAP_SYS_ADMIN"), or its decimal number when unnamed.
[[nodiscard]] std::string capability_name(int cap);

enum class Privileged { no, yes };

// moby's `TweakCapabilities` over `base` (normally `docker_default_capabilities()`):
// - privileged: every capability;
// - `ALL` in `add`: every capability except those in `drop`;
// - else `ALL` in `drop`: exactly the ones in `add`;
// - else `base` minus `drop`, plus `add`.
// Throws `Error{usage}` naming the first unknown value (adds and drops are all validated first).
[[nodiscard]] CapabilitySet resolve_capabilities(CapabilitySet base,
                                                 std::span<const std::string> add,
                                                 std::span<const std::string> drop,
                                                 Privileged privileged = Privileged::no);

// Makes `caps` the calling thread's capabilities for the program it will exec, as runc does for
// Docker: drops every other capability from the bounding set (PR_CAPBSET_DROP, up to
// /proc/sys/kernel/cap_last_cap), clears the ambient set, then capset(2) with effective =
// permitted = `caps` and inheritable empty. Needs CAP_SETPCAP (to shrink the bounding set).
// Capabilities the kernel lacks are ignored. Call it after any uid change (a switch away from
// uid 0 clears permitted/effective unless PR_SET_KEEPCAPS); a non-root program then execs with
// no effective capabilities, as in Docker.
// Returns 0 or the errno of the step that failed. No allocation, no exceptions; async-signal-safe
// except that it reads /proc/sys/kernel/cap_last_cap with open/read/close.
[[nodiscard]] int apply_capabilities(CapabilitySet caps) noexcept;

} // namespace strata::runtime
