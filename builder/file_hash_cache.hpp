#pragma once
// `FileHashCache`: the content digests of a build context's files, remembered between builds by
// their stat identity, so a no-op rebuild of a large context reads metadata only (ninja's and
// ccache's "stat, then trust" with git's guard against racy timestamps).
//
// ON-DISK FORMAT: `<store>/cache/hashes/<sha256 of the context's absolute path>.json`
//   {"version": 1, "files": {"src/main.c": [dev, ino, size, mtime_ns, ctime_ns, "sha256:..."]}}
// written with `write_file_atomically` at the end of a build when something was added.
// An entry is used only when dev, inode, size, mtime and ctime all match (ctime changes on every
// write and chmod, and cannot be set by a user); an entry whose mtime or ctime is less than two
// seconds older than the moment it was hashed is not stored (the file may still change within
// the same timestamp tick). A corrupt or unreadable file is an empty cache.
//
// Thread-safety: `find` and `put` may be called from any number of threads (TBB's hashing).

#include <sys/stat.h>

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

namespace strata::builder {

class FileHashCache {
public:
  FileHashCache() = default;
  // Loads the cache of the context at `context_dir` from the store at `store_root`.
  FileHashCache(const std::string& store_root, const std::string& context_dir);

  [[nodiscard]] std::optional<std::string> find(const std::string& path, const struct stat& st) const;
  void put(const std::string& path, const struct stat& st, const std::string& digest);
  // Writes the cache back if `put` stored anything new.
  void save() const;

private:
  struct Entry {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    long long mtime_ns = 0;
    long long ctime_ns = 0;
    std::string digest;
  };
  std::string file_;
  std::map<std::string, Entry, std::less<>> entries_;
  bool dirty_ = false;
  mutable std::shared_mutex mutex_;
};

} // namespace strata::builder
