#pragma once
// `FileLock`: a cross-process reader/writer lock, held by flock(2) on a lock file or directory.
// strata has no daemon, so several `strata` processes share one store; every multi-file update and
// every cleanup of shared state takes one of these (SECURITY.md §0 risk 8, §4 "Store"). Lock files
// live in `<root>/locks/` (see `BlobStore`) and are never deleted: deleting a lock file while
// someone waits on it lets two processes "hold" the lock on two different inodes.
//
// Semantics (flock(2), not fcntl(2) record locks):
// - `shared` locks are compatible with each other; `exclusive` excludes every other lock.
// - A lock belongs to the open file description, not to the process. Two `FileLock` objects on the
//   same path therefore exclude each other even within one process (fcntl locks would not), which
//   is what lets threads and processes share one protocol. A forked child inherits the open file
//   description: until the child closes its copy (or execs, as descriptors are O_CLOEXEC), the
//   lock stays held even after the parent releases it. Releasing only ever closes, never calls
//   `LOCK_UN`, so a child dropping its copy cannot release the parent's lock.
// - The kernel drops the lock when the last descriptor closes, including when the holder is
//   SIGKILLed. A lock can never be left stale by a crash; this is what makes "can I take this
//   lock?" a reliable "is its owner alive?" test (used for ingest directories).
// - Not fair: a steady stream of shared holders can starve an exclusive waiter.
//
// Ownership and thread-safety: solely owns the descriptor; move-only. Releases (by closing) in the
// destructor. One object must not be used by two threads at once; different objects are
// independent.
//
// Failure: throws `Error{io}` naming the operation and path if the file cannot be opened or the
// lock call fails for a reason other than contention. Contention is not an error: the blocking
// constructor waits (retrying EINTR), `try_lock` returns `std::nullopt`.

#include <optional>
#include <string>

#include "common/unique_fd.hpp"

namespace strata::store {

enum class LockMode { shared, exclusive };

class FileLock {
public:
  // Opens (creating it, mode 0600, if missing; O_CLOEXEC, O_NOFOLLOW) the lock file `path`, or
  // opens `path` read-only if it is an existing directory, then blocks until `mode` is granted.
  FileLock(const std::string& path, LockMode mode);
  // Takes the lock on an already-open file or directory; `name` labels messages.
  FileLock(UniqueFd fd, std::string name, LockMode mode);

  // As the constructors, but returns `std::nullopt` at once if another holder conflicts.
  [[nodiscard]] static std::optional<FileLock> try_lock(const std::string& path, LockMode mode);
  [[nodiscard]] static std::optional<FileLock> try_lock(UniqueFd fd, std::string name,
                                                        LockMode mode);

  FileLock(FileLock&& other) noexcept = default;
  FileLock& operator=(FileLock&& other) noexcept = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() = default; // closing the descriptor releases the lock

  [[nodiscard]] LockMode mode() const noexcept { return mode_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // The locked descriptor, for `*at` calls on a locked directory. Owned by this object.
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

private:
  struct AlreadyLocked {};
  FileLock(UniqueFd fd, std::string name, LockMode mode, AlreadyLocked) noexcept;

  UniqueFd fd_;
  std::string path_;
  LockMode mode_;
};

} // namespace strata::store
