#pragma once
// SHA-256 hashing for the content store: the streaming `Sha256` hasher and one-shot helpers for
// strings, open files and paths. Every `Digest` that names stored bytes comes from here.
//
// OpenSSL (EVP) is the implementation and stays private to sha256.cpp (STYLE.md §1); this header
// only forward-declares its context type.
//
// Lifecycle of a `Sha256`: construct, `update` any number of times with consecutive pieces of the
// input (how the input is split never changes the result), then `finish` exactly once. After
// `finish` (or after being moved from) the object is spent: `update` and `finish` throw
// `Error{internal}`, because calling them is a bug in the caller, not a property of the input.
//
// Ownership: a `Sha256` solely owns its OpenSSL context (freed by its destructor); move-only.
// Thread-safety: one object must not be used by two threads at once; separate objects are
// independent. The free functions are thread-safe.
//
// Failure: I/O errors throw `Error{io}` via `throw_errno` with the errno of the failed call and the
// path; an OpenSSL failure (in practice only out of memory) throws `Error{internal}`.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "store/digest.hpp"

struct evp_md_ctx_st; // OpenSSL's EVP_MD_CTX, defined only in sha256.cpp's includes.

namespace strata::store {

class Sha256 {
public:
  // Starts an empty hash. Throws `Error{internal}` if OpenSSL cannot allocate a context.
  Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  // Feeds the next piece of the input. Empty pieces are allowed.
  void update(std::span<const std::byte> bytes);
  void update(std::string_view text);

  // Total number of bytes fed so far; lets a store check a blob's declared size while hashing.
  [[nodiscard]] std::uint64_t bytes_hashed() const noexcept { return bytes_hashed_; }

  // Completes the hash and returns its digest. Usable once: afterwards the object is spent.
  [[nodiscard]] Digest finish();

private:
  struct ContextDeleter {
    void operator()(evp_md_ctx_st* context) const noexcept;
  };

  std::unique_ptr<evp_md_ctx_st, ContextDeleter> context_; // null once spent
  std::uint64_t bytes_hashed_ = 0;
};

// The digest of `bytes` in one call.
[[nodiscard]] Digest sha256_of(std::string_view bytes);

// Streams `fd` from its current offset to end of file through SHA-256, in 64 KiB reads, retrying
// on EINTR. Does not close `fd`. Use this for files opened safely inside an untrusted tree (a
// build context or a rootfs, SECURITY.md §4); `name` only labels error messages.
[[nodiscard]] Digest sha256_of_fd(int fd, std::string_view name);

// Opens `path` relative to `dirfd` (`AT_FDCWD` for the working directory; an absolute `path`
// ignores `dirfd`), as `openat(2)` does, following symlinks, and hashes its contents. The file
// must be a regular file: anything else (a directory, a FIFO, a device) throws `Error{io}` without
// blocking or reading it. A missing file throws `Error{io}` with `sys_errno() == ENOENT`; callers
// for whom absence is expected check for it first (STYLE.md §3).
[[nodiscard]] Digest sha256_of_file(int dirfd, const std::string& path);

} // namespace strata::store
