#include "store/image_store.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "store/atomic_file.hpp"
#include "store/media_types.hpp"

namespace strata::store {
namespace {

constexpr std::size_t k_max_index = 64UL << 20;

std::optional<Reference> name_of(const Descriptor& entry) {
  for (const char* key : {annotation::containerd_name, annotation::ref_name}) {
    if (const auto it = entry.annotations.find(key); it != entry.annotations.end()) {
      if (auto ref = Reference::try_parse(it->second); ref && ref->tag() && !ref->digest()) {
        return ref;
      }
    }
  }
  return std::nullopt;
}

Descriptor entry_for(const Descriptor& manifest, const std::optional<Reference>& name) {
  Descriptor entry{manifest.media_type, manifest.digest, manifest.size, {}, std::nullopt};
  if (name) {
    entry.annotations[annotation::ref_name] = name->familiar();
    entry.annotations[annotation::containerd_name] = name->str();
  }
  return entry;
}

Index read_index(const std::string& root) {
  const std::string path = root + "/index.json";
  return Index::parse(read_file(path, k_max_index), path);
}

bool is_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool has_entry(const std::vector<Descriptor>& entries, const Digest& digest) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const Descriptor& e) { return e.digest == digest; });
}

// Points `names` at `manifest` in the index entries. Tags move: an image that loses its last tag
// stays as one nameless (dangling) entry. With no names, the image gets one nameless entry unless
// it is already listed.
void retag(std::vector<Descriptor>& entries, const Descriptor& manifest,
           const std::vector<Reference>& names) {
  std::vector<Descriptor> kept;
  std::vector<Descriptor> untagged;
  for (auto& e : entries) {
    const auto name = name_of(e);
    if (name && std::find(names.begin(), names.end(), *name) != names.end()) {
      untagged.push_back(std::move(e));
    } else {
      kept.push_back(std::move(e));
    }
  }
  for (const auto& e : untagged) {
    if (e.digest != manifest.digest && !has_entry(kept, e.digest)) {
      kept.push_back(entry_for(e, std::nullopt));
    }
  }
  if (!names.empty()) {
    std::erase_if(kept, [&](const Descriptor& e) {
      return e.digest == manifest.digest && !name_of(e);
    });
    for (const auto& name : names) {
      kept.push_back(entry_for(manifest, name));
    }
  } else if (!has_entry(kept, manifest.digest)) {
    kept.push_back(entry_for(manifest, std::nullopt));
  }
  entries = std::move(kept);
}

[[noreturn]] void no_such_image(std::string_view text) {
  throw Error(ErrorKind::not_found, fmt::format("No such image: {}", text));
}

} // namespace

ImageStore ImageStore::open(const std::string& root) {
  BlobStore blobs = BlobStore::open(root);
  SnapshotStore snapshots = SnapshotStore::open(blobs.root());
  return ImageStore(std::move(blobs), std::move(snapshots));
}

FileLock ImageStore::content_lock() const {
  return FileLock(root() + "/locks/gc.lock", LockMode::shared);
}

std::vector<Descriptor> ImageStore::index_entries() const {
  return read_index(root()).manifests;
}

std::vector<ImageRecord> ImageStore::list() const {
  std::vector<ImageRecord> out;
  for (const auto& entry : index_entries()) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const ImageRecord& r) { return r.manifest.digest == entry.digest; });
    if (it == out.end()) {
      std::optional<Digest> id;
      try {
        id = Manifest::parse(blobs_.read_blob(entry.digest), entry.digest.str()).config.digest;
      } catch (const Error&) {
        continue; // unreadable entries are invisible here; `system check` reports them
      }
      out.push_back({entry_for(entry, std::nullopt), *id, {}});
      it = std::prev(out.end());
    }
    if (auto name = name_of(entry)) {
      it->names.push_back(*name);
    }
  }
  for (auto& record : out) {
    std::sort(record.names.begin(), record.names.end(),
              [](const Reference& a, const Reference& b) { return a.str() < b.str(); });
    record.names.erase(std::unique(record.names.begin(), record.names.end()), record.names.end());
  }
  return out;
}

ImageDetail ImageStore::load(const ImageRecord& record) const {
  const std::string label = record.manifest.digest.str();
  Manifest manifest = Manifest::parse(blobs_.read_blob(record.manifest.digest), label);
  std::string config_bytes = blobs_.read_blob(manifest.config.digest);
  ImageConfig config = ImageConfig::parse(config_bytes, manifest.config.digest.str());
  check_image(manifest, config, label);
  return {record, std::move(manifest), std::move(config), std::move(config_bytes)};
}

std::optional<ImageRecord> ImageStore::try_resolve(std::string_view text) const {
  const auto images = list();
  // A name first: NAME[:TAG], or NAME@DIGEST where the digest decides (as in docker).
  if (const auto ref = Reference::try_parse(text)) {
    const Reference tagged = ref->with_default_tag();
    for (const auto& image : images) {
      const bool hit = ref->digest() ? image.manifest.digest == *ref->digest()
                                     : std::find(image.names.begin(), image.names.end(),
                                                 tagged) != image.names.end();
      if (hit) {
        return image;
      }
    }
  }
  // Then an ID or manifest digest, full or a unique prefix (docker tries names first too).
  std::string_view hex = text;
  if (hex.starts_with("sha256:")) {
    hex.remove_prefix(7);
  }
  if (is_hex(hex) && hex.size() <= Digest::k_hex_size) {
    std::vector<const ImageRecord*> hits;
    for (const auto& image : images) {
      if (image.id.hex().starts_with(hex) ||
          (hex.size() == Digest::k_hex_size && image.manifest.digest.hex() == hex)) {
        hits.push_back(&image);
      }
    }
    if (hits.size() == 1) {
      return *hits.front();
    }
    if (hits.size() > 1) {
      throw Error(ErrorKind::usage,
                  fmt::format("{} is ambiguous: it is a prefix of {} image IDs", text, hits.size()));
    }
  }
  return std::nullopt;
}

ImageRecord ImageStore::resolve(std::string_view text) const {
  if (auto found = try_resolve(text)) {
    return *found;
  }
  no_such_image(text);
}

template <typename F> void ImageStore::update_index(F&& change) {
  const FileLock lock(root() + "/locks/index.lock", LockMode::exclusive);
  Index index = read_index(root());
  change(index.manifests);
  write_file_atomically(root() + "/index.json", index.serialize(), 0644);
}

ImageRecord ImageStore::add(const Descriptor& manifest, const std::vector<Reference>& tags) {
  const std::string label = manifest.digest.str();
  const Manifest m = Manifest::parse(blobs_.read_blob(manifest.digest), label);
  const ImageConfig config =
      ImageConfig::parse(blobs_.read_blob(m.config.digest), m.config.digest.str());
  check_image(m, config, label);
  for (const auto& layer : m.layers) {
    if (!blobs_.contains(layer.digest)) {
      throw Error(ErrorKind::not_found, fmt::format("{}: layer {} is not stored", label,
                                                    layer.digest.str()));
    }
  }
  std::vector<Reference> names;
  for (const auto& tag : tags) {
    names.push_back(tag.with_default_tag());
  }
  update_index([&](std::vector<Descriptor>& entries) { retag(entries, manifest, names); });
  return resolve(manifest.digest.str());
}

ImageRecord ImageStore::commit_image(std::string_view config_bytes,
                                     const std::vector<Descriptor>& layers,
                                     const std::vector<Reference>& tags) {
  const ImageConfig config = ImageConfig::parse(config_bytes, "image config");
  const PutResult stored_config = blobs_.put_bytes(config_bytes);
  Manifest manifest{std::string(media_type::oci_manifest),
                    {std::string(media_type::oci_config), stored_config.digest,
                     stored_config.size, {}, std::nullopt},
                    layers,
                    {}};
  check_image(manifest, config, "new image");
  const std::string bytes = manifest.serialize();
  const PutResult stored = blobs_.put_bytes(bytes);
  return add({manifest.media_type, stored.digest, stored.size, {}, std::nullopt}, tags);
}

void ImageStore::tag(const ImageRecord& image, const Reference& tag) {
  const Reference name = tag.with_default_tag();
  if (name.digest()) {
    throw Error(ErrorKind::usage, fmt::format("cannot tag with a digest reference: {}", tag.str()));
  }
  update_index([&](std::vector<Descriptor>& entries) {
    std::vector<Reference> names{name};
    retag(entries, image.manifest, names);
  });
}

std::optional<ImageRecord> ImageStore::untag(const Reference& tag) {
  const Reference name = tag.with_default_tag();
  std::optional<ImageRecord> found;
  for (const auto& image : list()) {
    if (std::find(image.names.begin(), image.names.end(), name) != image.names.end()) {
      found = image;
    }
  }
  if (!found) {
    return std::nullopt;
  }
  update_index([&](std::vector<Descriptor>& entries) {
    std::erase_if(entries, [&](const Descriptor& e) {
      const auto n = name_of(e);
      return n && *n == name;
    });
    if (!has_entry(entries, found->manifest.digest)) {
      entries.push_back(entry_for(found->manifest, std::nullopt));
    }
  });
  found->names.erase(std::find(found->names.begin(), found->names.end(), name));
  return found;
}

void ImageStore::remove(const Digest& manifest_digest) {
  update_index([&](std::vector<Descriptor>& entries) {
    std::erase_if(entries, [&](const Descriptor& e) { return e.digest == manifest_digest; });
  });
}

} // namespace strata::store
