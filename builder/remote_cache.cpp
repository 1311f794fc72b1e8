// `--cache-from` / `--cache-to` (remote_cache.hpp): the artifact's config document, its strict
// reading, lazy materialisation of imported records, and the export.

#include "builder/remote_cache.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "builder/build_cache.hpp"
#include "common/log.hpp"
#include "store/media_types.hpp"
#include "store/reference.hpp"

namespace strata::builder {
namespace {

using nlohmann::json;

constexpr std::string_view k_config_type = "application/vnd.strata.buildcache.config.v1+json";
constexpr std::size_t k_max_config = 64UL * 1024 * 1024;
constexpr std::size_t k_max_records = 100000;
constexpr std::size_t k_max_record_layers = 1000;
// type=local's entry in the layout's index.json (BuildKit's default `tag`).
constexpr const char* k_local_tag = "latest";

std::string describe(const CacheSpec& spec) {
  return spec.type == CacheSpec::Type::registry ? spec.location : "local:" + spec.location;
}

std::unique_ptr<store::ArtifactReader> reader_for(const CacheSpec& spec) {
  if (spec.type == CacheSpec::Type::local) {
    return store::layout_artifact(spec.location, k_local_tag);
  }
  return store::registry_artifact(store::Reference::parse(spec.location));
}

[[noreturn]] void bad(std::string_view why) {
  throw Error(ErrorKind::corrupt, fmt::format("malformed build cache: {}", why));
}

const json& field(const json& object, const char* name, json::value_t type) {
  const auto it = object.find(name);
  if (it == object.end() || it->type() != type) {
    bad(fmt::format("\"{}\" missing or of the wrong type", name));
  }
  return *it;
}

store::Digest digest_field(const json& object, const char* name) {
  return store::Digest::parse(field(object, name, json::value_t::string).get<std::string>());
}

// The blobs the artifact's manifest names, as "digest size" (looked up once per record layer).
using NamedBlobs = std::set<std::pair<store::Digest, std::uint64_t>>;

ImportedCache::Layer layer_of(const json& l, const NamedBlobs& named_blobs) {
  if (!l.is_object()) {
    bad("a layer is not an object");
  }
  ImportedCache::Layer layer{
      {field(l, "mediaType", json::value_t::string).get<std::string>(), digest_field(l, "digest"),
       field(l, "size", json::value_t::number_unsigned).get<std::uint64_t>(), {}, std::nullopt},
      digest_field(l, "diff_id")};
  if (!store::media_type::is_layer(layer.blob.media_type)) {
    bad("a layer of an unknown media type");
  }
  if (!named_blobs.contains({layer.blob.digest, layer.blob.size})) {
    bad(fmt::format("layer {} is not in the manifest", layer.blob.digest.str()));
  }
  return layer;
}

// The record's config must describe exactly its layers.
void check_diff_ids(const json& config, const std::vector<ImportedCache::Layer>& layers) {
  const json& rootfs = field(config, "rootfs", json::value_t::object);
  const json& ids = field(rootfs, "diff_ids", json::value_t::array);
  bool same = ids.size() == layers.size();
  for (std::size_t i = 0; same && i < layers.size(); ++i) {
    same = ids[i].is_string() && ids[i].get<std::string>() == layers[i].diff_id.str();
  }
  if (!same) {
    bad("a record's config does not match its layers");
  }
}

std::map<store::Digest, ImportedCache::Record> parse_records(const store::Artifact& artifact,
                                                             store::ArtifactReader* source) {
  json doc;
  try {
    doc = json::parse(artifact.config);
  } catch (const json::exception&) {
    bad("the config is not JSON");
  }
  if (!doc.is_object() || doc.value("schemaVersion", 0) != 1) {
    bad("unknown schemaVersion");
  }
  const json& records = field(doc, "records", json::value_t::array);
  if (records.size() > k_max_records) {
    bad("too many records");
  }
  NamedBlobs named_blobs;
  for (const store::Descriptor& d : artifact.layers) {
    named_blobs.emplace(d.digest, d.size);
  }
  std::map<store::Digest, ImportedCache::Record> out;
  for (const json& r : records) {
    if (!r.is_object()) {
      bad("a record is not an object");
    }
    ImportedCache::Record record{field(r, "config", json::value_t::object), {}, source};
    const json& layers = field(r, "layers", json::value_t::array);
    if (layers.size() > k_max_record_layers) {
      bad("a record with too many layers");
    }
    for (const json& l : layers) {
      record.layers.push_back(layer_of(l, named_blobs));
    }
    check_diff_ids(record.config, record.layers);
    out.emplace(digest_field(r, "key"), std::move(record));
  }
  return out;
}

} // namespace

ImportedCache ImportedCache::load(const std::vector<CacheSpec>& specs, Progress& progress) {
  ImportedCache cache;
  for (const CacheSpec& spec : specs) {
    const int vertex = progress.begin("importing cache manifest from " + describe(spec));
    try {
      std::unique_ptr<store::ArtifactReader> source = reader_for(spec);
      const store::Artifact artifact = source->read(k_config_type, k_max_config);
      std::map<store::Digest, Record> records = parse_records(artifact, source.get());
      progress.note(vertex, fmt::format("{} records", records.size()));
      cache.records_.merge(records); // the first source to name a key wins
      cache.sources_.push_back(std::move(source));
    } catch (const Error& e) {
      progress.warning(fmt::format("WARNING: failed to import cache from {}: {}", describe(spec),
                                   e.what()));
    }
    progress.done(vertex);
  }
  return cache;
}

std::optional<ImageState> ImportedCache::materialize(const store::Digest& key,
                                                     store::ImageStore& images) const {
  const auto it = records_.find(key);
  if (it == records_.end()) {
    return std::nullopt;
  }
  const Record& record = it->second;
  try {
    const store::Descriptor none{{}, placeholder_digest(), 0, {}, std::nullopt};
    store::ImageDetail detail{{none, placeholder_digest(), {}}, {{}, none, {}, {}}, {}, {}};
    for (const Layer& layer : record.layers) {
      if (images.blobs().size_of(layer.blob.digest) != layer.blob.size) {
        record.source->copy_blob(images, layer.blob);
      }
      detail.manifest.layers.push_back(layer.blob);
      detail.config.diff_ids.push_back(layer.diff_id);
    }
    const std::vector<store::Digest> chains = images.unpack(detail);
    ImageState state;
    state.config = record.config;
    state.identity = key;
    for (std::size_t i = 0; i < chains.size(); ++i) {
      BuiltLayer built;
      built.blob = record.layers[i].blob;
      built.diff_id = record.layers[i].diff_id;
      built.chain_id = chains[i];
      built.fs_path = images.snapshots().path_of(chains[i]) + "/fs";
      state.layers.push_back(std::move(built));
    }
    return state;
  } catch (const Error& e) {
    log::warn("imported build cache {}: {}; running the step", key.str(), e.what());
    return std::nullopt;
  }
}

namespace {

json record_entry(const store::Digest& key, const std::string& text,
                  std::vector<store::Descriptor>& blobs) {
  const json local = json::parse(text);
  json layers = json::array();
  for (const json& l : local.at("layers")) {
    store::Descriptor blob{l.at("mediaType").get<std::string>(),
                           store::Digest::parse(l.at("digest").get<std::string>()),
                           l.at("size").get<std::uint64_t>(), {}, std::nullopt};
    layers.push_back({{"mediaType", blob.media_type},
                      {"digest", blob.digest.str()},
                      {"size", blob.size},
                      {"diff_id", l.at("diff_id")}});
    if (std::none_of(blobs.begin(), blobs.end(),
                     [&](const store::Descriptor& d) { return d.digest == blob.digest; })) {
      blobs.push_back(std::move(blob));
    }
  }
  return {{"key", key.str()}, {"config", local.at("config")}, {"layers", layers}};
}

store::Artifact artifact_of(const BuildCache& cache, const std::vector<store::Digest>& keys) {
  store::Artifact artifact{std::string(k_config_type), {}, {}};
  json records = json::array();
  std::set<store::Digest> seen;
  for (const store::Digest& key : keys) {
    if (!seen.insert(key).second) {
      continue;
    }
    if (const std::optional<std::string> text = cache.record_text(key)) {
      records.push_back(record_entry(key, *text, artifact.layers));
    }
  }
  artifact.config = json{{"schemaVersion", 1}, {"records", records}}.dump();
  return artifact;
}

} // namespace

void export_caches(const std::vector<CacheSpec>& specs, store::ImageStore& images,
                   const BuildCache& cache, const std::vector<store::Digest>& all_keys,
                   const std::vector<store::Digest>& final_keys, Progress& progress) {
  for (const CacheSpec& spec : specs) {
    const int vertex = progress.begin("exporting cache to " + describe(spec));
    try {
      const store::Artifact artifact =
          artifact_of(cache, spec.mode == CacheSpec::Mode::max ? all_keys : final_keys);
      progress.note(vertex, fmt::format("preparing build cache for export: {} layers",
                                        artifact.layers.size()));
      const store::Digest digest =
          spec.type == CacheSpec::Type::local
              ? store::write_artifact_layout(images, artifact, spec.location, k_local_tag)
              : store::push_artifact(images, artifact,
                                     store::Reference::parse(spec.location).with_default_tag());
      progress.note(vertex, fmt::format("writing cache manifest {} done", digest.str()));
      progress.done(vertex);
    } catch (Error& e) {
      progress.error(vertex, e.message());
      e.add_context("export cache to " + describe(spec));
      if (!spec.ignore_error) {
        throw;
      }
      log::warn("{} (ignored: ignore-error=true)", e.what());
    }
  }
}

} // namespace strata::builder
