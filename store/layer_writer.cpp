// `write_layer` (the recipe) and `TarStream`, the libarchive side of the layer writer. The tree
// walk is in store/layer_writer_walk.cpp.

#include "store/layer_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "common/error.hpp"
#include "store/layer_writer_internal.hpp"

namespace strata::store {
namespace layer_writer_detail {

namespace {

std::string archive_message(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

unsigned int filetype_of(TarType type) {
  switch (type) {
  case TarType::file:
  case TarType::hardlink:
    return AE_IFREG;
  case TarType::directory:
    return AE_IFDIR;
  case TarType::symlink:
    return AE_IFLNK;
  case TarType::fifo:
    return AE_IFIFO;
  case TarType::char_device:
    return AE_IFCHR;
  case TarType::block_device:
    return AE_IFBLK;
  }
  STRATA_CHECK(false);
  return 0;
}

} // namespace

TarStream::TarStream(Compressor& out) : out_(out) {
  archive_ = archive_write_new();
  entry_ = archive_entry_new();
  if (archive_ == nullptr || entry_ == nullptr) {
    archive_entry_free(entry_);
    archive_write_free(archive_);
    throw Error(ErrorKind::internal, "archive_write_new: out of memory");
  }
  // pax_restricted: plain ustar headers unless something needs PAX. Xattrs only as SCHILY.xattr
  // (what Go's archive/tar, and so Docker and containerd, read and write), not LIBARCHIVE.xattr.
  // No blocking: the stream ends right after the two zero blocks, like Go's writer.
  check(archive_write_set_format_pax_restricted(archive_), "set tar format", "");
  check(archive_write_set_format_option(archive_, "pax", "xattrheader", "SCHILY"),
        "set tar option", "");
  check(archive_write_add_filter_none(archive_), "set tar filter", "");
  check(archive_write_set_bytes_per_block(archive_, 0), "set tar blocking", "");
  check(archive_write_set_bytes_in_last_block(archive_, 1), "set tar blocking", "");
  check(archive_write_open(archive_, this, nullptr, &write_cb, nullptr), "open tar", "");
}

TarStream::~TarStream() {
  discard_ = true; // an unclosed archive writes its trailer on free: nobody wants it now
  archive_entry_free(entry_);
  archive_write_free(archive_); // after a failure: closes without reporting
}

long TarStream::write_cb(archive* a, void* self, const void* buffer, std::size_t size) {
  auto* stream = static_cast<TarStream*>(self);
  if (stream->discard_) {
    return static_cast<long>(size);
  }
  try {
    const std::string_view bytes(static_cast<const char*>(buffer), size);
    stream->hash_.update(bytes);
    stream->tar_size_ += size;
    stream->out_.write(bytes);
    return static_cast<long>(size);
  } catch (...) {
    stream->pending_ = std::current_exception();
    archive_set_error(a, EIO, "layer output failed");
    return -1;
  }
}

void TarStream::rethrow_pending() {
  if (pending_) {
    std::rethrow_exception(std::exchange(pending_, nullptr));
  }
}

void TarStream::check(int rc, std::string_view what, std::string_view name) {
  rethrow_pending();
  // ARCHIVE_WARN: e.g. a name not valid in the locale, written raw with hdrcharset=BINARY.
  if (rc < ARCHIVE_WARN) {
    throw Error(ErrorKind::io, fmt::format("{} {}: {}", what, name, archive_message(archive_)));
  }
}

void TarStream::begin(const TarEntry& entry) {
  archive_entry_clear(entry_);
  current_ = entry.name;
  archive_entry_copy_pathname(entry_, entry.name.c_str());
  archive_entry_set_mode(entry_, filetype_of(entry.type) | (entry.mode & 07777));
  archive_entry_set_uid(entry_, entry.uid);
  archive_entry_set_gid(entry_, entry.gid);
  archive_entry_set_mtime(entry_, entry.mtime, 0);
  archive_entry_set_size(entry_, entry.type == TarType::file
                                     ? static_cast<la_int64_t>(entry.size)
                                     : 0);
  if (entry.type == TarType::symlink) {
    archive_entry_copy_symlink(entry_, entry.link.c_str());
  } else if (entry.type == TarType::hardlink) {
    archive_entry_copy_hardlink(entry_, entry.link.c_str());
  } else if (entry.type == TarType::char_device || entry.type == TarType::block_device) {
    archive_entry_set_rdevmajor(entry_, entry.dev_major);
    archive_entry_set_rdevminor(entry_, entry.dev_minor);
  }
  for (const auto& [name, value] : entry.xattrs) {
    archive_entry_xattr_add_entry(entry_, name.c_str(), value.data(), value.size());
  }
  check(archive_write_header(archive_, entry_), "write tar header", entry.name);
}

void TarStream::data(std::string_view bytes) {
  const la_ssize_t n = archive_write_data(archive_, bytes.data(), bytes.size());
  rethrow_pending();
  if (n != static_cast<la_ssize_t>(bytes.size())) {
    throw Error(ErrorKind::io,
                fmt::format("write tar data {}: {}", current_, archive_message(archive_)));
  }
}

void TarStream::end() {
  check(archive_write_finish_entry(archive_), "finish tar entry", current_);
}

void TarStream::close() {
  check(archive_write_close(archive_), "close tar", "");
}

} // namespace layer_writer_detail

LayerBlob layer_writer_detail::write_layer_with(BlobStore& store, const LayerWriteOptions& options,
                                               const EntryProducer& produce) {
  BlobWriter blob = store.writer();
  auto compressor = make_compressor(options.compression, options.level,
                                    [&blob](std::string_view bytes) { blob.write(bytes); });
  TarStream tar(*compressor);
  TreeWalker walker(tar, options);
  produce(walker, tar);
  tar.close();
  compressor->finish();
  const PutResult put = blob.publish();
  return LayerBlob{.digest = put.digest,
                   .diff_id = tar.finish_diff_id(),
                   .size = put.size,
                   .tar_size = tar.tar_size(),
                   .content_size = walker.content_size(),
                   .media_type = std::string(layer_media_type(options.compression)),
                   .already_present = put.already_present};
}

LayerMeasure measure_layer(int source_dir_fd, const LayerWriteOptions& options) {
  using layer_writer_detail::TarStream;
  using layer_writer_detail::TreeWalker;
  const auto out = make_compressor(Compression::none, std::nullopt, [](std::string_view) {});
  TarStream tar(*out);
  TreeWalker walker(tar, options);
  walker.walk(source_dir_fd);
  tar.close();
  out->finish();
  return LayerMeasure{tar.finish_diff_id(), tar.tar_size(), walker.content_size()};
}

LayerBlob write_layer(BlobStore& store, int source_dir_fd, const LayerWriteOptions& options) {
  return layer_writer_detail::write_layer_with(
      store, options, [source_dir_fd](layer_writer_detail::TreeWalker& walker,
                                      layer_writer_detail::TarStream&) {
        walker.walk(source_dir_fd);
      });
}

} // namespace strata::store
