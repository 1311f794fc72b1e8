#pragma once
// Internal to store/layer_writer*.cpp and store/tree_tar.cpp: the tar stream (libarchive writer,
// diff-ID hashing) and the tree walker that feeds it. Not for use elsewhere; the interfaces are
// store/layer_writer.hpp and store/tree_tar.hpp.

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/compress.hpp"
#include "store/layer_writer.hpp"
#include "store/sha256.hpp"

struct archive;
struct archive_entry;

namespace strata::store::layer_writer_detail {

enum class TarType { file, directory, symlink, hardlink, fifo, char_device, block_device };

// One entry as it goes into the tar: names already final (relative, directories ending in `/`).
struct TarEntry {
  std::string name;
  TarType type = TarType::file;
  std::uint32_t mode = 0; // permission bits, 07777
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime = 0; // whole seconds
  std::uint64_t size = 0; // regular files only
  std::string link;       // symlink target or hardlink target name
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs; // sorted by name
};

// The libarchive tar writer. Bytes it produces are hashed (diff ID) and pushed into `out`.
// libarchive is C: its write callback parks an exception from `out` (a full disk) and the next
// call here rethrows it. Move-less; one per layer.
class TarStream {
public:
  explicit TarStream(Compressor& out);
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;
  ~TarStream();

  // Writes `entry`'s header; a regular file's `entry.size` bytes follow through `data`.
  void begin(const TarEntry& entry);
  void data(std::string_view bytes);
  void end();
  // Writes the end-of-archive marker (two zero blocks, no padding) and flushes.
  void close();

  [[nodiscard]] std::uint64_t tar_size() const noexcept { return tar_size_; }
  [[nodiscard]] Digest finish_diff_id() { return hash_.finish(); }

private:
  static long write_cb(archive* a, void* self, const void* buffer, std::size_t size);
  void check(int rc, std::string_view what, std::string_view name);
  void rethrow_pending();

  Compressor& out_;
  Sha256 hash_;
  std::uint64_t tar_size_ = 0;
  std::exception_ptr pending_;
  bool discard_ = false;
  archive* archive_ = nullptr;
  archive_entry* entry_ = nullptr;
  std::string current_; // name of the entry being written, for messages
};

// Walks a tree depth-first in sorted order and writes every entry (see layer_writer.hpp).
class TreeWalker {
public:
  TreeWalker(TarStream& tar, const LayerWriteOptions& options);

  // Writes every entry below `root_fd` (borrowed); the root itself is not an entry.
  void walk(int root_fd);
  // Writes the entry `name` of `dir_fd`, stat'ed as `st`, at `path` (relative, no trailing `/`);
  // a directory with everything below it.
  void add(int dir_fd, const std::string& name, const std::string& path, const struct stat& st);
  // Writes the directory `fd` (borrowed, a real fd), stat'ed as `st`, at `path`, without its
  // children.
  void add_directory_entry(int fd, const std::string& path, const struct stat& st);
  [[nodiscard]] std::uint64_t content_size() const noexcept { return content_size_; }

private:
  void walk_dir(int dir_fd, const std::string& prefix);
  void add_directory(int dir_fd, const std::string& name, const struct stat& st,
                     TarEntry& entry);
  // Writes the directory entry `entry` (its name without the `/` yet) of the directory `fd`.
  void write_directory(int fd, TarEntry& entry);
  void add_file(int dir_fd, const std::string& name, const struct stat& st, TarEntry& entry);
  [[nodiscard]] bool add_as_hardlink(const struct stat& st, TarEntry& entry);
  // Reads the xattrs of `fd` into `entry`; returns whether the overlay opaque marker was there.
  bool read_xattrs(int fd, const std::string& path, TarEntry& entry) const;
  [[nodiscard]] std::int64_t clamp(std::int64_t mtime) const noexcept;

  TarStream& tar_;
  const LayerWriteOptions& options_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_link_; // inodes with nlink > 1
  std::vector<char> buffer_;
  std::uint64_t content_size_ = 0;
};

// `write_layer`'s recipe (blob writer, compressor, tar stream, walker) with `produce` writing
// the entries.
using EntryProducer = std::function<void(TreeWalker&, TarStream&)>;
[[nodiscard]] LayerBlob write_layer_with(BlobStore& store, const LayerWriteOptions& options,
                                         const EntryProducer& produce);

} // namespace strata::store::layer_writer_detail
