// The single streaming pass of `strata load` over an image archive (archive_load_internal.hpp).
//
// libarchive is the reader (tar, and gzip/zstd of the whole archive, in-process only); nothing is
// ever created on the file system from an archive name: content goes into `BlobWriter` ingests
// (named by the store, not the archive) or into memory, and names only become map keys.

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <memory>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/quote.hpp"
#include "store/archive_load_internal.hpp"
#include "store/sha256.hpp"

namespace strata::store::archive_detail {
namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

std::string message_of(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

ArchivePtr open_reader(int fd) {
  ArchivePtr a(archive_read_new());
  if (!a) {
    throw Error(ErrorKind::internal, "archive_read_new: out of memory");
  }
  // Only filters libarchive implements in-process (ARCHIVE_WARN means "via an external program").
  if (archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(a.get()) != ARCHIVE_OK) {
    throw Error(ErrorKind::unsupported,
                "libarchive lacks in-process gzip/zstd/tar support: " + message_of(a.get()));
  }
  if (archive_read_open_fd(a.get(), fd, 1 << 20) != ARCHIVE_OK) {
    fail(fmt::format("open archive: {}", message_of(a.get())));
  }
  return a;
}

} // namespace

std::optional<std::string> clean_name(std::string_view name) {
  if (name.starts_with('/') || name.size() > k_max_name) {
    return std::nullopt;
  }
  std::string out;
  while (!name.empty()) {
    const auto slash = name.find('/');
    const std::string_view part = name.substr(0, slash);
    name = slash == std::string_view::npos ? std::string_view{} : name.substr(slash + 1);
    if (part == "..") {
      return std::nullopt;
    }
    if (!part.empty() && part != ".") {
      out += out.empty() ? "" : "/";
      out += part;
    }
  }
  return out;
}

namespace {

// A symlink target, resolved lexically against the link's directory, inside the archive.
std::optional<std::string> link_target(const std::string& name, std::string_view target) {
  if (target.starts_with('/')) {
    return std::nullopt;
  }
  std::vector<std::string> parts;
  const auto slash = name.rfind('/');
  std::string joined = slash == std::string::npos ? std::string(target)
                                                  : name.substr(0, slash + 1) + std::string(target);
  std::string_view rest = joined;
  while (!rest.empty()) {
    const auto cut = rest.find('/');
    const std::string_view part = rest.substr(0, cut);
    rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
    if (part == "..") {
      if (parts.empty()) {
        return std::nullopt;
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
  }
  std::string out;
  for (const auto& p : parts) {
    out += out.empty() ? p : "/" + p;
  }
  return out;
}

bool is_hex64(std::string_view s) {
  return s.size() == Digest::k_hex_size &&
         s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

enum class Kind { document, blob, skip };

// What to do with a regular file, by name. Documents are small and kept in memory; blob
// candidates may be layers and are hashed (and, unless small JSON, streamed into an ingest).
Kind classify(const std::string& name) {
  if (name.starts_with("blobs/sha256/")) {
    if (!is_hex64(std::string_view(name).substr(13))) {
      fail(fmt::format("archive entry {}: not a sha256 blob name", quote_entry(name)));
    }
    return Kind::blob;
  }
  if (name == "index.json" || name == "manifest.json" || name == "repositories" ||
      name == "oci-layout" || name.ends_with(".json") || name.ends_with("/json") ||
      name.ends_with("/VERSION")) {
    return Kind::document;
  }
  if (name.ends_with(".tar")) { // `<id>/layer.tar` (docker) and `<hex>.tar` (skopeo)
    return Kind::blob;
  }
  return Kind::skip;
}

class Reader {
public:
  Reader(BlobStore& blobs, int fd) : blobs_(blobs), a_(open_reader(fd)) {}

  ArchiveContents run() {
    archive_entry* entry = nullptr;
    for (std::size_t count = 0;; ++count) {
      const int r = archive_read_next_header(a_.get(), &entry);
      if (r == ARCHIVE_EOF) {
        break;
      }
      if (r < ARCHIVE_WARN) {
        fail(fmt::format("read archive: {}", message_of(a_.get())));
      }
      if (count >= k_max_entries) {
        fail(fmt::format("archive has more than {} entries", k_max_entries));
      }
      entry_(entry);
    }
    return std::move(out_);
  }

private:
  void entry_(archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    const std::string shown = raw != nullptr ? raw : "";
    auto name = clean_name(shown);
    if (!name) {
      fail(fmt::format("archive entry {}: name leaves the archive", quote_entry(shown)));
    }
    if (out_.files.contains(*name) || out_.links.contains(*name)) {
      fail(fmt::format("archive entry {} appears twice", quote_entry(*name)));
    }
    if (const char* hard = archive_entry_hardlink(e); hard != nullptr) {
      const auto target = clean_name(hard);
      if (!target || !out_.files.contains(*target)) {
        fail(fmt::format("archive entry {}: hard link to {} outside the archive",
                         quote_entry(*name), quote_entry(hard)));
      }
      out_.links.emplace(*name, *target);
      return;
    }
    switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
      return;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      const auto resolved = link_target(*name, target != nullptr ? target : "");
      if (!resolved) {
        fail(fmt::format("archive entry {}: symlink to {} leaves the archive",
                         quote_entry(*name), quote_entry(target != nullptr ? target : "")));
      }
      out_.links.emplace(*name, *resolved);
      return;
    }
    case AE_IFREG:
      regular(*name, e);
      return;
    default:
      fail(fmt::format("archive entry {}: not a regular file, directory or link",
                       quote_entry(*name)));
    }
  }

  void regular(const std::string& name, archive_entry* e) {
    const la_int64_t size = archive_entry_size(e);
    if (size < 0 || static_cast<std::uint64_t>(size) > k_max_entry_size) {
      fail(fmt::format("archive entry {}: size {} is out of range", quote_entry(name), size));
    }
    const Kind kind = classify(name);
    if (kind == Kind::skip) {
      return; // libarchive skips the data at the next header
    }
    const auto usize = static_cast<std::uint64_t>(size);
    ArchiveFile file;
    file.size = usize;
    if (kind == Kind::document || usize <= k_max_document) {
      read_small(name, kind, file);
    } else {
      stream(name, file);
    }
    out_.files.emplace(name, std::move(file));
  }

  // Reads the entry's data in blocks; `sink` gets each piece in order.
  template <typename Sink> void read_data(const std::string& name, std::uint64_t size, Sink&& sink) {
    std::uint64_t expected = 0;
    for (;;) {
      const void* block = nullptr;
      std::size_t length = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(a_.get(), &block, &length, &offset);
      if (r == ARCHIVE_EOF) {
        break;
      }
      if (r < ARCHIVE_WARN) {
        fail(fmt::format("archive entry {}: {}", quote_entry(name), message_of(a_.get())));
      }
      if (offset < 0 || static_cast<std::uint64_t>(offset) != expected) {
        fail(fmt::format("archive entry {}: sparse files are not supported", quote_entry(name)));
      }
      expected += length;
      sink(std::string_view(static_cast<const char*>(block), length));
    }
    if (expected != size) {
      fail(fmt::format("archive entry {}: truncated", quote_entry(name)));
    }
  }

  void read_small(const std::string& name, Kind kind, ArchiveFile& file) {
    if (file.size > k_max_document) {
      fail(fmt::format("archive entry {} is larger than {} MiB", quote_entry(name),
                       k_max_document >> 20));
    }
    file.bytes.reserve(file.size);
    read_data(name, file.size, [&](std::string_view piece) { file.bytes += piece; });
    file.digest = sha256_of(file.bytes);
    if (kind == Kind::blob) {
      DiffHasher diff(name);
      diff.update(file.bytes);
      file.diff_id = diff.finish().value_or(*file.digest);
      file.compression = diff.compression();
      if (!file.bytes.starts_with('{')) { // not a document: a (small) layer, ingest it
        file.writer = blobs_.writer();
        file.writer->write(file.bytes);
        std::ignore = file.writer->finish();
        std::string().swap(file.bytes);
        return;
      }
    }
    out_.document_bytes += file.bytes.size();
    if (out_.document_bytes > k_max_documents) {
      fail(fmt::format("archive metadata exceeds {} MiB", k_max_documents >> 20));
    }
  }

  void stream(const std::string& name, ArchiveFile& file) {
    file.writer = blobs_.writer();
    DiffHasher diff(name);
    read_data(name, file.size, [&](std::string_view piece) {
      file.writer->write(piece);
      diff.update(piece);
    });
    file.digest = file.writer->finish();
    file.diff_id = diff.finish().value_or(*file.digest);
    file.compression = diff.compression();
  }

  BlobStore& blobs_;
  ArchivePtr a_;
  ArchiveContents out_;
};

} // namespace

std::string quote_entry(std::string_view name) {
  return quote_untrusted(name);
}

void fail(std::string message) {
  throw Error(ErrorKind::corrupt, std::move(message));
}

const ArchiveFile* ArchiveContents::find(const std::string& name) const {
  std::string current = name;
  for (int hop = 0; hop <= k_max_link_hops; ++hop) {
    if (const auto it = files.find(current); it != files.end()) {
      return &it->second;
    }
    const auto link = links.find(current);
    if (link == links.end()) {
      return nullptr;
    }
    current = link->second;
  }
  return nullptr;
}

ArchiveFile* ArchiveContents::find(const std::string& name) {
  return const_cast<ArchiveFile*>(std::as_const(*this).find(name));
}

ArchiveContents read_archive(BlobStore& blobs, int fd) {
  return Reader(blobs, fd).run();
}

} // namespace strata::store::archive_detail
