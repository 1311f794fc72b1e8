// Stream side of `apply_layer`: two libarchive readers chained in one thread.
// - `raw_`: filters gzip/zstd (autodetected, in-process) + format "raw"; its read callback pulls
//   the input fd and hashes the compressed bytes (digest).
// - `tar_`: format tar, no filters; its read callback pulls decompressed bytes out of `raw_`,
//   hashes them (diff ID) and enforces the size and ratio limits.
// libarchive is C: callbacks never let an exception unwind through it; they park it in
// `pending_` and report failure, and the caller rethrows it.

#include "store/tar_apply.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "common/error.hpp"
#include "store/sha256.hpp"

namespace strata::store {
namespace {

using tar_apply_detail::Entry;
using tar_apply_detail::EntryType;
using tar_apply_detail::TreeApplier;
using tar_apply_detail::quote_name;

constexpr std::size_t k_buffer_size = 64 * 1024;
constexpr std::uint64_t k_ratio_floor = 1 << 20; // ratios are meaningless for tiny streams

struct ArchiveDeleter {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

[[noreturn]] void throw_corrupt(std::string message) {
  throw Error(ErrorKind::corrupt, std::move(message));
}

std::string archive_message(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

class LayerStream {
public:
  LayerStream(int input_fd, const ApplyLimits& limits) : input_fd_(input_fd), limits_(limits) {}

  // Opens both readers; afterwards `tar()` yields entries.
  void open();
  [[nodiscard]] archive* tar() const noexcept { return tar_.get(); }
  // Rethrows an exception parked by a callback, if any.
  void rethrow_pending();
  // Reads and hashes whatever follows the tar end marker, then the rest of the input.
  void drain();

  [[nodiscard]] std::uint64_t tar_bytes() const noexcept { return tar_bytes_; }
  [[nodiscard]] Digest finish_diff_id() { return tar_hash_.finish(); }
  [[nodiscard]] Digest finish_digest() { return input_hash_.finish(); }

private:
  static la_ssize_t read_input_cb(archive* a, void* self, const void** buffer);
  static la_ssize_t read_tar_cb(archive* a, void* self, const void** buffer);
  la_ssize_t read_input(const void** buffer);
  la_ssize_t read_tar(const void** buffer);

  int input_fd_;
  const ApplyLimits& limits_;
  Sha256 input_hash_;
  Sha256 tar_hash_;
  std::uint64_t input_bytes_ = 0;
  std::uint64_t tar_bytes_ = 0;
  bool raw_eof_ = false;
  bool raw_empty_ = false;
  std::exception_ptr pending_;
  std::vector<std::byte> input_buffer_ = std::vector<std::byte>(k_buffer_size);
  std::vector<std::byte> tar_buffer_ = std::vector<std::byte>(k_buffer_size);
  ArchivePtr raw_;
  ArchivePtr tar_;
};

la_ssize_t LayerStream::read_input_cb(archive* /*a*/, void* self, const void** buffer) {
  return static_cast<LayerStream*>(self)->read_input(buffer);
}

la_ssize_t LayerStream::read_tar_cb(archive* /*a*/, void* self, const void** buffer) {
  return static_cast<LayerStream*>(self)->read_tar(buffer);
}

la_ssize_t LayerStream::read_input(const void** buffer) {
  try {
    ssize_t n = 0;
    do {
      n = ::read(input_fd_, input_buffer_.data(), input_buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      throw_errno("read layer");
    }
    input_hash_.update(std::span(input_buffer_.data(), static_cast<std::size_t>(n)));
    input_bytes_ += static_cast<std::uint64_t>(n);
    *buffer = input_buffer_.data();
    return n;
  } catch (...) {
    pending_ = std::current_exception();
    archive_set_error(raw_.get(), EIO, "read callback failed");
    return -1;
  }
}

la_ssize_t LayerStream::read_tar(const void** buffer) {
  try {
    *buffer = tar_buffer_.data();
    if (raw_eof_ || raw_empty_) {
      return 0;
    }
    const la_ssize_t n = archive_read_data(raw_.get(), tar_buffer_.data(), tar_buffer_.size());
    rethrow_pending();
    if (n < 0) {
      throw_corrupt(fmt::format("decompress layer: {}", archive_message(raw_.get())));
    }
    if (n == 0) {
      raw_eof_ = true;
      return 0;
    }
    tar_hash_.update(std::span(tar_buffer_.data(), static_cast<std::size_t>(n)));
    tar_bytes_ += static_cast<std::uint64_t>(n);
    if (tar_bytes_ > limits_.max_bytes) {
      throw_corrupt(fmt::format("layer larger than the limit of {} bytes", limits_.max_bytes));
    }
    if (tar_bytes_ > k_ratio_floor &&
        static_cast<double>(tar_bytes_) > limits_.max_ratio * static_cast<double>(input_bytes_)) {
      throw_corrupt(fmt::format("layer decompresses more than {}x (compression bomb?)",
                                limits_.max_ratio));
    }
    return n;
  } catch (...) {
    pending_ = std::current_exception();
    archive_set_error(tar_.get(), EIO, "read callback failed");
    return -1;
  }
}

void LayerStream::rethrow_pending() {
  if (pending_) {
    std::rethrow_exception(std::exchange(pending_, nullptr));
  }
}

void LayerStream::open() {
  raw_.reset(archive_read_new());
  tar_.reset(archive_read_new());
  if (!raw_ || !tar_) {
    throw Error(ErrorKind::internal, "archive_read_new: out of memory");
  }
  // Only filters libarchive implements in-process; `filter_all` could run external programs.
  if (archive_read_support_filter_gzip(raw_.get()) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(raw_.get()) != ARCHIVE_OK ||
      archive_read_support_format_raw(raw_.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(tar_.get()) != ARCHIVE_OK) {
    throw Error(ErrorKind::unsupported,
                "libarchive lacks in-process gzip/zstd/tar support: " + archive_message(raw_.get()));
  }
  if (archive_read_open(raw_.get(), this, nullptr, &read_input_cb, nullptr) != ARCHIVE_OK) {
    rethrow_pending();
    throw_corrupt(fmt::format("open layer: {}", archive_message(raw_.get())));
  }
  archive_entry* entry = nullptr;
  const int r = archive_read_next_header(raw_.get(), &entry);
  rethrow_pending();
  if (r == ARCHIVE_EOF) {
    raw_empty_ = true;
  } else if (r < ARCHIVE_WARN) {
    throw_corrupt(fmt::format("open layer: {}", archive_message(raw_.get())));
  }
  if (archive_read_open(tar_.get(), this, nullptr, &read_tar_cb, nullptr) != ARCHIVE_OK) {
    rethrow_pending();
    throw_corrupt(fmt::format("read layer tar: {}", archive_message(tar_.get())));
  }
}

void LayerStream::drain() {
  const void* ignored = nullptr;
  while (read_tar(&ignored) > 0) {
  }
  rethrow_pending();
  while (read_input(&ignored) > 0) {
  }
  rethrow_pending();
}

// Whiteout handling for an entry whose last component starts with `.wh.`. Returns false when the
// entry is not a whiteout.
bool apply_whiteout(const Entry& entry, TreeApplier& writer) {
  const auto slash = entry.path.rfind('/');
  const std::string_view base =
      slash == std::string::npos ? std::string_view(entry.path)
                                 : std::string_view(entry.path).substr(slash + 1);
  if (!base.starts_with(".wh.")) {
    return false;
  }
  if (base != ".wh..wh..opq" && base.starts_with(".wh..wh.")) {
    return true; // aufs metadata (.wh..wh.plnk, ...): never materialised
  }
  const auto victim = base.substr(4);
  if (base != ".wh..wh..opq" && (victim.empty() || victim == "." || victim == "..")) {
    throw_corrupt(fmt::format("layer entry {}: invalid whiteout", quote_name(entry.path)));
  }
  writer.whiteout(entry.path);
  return true;
}

void write_content(archive* tar, LayerStream& stream, int fd, const std::string& path) {
  std::vector<std::byte> buffer(k_buffer_size);
  for (;;) {
    const la_ssize_t n = archive_read_data(tar, buffer.data(), buffer.size());
    stream.rethrow_pending();
    if (n < 0) {
      throw_corrupt(fmt::format("layer entry {}: {}", quote_name(path), archive_message(tar)));
    }
    if (n == 0) {
      return;
    }
    std::size_t done = 0;
    while (done < static_cast<std::size_t>(n)) {
      const ssize_t w = ::write(fd, buffer.data() + done, static_cast<std::size_t>(n) - done);
      if (w < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw_errno("write", path);
      }
      done += static_cast<std::size_t>(w);
    }
  }
}

} // namespace

ApplyResult apply_layer(int input_fd, int target_dir_fd, const ApplyLimits& limits,
                        Privileged privileged) {
  return apply_layer(input_fd, target_dir_fd,
                     ApplyOptions{limits, privileged, WhiteoutMode::remove});
}

ApplyResult apply_layer(int input_fd, int target_dir_fd, const ApplyOptions& options) {
  const ApplyLimits& limits = options.limits;
  LayerStream stream(input_fd, limits);
  stream.open();
  TreeApplier writer(target_dir_fd, options.privileged, options.whiteouts);
  std::uint64_t entries = 0;
  std::uint64_t content_bytes = 0;
  for (;;) {
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(stream.tar(), &e);
    stream.rethrow_pending();
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r < ARCHIVE_WARN) {
      throw_corrupt(fmt::format("read layer tar: {}", archive_message(stream.tar())));
    }
    if (++entries > limits.max_entries) {
      throw_corrupt(fmt::format("layer has more than {} entries", limits.max_entries));
    }
    const Entry entry = tar_apply_detail::decode_entry(e, limits);
    if (apply_whiteout(entry, writer)) {
      continue;
    }
    writer.apply(entry, [&](int fd) { write_content(stream.tar(), stream, fd, entry.path); });
    if (entry.type == EntryType::file) {
      content_bytes += static_cast<std::uint64_t>(archive_entry_size(e));
    }
  }
  writer.finish();
  stream.drain();
  ApplyResult result{stream.finish_diff_id(), stream.finish_digest(), entries, stream.tar_bytes(),
                     writer.skipped_devices(), content_bytes};
  return result;
}

namespace {

struct PreadSource {
  int fd;
  off_t offset = 0;
  std::array<char, 64 * 1024> buffer{};
};

la_ssize_t pread_cb(archive*, void* user, const void** out) {
  auto* source = static_cast<PreadSource*>(user);
  const ssize_t n = ::pread(source->fd, source->buffer.data(), source->buffer.size(), source->offset);
  if (n < 0) {
    return -1;
  }
  source->offset += n;
  *out = source->buffer.data();
  return n;
}

} // namespace

bool is_tar_stream(int fd) {
  archive* a = archive_read_new();
  if (a == nullptr) {
    return false;
  }
  PreadSource source{fd};
  archive_entry* entry = nullptr;
  const bool ok = archive_read_support_filter_gzip(a) == ARCHIVE_OK &&
                  archive_read_support_filter_zstd(a) == ARCHIVE_OK &&
                  archive_read_support_format_tar(a) == ARCHIVE_OK &&
                  archive_read_open(a, &source, nullptr, &pread_cb, nullptr) == ARCHIVE_OK &&
                  archive_read_next_header(a, &entry) == ARCHIVE_OK;
  archive_read_free(a);
  return ok;
}

} // namespace strata::store
