// `plan_images` (archive_load_internal.hpp): what an archive read by `read_archive` describes, as
// validated images, before anything is published.
//
// Formats: Docker's `manifest.json` (legacy `docker save` with `<id>/layer.tar`, skopeo's
// `docker-archive:` with `<hex>.tar`, Docker 25's combined archive with `blobs/sha256/`), and OCI
// layouts (`index.json`, tags from the entries' annotations; an entry naming an index picks its
// linux/amd64 manifest). When both documents are present (Docker 25), `index.json` gives the
// manifests (so manifest digests survive) and `manifest.json` adds its RepoTags.

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "store/archive_load_internal.hpp"
#include "store/media_types.hpp"
#include "store/sha256.hpp"

namespace strata::store::archive_detail {
namespace {

using json = nlohmann::json;

// Every blob named `blobs/sha256/<hex>` must hash to its name, used or not.
void verify_blob_names(const ArchiveContents& contents) {
  for (const auto& [name, file] : contents.files) {
    if (name.starts_with("blobs/sha256/") && file.digest && file.digest->hex() != name.substr(13)) {
      fail(fmt::format("blob {} is corrupt: its content hashes to {}", quote_entry(name),
                       file.digest->str()));
    }
  }
}

const ArchiveFile& file_named(const ArchiveContents& contents, std::string_view name,
                              std::string_view what) {
  const auto clean = clean_name(name);
  const ArchiveFile* file = clean ? contents.find(*clean) : nullptr;
  if (file == nullptr) {
    fail(fmt::format("{} {} is missing from the archive", what, quote_entry(name)));
  }
  return *file;
}

const ArchiveFile& blob(const ArchiveContents& contents, const Descriptor& d, std::string_view what) {
  const ArchiveFile& file = file_named(contents, d.digest.blob_path(), what);
  if (file.size != d.size) {
    fail(fmt::format("{} {} is {} bytes, its descriptor says {}", what, d.digest.str(), file.size,
                     d.size));
  }
  return file;
}

const std::string& document(const ArchiveFile& file, std::string_view name) {
  if (!file.in_memory()) {
    fail(fmt::format("{} is not a JSON document", quote_entry(name)));
  }
  return file.bytes;
}

// Checks layer files against the config's diff IDs and completes `image`.
void check_layers(const ArchiveContents& contents, PlannedImage& image, std::string_view label) {
  check_image(image.parsed, image.config, label);
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    const ArchiveFile* file = contents.find(image.layers[i]);
    STRATA_CHECK(file != nullptr && file->diff_id);
    if (*file->diff_id != image.config.diff_ids[i]) {
      fail(fmt::format("{}: layer {} ({}) has diff ID {}, the config says {}", label, i + 1,
                       quote_entry(image.layers[i]), file->diff_id->str(),
                       image.config.diff_ids[i].str()));
    }
  }
}

void add_tag(PlannedImage& image, const Reference& tag) {
  const Reference t = tag.with_default_tag();
  if (std::find(image.tags.begin(), image.tags.end(), t) == image.tags.end()) {
    image.tags.push_back(t);
  }
}

// The name an index entry gives its image: `io.containerd.image.name`, else a ref.name that is a
// whole reference ("busybox:latest"; Docker 25 writes only the tag there, which names nothing).
std::optional<Reference> name_of(const Descriptor& entry) {
  if (const auto it = entry.annotations.find(annotation::containerd_name);
      it != entry.annotations.end()) {
    if (auto ref = Reference::try_parse(it->second); ref && !ref->digest()) {
      return ref;
    }
  }
  if (const auto it = entry.annotations.find(annotation::ref_name); it != entry.annotations.end()) {
    const std::string& text = it->second;
    if (text.find_first_of(":/") != std::string::npos) {
      if (auto ref = Reference::try_parse(text); ref && !ref->digest()) {
        return ref;
      }
    }
  }
  return std::nullopt;
}

// The manifest an index entry stands for: itself, or the linux/amd64 one of a nested index.
Descriptor pick_manifest(const ArchiveContents& contents, const Descriptor& entry, int depth = 0) {
  if (media_type::is_manifest(entry.media_type)) {
    return entry;
  }
  if (!media_type::is_index(entry.media_type) || depth > 4) {
    fail(fmt::format("index.json: entry {} has unsupported media type {}", entry.digest.str(),
                     quote_entry(entry.media_type)));
  }
  const ArchiveFile& file = blob(contents, entry, "index");
  const Index nested = Index::parse(document(file, entry.digest.str()), entry.digest.str());
  const auto amd64 = std::find_if(nested.manifests.begin(), nested.manifests.end(),
                                  [](const Descriptor& d) {
                                    return d.platform && d.platform->os == "linux" &&
                                           d.platform->architecture == "amd64";
                                  });
  if (amd64 != nested.manifests.end()) {
    return pick_manifest(contents, *amd64, depth + 1);
  }
  if (nested.manifests.size() == 1 && !nested.manifests.front().platform) {
    return pick_manifest(contents, nested.manifests.front(), depth + 1);
  }
  fail(fmt::format("index {} has no linux/amd64 image", entry.digest.str()));
}

PlannedImage plan_oci(const ArchiveContents& contents, const Descriptor& manifest) {
  const std::string label = manifest.digest.str();
  std::string manifest_bytes = document(blob(contents, manifest, "manifest"), label);
  Manifest parsed = Manifest::parse(manifest_bytes, label);
  const ArchiveFile& config = blob(contents, parsed.config, "config");
  std::string config_bytes = document(config, parsed.config.digest.str());
  ImageConfig image_config = ImageConfig::parse(config_bytes, parsed.config.digest.str());
  std::vector<std::string> layers;
  for (const auto& layer : parsed.layers) {
    std::ignore = blob(contents, layer, "layer");
    layers.push_back(layer.digest.blob_path());
  }
  PlannedImage image{std::move(manifest_bytes),
                     {manifest.media_type, manifest.digest, manifest.size, {}, std::nullopt},
                     std::move(parsed),
                     std::move(config_bytes),
                     std::move(image_config),
                     std::move(layers),
                     {}};
  check_layers(contents, image, label);
  return image;
}

std::string_view layer_type(Compression compression) {
  return layer_media_type(compression);
}

// A manifest.json item's image, with an OCI manifest built over its files: the config bytes are
// kept exactly (the image ID is their digest), layers keep their bytes and compression.
PlannedImage plan_docker(const ArchiveContents& contents, const json& item) {
  const auto text = [&](const json& v, std::string_view what) -> std::string {
    if (!v.is_string()) {
      fail(fmt::format("manifest.json: {} is not a string", what));
    }
    return v.get<std::string>();
  };
  if (!item.is_object() || !item.contains("Config") || !item.contains("Layers") ||
      !item["Layers"].is_array()) {
    fail("manifest.json: an item lacks \"Config\" or \"Layers\"");
  }
  const std::string config_name = text(item["Config"], "Config");
  const ArchiveFile& config = file_named(contents, config_name, "config");
  std::string config_bytes = document(config, config_name);
  ImageConfig image_config = ImageConfig::parse(config_bytes, quote_entry(config_name));
  Manifest parsed{std::string(media_type::oci_manifest),
                  {std::string(media_type::oci_config), *config.digest, config.size, {}, {}},
                  {},
                  {}};
  std::vector<std::string> layers;
  for (const auto& entry : item["Layers"]) {
    const std::string name = text(entry, "a layer");
    const ArchiveFile& layer = file_named(contents, name, "layer");
    if (!layer.diff_id) {
      fail(fmt::format("layer {} is not a layer file", quote_entry(name)));
    }
    layers.push_back(*clean_name(name));
    parsed.layers.push_back(
        {std::string(layer_type(layer.compression)), *layer.digest, layer.size, {}, {}});
  }
  std::string manifest_bytes = parsed.serialize();
  const Digest manifest_digest = sha256_of(manifest_bytes);
  const std::uint64_t manifest_size = manifest_bytes.size();
  PlannedImage image{std::move(manifest_bytes),
                     {parsed.media_type, manifest_digest, manifest_size, {}, std::nullopt},
                     std::move(parsed),
                     std::move(config_bytes),
                     std::move(image_config),
                     std::move(layers),
                     {}};
  check_layers(contents, image, quote_entry(config_name));
  return image;
}

void add_repo_tags(PlannedImage& image, const json& item) {
  const auto tags = item.find("RepoTags");
  if (tags == item.end() || tags->is_null()) {
    return;
  }
  if (!tags->is_array()) {
    fail("manifest.json: \"RepoTags\" is not an array");
  }
  for (const auto& tag : *tags) {
    const auto ref = tag.is_string() ? Reference::try_parse(tag.get<std::string>()) : std::nullopt;
    if (!ref || ref->digest()) {
      fail(fmt::format("manifest.json: invalid tag {}", quote_entry(tag.dump())));
    }
    add_tag(image, *ref);
  }
}

void plan_index(const ArchiveContents& contents, const std::string& bytes,
                std::vector<PlannedImage>& out) {
  for (const auto& entry : Index::parse(bytes, "index.json").manifests) {
    const Descriptor manifest = pick_manifest(contents, entry);
    auto it = std::find_if(out.begin(), out.end(), [&](const PlannedImage& p) {
      return p.manifest.digest == manifest.digest;
    });
    if (it == out.end()) {
      out.push_back(plan_oci(contents, manifest));
      it = std::prev(out.end());
    }
    if (const auto name = name_of(entry)) {
      add_tag(*it, *name);
    }
  }
}

void plan_manifest_json(const ArchiveContents& contents, const std::string& bytes,
                        std::vector<PlannedImage>& out) {
  const json doc = json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    fail("manifest.json: not a JSON array");
  }
  for (const auto& item : doc) {
    PlannedImage planned = plan_docker(contents, item);
    const Digest id = planned.parsed.config.digest;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const PlannedImage& p) { return p.parsed.config.digest == id; });
    if (it == out.end()) {
      out.push_back(std::move(planned));
      it = std::prev(out.end());
    }
    add_repo_tags(*it, item);
  }
}

} // namespace

std::vector<PlannedImage> plan_images(const ArchiveContents& contents) {
  verify_blob_names(contents);
  const ArchiveFile* index = contents.find("index.json");
  const ArchiveFile* manifest = contents.find("manifest.json");
  if (index == nullptr && manifest == nullptr) {
    fail("not an image archive: it has neither manifest.json nor index.json");
  }
  std::vector<PlannedImage> out;
  if (index != nullptr) {
    plan_index(contents, index->bytes, out);
  }
  if (manifest != nullptr) {
    plan_manifest_json(contents, manifest->bytes, out);
  }
  return out;
}

} // namespace strata::store::archive_detail
