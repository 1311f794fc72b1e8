#pragma once
// What ADD does beyond COPY (internal): remote files and local archives.
//
// - `fetch_url`: an http(s) URL downloaded with libcurl into a file of the step's directory —
//   https verified, at most 10 redirects, 16 GiB at most, hashed (SHA-256) while written; with
//   `--checksum=sha256:...` a mismatch is `Error{corrupt}` naming both digests. The file keeps
//   the URL path's last component as its name, mode 0600 and the server's Last-Modified time,
//   as Docker's ADD gives it.
// - `is_archive` / `extract_archive`: a local source that is a tar (plain, gzip or zstd: what the
//   store's extractor reads) is unpacked at the destination instead of copied, through
//   `store::apply_layer` (in-root writes, entry and size limits, no whiteout files created).
//   Owners come from the archive unless `--chown` is given. A file that is not an archive is
//   copied as it is.

#include <ctime>
#include <functional>
#include <optional>
#include <string>

#include "builder/copy_files.hpp"
#include "store/digest.hpp"

namespace strata::builder {

struct FetchedFile {
  std::string path; // on the host, in `into_dir`
  std::string name; // the URL path's last component ("index.html" for "/")
  store::Digest digest = store::Digest::parse(
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::optional<std::time_t> mtime;
};

// `cancelled` is polled during the transfer; a transfer slower than 1 byte/s for 60 s fails.
[[nodiscard]] FetchedFile fetch_url(const std::string& url, const std::string& into_dir,
                                    const std::optional<std::string>& checksum,
                                    const std::function<bool()>& cancelled);

// Whether the regular file `fd` starts like a tar, gzip or zstd stream (position unchanged).
[[nodiscard]] bool is_archive(int fd);

// Unpacks the archive read from `fd` into `dest` (a directory, created if missing) inside
// `dest_root_fd`; `options.uid/gid` (--chown) override the archive's owners.
void extract_archive(int fd, int dest_root_fd, const std::string& dest, const CopyOptions& options);

} // namespace strata::builder
