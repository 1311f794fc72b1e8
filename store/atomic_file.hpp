#pragma once
// `AtomicFile`: replaces (or creates) one file so that readers, and anyone looking after a crash,
// see either the complete old contents or the complete new contents, never a mix or a prefix.
// This is how every store metadata file (`index.json`, `oci-layout`, state and cache records) is
// written (DESIGN.md "The store on disk": "Metadata files are replaced by write-temp-then-rename").
// Modelled on ccache's `AtomicFile` and containerd's `Writer.Commit` (STYLE.md §4, §8).
//
// Lifecycle:
//   AtomicFile file(path);   // creates `<dir>/.<name>.tmp.XXXXXX` next to the target
//   file.write(...);         // any number of times
//   file.commit();           // fsync(temp), rename(temp -> target), fsync(dir)
// The temporary file lives in the target's own directory because rename(2) is atomic only within
// one file system; its name starts with a dot and contains ".tmp." so that listings skip it and
// garbage collection can recognise it. Commit is always explicit: if the object is destroyed
// without a successful `commit()` (an exception unwound past it), the destructor unlinks the
// temporary file and the target is untouched.
//
// Crash guarantees: a process killed at any instant leaves the target with its old contents (or
// absent, if it never existed) or with the complete new contents. A kill before the rename can
// leave the temporary file behind; it is garbage, never read by anyone. After `commit()` returns,
// the new contents and the directory entry are durable (both were fsynced).
//
// Concurrency: several processes may write the same target at once; each gets its own temporary
// file, and the last rename wins. Callers that read-modify-write (the tag index) must hold a
// `FileLock` around the whole update, or changes are lost.
//
// Ownership and thread-safety: solely owns the temporary file and its descriptor; move-only. One
// object must not be used by two threads at once.
//
// Failure: every system call failure throws `Error{io}` naming the operation and path (after
// removing the temporary file where that is still possible). Using the object after `commit()` or
// after it was moved from is a bug and throws `Error{internal}`.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/unique_fd.hpp"

namespace strata::store {

class AtomicFile {
public:
  // Creates the temporary file for `path` (mode `mode`, applied exactly, regardless of umask).
  // The target's directory must exist. Throws `Error{io}` if the temporary file cannot be made.
  explicit AtomicFile(std::string path, mode_t mode = 0644);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Unlinks the temporary file unless `commit()` ran. Never throws.
  ~AtomicFile();

  // Appends `bytes` to the temporary file, retrying short writes and EINTR.
  void write(std::string_view bytes);

  // fsyncs the temporary file, renames it over the target, then fsyncs the directory. After it
  // returns (or throws) the object is spent.
  void commit();

  // As `commit()`, but only if the target does not exist yet (renameat2 `RENAME_NOREPLACE`, so two
  // racing creators cannot overwrite each other). Returns false, and discards the temporary file,
  // if the target already existed. Used to initialise files exactly once.
  [[nodiscard]] bool commit_if_absent();

  // The target path, as given.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // The temporary file's path; empty once committed or moved from.
  [[nodiscard]] const std::string& temp_path() const noexcept { return temp_path_; }

private:
  void flush_and_close();
  void discard() noexcept;

  std::string path_;
  std::string temp_path_; // empty when there is nothing to clean up
  UniqueFd fd_;
};

// Writes `contents` to `path` through an `AtomicFile` and commits it.
void write_file_atomically(const std::string& path, std::string_view contents, mode_t mode = 0644);

// Creates `path` with `contents` through an `AtomicFile` unless it already exists; two racing
// creators cannot overwrite each other (or a later update). Returns whether this call created it.
[[nodiscard]] bool write_file_if_absent(const std::string& path, std::string_view contents,
                                        mode_t mode = 0644);

// Creates the directory `path` (`mode`, less the umask) unless a directory (or a symlink to one)
// is already there, fsyncing its parent so that a new entry survives a crash. Throws `Error{io}`,
// or `Error{corrupt}` if something other than a directory has the name.
void ensure_directory(const std::string& path, mode_t mode);

// Writes all of `bytes` to `fd`, retrying short writes and EINTR. Throws `Error{io}` naming
// `label`.
void write_all(int fd, std::string_view bytes, const std::string& label);

// fsyncs the directory `path`, making renames, creations and removals in it durable. Throws
// `Error{io}`.
void fsync_directory(const std::string& path);

// The directory part of `path` ("." for a bare name, "/" for a name directly under the root).
[[nodiscard]] std::string parent_directory(const std::string& path);

} // namespace strata::store
