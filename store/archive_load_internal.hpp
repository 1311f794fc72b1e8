#pragma once
// Internal to store/archive_load*.cpp: the pieces of `load_archive` (store/archive_load.hpp).
//
//   archive_read.cpp   one streaming pass over the archive → `ArchiveContents` (nothing published)
//   archive_diff.cpp   `DiffHasher`: the diff ID of a gzip/zstd/plain layer, hashed while read
//   archive_plan.cpp   `ArchiveContents` → validated `PlannedImage`s (docker and OCI formats)
//   archive_load.cpp   publish, unpack, register; roll back on failure
// Not for use outside those files.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/blob_store.hpp"
#include "store/compress.hpp"
#include "store/image.hpp"
#include "store/reference.hpp"

namespace strata::store::archive_detail {

// Limits on what an archive may contain (SECURITY.md §2.2 CVE-2023-25153: bounded metadata).
inline constexpr std::size_t k_max_document = 4UL << 20;   // one JSON/metadata file
inline constexpr std::size_t k_max_documents = 64UL << 20; // all of them together
inline constexpr std::size_t k_max_entries = 10'000;
inline constexpr std::uint64_t k_max_entry_size = 64ULL << 30;
inline constexpr std::size_t k_max_name = 4096;
inline constexpr int k_max_link_hops = 16;

// One regular file of the archive. Small JSON documents (and every other file up to
// `k_max_document` whose first byte is `{`) are kept in `bytes`; everything else was streamed into
// `writer` (finished, not published).
struct ArchiveFile {
  std::string bytes;
  std::optional<BlobWriter> writer;
  std::uint64_t size = 0;
  std::optional<Digest> digest;  // sha256 of the content (blob candidates and documents)
  std::optional<Digest> diff_id; // sha256 of the decompressed content (blob candidates)
  Compression compression = Compression::none;

  [[nodiscard]] bool in_memory() const noexcept { return !writer; }
};

// Everything one pass over the archive found. Names are clean archive paths ("a/b", no "./").
struct ArchiveContents {
  std::map<std::string, ArchiveFile> files;
  std::map<std::string, std::string> links; // symlink or hardlink name → clean target name
  std::size_t document_bytes = 0;

  // The file `name` names, following links (at most `k_max_link_hops`), or nullptr.
  [[nodiscard]] const ArchiveFile* find(const std::string& name) const;
  [[nodiscard]] ArchiveFile* find(const std::string& name);
};

// Reads the archive (plain, gzip or zstd tar) from `fd` to its end. Throws `Error{corrupt}`
// naming the entry for anything malformed, hostile or over a limit.
[[nodiscard]] ArchiveContents read_archive(BlobStore& blobs, int fd);

// Hashes the decompressed form of a layer as its compressed bytes stream past: gzip (several
// members allowed) and zstd by magic bytes, in-process; anything else is taken as a plain tar,
// whose diff ID is its digest (`finish` then returns nullopt). Bounded like `apply_layer`:
// 64 GiB and a 1000:1 ratio past the first MiB.
class DiffHasher {
public:
  explicit DiffHasher(std::string label);
  DiffHasher(const DiffHasher&) = delete;
  DiffHasher& operator=(const DiffHasher&) = delete;
  ~DiffHasher();

  void update(std::string_view bytes);
  [[nodiscard]] std::optional<Digest> finish();
  [[nodiscard]] Compression compression() const noexcept { return compression_; }

private:
  struct Codec;
  void start(std::string_view head);
  void decode(std::string_view bytes);

  std::string label_;
  std::string head_; // the first bytes, until the magic is known
  bool started_ = false;
  Compression compression_ = Compression::none;
  std::unique_ptr<Codec> codec_;
};

// One image ready to publish: documents verified, layers present with matching diff IDs.
struct PlannedImage {
  std::string manifest_bytes;
  Descriptor manifest;             // of `manifest_bytes`
  Manifest parsed;
  std::string config_bytes;        // exactly as in the archive: the image ID is their digest
  ImageConfig config;
  std::vector<std::string> layers; // archive names of the layer files, in order
  std::vector<Reference> tags;
};

// Builds and validates every image the archive describes (manifest.json and/or index.json).
// Throws `Error{corrupt}` naming the entry or digest at fault.
[[nodiscard]] std::vector<PlannedImage> plan_images(const ArchiveContents& contents);

// Helpers shared by the above.
// Cleans an archive name ("./a//b/" → "a/b"); nullopt for absolute names and `..` components,
// which no image archive format uses.
[[nodiscard]] std::optional<std::string> clean_name(std::string_view name);
[[nodiscard]] std::string quote_entry(std::string_view name);
[[noreturn]] void fail(std::string message);

} // namespace strata::store::archive_detail
