#pragma once
// A disk cache of the compiled Docker default seccomp program. libseccomp needs tens of
// milliseconds to compile that profile — more than the rest of `strata run` — and the result
// depends only on the profile, the capability set, the kernel and libseccomp.
//
// Format: `<dir>/default-<key>.bpf`, the raw `sock_filter` array (8 bytes per instruction), where
// the key is the capability mask, the kernel release, libseccomp's version and the identity of
// the strata binary (device, inode, size and mtime of /proc/self/exe: a rebuilt or upgraded
// strata, whose default profile may differ, never reads an older entry). Files are written to a
// temporary name and renamed, so readers see whole files; a file of a wrong size is ignored and
// replaced. Only the built-in profile is cached: a user's profile file is always compiled.
//
// Trust: `dir` must be private to root (it is under the store root, mode 0700); a program read
// from it is installed as it is.
// Failure: cache I/O errors are logged and fall back to compiling; compilation errors throw as
// `compile_seccomp` does. Thread-safety: reentrant; concurrent writers race harmlessly (rename).

#include "runtime/capabilities.hpp"

#include <linux/filter.h>

#include <string>
#include <vector>

namespace strata::runtime {

[[nodiscard]] std::vector<sock_filter> default_seccomp_program(CapabilitySet caps,
                                                               const std::string& dir);

} // namespace strata::runtime
