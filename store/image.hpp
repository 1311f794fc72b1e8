#pragma once
// The image documents: OCI descriptors, manifests and image configs, parsed into the project's own
// types (nlohmann stays private to store/). An *image* is a manifest plus the config it names; its
// ID is the config's digest (DESIGN.md "Vocabulary").
//
// Parsing is strict where strata relies on a field (digests, sizes, media types, diff IDs) and
// lenient elsewhere: unknown fields are kept in the raw bytes, which are what strata stores and
// serves, so parsing never changes a digest. Malformed documents throw `Error{corrupt}` naming
// `label` (the file or digest they came from) and the offending field.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/digest.hpp"

namespace strata::store {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

struct Manifest {
  std::string media_type; // OCI or Docker schema2 manifest
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;

  // Parses and validates (schemaVersion 2, manifest media type, config and layer media types and
  // digests). Throws `Error{corrupt}`.
  [[nodiscard]] static Manifest parse(std::string_view bytes, std::string_view label);
  // Canonical OCI serialisation (compact JSON, fields in spec order).
  [[nodiscard]] std::string serialize() const;
};

// One row of an image's history (image-spec config "history").
struct HistoryEntry {
  std::string created; // RFC 3339, as stored ("" if absent)
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

// What strata reads out of an image config. The raw bytes stay the source of truth.
struct ImageConfig {
  std::string created; // RFC 3339 or ""
  std::string author;
  std::string architecture;
  std::string os;
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;

  // Parses and validates (rootfs.type "layers", every diff ID a digest). Throws `Error{corrupt}`.
  [[nodiscard]] static ImageConfig parse(std::string_view bytes, std::string_view label);
};

// An OCI index (or Docker manifest list), as found in `index.json` or a registry.
struct Index {
  std::vector<Descriptor> manifests;

  [[nodiscard]] static Index parse(std::string_view bytes, std::string_view label);
  [[nodiscard]] std::string serialize() const;
};

// The chain IDs of a layer stack: chain[0] = diff[0]; chain[i] = sha256(chain[i-1] + " " +
// diff[i]) (image-spec config.md "Layer ChainID").
[[nodiscard]] std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

// Checks that a manifest and its config agree: as many diff IDs as layers. Throws `Error{corrupt}`.
void check_image(const Manifest& manifest, const ImageConfig& config, std::string_view label);

// Seconds since the epoch of an RFC 3339 timestamp (fractional seconds ignored), or nullopt.
[[nodiscard]] std::optional<std::int64_t> parse_rfc3339(std::string_view text);
// RFC 3339 in UTC with nanoseconds trimmed as Go's RFC3339Nano does ("2024-01-02T03:04:05Z").
[[nodiscard]] std::string format_rfc3339(std::int64_t seconds, long nanoseconds = 0);

} // namespace strata::store
