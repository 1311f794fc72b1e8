#include "store/blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <istream>
#include <memory>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/scope_exit.hpp"
#include "common/temp_dir.hpp"
#include "store/atomic_file.hpp"
#include "store/file_lock.hpp"
#include "store/sha256.hpp"

namespace strata::store {
namespace {

constexpr std::string_view k_oci_layout = R"({"imageLayoutVersion":"1.0.0"})";
constexpr std::string_view k_empty_index =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
constexpr std::string_view k_blobs_dir = "blobs/sha256";
constexpr std::string_view k_ingest_dir = "ingest";
constexpr std::string_view k_ingest_lock = "locks/ingest.lock";
constexpr const char* k_ingest_data = "data";
constexpr std::size_t k_copy_chunk = 64UL * 1024;

// ---- Layout -------------------------------------------------------------------------------------

// Lexical only (getcwd + normalisation); nothing on disk is resolved.
std::string absolute(const std::string& root) {
  if (root.empty()) {
    throw Error(ErrorKind::usage, "open store: empty root path");
  }
  std::string out = std::filesystem::absolute(root).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

UniqueFd open_directory(int dirfd, const std::string& name, const std::string& label) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    throw_errno("open directory", label);
  }
  return fd;
}


// ---- Writing ------------------------------------------------------------------------------------

// One in-progress write: `ingest/<random>/`, exclusively flocked from creation until the
// destructor has removed it (whatever it still contains).
class Ingest {
public:
  explicit Ingest(const std::string& root);
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;
  ~Ingest();

  [[nodiscard]] int dirfd() const noexcept { return lock_->fd(); }
  [[nodiscard]] std::string data_path() const { return path_ + "/" + k_ingest_data; }
  [[nodiscard]] UniqueFd create_data() const;

private:
  std::string path_;
  std::optional<FileLock> lock_;
};

Ingest::Ingest(const std::string& root) {
  // Shared gate: `remove_stale_ingests` (exclusive) never sees the directory before it is locked.
  const FileLock gate(root + "/" + std::string(k_ingest_lock), LockMode::shared);
  std::string dir = root + "/" + std::string(k_ingest_dir) + "/XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) { // mode 0700
    throw_errno("create ingest directory in", root + "/" + std::string(k_ingest_dir));
  }
  ScopeExit cleanup([&dir] { std::ignore = ::rmdir(dir.c_str()); });
  lock_.emplace(open_directory(AT_FDCWD, dir, dir), dir, LockMode::exclusive);
  cleanup.release();
  path_ = std::move(dir);
}

Ingest::~Ingest() {
  try {
    remove_tree(path_); // while still holding the lock
  } catch (const std::exception& e) {
    log::warn("cannot remove ingest directory {}: {}", path_, e.what());
  }
}

UniqueFd Ingest::create_data() const {
  UniqueFd fd(
      ::openat(dirfd(), k_ingest_data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    throw_errno("create", data_path());
  }
  return fd;
}

struct Streamed {
  Digest digest;
  std::uint64_t size;
};

[[noreturn]] void throw_size_mismatch(std::uint64_t expected, std::string_view actual) {
  throw Error(ErrorKind::corrupt,
              fmt::format("put blob: size mismatch: expected {} bytes, got {}", expected, actual));
}

// Copies `reader` into `fd`, hashing on the way. Stops as soon as the input outgrows
// `expected_size`, so a hostile or broken source cannot fill the disk.
Streamed stream_into(const BlobReader& reader, int fd, std::optional<std::uint64_t> expected_size,
                     const std::string& label) {
  Sha256 hasher;
  const auto buffer = std::make_unique_for_overwrite<char[]>(k_copy_chunk);
  for (;;) {
    const std::size_t n = reader(std::span<char>(buffer.get(), k_copy_chunk));
    STRATA_CHECK(n <= k_copy_chunk);
    if (n == 0) {
      break;
    }
    const std::string_view piece(buffer.get(), n);
    hasher.update(piece);
    if (expected_size && hasher.bytes_hashed() > *expected_size) {
      throw_size_mismatch(*expected_size, "more");
    }
    write_all(fd, piece, label);
  }
  const std::uint64_t size = hasher.bytes_hashed();
  return {hasher.finish(), size};
}

void check_expected(const Streamed& got, const std::optional<Digest>& expected,
                    std::optional<std::uint64_t> expected_size) {
  if (expected_size && got.size != *expected_size) {
    throw_size_mismatch(*expected_size, std::to_string(got.size));
  }
  if (expected && got.digest != *expected) {
    throw Error(ErrorKind::corrupt, fmt::format("put blob: digest mismatch: expected {}, got {}",
                                                expected->str(), got.digest.str()));
  }
}

// Makes the ingested bytes durable and read-only before they get a public name.
void seal(UniqueFd fd, const std::string& label) {
  if (::fsync(fd.get()) != 0) {
    throw_errno("fsync", label);
  }
  if (::fchmod(fd.get(), 0444) != 0) {
    throw_errno("chmod", label);
  }
  fd.close();
}

// Renames the ingest's data to its digest name unless that name exists. Returns false if another
// writer published it first. Either way the name is durable on return.
bool publish(const Ingest& ingest, int blobs_fd, const Digest& digest, const std::string& label) {
  const std::string hex = digest.hex();
  int rc = ::renameat2(ingest.dirfd(), k_ingest_data, blobs_fd, hex.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
    // No RENAME_NOREPLACE on this file system: linkat(2) also fails with EEXIST atomically.
    rc = ::linkat(ingest.dirfd(), k_ingest_data, blobs_fd, hex.c_str(), 0);
  }
  const bool published = rc == 0;
  if (!published && errno != EEXIST) {
    throw_errno("publish blob", label + "/" + hex);
  }
  if (::fsync(blobs_fd) != 0) {
    throw_errno("fsync directory", label);
  }
  return published;
}

// ---- Reading ------------------------------------------------------------------------------------

void check_content(const Digest& name, const Digest& actual) {
  if (actual != name) {
    throw Error(ErrorKind::corrupt, fmt::format("blob {} is corrupt: its content hashes to {}",
                                                name.str(), actual.str()));
  }
}

// Removes the ingest `name` if no live writer holds its lock. Returns whether it removed anything.
bool remove_if_stale(int ingest_fd, const std::string& ingest_dir, const std::string& name) {
  const std::string full = ingest_dir + "/" + name;
  UniqueFd fd(::openat(ingest_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) {
      return false;
    }
    if (errno != ENOTDIR && errno != ELOOP) {
      throw_errno("open ingest directory", full);
    }
    if (::unlinkat(ingest_fd, name.c_str(), 0) != 0) { // a stray file or symlink
      if (errno == ENOENT) {
        return false;
      }
      throw_errno("remove", full);
    }
    return true;
  }
  const auto lock = FileLock::try_lock(std::move(fd), full, LockMode::exclusive);
  if (!lock) {
    return false; // a live writer
  }
  struct stat info {};
  if (::fstat(lock->fd(), &info) != 0) {
    throw_errno("stat", full);
  }
  if (info.st_nlink == 0) {
    return false; // its writer finished and removed it after we listed it
  }
  remove_tree(full);
  return true;
}

} // namespace

// ---- BlobWriter ---------------------------------------------------------------------------------

struct BlobWriter::State {
  State(const std::string& root, int blobs_fd_in, std::string blobs_label_in)
      : ingest(std::in_place, root), data(ingest->create_data()), label(ingest->data_path()),
        blobs_fd(blobs_fd_in),
        blobs_label(std::move(blobs_label_in)) {
    buffer.reserve(k_buffer);
  }
  static constexpr std::size_t k_buffer = 1UL << 20;

  void flush() {
    write_all(data.get(), buffer, label);
    buffer.clear();
  }

  std::optional<Ingest> ingest; // reset (removed) once published
  UniqueFd data;
  std::string label;
  int blobs_fd;
  std::string blobs_label;
  Sha256 hasher;
  std::string buffer;
  std::optional<Digest> digest; // set by finish()
  bool published = false;
};

BlobWriter::BlobWriter(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter& BlobWriter::operator=(BlobWriter&&) noexcept = default;
BlobWriter::~BlobWriter() = default;

void BlobWriter::write(std::string_view bytes) {
  STRATA_CHECK(state_ && !state_->digest);
  state_->hasher.update(bytes);
  if (state_->buffer.size() + bytes.size() > State::k_buffer) {
    state_->flush();
  }
  if (bytes.size() >= State::k_buffer) {
    write_all(state_->data.get(), bytes, state_->label);
  } else {
    state_->buffer.append(bytes);
  }
}

std::uint64_t BlobWriter::size() const noexcept {
  return state_ ? state_->hasher.bytes_hashed() : 0;
}

Digest BlobWriter::finish() {
  STRATA_CHECK(state_);
  if (!state_->digest) {
    state_->flush();
    seal(std::move(state_->data), state_->label);
    state_->digest = state_->hasher.finish();
  }
  return *state_->digest;
}

PutResult BlobWriter::publish(const std::optional<Digest>& expected,
                              std::optional<std::uint64_t> expected_size) {
  const Digest digest = finish();
  STRATA_CHECK(!state_->published);
  const Streamed got{digest, size()};
  check_expected(got, expected, expected_size);
  const bool published = strata::store::publish(*state_->ingest, state_->blobs_fd, digest,
                                                state_->blobs_label);
  state_->published = true;
  state_->ingest.reset();
  return {digest, got.size, !published};
}

// ---- BlobStore ----------------------------------------------------------------------------------

BlobStore::BlobStore(std::string root, UniqueFd blobs_fd) noexcept
    : root_(std::move(root)), blobs_fd_(std::move(blobs_fd)) {}

std::string BlobStore::path(std::string_view relative) const {
  return root_ + "/" + std::string(relative);
}

BlobStore BlobStore::open(const std::string& root) {
  std::string abs = absolute(root);
  for (const std::string_view sub : {"", "/blobs", "/blobs/sha256", "/ingest", "/tmp", "/locks"}) {
    ensure_directory(abs + std::string(sub), 0700);
  }
  std::ignore = write_file_if_absent(abs + "/index.json", k_empty_index);
  std::ignore = write_file_if_absent(abs + "/oci-layout", k_oci_layout); // last: layout complete
  UniqueFd blobs = open_directory(AT_FDCWD, abs + "/" + std::string(k_blobs_dir), abs);
  return BlobStore(std::move(abs), std::move(blobs));
}

PutResult BlobStore::put(const BlobReader& reader, const std::optional<Digest>& expected,
                         std::optional<std::uint64_t> expected_size) {
  if (expected) {
    if (const auto stored = size_of(*expected)) {
      if (expected_size && *stored != *expected_size) {
        throw_size_mismatch(*expected_size, std::to_string(*stored));
      }
      return {*expected, *stored, true};
    }
  }
  const Ingest ingest(root_);
  UniqueFd data = ingest.create_data();
  const std::string label = ingest.data_path();
  const Streamed got = stream_into(reader, data.get(), expected_size, label);
  check_expected(got, expected, expected_size);
  seal(std::move(data), label);
  const bool published = publish(ingest, blobs_fd_.get(), got.digest, path(k_blobs_dir));
  return {got.digest, got.size, !published};
}

PutResult BlobStore::put(std::istream& in, const std::optional<Digest>& expected,
                         std::optional<std::uint64_t> expected_size) {
  const BlobReader reader = [&in](std::span<char> buffer) -> std::size_t {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.bad()) {
      throw Error(ErrorKind::io, "put blob: read input stream: stream error");
    }
    return static_cast<std::size_t>(in.gcount());
  };
  return put(reader, expected, expected_size);
}

PutResult BlobStore::put_bytes(std::string_view bytes, const std::optional<Digest>& expected) {
  const BlobReader reader = [&bytes](std::span<char> buffer) -> std::size_t {
    const std::size_t n = std::min(buffer.size(), bytes.size());
    std::copy_n(bytes.data(), n, buffer.data());
    bytes.remove_prefix(n);
    return n;
  };
  return put(reader, expected, bytes.size());
}

BlobWriter BlobStore::writer() {
  return BlobWriter(std::make_unique<BlobWriter::State>(root_, blobs_fd_.get(), path(k_blobs_dir)));
}

std::optional<std::uint64_t> BlobStore::size_of(const Digest& digest) const {
  struct stat info {};
  if (::fstatat(blobs_fd_.get(), digest.hex().c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw_errno("stat blob", path(digest.blob_path()));
  }
  if (!S_ISREG(info.st_mode)) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(info.st_size);
}

bool BlobStore::contains(const Digest& digest) const {
  return size_of(digest).has_value();
}

std::optional<std::string> BlobStore::path_of(const Digest& digest) const {
  if (!contains(digest)) {
    return std::nullopt;
  }
  return path(digest.blob_path());
}

UniqueFd BlobStore::open_blob(const Digest& digest) const {
  // O_NONBLOCK: a FIFO planted under a blob name fails the type check instead of hanging the open.
  // It has no effect on reads of a regular file.
  UniqueFd fd(::openat(blobs_fd_.get(), digest.hex().c_str(),
                       O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) {
      throw Error(ErrorKind::not_found, fmt::format("blob {} not found", digest.str()));
    }
    if (errno == ELOOP) {
      throw Error(ErrorKind::corrupt, fmt::format("blob {} is a symbolic link", digest.str()));
    }
    throw_errno("open blob", path(digest.blob_path()));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    throw_errno("stat blob", path(digest.blob_path()));
  }
  if (!S_ISREG(info.st_mode)) {
    throw Error(ErrorKind::corrupt, fmt::format("blob {} is not a regular file", digest.str()));
  }
  return fd;
}

std::string BlobStore::read_blob(const Digest& digest, std::size_t max_bytes) const {
  const UniqueFd fd = open_blob(digest);
  std::string bytes = read_fd(fd.get(), path(digest.blob_path()), max_bytes);
  check_content(digest, sha256_of(bytes));
  return bytes;
}

void BlobStore::verify(const Digest& digest) const {
  const UniqueFd fd = open_blob(digest);
  check_content(digest, sha256_of_fd(fd.get(), path(digest.blob_path())));
}

bool BlobStore::remove(const Digest& digest) {
  if (::unlinkat(blobs_fd_.get(), digest.hex().c_str(), 0) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    throw_errno("remove blob", path(digest.blob_path()));
  }
  return true;
}

std::vector<Digest> BlobStore::list() const {
  std::vector<Digest> out;
  for (const auto& name : list_directory(blobs_fd_.get(), path(k_blobs_dir))) {
    if (auto digest = Digest::try_parse("sha256:" + name)) {
      out.push_back(*digest);
    } else {
      log::warn("store: ignoring {}/{}: not a digest", path(k_blobs_dir), name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t BlobStore::remove_stale_ingests() {
  const FileLock gate(path(k_ingest_lock), LockMode::exclusive);
  const std::string ingest_dir = path(k_ingest_dir);
  const UniqueFd dir = open_directory(AT_FDCWD, ingest_dir, ingest_dir);
  std::size_t removed = 0;
  for (const auto& name : list_directory(dir.get(), ingest_dir)) {
    if (remove_if_stale(dir.get(), ingest_dir, name)) {
      ++removed;
    }
  }
  return removed;
}

} // namespace strata::store
