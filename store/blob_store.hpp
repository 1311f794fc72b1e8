#pragma once
// `BlobStore`: the content-addressed blob store at the bottom of strata's store, and the owner of
// the store root's on-disk layout. Every manifest, image config and compressed layer lives here,
// named by the sha256 of its bytes (its digest; DESIGN.md "Vocabulary").
//
// Vocabulary: a *blob* is an immutable byte string stored under its digest. An *ingest* is one
// in-progress write of a blob, which becomes a blob when it is *published* (renamed into
// `blobs/sha256/`). Layers, snapshots, images and tags are built on top by other classes; this one
// knows nothing about what the bytes mean.
//
// ON-DISK FORMAT
// --------------
// The root is a valid OCI image layout (image-spec `image-layout.md`), so `skopeo inspect
// oci:$ROOT:NAME` and `umoci` can read it. `open` creates whatever is missing:
//
//   <root>/                      0700. Only the owner may look inside: blobs can hold secrets
//                                copied into images, and the lock files must not be lockable by
//                                other users (that would be a denial of service).
//   <root>/oci-layout            0644, `{"imageLayoutVersion":"1.0.0"}`. Written last on first
//                                open, so its presence means the layout below it is complete.
//   <root>/index.json            0644, the OCI image index, created (on one line) as
//                                  {"schemaVersion":2,
//                                   "mediaType":"application/vnd.oci.image.index.v1+json",
//                                   "manifests":[]}
//                                Owned by the tag store, which rewrites it with `AtomicFile` under
//                                an exclusive `FileLock`. This class only creates it.
//   <root>/blobs/sha256/<hex>    0444 regular files. `<hex>` is the 64 lowercase hex digits of the
//                                sha256 of the file's contents; nothing else is ever published
//                                here. Read-only mode guards against accidental writes (root can
//                                still write; `verify`/`read_blob` catch that).
//   <root>/ingest/<random>/      0700, one per in-progress `put`, holding `data` (0600 while being
//                                written). The writer holds an exclusive flock(2) on the directory
//                                itself from creation until it has removed the directory.
//   <root>/tmp/                  0700 scratch space for other store modules (same file system as
//                                `blobs/`, so renames out of it are atomic). Not used by this
//                                class.
//   <root>/locks/                0700, flock(2) lock files, created on demand and never deleted.
//                                `locks/ingest.lock` is this class's: held shared while an ingest
//                                directory is created and locked, exclusive while
//                                `remove_stale_ingests` scans, so the scan never sees a
//                                directory between its creation and its locking.
// Metadata files are written with `AtomicFile` (temp `.<name>.tmp.XXXXXX`, fsync, rename, fsync
// directory). There is no version file beyond `oci-layout`: the layout is the OCI one.
//
// Writing a blob (`put`):
//   1. create `ingest/<random>/` (mkdtemp, 0700) and flock it exclusively;
//   2. stream the input into `data`, hashing as it is written; stop as soon as it exceeds an
//      expected size;
//   3. compare size and digest with what the caller expected (a mismatch throws `Error{corrupt}`
//      and nothing is published);
//   4. fsync `data`, chmod 0444, renameat2(`RENAME_NOREPLACE`) into `blobs/sha256/<hex>`; if the
//   name already
//      exists another writer won the race with identical bytes, and this write is dropped;
//   5. fsync `blobs/sha256/`; remove the ingest directory; release its lock.
//
// Crash guarantees: a process killed at any instant leaves every file in `blobs/sha256/` complete
// and named by its digest (a blob is only ever renamed into place after fsync and verification).
// What a crash can leave behind is an ingest directory (unlocked once the kernel has closed the
// dead writer's descriptors), or an AtomicFile temporary file. Neither is ever read as content;
// `remove_stale_ingests` removes the former. A blob removed by `remove` may reappear after a power
// failure (its unlink is not fsynced); it is still a complete, valid blob.
//
// Concurrency guarantees: any number of threads and processes may use one root at once. Two
// writers of the same bytes both succeed; exactly one publishes, the other reports
// `already_present`. Readers never see a partial blob. `remove` of a blob that someone is reading
// is safe for them (they hold an open descriptor), but deciding *whether* a blob may be removed
// (reachability) is garbage collection's job, under its own lock.
//
// SECURITY: digests given to this class are `Digest` objects, whose grammar was validated by
// `Digest::parse`, so `<hex>` can never contain `/` or `..` (CVE-2014-9358). Names read back from
// `blobs/sha256/` are re-validated before they become `Digest`s. Blobs are opened with O_NOFOLLOW.
//
// Ownership and thread-safety: a `BlobStore` owns a descriptor of `blobs/sha256/`; move-only. All
// member functions may be called concurrently from several threads on one object.
//
// Failure: I/O errors throw `Error{io}` naming the operation and path; a missing blob throws
// `Error{not_found}` (the `contains`/`path_of`/`size_of` lookups return false/nullopt instead);
// bytes that do not match their digest or expected size throw `Error{corrupt}`.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"
#include "store/digest.hpp"

namespace strata::store {

// The outcome of a `put`.
struct PutResult {
  Digest digest;
  std::uint64_t size = 0;
  // True if the blob was already stored (before the call, or published by a concurrent writer
  // while this one was streaming): a race this writer planned to lose, not an error.
  bool already_present = false;
};

// Supplies a blob's bytes to `put`: fills a prefix of `buffer` and returns how many bytes it wrote,
// 0 at end of input. Throws to abort the put (the ingest is then removed).
using BlobReader = std::function<std::size_t(std::span<char> buffer)>;

class BlobStore;

// A push-style ingest, for producers that write a blob piece by piece (a layer being tarred and
// compressed, a file streamed out of an archive): the same steps as `put` (ingest directory held
// locked, hash while writing, verify, seal, publish), driven by the caller.
//
//   BlobWriter w = store.writer();
//   w.write(bytes); ...                  // buffered, hashed
//   const Digest d = w.finish();         // flush, fsync, chmod 0444; nothing published yet
//   PutResult r = w.publish(expected, expected_size);  // verify, rename into blobs/sha256/
//
// A writer destroyed before `publish` removes its ingest, so an aborted write leaves nothing but
// (after a crash) ingest garbage. Move-only; not thread-safe (one producer per writer).
class BlobWriter {
public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) noexcept;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  ~BlobWriter();

  // Appends bytes. Throws `Error{io}` (a full disk included: ENOSPC names the ingest path).
  void write(std::string_view bytes);
  // Bytes written so far.
  [[nodiscard]] std::uint64_t size() const noexcept;
  // Flushes, fsyncs and seals the data; returns its digest. Idempotent; no more writes after it.
  Digest finish();
  // `finish`es if needed, checks `expected`/`expected_size` (else `Error{corrupt}`, nothing
  // published), then publishes. Returns `already_present` if the blob was stored already.
  [[nodiscard]] PutResult publish(const std::optional<Digest>& expected = std::nullopt,
                                  std::optional<std::uint64_t> expected_size = std::nullopt);

private:
  friend class BlobStore;
  struct State;
  explicit BlobWriter(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

class BlobStore {
public:
  // What `read_blob` reads at most unless told otherwise: the manifest and config cap that
  // containers/image enforces (SECURITY.md §4 "Registry client").
  static constexpr std::size_t k_default_max_read = 4UL * 1024 * 1024;

  // Opens the store at `root`, creating any missing part of the layout above; `root`'s parent must
  // exist. A relative `root` is made absolute (lexically) against the working directory. Existing
  // files are never rewritten. Throws `Error{io}`, or `Error{corrupt}` if a layout directory
  // exists but is not a directory.
  [[nodiscard]] static BlobStore open(const std::string& root);

  BlobStore(BlobStore&&) noexcept = default;
  BlobStore& operator=(BlobStore&&) noexcept = default;
  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;
  ~BlobStore() = default;

  // The absolute root path.
  [[nodiscard]] const std::string& root() const noexcept { return root_; }

  // Stores the bytes `reader` produces (see "Writing a blob"). If `expected` is given and already
  // stored, returns at once without calling `reader` (after checking `expected_size` against the
  // stored size; the stored bytes are not re-hashed, as in containerd: `verify` does that). Throws
  // `Error{corrupt}` naming expected and actual values if the bytes do not hash to `expected` or
  // their count is not `expected_size`; the store is then unchanged.
  [[nodiscard]] PutResult put(const BlobReader& reader,
                              const std::optional<Digest>& expected = std::nullopt,
                              std::optional<std::uint64_t> expected_size = std::nullopt);
  // As above, reading `in` to its end. A stream error (badbit) throws `Error{io}`.
  [[nodiscard]] PutResult put(std::istream& in,
                              const std::optional<Digest>& expected = std::nullopt,
                              std::optional<std::uint64_t> expected_size = std::nullopt);
  // As above, for bytes already in memory.
  [[nodiscard]] PutResult put_bytes(std::string_view bytes,
                                    const std::optional<Digest>& expected = std::nullopt);
  // Starts a push-style write (see `BlobWriter`). The writer must not outlive this store.
  [[nodiscard]] BlobWriter writer();

  // Whether the blob is stored.
  [[nodiscard]] bool contains(const Digest& digest) const;
  // The stored blob's size, or `std::nullopt` if it is not stored.
  [[nodiscard]] std::optional<std::uint64_t> size_of(const Digest& digest) const;
  // The absolute path of the stored blob, or `std::nullopt` if it is not stored. For handing to
  // tools by name; code that reads the blob itself should use `open_blob` (no path race).
  [[nodiscard]] std::optional<std::string> path_of(const Digest& digest) const;

  // Opens the blob read-only (O_CLOEXEC, O_NOFOLLOW). Does not verify its content. Throws
  // `Error{not_found}` naming the digest if it is not stored, `Error{corrupt}` if the name is not
  // a regular file.
  [[nodiscard]] UniqueFd open_blob(const Digest& digest) const;
  // Reads the whole blob, at most `max_bytes` (more throws `Error{io}`), and checks that it still
  // hashes to `digest` (else `Error{corrupt}`). For manifests, configs and indexes.
  [[nodiscard]] std::string read_blob(const Digest& digest,
                                      std::size_t max_bytes = k_default_max_read) const;
  // Hashes the whole stored blob; throws `Error{corrupt}` naming both digests if it no longer
  // hashes to its name, `Error{not_found}` if it is not stored.
  void verify(const Digest& digest) const;

  // Removes the blob. Returns false if it was not stored. Does not check whether anything still
  // refers to it; that is garbage collection's job.
  [[nodiscard]] bool remove(const Digest& digest);
  // Every stored blob, sorted. Names in `blobs/sha256/` that are not valid digests are skipped
  // with a warning (they are not content; `strata system check` reports them).
  [[nodiscard]] std::vector<Digest> list() const;

  // Removes every ingest directory whose writer is gone (its flock can be taken), and any stray
  // non-directory in `ingest/`. Ingests held by live writers, in this process or another, are
  // left alone. Returns how many entries were removed. Called by gc and prune.
  std::size_t remove_stale_ingests();

private:
  BlobStore(std::string root, UniqueFd blobs_fd) noexcept;
  [[nodiscard]] std::string path(std::string_view relative) const;

  std::string root_;
  UniqueFd blobs_fd_; // <root>/blobs/sha256, for *at calls
};

} // namespace strata::store
