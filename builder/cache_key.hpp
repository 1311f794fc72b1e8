#pragma once
// `CacheKeyBuilder`: computes a build step's cache key (DESIGN.md "Vocabulary": the digest of the
// parent result, the instruction after expansion with its flags, the build args it sees and the
// digests of the files it reads). Equal keys must mean equal results, so the key covers every
// input as a typed, named field, and the byte stream that gets hashed is an unambiguous encoding
// of the field sequence: two different sequences of fields never produce the same bytes. (Naive
// concatenation would give fields "ab","c" and "a","bc" the same key and reuse a wrong result.)
//
// Encoding, version 1. "u64" is an unsigned 64-bit integer, little-endian. The key is the SHA-256
// of the whole stream.
//
//   stream := version field*
//   version := the 20 bytes "strata-cache-key-v1\n"
//   field  := type:u8  name_size:u64 name  value_size:u64 value
//   type   := 0x01 string   value = the bytes as given
//           | 0x02 digest   value = `Digest::str()`, "sha256:<64 hex>"
//           | 0x03 list     value = count:u64, then per item in order: item_size:u64 item
//           | 0x04 map      value = count:u64, then per entry in ascending byte order of key:
//                                   key_size:u64 key value_size:u64 value
//
// Every variable-length piece carries its size in front and every field starts with a fixed-size
// type, so the stream parses back into exactly one field sequence; `value_size` lets a reader skip
// a field of any type. The version tag comes first so that a change to the encoding, or to which
// fields a step adds, is made by bumping it: every old cache entry then misses instead of matching
// a differently-meant key. Field order is significant (it is a sequence, not a set); callers add
// fields in a fixed order per instruction. Map entries are sorted here, so insertion order and
// hash-table iteration order never change a key.
//
// What goes in is the callers' decision, made per instruction: content digests of files (never
// mtime or size), only the build args the step can see, the instruction after variable expansion
// (SECURITY.md §0 item 12, CVE-2024-24557).
//
// Ownership: owns its hasher; move-only. Thread-safety: one builder per thread at a time.
// Failure: `finish` may be called once; afterwards (or after a move) every call throws
// `Error{internal}`. OpenSSL failures (out of memory) throw `Error{internal}`.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/digest.hpp"
#include "store/sha256.hpp"

namespace strata::builder {

class CacheKeyBuilder {
public:
  // Field type tags of the encoding above.
  enum class FieldType : std::uint8_t { string = 0x01, digest = 0x02, list = 0x03, map = 0x04 };
  static constexpr std::string_view k_version_tag = "strata-cache-key-v1\n";

  // Starts a key: hashes the version tag.
  CacheKeyBuilder();

  // Each `add*` appends one field and returns `*this` for chaining.
  CacheKeyBuilder& add(std::string_view name, std::string_view value);
  CacheKeyBuilder& add(std::string_view name, const store::Digest& digest);
  CacheKeyBuilder& add_list(std::string_view name, const std::vector<std::string>& items);
  CacheKeyBuilder& add_map(std::string_view name,
                           const std::map<std::string, std::string>& entries);
  CacheKeyBuilder& add_map(std::string_view name,
                           const std::unordered_map<std::string, std::string>& entries);

  // The cache key. Usable once.
  [[nodiscard]] store::Digest finish();

private:
  using Entry = std::pair<const std::string, std::string>;

  void begin_field(FieldType type, std::string_view name, std::uint64_t value_size);
  void put_u64(std::uint64_t value);
  void put_sized(std::string_view bytes);
  void put_sorted_map(std::string_view name, const std::vector<const Entry*>& sorted);

  store::Sha256 hasher_;
};

} // namespace strata::builder
