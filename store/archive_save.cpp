#include "store/archive_save.hpp"
#include "store/media_types.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "store/archive_tar_writer.hpp"
#include "store/sha256.hpp"

namespace strata::store {
namespace {

using json = nlohmann::json;

constexpr std::size_t k_save_chunk = 1UL << 20;

// Adds `tags` to the entry for `image`, creating it; keeps first-seen order.
void merge(std::vector<SaveImage>& out, const ImageRecord& image, std::vector<Reference> tags) {
  auto it = std::find_if(out.begin(), out.end(), [&](const SaveImage& s) {
    return s.image.manifest.digest == image.manifest.digest;
  });
  if (it == out.end()) {
    out.push_back({image, {}});
    it = std::prev(out.end());
  }
  for (auto& tag : tags) {
    if (std::find(it->tags.begin(), it->tags.end(), tag) == it->tags.end()) {
      it->tags.push_back(std::move(tag));
    }
  }
}

// Every tag of repository `name` (a reference without tag or digest), with its image.
std::vector<std::pair<ImageRecord, Reference>> tags_of_repository(const ImageStore& store,
                                                                  const Reference& name) {
  std::vector<std::pair<ImageRecord, Reference>> out;
  for (const auto& image : store.list()) {
    for (const auto& tag : image.names) {
      if (tag.name() == name.name()) {
        out.emplace_back(image, tag);
      }
    }
  }
  return out;
}

void resolve_one(const ImageStore& store, const std::string& text, std::vector<SaveImage>& out) {
  const auto ref = Reference::try_parse(text);
  if (ref && !ref->digest() && !ref->tag()) {
    const auto tagged = tags_of_repository(store, *ref);
    for (const auto& [image, tag] : tagged) {
      merge(out, image, {tag});
    }
    if (!tagged.empty()) {
      return;
    }
  }
  const ImageRecord image = store.resolve(text);
  const bool by_tag = ref && ref->tag() && !ref->digest() &&
                      std::find(image.names.begin(), image.names.end(), *ref) != image.names.end();
  merge(out, image, by_tag ? std::vector<Reference>{*ref} : std::vector<Reference>{});
}

// A blob to write: its digest and the size its descriptor declares.
struct BlobRef {
  Digest digest;
  std::uint64_t size;
};

// Streams one stored blob into the archive, verifying size and digest on the way.
void write_blob(const BlobStore& blobs, const BlobRef& blob, TarWriter& tar, char* buffer) {
  const UniqueFd fd = blobs.open_blob(blob.digest);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw_errno("stat blob", blob.digest.str());
  }
  if (static_cast<std::uint64_t>(st.st_size) != blob.size) {
    throw Error(ErrorKind::corrupt,
                fmt::format("blob {} is {} bytes, its descriptor says {}", blob.digest.str(),
                            st.st_size, blob.size));
  }
  tar.begin_file(blob.digest.blob_path(), blob.size);
  Sha256 hash;
  for (std::uint64_t left = blob.size; left > 0;) {
    const ssize_t n = ::read(fd.get(), buffer, std::min<std::uint64_t>(left, k_save_chunk));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_errno("read blob", blob.digest.str());
    }
    if (n == 0) {
      throw Error(ErrorKind::corrupt,
                  fmt::format("blob {} shrank while being saved", blob.digest.str()));
    }
    const std::string_view piece(buffer, static_cast<std::size_t>(n));
    hash.update(piece);
    tar.file_data(piece);
    left -= static_cast<std::uint64_t>(n);
  }
  if (const Digest actual = hash.finish(); actual != blob.digest) {
    throw Error(ErrorKind::corrupt,
                fmt::format("blob {} is corrupt: its content hashes to {}", blob.digest.str(),
                            actual.str()));
  }
  tar.end_file();
}

struct Documents {
  Index index;
  json manifest = json::array();
  json repositories = json::object();
};

Descriptor index_entry(const ImageDetail& image, const std::optional<Reference>& tag) {
  Descriptor d{image.record.manifest.media_type, image.record.manifest.digest,
               image.record.manifest.size, {}, std::nullopt};
  if (!image.config.os.empty() && !image.config.architecture.empty()) {
    d.platform = Platform{image.config.os, image.config.architecture, {}};
  }
  if (tag) {
    d.annotations[annotation::containerd_name] = tag->str();
    d.annotations[annotation::ref_name] = *tag->tag(); // Docker 25 writes the tag alone here
  }
  return d;
}

void describe(const ImageDetail& image, const std::vector<Reference>& tags, Documents& docs) {
  json repo_tags = json::array();
  for (const auto& tag : tags) {
    docs.index.manifests.push_back(index_entry(image, tag));
    repo_tags.push_back(tag.familiar());
    if (!image.config.diff_ids.empty()) {
      docs.repositories[tag.familiar_name()][*tag.tag()] = image.config.diff_ids.back().hex();
    }
  }
  if (tags.empty()) {
    docs.index.manifests.push_back(index_entry(image, std::nullopt));
  }
  json layers = json::array();
  for (const auto& layer : image.manifest.layers) {
    layers.push_back(layer.digest.blob_path());
  }
  docs.manifest.push_back({{"Config", image.manifest.config.digest.blob_path()},
                           {"RepoTags", tags.empty() ? json(nullptr) : repo_tags},
                           {"Layers", layers}});
}

} // namespace

std::vector<SaveImage> resolve_save_names(const ImageStore& store,
                                          const std::vector<std::string>& names) {
  std::vector<SaveImage> out;
  for (const auto& name : names) {
    resolve_one(store, name, out);
  }
  return out;
}

void save_archive(const ImageStore& store, const std::vector<SaveImage>& images, int out_fd,
                  std::string_view label) {
  const FileLock lock = store.content_lock();
  std::map<Digest, std::uint64_t> blobs; // sorted by digest, each once
  Documents docs;
  for (const auto& item : images) {
    const ImageDetail image = store.load(item.image);
    blobs.emplace(image.record.manifest.digest, image.record.manifest.size);
    blobs.emplace(image.manifest.config.digest, image.manifest.config.size);
    for (const auto& layer : image.manifest.layers) {
      blobs.emplace(layer.digest, layer.size);
    }
    std::vector<Reference> tags;
    for (const auto& tag : item.tags) {
      tags.push_back(tag.with_default_tag());
    }
    describe(image, tags, docs);
  }
  TarWriter tar(out_fd, std::string(label));
  tar.add_directory("blobs/");
  tar.add_directory("blobs/sha256/");
  const auto buffer = std::make_unique_for_overwrite<char[]>(k_save_chunk);
  for (const auto& [digest, size] : blobs) {
    write_blob(store.blobs(), {digest, size}, tar, buffer.get());
  }
  tar.add_file("index.json", docs.index.serialize());
  tar.add_file("manifest.json", docs.manifest.dump() + "\n");
  tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  if (!docs.repositories.empty()) {
    tar.add_file("repositories", docs.repositories.dump() + "\n");
  }
  tar.finish();
}

} // namespace strata::store
