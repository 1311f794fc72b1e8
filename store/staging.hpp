#pragma once
// `StagingDir`: a private directory under the store's `tmp/` where a multi-file result (a snapshot
// being unpacked, an archive being loaded) is assembled before one rename publishes it.
//
// The directory is created with mkdtemp (0700) and flocked exclusively from creation until its
// owner is done, like an ingest (blob_store.hpp). A process killed mid-way leaves an unlocked
// directory that `remove_stale_staging` removes. Creation races with that sweep are prevented by
// the store's gc lock: creators hold it shared, the sweep exclusive (image_store.hpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "store/file_lock.hpp"

namespace strata::store {

class StagingDir {
public:
  // Creates `<parent>/<prefix>XXXXXX`. Throws `Error{io}`.
  StagingDir(const std::string& parent, std::string_view prefix);
  StagingDir(StagingDir&&) noexcept = default;
  StagingDir& operator=(StagingDir&&) noexcept = default;
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  // Removes the directory (if it is still there) while still holding its lock.
  ~StagingDir();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] int fd() const noexcept { return lock_->fd(); }
  // Renames the directory to `target` (which must not exist: renameat2 RENAME_NOREPLACE) and
  // fsyncs the target's parent. Returns false, keeping the directory, if `target` exists.
  [[nodiscard]] bool publish_as(const std::string& target);

private:
  std::string path_;
  std::optional<FileLock> lock_;
  bool published_ = false;
};

// Removes every entry of `dir` that is not a directory locked by a live owner. Returns the count.
std::size_t remove_stale_staging(const std::string& dir);

} // namespace strata::store
