#pragma once
// `TarWriter`: the minimal tar writer behind `strata save`: directories and regular files with
// fixed, trusted names, written as POSIX ustar (pax `size` records for files of 8 GiB and more),
// the format Docker's archive package and Go's archive/tar produce and every reader accepts.
//
// Entries carry mode 0755/0644, uid/gid 0, mtime 0 and no user or group names, so the same images
// always give the same archive bytes. Names must be relative, at most 100 bytes and contain no
// `..`: they are chosen by strata (`blobs/sha256/<hex>`, `index.json`), never by an archive.
//
// Output goes to a borrowed fd through a 1 MiB buffer; file contents larger than the buffer are
// written straight through, so memory stays bounded whatever the file sizes.
//
// Ownership and thread-safety: owns its buffer; the fd is borrowed. One thread per writer.
// Failure: write errors throw `Error{io}` naming `label`; a `file_data` total different from the
// size announced in `begin_file` throws `Error{internal}` (a bug in the caller). After a throw the
// output is unusable (callers discard it).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace strata::store {

class TarWriter {
public:
  TarWriter(int fd, std::string label);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  ~TarWriter();

  void add_directory(std::string_view name);
  // A whole small file.
  void add_file(std::string_view name, std::string_view contents);
  // A file streamed in pieces: `begin_file`, `file_data` until `size` bytes, `end_file`.
  void begin_file(std::string_view name, std::uint64_t size);
  void file_data(std::string_view bytes);
  void end_file();
  // Writes the two zero blocks that end an archive and flushes.
  void finish();

private:
  void header(std::string_view name, char type, std::uint64_t size, std::uint32_t mode);
  void pax_size(std::string_view name, std::uint64_t size);
  void put(std::string_view bytes);
  void flush();

  int fd_;
  std::string label_;
  std::unique_ptr<char[]> buffer_;
  std::size_t used_ = 0;
  std::uint64_t remaining_ = 0; // of the current file
  std::uint64_t file_size_ = 0;
  bool in_file_ = false;
};

} // namespace strata::store
