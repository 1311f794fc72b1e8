#pragma once
// Where a blob is known to be in registries: the hint a push uses to mount a layer from another
// repository of the same registry instead of uploading it again (docker's "Mounted from ...").
//
// ON-DISK FORMAT
//   <root>/cache/sources/<digest-hex>   text, one "<registry host>/<repository path>" per line
//                                       (e.g. "127.0.0.1:5000/library/busybox"), newest first,
//                                       at most `k_max_sources` lines; written whole with
//                                       `write_file_atomically` (0644).
// A record is only a hint: it is written after a pull downloaded (or found) the blob and after a
// push uploaded it, never trusted for content (a mount the registry refuses falls back to an
// upload), and removing it loses nothing. Lines that are not a valid registry name are ignored.
//
// Thread-safety: any thread; two writers racing leave one of their versions (a hint may be lost).

#include <string>
#include <vector>

#include "store/digest.hpp"

namespace strata::store {

inline constexpr std::size_t k_max_sources = 5;

// The repositories recorded for `blob`, newest first (empty when none or unreadable).
[[nodiscard]] std::vector<std::string> blob_sources(const std::string& root, const Digest& blob);

// Puts `repository` ("host/path") first in `blob`'s record. Best effort: a failure to write is
// logged at debug level and otherwise ignored (the record is a hint).
void remember_blob_source(const std::string& root, const Digest& blob,
                          const std::string& repository);

} // namespace strata::store
