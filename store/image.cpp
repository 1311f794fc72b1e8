#include "store/image.hpp"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "store/media_types.hpp"
#include "store/sha256.hpp"

namespace strata::store {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(std::string_view label, std::string_view what) {
  throw Error(ErrorKind::corrupt, fmt::format("{}: {}", label, what));
}

json parse_json(std::string_view bytes, std::string_view label) {
  json doc = json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    fail(label, "not a JSON object");
  }
  return doc;
}

std::string string_field(const json& obj, const char* key, std::string_view label,
                         bool required = false) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) {
      fail(label, fmt::format("missing \"{}\"", key));
    }
    return {};
  }
  if (!it->is_string()) {
    fail(label, fmt::format("\"{}\" is not a string", key));
  }
  return it->get<std::string>();
}

Digest digest_field(const json& obj, const char* key, std::string_view label) {
  const std::string text = string_field(obj, key, label, true);
  const auto digest = Digest::try_parse(text);
  if (!digest) {
    fail(label, fmt::format("\"{}\" is not a sha256 digest", key));
  }
  return *digest;
}

std::map<std::string, std::string> annotations_of(const json& obj, std::string_view label) {
  std::map<std::string, std::string> out;
  const auto it = obj.find("annotations");
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_object()) {
    fail(label, "\"annotations\" is not an object");
  }
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) {
      fail(label, fmt::format("annotation \"{}\" is not a string", key));
    }
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

Descriptor descriptor_of(const json& obj, std::string_view label) {
  if (!obj.is_object()) {
    fail(label, "descriptor is not an object");
  }
  Descriptor d{string_field(obj, "mediaType", label, true), digest_field(obj, "digest", label), 0,
               annotations_of(obj, label), std::nullopt};
  const auto size = obj.find("size");
  if (size == obj.end() || !size->is_number_integer() || size->get<std::int64_t>() < 0) {
    fail(label, fmt::format("descriptor {}: \"size\" is not a non-negative integer", d.digest.str()));
  }
  d.size = size->get<std::uint64_t>();
  if (const auto p = obj.find("platform"); p != obj.end() && p->is_object()) {
    d.platform = Platform{string_field(*p, "os", label), string_field(*p, "architecture", label),
                          string_field(*p, "variant", label)};
  }
  return d;
}

json descriptor_json(const Descriptor& d) {
  json out = json::object();
  out["mediaType"] = d.media_type;
  out["digest"] = d.digest.str();
  out["size"] = d.size;
  if (!d.annotations.empty()) {
    out["annotations"] = d.annotations;
  }
  if (d.platform) {
    json p = {{"architecture", d.platform->architecture}, {"os", d.platform->os}};
    if (!d.platform->variant.empty()) {
      p["variant"] = d.platform->variant;
    }
    out["platform"] = p;
  }
  return out;
}

void check_schema_version(const json& doc, std::string_view label) {
  const auto it = doc.find("schemaVersion");
  if (it == doc.end() || !it->is_number_integer() || it->get<int>() != 2) {
    fail(label, "\"schemaVersion\" is not 2");
  }
}

} // namespace

Manifest Manifest::parse(std::string_view bytes, std::string_view label) {
  const json doc = parse_json(bytes, label);
  check_schema_version(doc, label);
  if (doc.contains("manifests")) {
    fail(label, "an index, not an image manifest");
  }
  std::string type = string_field(doc, "mediaType", label);
  if (type.empty()) {
    type = std::string(media_type::oci_manifest); // optional in OCI
  }
  if (!media_type::is_manifest(type)) {
    fail(label, fmt::format("unsupported manifest media type \"{}\"", type));
  }
  if (!doc.contains("config")) {
    fail(label, "missing \"config\"");
  }
  Manifest m{std::move(type), descriptor_of(doc.at("config"), label), {}, annotations_of(doc, label)};
  if (!media_type::is_config(m.config.media_type)) {
    fail(label, fmt::format("unsupported config media type \"{}\"", m.config.media_type));
  }
  const auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) {
    fail(label, "\"layers\" is not an array");
  }
  for (const auto& layer : *layers) {
    m.layers.push_back(descriptor_of(layer, label));
    if (!media_type::is_layer(m.layers.back().media_type)) {
      fail(label, fmt::format("layer {}: unsupported media type \"{}\"",
                              m.layers.back().digest.str(), m.layers.back().media_type));
    }
  }
  return m;
}

std::string Manifest::serialize() const {
  json doc = json::object();
  doc["schemaVersion"] = 2;
  doc["mediaType"] = media_type;
  doc["config"] = descriptor_json(config);
  doc["layers"] = json::array();
  for (const auto& layer : layers) {
    doc["layers"].push_back(descriptor_json(layer));
  }
  if (!annotations.empty()) {
    doc["annotations"] = annotations;
  }
  return doc.dump();
}

ImageConfig ImageConfig::parse(std::string_view bytes, std::string_view label) {
  const json doc = parse_json(bytes, label);
  ImageConfig c{string_field(doc, "created", label), string_field(doc, "author", label),
                string_field(doc, "architecture", label), string_field(doc, "os", label), {}, {}};
  const auto rootfs = doc.find("rootfs");
  if (rootfs == doc.end() || !rootfs->is_object() ||
      string_field(*rootfs, "type", label) != "layers") {
    fail(label, "\"rootfs\" is not {\"type\":\"layers\",...}");
  }
  const auto diff_ids = rootfs->find("diff_ids");
  if (diff_ids != rootfs->end() && !diff_ids->is_null()) {
    if (!diff_ids->is_array()) {
      fail(label, "\"rootfs.diff_ids\" is not an array");
    }
    for (const auto& id : *diff_ids) {
      const auto digest = id.is_string() ? Digest::try_parse(id.get<std::string>()) : std::nullopt;
      if (!digest) {
        fail(label, "a diff ID in \"rootfs.diff_ids\" is not a sha256 digest");
      }
      c.diff_ids.push_back(*digest);
    }
  }
  if (const auto history = doc.find("history"); history != doc.end() && history->is_array()) {
    for (const auto& row : *history) {
      if (!row.is_object()) {
        fail(label, "a \"history\" row is not an object");
      }
      const auto empty = row.find("empty_layer");
      c.history.push_back({string_field(row, "created", label),
                           string_field(row, "created_by", label), string_field(row, "author", label),
                           string_field(row, "comment", label),
                           empty != row.end() && empty->is_boolean() && empty->get<bool>()});
    }
  }
  return c;
}

Index Index::parse(std::string_view bytes, std::string_view label) {
  const json doc = parse_json(bytes, label);
  check_schema_version(doc, label);
  if (doc.contains("layers")) {
    fail(label, "an image manifest, not an index");
  }
  const auto manifests = doc.find("manifests");
  if (manifests == doc.end() || !manifests->is_array()) {
    fail(label, "\"manifests\" is not an array");
  }
  Index index;
  for (const auto& m : *manifests) {
    index.manifests.push_back(descriptor_of(m, label));
  }
  return index;
}

std::string Index::serialize() const {
  json doc = {{"schemaVersion", 2}, {"mediaType", media_type::oci_index}};
  doc["manifests"] = json::array();
  for (const auto& m : manifests) {
    doc["manifests"].push_back(descriptor_json(m));
  }
  return doc.dump();
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  out.reserve(diff_ids.size());
  for (const auto& diff : diff_ids) {
    out.push_back(out.empty() ? diff : sha256_of(out.back().str() + " " + diff.str()));
  }
  return out;
}

void check_image(const Manifest& manifest, const ImageConfig& config, std::string_view label) {
  if (manifest.layers.size() != config.diff_ids.size()) {
    fail(label, fmt::format("the manifest has {} layers but the config {} diff IDs",
                            manifest.layers.size(), config.diff_ids.size()));
  }
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  const std::string s(text.substr(0, 19));
  if (s.size() != 19 || ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return std::nullopt;
  }
  std::int64_t seconds = ::timegm(&tm);
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    const auto end = rest.find_first_not_of("0123456789", 1);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const int offset = ((rest[1] - '0') * 10 + (rest[2] - '0')) * 3600 +
                       ((rest[4] - '0') * 10 + (rest[5] - '0')) * 60;
    seconds += rest[0] == '+' ? -offset : offset;
  } else if (rest != "Z" && rest != "z") {
    return std::nullopt;
  }
  return seconds;
}

std::string format_rfc3339(std::int64_t seconds, long nanoseconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (nanoseconds > 0) {
    std::string frac = fmt::format("{:09}", nanoseconds);
    while (!frac.empty() && frac.back() == '0') {
      frac.pop_back();
    }
    out += "." + frac;
  }
  return out + "Z";
}

} // namespace strata::store
